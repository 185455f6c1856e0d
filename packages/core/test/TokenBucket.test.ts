import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument, TokenBucket } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"

// mulberry32: a seeded generator so a failing random case replays.
const seeded = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const failureOf = <E>(exit: Exit.Exit<unknown, E>): E | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

interface Admission {
  readonly at: number
  readonly cost: number
}

/** The largest total cost admitted in any half-open window [t, t + length). */
const maxWindow = (admissions: ReadonlyArray<Admission>, length: number): number => {
  const sorted = [...admissions].sort((a, b) => a.at - b.at)
  let best = 0
  let sum = 0
  let start = 0
  for (let end = 0; end < sorted.length; end++) {
    sum += sorted[end]!.cost
    while (sorted[end]!.at - sorted[start]!.at >= length) sum -= sorted[start++]!.cost
    best = Math.max(best, sum)
  }
  return best
}

const now = Clock.currentTimeMillis

/** Runs `n` calls through the bucket (all arriving at once) and records when each started. */
const hammer = (bucket: TokenBucket.TokenBucket, n: number, cost = 1) => {
  const admissions: Array<Admission> = []
  const run = Effect.forEach(
    Array.from({ length: n }),
    () =>
      Effect.flatMap(now, (at) => Effect.sync(() => admissions.push({ at, cost }))).pipe(
        TokenBucket.withTokens(bucket, { cost })
      ),
    { concurrency: "unbounded", discard: true }
  )
  return { admissions, run }
}

