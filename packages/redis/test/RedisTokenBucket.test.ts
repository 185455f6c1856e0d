import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument, TokenBucket } from "@fiberkit/core"
import { RedisConnection, RedisServer, RedisTokenBucket } from "@fiberkit/redis"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import * as Readline from "node:readline"
import { fileURLToPath } from "node:url"
import * as internal from "../src/internal/redisTokenBucket.js"

type RedisError = RedisConnection.RedisError

/** A fresh redis-server for one test, and a connection to it, both closed with the test's scope. */
const withRedis = Effect.gen(function*() {
  const server = yield* RedisServer.start()
  const context = yield* Layer.build(RedisConnection.layer({ url: server.url }))
  return { server, context }
})

/** Real-time sleep: the bucket runs on Redis's clock, so these tests run on real time (it.scopedLive). */
const sleep = (millis: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, millis)))

/** Polls `effect` on real time until `done` holds (bounded by the test timeout). */
const eventually = <A, E, R>(effect: Effect.Effect<A, E, R>, done: (a: A) => boolean): Effect.Effect<A, E, R> =>
  Effect.flatMap(effect, (a) => done(a) ? Effect.succeed(a) : Effect.zipRight(sleep(20), eventually(effect, done)))

const isWaiting = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) => Effect.map(Fiber.poll(fiber), Option.isNone)

/** The largest total cost admitted in any half-open window [t, t + length). */
const maxWindow = (times: ReadonlyArray<number>, length: number): number => {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  let start = 0
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= length) start++
    best = Math.max(best, end - start + 1)
  }
  return best
}