describe("TokenBucket", () => {
  describe("bad input is a typed error at construction or call", () => {
    it.scoped("make rejects impossible limits", () =>
      Effect.gen(function*() {
        const cases: Array<[TokenBucket.Options, string]> = [
          [{ rate: 0 }, "rate"],
          [{ rate: -5 }, "rate"],
          [{ rate: Number.NaN }, "rate"],
          [{ rate: Number.POSITIVE_INFINITY }, "rate"],
          [{ rate: 10, burst: 0.5 }, "burst"],
          [{ rate: 10, burst: Number.NaN }, "burst"],
          [{ rate: 10, per: "0 seconds" }, "per"],
          [{ rate: 10, per: "soon" as Duration.DurationInput }, "per"],
          [{ rate: 10, burst: 2, cost: 3 }, "cost"],
          [{ rate: 10, cost: 0 }, "cost"],
          [{ rate: 10, maxConcurrent: 0 }, "maxConcurrent"],
          [{ rate: 10, maxConcurrent: 1.5 }, "maxConcurrent"],
          [{ limits: [] }, "limits"],
          [{ limits: [{ rate: 4 }, { rate: 0, per: "1 minute" }] }, "limits[1].rate"],
          [{ rate: 4, limits: [{ rate: 4 }] } as unknown as TokenBucket.Options, "rate"],
          [undefined as unknown as TokenBucket.Options, "options"]
        ]
        for (const [options, argument] of cases) {
          const error = yield* Effect.flip(TokenBucket.make(options))
          assert.isTrue(InvalidArgument.isInvalidArgumentError(error), JSON.stringify(options))
          assert.strictEqual(error.argument, argument, JSON.stringify(options))
          assert.strictEqual(error.operation, "TokenBucket.make")
        }
      }))

    it.scoped("a call that could never be admitted fails at once instead of waiting forever", () =>
      Effect.gen(function*() {
        const bucket = yield* TokenBucket.make({ rate: 10, burst: 5 })
        const tooBig = yield* Effect.flip(Effect.void.pipe(TokenBucket.withTokens(bucket, { cost: 6 })))
        assert.strictEqual(tooBig._tag, "InvalidArgumentError")
        assert.strictEqual(
          tooBig.message,
          "TokenBucket.withTokens: cost must be at most the bucket's burst of 5, got 6"
        )
        for (const cost of [0, -1, Number.NaN]) {
          const bad = yield* Effect.flip(TokenBucket.take(bucket, cost))
          assert.strictEqual(bad._tag, "InvalidArgumentError")
        }
        const badPause = yield* Effect.flip(TokenBucket.pause(bucket, -1))
        assert.strictEqual(badPause._tag, "InvalidArgumentError")
        const badReconfigure = yield* Effect.flip(TokenBucket.reconfigure(bucket, { rate: 0 }))
        assert.strictEqual(badReconfigure.operation, "TokenBucket.reconfigure")
        const stats = yield* TokenBucket.statistics(bucket)
        assert.strictEqual(stats.admitted, 0)
        assert.deepStrictEqual(stats.tokens, [5])
      }))
  })

  it.scoped("admits a burst at once, then one call per 1/rate", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ rate: 10, per: "1 second", burst: 3 })
      const { admissions, run } = hammer(bucket, 8)
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(admissions.map((a) => a.at), [0, 0, 0, 100, 200, 300, 400, 500])
      assert.strictEqual((yield* TokenBucket.statistics(bucket)).timers, 0, "no timer left once nobody waits")
    }))

  it.scoped("FIFO: an expensive call is not overtaken by cheap ones", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ rate: 1, per: "100 millis", burst: 3 })
      const order: Array<string> = []
      const call = (name: string, cost: number) =>
        Effect.sync(() => order.push(name)).pipe(TokenBucket.withTokens(bucket, { cost }))
      yield* call("first (2)", 2)
      const big = yield* Effect.fork(call("big (3)", 3))
      yield* Effect.yieldNow()
      // One token is left: enough for a cheap call, but it must wait behind the big one.
      const small = yield* Effect.fork(call("small (1)", 1))
      yield* Effect.yieldNow()
      assert.deepStrictEqual(order, ["first (2)"])
      yield* TestClock.adjust("200 millis")
      yield* Fiber.join(big)
      assert.deepStrictEqual(order, ["first (2)", "big (3)"])
      yield* TestClock.adjust("100 millis")
      yield* Fiber.join(small)
      assert.deepStrictEqual(order, ["first (2)", "big (3)", "small (1)"])
    }))

  it.effect(
    "property: over random arrival patterns no window of `per` admits more than rate + burst",
    () =>
      Effect.gen(function*() {
        for (let seed = 1; seed <= 10; seed++) {
          const random = seeded(seed)
          const rate = 1 + Math.floor(random() * 50)
          const burst = 1 + Math.floor(random() * 10)
          const per = 100 + Math.floor(random() * 900)
          const admissions: Array<Admission> = []
          const calls = Array.from({ length: 120 }, () => ({
            arrive: Math.floor(random() * per * 8),
            cost: random() < 0.3 ? Math.min(burst, 1 + Math.floor(random() * 3)) : 1
          }))
          yield* Effect.scoped(Effect.gen(function*() {
            const bucket = yield* TokenBucket.make({ rate, per: Duration.millis(per), burst })
            const fiber = yield* Effect.forEach(
              calls,
              (call) =>
                Effect.sleep(call.arrive).pipe(
                  Effect.zipRight(
                    Effect.flatMap(now, (at) => Effect.sync(() => admissions.push({ at, cost: call.cost }))).pipe(
                      TokenBucket.withTokens(bucket, { cost: call.cost })
                    )
                  )
                ),
              { concurrency: "unbounded", discard: true }
            ).pipe(Effect.fork)
            yield* TestClock.adjust(Duration.millis(per * 200))
            yield* Fiber.join(fiber)
          }))
          assert.strictEqual(admissions.length, calls.length)
          const worst = maxWindow(admissions, per)
          assert.isAtMost(worst, rate + burst, `seed ${seed}: rate ${rate} burst ${burst} per ${per}ms`)
        }
      }),
    { timeout: 60_000 }
  )

  it.scoped("long-run throughput is within 1% of the rate", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ rate: 50, per: "1 second", burst: 5 })
      const { admissions, run } = hammer(bucket, 505)
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust("11 seconds")
      yield* Fiber.join(fiber)
      const last = admissions[admissions.length - 1]!.at
      // 5 at once, then 500 at 50/s: 10 s.
      const achieved = (admissions.length - 5) / (last / 1000)
      assert.isAtLeast(achieved, 50 * 0.99)
      assert.isAtMost(achieved, 50 * 1.01)
      // The burst of 5 at 0, then one per 20 ms: [0, 1000) holds 5 + 49, under the bound of rate + burst = 55.
      assert.strictEqual(maxWindow(admissions, 1000), 54)
    }), { timeout: 20_000 })

  it.scoped("stacked limits: 4 per second and 60 per minute must both allow a call", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({
        limits: [{ rate: 4, per: "1 second", burst: 4 }, { rate: 60, per: "1 minute", burst: 60 }]
      })
      const { admissions, run } = hammer(bucket, 150)
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust("3 minutes")
      yield* Fiber.join(fiber)
      assert.isAtMost(maxWindow(admissions, 1000), 8)
      assert.isAtMost(maxWindow(admissions, 60_000), 120)
      // The per-second limit alone would admit 4 + 4 × 30 = 124 in the first 30 s; the minute limit stops at 60 + 30.
      assert.isAtMost(admissions.filter((a) => a.at < 30_000).length, 90)
      const stats = yield* TokenBucket.statistics(bucket)
      assert.strictEqual(stats.tokens.length, 2)
      assert.strictEqual(stats.admitted, 150)
    }))

  it.scoped("maxConcurrent caps the admitted calls that run at once", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ rate: 1000, burst: 100, maxConcurrent: 2 })
      let running = 0
      let peak = 0
      const fiber = yield* Effect.forEach(
        Array.from({ length: 6 }),
        () =>
          Effect.gen(function*() {
            running++
            peak = Math.max(peak, running)
            yield* Effect.sleep("100 millis")
            running--
          }).pipe(TokenBucket.withTokens(bucket)),
        { concurrency: "unbounded", discard: true }
      ).pipe(Effect.fork)
      yield* TestClock.adjust("299 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "6 calls, 2 at a time, 100 ms each: 300 ms")
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(fiber)
      assert.strictEqual(peak, 2)
      const stats = yield* TokenBucket.statistics(bucket)
      assert.strictEqual(stats.peakInFlight, 2)
      assert.strictEqual(stats.inFlight, 0)
    }))

  describe("interruption", () => {
    it.scoped("an interrupted waiter consumes nothing: the next caller takes its place", () =>
      Effect.gen(function*() {
        const bucket = yield* TokenBucket.make({ rate: 1, per: "1 second", burst: 1 })
        yield* TokenBucket.take(bucket)
        const doomed = yield* Effect.fork(TokenBucket.take(bucket))
        yield* TestClock.adjust("500 millis")
        yield* Fiber.interrupt(doomed)
        const next = yield* Effect.fork(Effect.zipRight(TokenBucket.take(bucket), now))
        yield* TestClock.adjust("500 millis")
        // Admitted at 1 s, when the interrupted caller would have been: its token was not spent.
        assert.strictEqual(yield* Fiber.join(next), 1000)
        const stats = yield* TokenBucket.statistics(bucket)
        assert.strictEqual(stats.admitted, 2)
        assert.strictEqual(stats.waiting, 0)
      }))

    it.scoped("a running call that is interrupted gives its concurrency slot back", () =>
      Effect.gen(function*() {
        const bucket = yield* TokenBucket.make({ rate: 100, burst: 10, maxConcurrent: 1 })
        const running = yield* Effect.fork(Effect.never.pipe(TokenBucket.withTokens(bucket)))
        yield* Effect.yieldNow()
        const waiting = yield* Effect.fork(Effect.succeed("ran").pipe(TokenBucket.withTokens(bucket)))
        yield* Effect.yieldNow()
        assert.strictEqual((yield* TokenBucket.statistics(bucket)).waiting, 1)
        yield* Fiber.interrupt(running)
        assert.strictEqual(yield* Fiber.join(waiting), "ran")
        assert.strictEqual((yield* TokenBucket.statistics(bucket)).inFlight, 0)
      }))
  })

  describe("Retry-After", () => {
    it.scoped("pause stops everyone, then the bucket restarts empty (no burst after a 429)", () =>
      Effect.gen(function*() {
        const bucket = yield* TokenBucket.make({ rate: 10, per: "1 second", burst: 5 })
        yield* TokenBucket.pause(bucket, "2 seconds")
        const { admissions, run } = hammer(bucket, 4)
        const fiber = yield* Effect.fork(run)
        yield* TestClock.adjust("1999 millis")
        assert.strictEqual(admissions.length, 0, "nothing during the pause")
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(fiber)
        assert.deepStrictEqual(admissions.map((a) => a.at), [2100, 2200, 2300, 2400])
        const stats = yield* TokenBucket.statistics(bucket)
        assert.strictEqual(stats.pauses, 1)
        assert.strictEqual(stats.pausedUntil, 2000)
      }))

    it.scoped("pauseOnRetryAfter reads the delay from the error and slows every caller", () =>
      Effect.gen(function*() {
        class TooManyRequests extends Data.TaggedError("TooManyRequests")<{
          readonly retryAfter: Option.Option<Duration.Duration>
        }> {}
        const bucket = yield* TokenBucket.make({ rate: 100, per: "1 second", burst: 1 })
        let calls = 0
        const starts: Array<number> = []
        // The server refuses the first call with "retry after 1 s".
        const request = Effect.gen(function*() {
          starts.push(yield* now)
          calls++
          if (calls === 1) return yield* new TooManyRequests({ retryAfter: Option.some(Duration.seconds(1)) })
          return "ok"
        })
        const fiber = yield* Effect.forEach(
          [1, 2, 3],
          () =>
            request.pipe(
              // Inside withTokens: the pause is in place before the call gives its slot back.
              TokenBucket.pauseOnRetryAfter(bucket, (e: TooManyRequests) => e.retryAfter),
              TokenBucket.withTokens(bucket),
              Effect.retry({ times: 1 })
            ),
          { concurrency: "unbounded" }
        ).pipe(Effect.fork)
        yield* TestClock.adjust("2 seconds")
        assert.deepStrictEqual(yield* Fiber.join(fiber), ["ok", "ok", "ok"])
        // First call at 0 (429). Everyone else waits out the second, then one per 10 ms from empty.
        assert.deepStrictEqual(starts, [0, 1010, 1020, 1030])
      }))
  })

  it.scoped("reconfigure changes the rate at runtime and re-times the waiters", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ rate: 1, per: "1 second", burst: 1 })
      yield* TokenBucket.take(bucket)
      const waiter = yield* Effect.fork(Effect.zipRight(TokenBucket.take(bucket), now))
      yield* TestClock.adjust("100 millis")
      yield* TokenBucket.reconfigure(bucket, { rate: 10 })
      // 0.1 token accrued at the old rate; 0.9 more at 10/s takes 90 ms.
      yield* TestClock.adjust("90 millis")
      assert.strictEqual(yield* Fiber.join(waiter), 190)
      yield* TokenBucket.reconfigure(bucket, { maxConcurrent: 3 })
      const error = yield* Effect.flip(TokenBucket.reconfigure(bucket, { cost: 2 }))
      assert.strictEqual(error.argument, "cost")
    }))

  describe("lifetime", () => {
    it.effect("closing the scope fails the waiters with TokenBucketClosedError and leaves no timer", () =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const bucket = yield* TokenBucket.make({ rate: 1, per: "1 minute", burst: 1, label: "slow api" }).pipe(
          Scope.extend(scope)
        )
        yield* TokenBucket.take(bucket)
        const waiters = yield* Effect.forEach([1, 2, 3], () => Effect.fork(TokenBucket.take(bucket)))
        yield* TestClock.adjust("1 millis")
        assert.strictEqual((yield* TokenBucket.statistics(bucket)).timers, 1, "one timer for all the waiters")
        yield* Scope.close(scope, Exit.void)
        for (const waiter of waiters) {
          const error = failureOf(yield* Fiber.await(waiter))
          assert.strictEqual(error?._tag, "TokenBucketClosedError")
          assert.strictEqual(
            error?.message,
            "TokenBucket \"slow api\" is closed: its scope ended while this call was waiting for tokens (or after it)"
          )
        }
        assert.strictEqual((yield* TokenBucket.statistics(bucket)).timers, 0, "the timer went with the scope")
        const late = yield* Effect.flip(TokenBucket.take(bucket))
        assert.strictEqual(late._tag, "TokenBucketClosedError")
        assert.isTrue((yield* TokenBucket.statistics(bucket)).closed)
      }))

    it.scoped("an idle bucket has no timer and no fiber", () =>
      Effect.gen(function*() {
        const bucket = yield* TokenBucket.make({ rate: 5, burst: 2 })
        assert.strictEqual(Chunk.size(yield* TestClock.sleeps()), 0)
        const { run } = hammer(bucket, 4)
        const fiber = yield* Effect.fork(run)
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(fiber)
        assert.strictEqual(Chunk.size(yield* TestClock.sleeps()), 0)
        assert.strictEqual((yield* TokenBucket.statistics(bucket)).timers, 0)
        assert.isTrue(TokenBucket.isTokenBucket(bucket))
        assert.match(String(bucket), /"admitted": 4/)
      }))
  })
})