describe("RedisTokenBucket", () => {
  it.scopedLive("bad options and bad calls are an InvalidArgumentError at the call", () =>
    Effect.gen(function*() {
      const { context } = yield* withRedis
      const cases: Array<[RedisTokenBucket.Options, string]> = [
        [{ name: "b", rate: 0 }, "rate"],
        [{ name: "b", rate: Number.NaN }, "rate"],
        [{ name: "b", rate: 10, burst: 0.5 }, "burst"],
        [{ name: "b", rate: 10, per: "0 seconds" }, "per"],
        [{ name: "b", rate: 10, per: "soon" as Duration.DurationInput }, "per"],
        [{ name: "b", rate: 10, burst: 2, cost: 3 }, "cost"],
        [{ name: "b", rate: 10, maxConcurrent: 1.5 }, "maxConcurrent"],
        [{ name: "b", limits: [] }, "limits"],
        [{ name: "b", limits: [{ rate: 4 }, { rate: -1, per: "1 minute" }] }, "limits[1].rate"],
        [{ name: "b", rate: 4, limits: [{ rate: 4 }] } as unknown as RedisTokenBucket.Options, "rate"],
        [{ name: "", rate: 10 }, "name"],
        [{ rate: 10 } as unknown as RedisTokenBucket.Options, "name"],
        [{ name: "b", rate: 10, label: 5 } as unknown as RedisTokenBucket.Options, "label"],
        [null as unknown as RedisTokenBucket.Options, "options"]
      ]
      for (const [options, argument] of cases) {
        const error = yield* Effect.flip(Effect.scoped(RedisTokenBucket.make(options))).pipe(Effect.provide(context))
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error), `${argument}: ${String(error)}`)
        if (InvalidArgument.isInvalidArgumentError(error)) {
          assert.strictEqual(error.operation, "RedisTokenBucket.make")
          assert.strictEqual(error.argument, argument)
        }
      }
      const Tag = Context.GenericTag<TokenBucket.TokenBucket<RedisError>>("Bucket")
      const viaLayer = yield* Effect.flip(
        Effect.scoped(Layer.build(RedisTokenBucket.layer(Tag, { name: "", rate: 1 }))).pipe(Effect.provide(context))
      )
      assert.isTrue(InvalidArgument.isInvalidArgumentError(viaLayer))

      const bucket = yield* RedisTokenBucket.make({ name: "calls", rate: 10, burst: 3 }).pipe(Effect.provide(context))
      const calls: Array<[Effect.Effect<unknown, unknown>, string]> = [
        [TokenBucket.take(bucket, 0), "cost"],
        [TokenBucket.take(bucket, Number.NaN), "cost"],
        [TokenBucket.take(bucket, 4), "cost"],
        [Effect.void.pipe(TokenBucket.withTokens(bucket, { cost: 3.5 })), "cost"],
        [TokenBucket.pause(bucket, -1), "duration"],
        [TokenBucket.reconfigure(bucket, { rate: 0 }), "rate"],
        [TokenBucket.reconfigure(bucket, { maxConcurrent: 0 }), "maxConcurrent"],
        [TokenBucket.reconfigure(bucket, { cost: 4 }), "cost"]
      ]
      for (const [call, argument] of calls) {
        const error = yield* Effect.flip(call)
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error), `${argument}: ${String(error)}`)
        if (InvalidArgument.isInvalidArgumentError(error)) assert.strictEqual(error.argument, argument)
      }
      // Nothing was taken by the rejected calls.
      const stats = yield* TokenBucket.statistics(bucket)
      assert.strictEqual(stats.admitted, 0)
      assert.strictEqual(stats.waiting, 0)
    }))

  it.scopedLive("a program written against a TokenBucket<RedisError> tag runs on the local layer and on this one", () =>
    Effect.gen(function*() {
      const { context } = yield* withRedis
      class Api extends Context.Tag("Api")<Api, TokenBucket.TokenBucket<RedisError>>() {}
      const program = Effect.gen(function*() {
        const bucket = yield* Api
        const results = yield* Effect.forEach(
          [1, 2, 3],
          (n) => Effect.succeed(n * 10).pipe(TokenBucket.withTokens(bucket)),
          { concurrency: "unbounded" }
        )
        const stats = yield* TokenBucket.statistics(bucket)
        return { results, admitted: stats.admitted, tokens: stats.tokens.length }
      })
      const options = { rate: 1, per: "1 minute", burst: 3 } as const
      const local = yield* program.pipe(Effect.provide(TokenBucket.layer(Api, options)))
      const shared = yield* program.pipe(
        Effect.provide(RedisTokenBucket.layer(Api, { name: "swap", ...options })),
        Effect.provide(context)
      )
      assert.deepStrictEqual(local, { results: [10, 20, 30], admitted: 3, tokens: 1 })
      assert.deepStrictEqual(shared, local)
    }))

  it.scopedLive("burst: a fresh bucket admits burst at once, then the next caller waits its turn", () =>
    Effect.gen(function*() {
      const { context } = yield* withRedis
      // One token a minute: nothing measurable refills while the test runs.
      const bucket = yield* RedisTokenBucket.make({ name: "burst", rate: 1, per: "1 minute", burst: 3 }).pipe(
        Effect.provide(context)
      )
      yield* Effect.forEach([1, 2, 3], () => TokenBucket.take(bucket), { concurrency: "unbounded" })
      const after = yield* TokenBucket.statistics(bucket)
      assert.strictEqual(after.admitted, 3)
      assert.isBelow(after.tokens[0]!, 0.2)
      assert.strictEqual(after.timers, 0)

      const fourth = yield* Effect.fork(TokenBucket.take(bucket))
      yield* sleep(200)
      assert.isTrue(yield* isWaiting(fourth), "the fourth caller must wait about a minute")
      const waiting = yield* TokenBucket.statistics(bucket)
      assert.strictEqual(waiting.waiting, 1)
      assert.strictEqual(waiting.timers, 1)
      assert.strictEqual(waiting.admitted, 3)

      // Waiting, it holds the token it waits for against other processes (see the fairness test)...
      const redis = yield* Effect.provide(RedisConnection.RedisConnection, context)
      const hold = redis.use("hget", (client) => client.hget(internal.keyOf("burst"), "hold"))
      assert.notStrictEqual(yield* hold, "")

      // ...and interrupted, it costs nothing, gives the hold back at once and leaves no fiber behind.
      yield* Fiber.interrupt(fourth)
      const idle = yield* eventually(TokenBucket.statistics(bucket), (s) => s.timers === 0)
      assert.strictEqual(idle.waiting, 0)
      assert.strictEqual(idle.admitted, 3)
      assert.strictEqual(yield* hold, "")
    }))

  it.scopedLive("a wait beyond Node's 24.8-day timer limit sleeps instead of re-asking Redis every millisecond", () =>
    Effect.gen(function*() {
      const { context } = yield* withRedis
      const redis = yield* Effect.provide(RedisConnection.RedisConnection, context)
      const scriptCalls = redis.use("commandstats", (client) => client.info("commandstats")).pipe(
        Effect.map((info) => Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0))
      )
      const bucket = yield* RedisTokenBucket.make({ name: "slow", rate: 1, per: "100 days", burst: 1 }).pipe(
        Effect.provide(context)
      )
      yield* TokenBucket.take(bucket)
      // The next token is 100 days away: the waiter's fiber is told so and must sleep, not spin.
      const second = yield* Effect.fork(TokenBucket.take(bucket))
      yield* eventually(TokenBucket.statistics(bucket), (s) => s.waiting === 1 && s.timers === 1)
      const before = yield* scriptCalls
      yield* sleep(300)
      assert.isAtMost((yield* scriptCalls) - before, 5)
      assert.isTrue(yield* isWaiting(second))
      yield* Fiber.interrupt(second)
    }))

  it.scopedLive("refill: at burst 1, admissions are spaced by 1/rate on the Redis clock", () =>
    Effect.gen(function*() {
      const { context } = yield* withRedis
      const admitted: Array<number> = []
      const bucket = yield* internal.make({ name: "smooth", rate: 40, per: "1 second" }, {
        onAdmit: (at) => admitted.push(at)
      }).pipe(Effect.provide(context))
      yield* Effect.forEach(Array.from({ length: 12 }), () => TokenBucket.take(bucket), { concurrency: "unbounded" })
      assert.strictEqual(admitted.length, 12)
      for (let i = 1; i < admitted.length; i++) {
        // 25 ms apart at least (a thousandth of a ms of float slack); never bunched, however late timers fire.
        assert.isAtLeast(admitted[i]! - admitted[i - 1]!, 25 - 1e-3, `admission ${i}`)
      }
      const stats = yield* TokenBucket.statistics(bucket)
      assert.strictEqual(stats.admitted, 12)
      assert.strictEqual(stats.timers, 0)
    }))

  // Under it.scoped the Clock is a TestClock frozen at 0 and never adjusted: a bucket that computed refills from
  // the caller's clock (as a caller-supplied `now` does) would never refill, and one that slept on it would hang.
  it.scoped("time comes from Redis: a process whose clock is frozen still gets tokens at the right rate", () =>
    Effect.gen(function*() {
      const { context } = yield* withRedis
      const admitted: Array<number> = []
      const bucket = yield* internal.make({ name: "frozen-clock", rate: 40, burst: 2 }, {
        onAdmit: (at) => admitted.push(at)
      }).pipe(Effect.provide(context))
      yield* Effect.forEach(Array.from({ length: 8 }), () => TokenBucket.take(bucket), { concurrency: "unbounded" })
      assert.strictEqual(admitted.length, 8)
      // The burst of 2 at once, then one per 25 ms of Redis time: 6 more need at least 150 ms.
      assert.isAtLeast(admitted[7]! - admitted[0]!, 150 - 1e-3)
      assert.strictEqual((yield* TokenBucket.statistics(bucket)).admitted, 8)
    }))

  it.scopedLive("cost: callers take their cost, FIFO within the process, and a cost above the burst is refused", () =>
    Effect.gen(function*() {
      const { context } = yield* withRedis
      const bucket = yield* RedisTokenBucket.make({ name: "cost", rate: 1, per: "1 minute", burst: 10, cost: 2 })
        .pipe(Effect.provide(context))
      yield* TokenBucket.take(bucket) // the default cost: 2
      yield* TokenBucket.take(bucket, 4)
      const s1 = yield* TokenBucket.statistics(bucket)
      assert.strictEqual(s1.admitted, 2)
      assert.strictEqual(s1.admittedCost, 6)
      assert.isBelow(Math.abs(s1.tokens[0]! - 4), 0.2)

      // 7 is more than the 4 left: it waits, and the cheap caller behind it does not overtake it.
      const big = yield* Effect.fork(Effect.void.pipe(TokenBucket.withTokens(bucket, { cost: 7 })))
      yield* eventually(TokenBucket.statistics(bucket), (s) => s.waiting === 1)
      const small = yield* Effect.fork(TokenBucket.take(bucket, 1))
      yield* sleep(200)
      assert.isTrue(yield* isWaiting(big))
      assert.isTrue(yield* isWaiting(small), "a cheaper caller must not overtake the head of the queue")
      assert.strictEqual((yield* TokenBucket.statistics(bucket)).waiting, 2)

      // The head gives up: the next caller goes at once (its tokens are there).
      yield* Fiber.interrupt(big)
      yield* Fiber.join(small)
      const s2 = yield* eventually(TokenBucket.statistics(bucket), (s) => s.timers === 0)
      assert.strictEqual(s2.admitted, 3)
      assert.strictEqual(s2.admittedCost, 7)
      assert.strictEqual(s2.waiting, 0)
    }))

  it.scopedLive("a large cost is not starved by another process taking every token as it accrues", () =>
    Effect.gen(function*() {
      const { context } = yield* withRedis
      const options = { name: "starve", rate: 100, burst: 10 } as const
      const smallAt: Array<number> = []
      const largeAt: Array<number> = []
      const small = yield* internal.make(options, { onAdmit: (at) => smallAt.push(at) }).pipe(Effect.provide(context))
      const large = yield* internal.make(options, { onAdmit: (at) => largeAt.push(at) }).pipe(Effect.provide(context))
      // `small` keeps 150 callers queued: 1.5 s of tokens, each taken as soon as it accrues.
      const stream = yield* Effect.fork(
        Effect.forEach(Array.from({ length: 150 }), () => TokenBucket.take(small, 1), {
          concurrency: "unbounded",
          discard: true
        })
      )
      yield* eventually(Effect.sync(() => smallAt.length), (n) => n >= 20)
      // Needs the whole burst at once. Without the hold it would wait until the stream ended; with it, the
      // stream leaves the accruing tokens alone until this caller has its 10 (about 0.1 s).
      yield* TokenBucket.take(large, 10)
      yield* Fiber.join(stream)
      assert.strictEqual(largeAt.length, 1)
      const after = smallAt.filter((at) => at > largeAt[0]!).length
      assert.isAtLeast(after, 50, `only ${after} small calls were admitted after the large one`)
      // The stream paused for it and resumed: still within rate + burst over any second of Redis time.
      const all = [...smallAt, ...Array.from({ length: 10 }, () => largeAt[0]!)]
      assert.isAtMost(maxWindow(all, 1000), 110)
    }))

  it.scopedLive("interruption: a running call gives its slot back, waiters that give up cost nothing, no fiber is left", () =>
    Effect.gen(function*() {
      const { context } = yield* withRedis
      const bucket = yield* RedisTokenBucket.make({
        name: "interrupt",
        rate: 1,
        per: "1 minute",
        burst: 5,
        maxConcurrent: 1
      }).pipe(Effect.provide(context))
      const runner = yield* Effect.fork(Effect.never.pipe(TokenBucket.withTokens(bucket)))
      yield* eventually(TokenBucket.statistics(bucket), (s) => s.inFlight === 1)
      let ran = 0
      const waiters = yield* Effect.forEach(
        Array.from({ length: 20 }),
        () => Effect.fork(Effect.sync(() => ran++).pipe(TokenBucket.withTokens(bucket)))
      )
      yield* sleep(100)
      const blocked = yield* TokenBucket.statistics(bucket)
      // All 20 wait for the one slot; nobody asks Redis for tokens meanwhile (no timer fiber).
      assert.strictEqual(blocked.waiting, 20)
      assert.strictEqual(blocked.timers, 0)
      assert.strictEqual(blocked.admitted, 1)

      // The running call is interrupted: its slot comes back, and the 4 tokens left go to the next 4, one at a time.
      yield* Fiber.interrupt(runner)
      const drained = yield* eventually(TokenBucket.statistics(bucket), (s) => s.admitted === 5 && s.inFlight === 0)
      assert.strictEqual(ran, 4)
      assert.strictEqual(drained.waiting, 16)
      assert.strictEqual(drained.peakInFlight, 1)

      // The other 16 give up: nothing more is taken, and the Redis fiber ends.
      yield* Fiber.interruptAll(waiters)
      const idle = yield* eventually(TokenBucket.statistics(bucket), (s) => s.timers === 0)
      assert.strictEqual(idle.waiting, 0)
      assert.strictEqual(idle.admitted, 5)
      assert.isBelow(idle.tokens[0]!, 0.2)
    }))

  it.scopedLive("pause is shared: every instance waits until the pause ends (Redis time) and restarts empty", () =>
    Effect.gen(function*() {
      const { context } = yield* withRedis
      const admittedA: Array<number> = []
      const admittedB: Array<number> = []
      const options = { name: "shared-pause", rate: 100, burst: 5 } as const
      // Two instances of one bucket: what two processes see.
      const a = yield* internal.make(options, { onAdmit: (at) => admittedA.push(at) }).pipe(Effect.provide(context))
      const b = yield* internal.make(options, { onAdmit: (at) => admittedB.push(at) }).pipe(Effect.provide(context))

      yield* TokenBucket.pause(a, "400 millis")
      const paused = yield* TokenBucket.statistics(b)
      assert.strictEqual(paused.pauses, 1)
      assert.isDefined(paused.pausedUntil)
      assert.deepStrictEqual(paused.tokens, [0])

      yield* Effect.all([TokenBucket.take(a), TokenBucket.take(b)], { concurrency: "unbounded" })
      // Both were admitted after the pause ended and one token (10 ms at 100/s) had accrued, on Redis's clock.
      for (const at of [...admittedA, ...admittedB]) assert.isAtLeast(at, paused.pausedUntil! + 10 - 1e-3)

      // pauseOnRetryAfter pauses every instance too.
      const rejected = yield* Effect.fail({ retryAfter: Duration.millis(300) }).pipe(
        TokenBucket.pauseOnRetryAfter(b, (e: { readonly retryAfter: Duration.Duration }) => Option.some(e.retryAfter)),
        TokenBucket.withTokens(b),
        Effect.flip
      )
      assert.deepStrictEqual(rejected, { retryAfter: Duration.millis(300) })
      const again = yield* TokenBucket.statistics(a)
      assert.strictEqual(again.pauses, 2)
      assert.isAbove(again.pausedUntil!, paused.pausedUntil!)
    }))

  it.scopedLive("statistics: admitted, tokens and pauses are global; waiting and in flight are this instance's", () =>
    Effect.gen(function*() {
      const { context } = yield* withRedis
      const options = { name: "stats", rate: 10_000, burst: 100, maxConcurrent: 2 } as const
      const a = yield* RedisTokenBucket.make(options).pipe(Effect.provide(context))
      const b = yield* RedisTokenBucket.make(options).pipe(Effect.provide(context))
      let running = 0
      let peak = 0
      const work = Effect.acquireUseRelease(
        Effect.sync(() => {
          running++
          peak = Math.max(peak, running)
        }),
        () => sleep(10),
        () => Effect.sync(() => running--)
      )
      yield* Effect.forEach(Array.from({ length: 10 }), () => work.pipe(TokenBucket.withTokens(a)), {
        concurrency: "unbounded"
      })
      yield* TokenBucket.take(b, 3)
      const sa = yield* TokenBucket.statistics(a)
      const sb = yield* TokenBucket.statistics(b)
      // Global: both instances see 11 admissions costing 13.
      for (const s of [sa, sb]) {
        assert.strictEqual(s.admitted, 11)
        assert.strictEqual(s.admittedCost, 13)
      }
      // Local: maxConcurrent is per instance, and only a ran calls under it.
      assert.strictEqual(peak, 2)
      assert.strictEqual(sa.peakInFlight, 2)
      assert.strictEqual(sb.peakInFlight, 0)
      assert.strictEqual(sa.inFlight, 0)
      assert.isFalse(sa.closed)
    }))

  it.scopedLive("reconfigure from one instance changes the limits for all; a waiter whose cost no longer fits fails", () =>
    Effect.gen(function*() {
      const { context } = yield* withRedis
      const options = { name: "plan", rate: 1, per: "1 minute", burst: 10 } as const
      const a = yield* RedisTokenBucket.make(options).pipe(Effect.provide(context))
      const b = yield* RedisTokenBucket.make(options).pipe(Effect.provide(context))
      yield* TokenBucket.take(a, 8)
      const waiter = yield* Effect.fork(TokenBucket.take(b, 6))
      yield* eventually(TokenBucket.statistics(b), (s) => s.waiting === 1)

      yield* TokenBucket.reconfigure(a, { rate: 1, per: "1 minute", burst: 5 })
      const s = yield* TokenBucket.statistics(a)
      assert.isBelow(s.tokens[0]!, 2.2) // 2 carried over, clamped to the new burst of 5
      // b learns the new burst from Redis: the waiter for 6 can never go, and b's next call for 6 is refused.
      // b's Redis fiber sleeps for minutes; any local reconfigure wakes it, and the script tells it the new burst.
      yield* TokenBucket.reconfigure(b, { maxConcurrent: 3 })
      const error = yield* Effect.flip(Fiber.join(waiter))
      assert.isTrue(InvalidArgument.isInvalidArgumentError(error), String(error))
      assert.include(error.message, "burst of 5")
      const refused = yield* Effect.flip(TokenBucket.take(b, 6))
      assert.isTrue(InvalidArgument.isInvalidArgumentError(refused))

      // Stacked limits: a second band starts full; dropping it again leaves one band for everyone.
      yield* TokenBucket.reconfigure(b, { limits: [{ rate: 1, per: "1 minute", burst: 5 }, { rate: 100, burst: 50 }] })
      const two = yield* TokenBucket.statistics(a)
      assert.strictEqual(two.tokens.length, 2)
      assert.isAbove(two.tokens[1]!, 49)
      yield* TokenBucket.reconfigure(a, { rate: 1000, burst: 10 })
      const one = yield* TokenBucket.statistics(b)
      assert.strictEqual(one.tokens.length, 1)
      yield* TokenBucket.take(b, 6) // b's view of the burst follows: 6 fits in 10 again
    }))

  it.scopedLive("closing the scope fails the waiting callers with TokenBucketClosedError and leaves nothing running", () =>
    Effect.gen(function*() {
      const { context } = yield* withRedis
      const scope = yield* Scope.make()
      const bucket = yield* RedisTokenBucket.make({ name: "closing", rate: 1, per: "1 minute" }).pipe(
        Effect.provide(context),
        Scope.extend(scope)
      )
      yield* TokenBucket.take(bucket)
      const waiters = yield* Effect.forEach([1, 2], () => Effect.fork(TokenBucket.take(bucket)))
      yield* eventually(TokenBucket.statistics(bucket), (s) => s.waiting === 2)
      yield* Scope.close(scope, Exit.void)
      for (const waiter of waiters) {
        const error = yield* Effect.flip(Fiber.join(waiter))
        assert.strictEqual(error._tag, "TokenBucketClosedError")
      }
      const after = yield* Effect.flip(TokenBucket.take(bucket))
      assert.strictEqual(after._tag, "TokenBucketClosedError")
      const stats = yield* TokenBucket.statistics(bucket)
      assert.isTrue(stats.closed)
      assert.strictEqual(stats.timers, 0)
      assert.strictEqual(stats.waiting, 0)
    }))

  it.scopedLive("Redis down: make, take and statistics fail with RedisError at once; after a restart it works again", () =>
    Effect.gen(function*() {
      const first = yield* Scope.make()
      const server = yield* RedisServer.start().pipe(Scope.extend(first))
      const context = yield* Layer.build(RedisConnection.layer({ url: server.url, commandTimeout: "1 second" }))
      const bucket = yield* RedisTokenBucket.make({ name: "down", rate: 1000, burst: 10 }).pipe(
        Effect.provide(context)
      )
      yield* TokenBucket.take(bucket)
      yield* Scope.close(first, Exit.void)

      const takeError = yield* Effect.flip(TokenBucket.take(bucket))
      assert.isTrue(RedisConnection.isRedisError(takeError), String(takeError))
      if (RedisConnection.isRedisError(takeError)) {
        assert.strictEqual(takeError.reason, "unavailable")
        assert.include(takeError.operation, "TokenBucket.take")
      }
      // Several callers at once: all fail, none waits for the others' timeouts.
      const many = yield* Effect.forEach(
        Array.from({ length: 20 }),
        () => Effect.flip(Effect.void.pipe(TokenBucket.withTokens(bucket))),
        { concurrency: "unbounded" }
      )
      for (const error of many) assert.isTrue(RedisConnection.isRedisError(error))
      assert.isTrue(RedisConnection.isRedisError(yield* Effect.flip(TokenBucket.statistics(bucket))))
      assert.isTrue(RedisConnection.isRedisError(yield* Effect.flip(TokenBucket.pause(bucket, 10))))
      const makeError = yield* Effect.flip(
        Effect.scoped(RedisTokenBucket.make({ name: "down-2", rate: 1 })).pipe(Effect.provide(context))
      )
      assert.isTrue(RedisConnection.isRedisError(makeError))
      assert.strictEqual((yield* TokenBucket.statistics(bucket).pipe(Effect.either))._tag, "Left")

      // Back on the same port (empty: no persistence): the bucket is recreated from the options, full.
      yield* RedisServer.start({ port: server.port })
      yield* eventually(Effect.either(TokenBucket.take(bucket)), (r) => r._tag === "Right")
      const stats = yield* TokenBucket.statistics(bucket)
      assert.strictEqual(stats.admitted, 1)
      assert.isAbove(stats.tokens[0]!, 8)
      assert.strictEqual(stats.timers, 0)
    }))

  it.scopedLive(
    "3 processes share one bucket: no 1 s window admits more than rate + burst, and every call is admitted",
    () =>
      Effect.gen(function*() {
        const { context, server } = yield* withRedis
        const rate = 200
        const burst = 20
        const callsEach = 250
        const fixture = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "fixtures", "redisTokenBucketWorker.ts")
        const children = yield* Effect.forEach([0, 1, 2], () =>
          Effect.acquireRelease(
            Effect.sync(() =>
              ChildProcess.spawn(
                process.execPath,
                ["--import", "tsx", fixture, server.url, "accuracy", String(rate), String(burst), String(callsEach)],
                { stdio: ["pipe", "pipe", "inherit"] }
              )
            ),
            (child) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
          ))
        const lines = children.map((child) => {
          const reader = Readline.createInterface({ input: child.stdout! })
          const queue: Array<string> = []
          const waiting: Array<(line: string) => void> = []
          reader.on("line", (line) => {
            const next = waiting.shift()
            if (next === undefined) queue.push(line)
            else next(line)
          })
          return Effect.async<string>((resume) => {
            const line = queue.shift()
            if (line !== undefined) resume(Effect.succeed(line))
            else waiting.push((l) => resume(Effect.succeed(l)))
          })
        })
        for (const next of lines) assert.strictEqual(yield* next, "ready")
        for (const child of children) child.stdin!.write("go\n")
        const results = yield* Effect.forEach(
          lines,
          (next) =>
            Effect.map(next, (line) =>
              JSON.parse(line) as {
                readonly admitted: number
                readonly redis: ReadonlyArray<number>
                readonly local: ReadonlyArray<number>
              }),
          { concurrency: "unbounded" }
        )

        // Every call of every process was admitted, once, and Redis counted exactly those.
        const total = results.reduce((sum, r) => sum + r.admitted, 0)
        assert.strictEqual(total, 3 * callsEach)
        const redisTimes = results.flatMap((r) => r.redis)
        assert.strictEqual(redisTimes.length, 3 * callsEach)
        const bucket = yield* RedisTokenBucket.make({ name: "accuracy", rate, burst }).pipe(Effect.provide(context))
        assert.strictEqual((yield* TokenBucket.statistics(bucket)).admitted, 3 * callsEach)

        // The guarantee, on the clock it is stated on: no window of 1 s on Redis's clock holds more than rate + burst.
        const worst = maxWindow(redisTimes, 1000)
        assert.isAtMost(worst, rate + burst)
        // ...and the bucket was actually used: a loose floor, so a loaded machine cannot make it flake.
        assert.isAtLeast(worst, rate / 2)
        // The calls themselves start a little after their admission (the reply's trip back, the process's
        // scheduler). Per process, the k-th start comes no earlier than the k-th admission (Date.now() truncates
        // to the ms, hence + 1) and at most `delay` later, so a 1 s window of starts holds at most what Redis
        // admitted in 1 s + delay: the bound follows the delay measured, so a loaded machine cannot make it flake.
        let delay = 0
        for (const r of results) {
          const admitted = [...r.redis].sort((a, b) => a - b)
          const started = [...r.local].sort((a, b) => a - b)
          for (let k = 0; k < started.length; k++) {
            assert.isAtLeast(started[k]! + 1, admitted[k]!, "a call started before Redis admitted it")
            delay = Math.max(delay, started[k]! + 1 - admitted[k]!)
          }
        }
        const localWorst = maxWindow(results.flatMap((r) => r.local), 1000)
        assert.isAtMost(localWorst, rate + burst + Math.ceil(rate * delay / 1000))

        const sorted = [...redisTimes].sort((a, b) => a - b)
        const span = (sorted[sorted.length - 1]! - sorted[0]!) / 1000
        const share = (3 * callsEach - burst) / span / rate
        console.log(
          `RedisTokenBucket, 3 processes, ${rate}/s burst ${burst}: ${3 * callsEach} calls in ${
            span.toFixed(2)
          } s of Redis time; busiest 1 s window ${worst} (limit ${
            rate + burst
          }), on start times ${localWorst} (largest admission-to-start delay ${delay.toFixed(1)} ms); ${
            (share * 100).toFixed(1)
          }% of the rate used`
        )
      }),
    50_000
  )
})