// Guards for the algorithmic properties the bench (W5) relies on: they count and order, never time.
describe("TokenBucket guards", () => {
  it.scoped(
    "3,000 callers at once: no 1 s window admits more than rate + burst, and the rate is kept",
    () =>
      Effect.gen(function*() {
        const bucket = yield* TokenBucket.make({ rate: 1000, per: "1 second", burst: 10 })
        const { admissions, run } = hammer(bucket, 3000)
        const fiber = yield* Effect.fork(run)
        yield* TestClock.adjust("3 seconds")
        yield* Fiber.join(fiber)
        assert.strictEqual(admissions.length, 3000)
        assert.isAtMost(maxWindow(admissions, 1000), 1010)
        // 10 at once, then one per millisecond: the last at 2,990 ms.
        assert.strictEqual(admissions[admissions.length - 1]!.at, 2990)
        const stats = yield* TokenBucket.statistics(bucket)
        assert.strictEqual(stats.admitted, 3000)
        assert.strictEqual(stats.timers, 0)
      }),
    { timeout: 30_000 }
  )

  it.effect("a waiter given its turn runs at once, before fibers already queued on the scheduler", () =>
    Effect.gen(function*() {
      // A clock that only this test moves, whose sleeps never end: no timer can give the turn.
      let nowMs = 0
      const clock: Clock.Clock = {
        [Clock.ClockTypeId]: Clock.ClockTypeId,
        unsafeCurrentTimeMillis: () => nowMs,
        unsafeCurrentTimeNanos: () => BigInt(nowMs) * 1_000_000n,
        currentTimeMillis: Effect.sync(() => nowMs),
        currentTimeNanos: Effect.sync(() => BigInt(nowMs) * 1_000_000n),
        sleep: () => Effect.never
      }
      const log: Array<string> = []
      yield* Effect.scoped(
        Effect.gen(function*() {
          const bucket = yield* TokenBucket.make({ rate: 10, per: "1 second", burst: 1 })
          yield* TokenBucket.take(bucket)
          const waiter = yield* Effect.fork(TokenBucket.withTokens(bucket)(Effect.sync(() => log.push("waiter"))))
          yield* Effect.yieldNow()
          assert.strictEqual((yield* TokenBucket.statistics(bucket)).waiting, 1)
          nowMs = 100 // one token is due, and nobody has looked yet
          // The arrival finds the token and gives the waiter its turn; the other fiber was queued first.
          const arrival = yield* Effect.fork(
            Effect.zipRight(Effect.sync(() => log.push("arrival")), TokenBucket.take(bucket))
          )
          const other = yield* Effect.fork(Effect.sync(() => log.push("other")))
          yield* Fiber.join(other)
          yield* Fiber.join(waiter)
          assert.deepStrictEqual(log, ["arrival", "waiter", "other"])
          yield* Fiber.interrupt(arrival)
        }).pipe(Effect.withClock(clock))
      )
    }))
})
