import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument, WorkQueue } from "@fiberkit/core"
import { RedisConnection, RedisServer, RedisWorkQueue } from "@fiberkit/redis"
import type { RedisError } from "@fiberkit/redis/RedisConnection"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import * as Url from "node:url"

const RedisLive = RedisConnection.layerFromServer.pipe(Layer.provideMerge(RedisServer.layer()))

let counter = 0
const uniqueName = (label: string) => `test-${label}-${process.pid}-${++counter}`

// Real time, not the TestClock: the queue waits on Redis, which lives on real time.
const sleep = (millis: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, millis)))

/** Polls `check` on real time until it holds (bounded by the test timeout). */
const until = <E>(check: Effect.Effect<boolean, E>): Effect.Effect<void, E> =>
  Effect.flatMap(check, (ok) => ok ? Effect.void : Effect.zipRight(sleep(20), until(check)))

const Item = Schema.Struct({ n: Schema.Number })

const base = {
  schema: Schema.Number,
  capacity: 100,
  workers: 2,
  handler: (_: number) => Effect.void,
  onFailure: "collect" as const,
  onClose: "drain" as const
}

const packageDir = Path.resolve(Path.dirname(Url.fileURLToPath(import.meta.url)), "..")
const workerFixture = Path.join(packageDir, "test", "fixtures", "redisWorkQueueWorker.ts")

interface Child {
  readonly process: ChildProcess.ChildProcess
  readonly lines: Array<string>
  readonly exited: Promise<number | null>
}

/** A worker process (see fixtures/redisWorkQueueWorker.ts), SIGKILLed when the scope closes if still running. */
const spawnWorker = (args: ReadonlyArray<string | number>): Effect.Effect<Child, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = ChildProcess.spawn(process.execPath, ["--import", "tsx", workerFixture, ...args.map(String)], {
        cwd: packageDir,
        stdio: ["ignore", "pipe", "pipe"]
      })
      const lines: Array<string> = []
      let buffer = ""
      child.stdout!.on("data", (chunk: Buffer) => {
        buffer += chunk.toString()
        const parts = buffer.split("\n")
        buffer = parts.pop()!
        lines.push(...parts)
      })
      child.stderr!.on("data", (chunk: Buffer) => lines.push(`stderr: ${chunk.toString().trim()}`))
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
      return { process: child, lines, exited }
    }),
    (child) => Effect.sync(() => child.process.exitCode === null && child.process.kill("SIGKILL"))
  )

const waitForLine = (child: Child, predicate: (line: string) => boolean) =>
  until(Effect.sync(() => child.lines.some(predicate)))

describe("RedisWorkQueue", () => {
  it.live("bad options and bad arguments are an InvalidArgumentError at the call", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [null, "options"],
        [{ ...base, name: "" }, "name"],
        [{ ...base, name: "a{b}" }, "name"],
        [{ ...base, name: "q", schema: "number" }, "schema"],
        [{ ...base, name: "q", capacity: 0 }, "capacity"],
        [{ ...base, name: "q", capacity: 1.5 }, "capacity"],
        [{ ...base, name: "q", workers: -1 }, "workers"],
        [{ ...base, name: "q", workers: Number.NaN }, "workers"],
        [{ ...base, name: "q", handler: "nope" }, "handler"],
        [{ ...base, name: "q", onFailure: "ignore" }, "onFailure"],
        [{ ...base, name: "q", onClose: "later" }, "onClose"],
        [{ ...base, name: "q", label: 7 }, "label"],
        [{ ...base, name: "q", visibilityTimeout: 0 }, "visibilityTimeout"],
        [{ ...base, name: "q", visibilityTimeout: "forever" }, "visibilityTimeout"],
        [{ ...base, name: "q", pollInterval: -1 }, "pollInterval"],
        [{ ...base, name: "q", maxDeliveries: 0 }, "maxDeliveries"]
      ]
      for (const [options, argument] of cases) {
        const error = yield* Effect.flip(
          Effect.scoped(RedisWorkQueue.make(options as RedisWorkQueue.Options<number, number, never, never, "collect">))
        )
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error), `${argument}: ${String(error)}`)
        if (InvalidArgument.isInvalidArgumentError(error)) {
          assert.strictEqual(error.operation, "RedisWorkQueue.make", argument)
          assert.strictEqual(error.argument, argument)
        }
      }
      // A queue that is not a Redis one.
      const local = yield* Effect.scoped(Effect.gen(function*() {
        const queue = yield* WorkQueue.make({ ...base, workers: 1 })
        return [
          yield* Effect.flip(RedisWorkQueue.awaitEnd(queue)),
          yield* Effect.flip(RedisWorkQueue.statistics(queue))
        ] as const
      }))
      for (const error of local) {
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error))
      }
    }).pipe(Effect.provide(RedisLive)))

  it.live("shutdown with a bad mode, and an item its schema cannot encode, are rejected at the call", () =>
    Effect.scoped(Effect.gen(function*() {
      const queue = yield* RedisWorkQueue.make({
        ...base,
        name: uniqueName("bad-call"),
        schema: Schema.Number.pipe(Schema.int())
      })
      const error = yield* Effect.flip(WorkQueue.shutdown(queue, "later" as WorkQueue.ShutdownMode))
      assert.isTrue(InvalidArgument.isInvalidArgumentError(error))
      // `offer` has no error channel for it: a defect at the call, carrying the InvalidArgumentError.
      const exit = yield* Effect.exit(WorkQueue.offer(queue, 1.5))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const defect = Cause.dieOption(exit.cause)
        assert.isTrue(Option.isSome(defect) && InvalidArgument.isInvalidArgumentError(defect.value))
      }
      const stats = yield* WorkQueue.statistics(queue)
      assert.strictEqual(stats.offered, 0)
    })).pipe(Effect.provide(RedisLive)))

  it.live("one process: offer, process, statistics; end refuses later offers; two instances share the items", () =>
    Effect.scoped(Effect.gen(function*() {
      const name = uniqueName("basic")
      const seen = new Map<number, number>()
      const handler = ({ n }: { readonly n: number }) =>
        Effect.sync(() => {
          seen.set(n, (seen.get(n) ?? 0) + 1)
        })
      const options = { name, schema: Item, capacity: 20, handler, onFailure: "collect", onClose: "drain" } as const
      const queue = yield* RedisWorkQueue.make({ ...options, workers: 3, label: "basic" })
      // A second instance of the same queue, as another process would have.
      const other = yield* RedisWorkQueue.make({ ...options, workers: 2 })
      const n = 300
      yield* WorkQueue.offerAll(queue, Array.from({ length: n }, (_, i) => ({ n: i })))
      yield* WorkQueue.awaitIdle(queue)
      yield* WorkQueue.awaitIdle(other)
      const stats = yield* WorkQueue.statistics(queue)
      const otherStats = yield* WorkQueue.statistics(other)
      assert.strictEqual(stats.offered, n)
      assert.strictEqual(stats.processed, n)
      assert.strictEqual(stats.succeeded, n)
      assert.strictEqual(stats.queued, 0)
      assert.strictEqual(stats.inFlight, 0)
      assert.strictEqual(stats.workers, 3)
      assert.strictEqual(stats.capacity, 20)
      assert.isAtMost(stats.peakQueued, 20)
      // Global figures are the same seen from either instance; processedByWorker is each one's own.
      assert.strictEqual(otherStats.processed, n)
      const total = [...stats.processedByWorker, ...otherStats.processedByWorker].reduce((a, b) => a + b, 0)
      assert.strictEqual(total, n)
      assert.strictEqual(seen.size, n)
      assert.isTrue([...seen.values()].every((count) => count === 1), "no crash, no redelivery: each item once")

      yield* WorkQueue.end(other)
      // `end` is shared: the other instance refuses offers too.
      const refused = yield* Effect.flip(WorkQueue.offer(queue, { n: -1 }))
      assert.strictEqual(refused._tag, "WorkQueueClosedError")
      if (refused._tag === "WorkQueueClosedError") assert.strictEqual(refused.reason, "closed")
      yield* RedisWorkQueue.awaitEnd(queue)
      const report = yield* WorkQueue.shutdown(queue, "drain")
      assert.deepStrictEqual(
        { ...report, failure: undefined },
        {
          mode: "drain",
          offered: n,
          processed: n,
          succeeded: n,
          failed: 0,
          discarded: 0,
          discardedItems: [],
          failure: undefined
        }
      )
      // Calling it again returns the same figures.
      assert.strictEqual((yield* WorkQueue.shutdown(queue, "discard")).mode, "drain")
      const redisStats = yield* RedisWorkQueue.statistics(queue)
      assert.strictEqual(redisStats.redelivered, 0)
      assert.isTrue(redisStats.ended)
      assert.strictEqual(redisStats.workersRunning, 0)
    })).pipe(Effect.provide(RedisLive)))

  it.live("one program, two layers: the service tag says RedisError and accepts the local layer and the Redis one", () =>
    Effect.gen(function*() {
      class Jobs extends Context.Tag("test/Jobs")<Jobs, WorkQueue.WorkQueue<number, string, "collect", RedisError>>() {}
      const done: Array<string> = []
      const options = {
        capacity: 10,
        workers: 2,
        handler: (n: number) => n === 3 ? Effect.fail("three") : Effect.sync(() => done.push(`job ${n}`)),
        onFailure: "collect",
        onClose: "drain"
      } as const
      // The program only knows the tag.
      const program = Effect.gen(function*() {
        const jobs = yield* Jobs
        yield* WorkQueue.offerAll(jobs, [1, 2, 3, 4])
        yield* WorkQueue.awaitIdle(jobs)
        const stats = yield* WorkQueue.statistics(jobs)
        const failures = yield* WorkQueue.failures(jobs)
        return { processed: stats.processed, failed: stats.failed, failedItems: failures.map((f) => f.item) }
      })
      const local = yield* program.pipe(Effect.provide(WorkQueue.layer(Jobs, options)))
      const shared = yield* program.pipe(
        Effect.provide(RedisWorkQueue.layer(Jobs, { ...options, name: uniqueName("layer"), schema: Schema.Number }))
      )
      assert.deepStrictEqual(local, { processed: 4, failed: 1, failedItems: [3] })
      assert.deepStrictEqual(shared, local)
      assert.strictEqual(done.length, 6)
    }).pipe(Effect.provide(RedisLive)))

  it.live("capacity: offer waits for room in the shared list; an interrupted offer adds nothing", () =>
    Effect.scoped(Effect.gen(function*() {
      const name = uniqueName("capacity")
      const producer = yield* RedisWorkQueue.make({ ...base, name, capacity: 3, workers: 0 })
      yield* WorkQueue.offerAll(producer, [1, 2, 3])
      const blocked = yield* Effect.fork(WorkQueue.offer(producer, 4))
      yield* until(Effect.map(WorkQueue.statistics(producer), (s) => s.waitingOffers === 1))
      yield* sleep(100)
      assert.isNull(blocked.unsafePoll(), "the fourth offer waits while 3 items are queued")
      let stats = yield* WorkQueue.statistics(producer)
      assert.strictEqual(stats.offered, 3)
      assert.strictEqual(stats.queued, 3)
      // A waiting offer that is interrupted is withdrawn.
      const withdrawn = yield* Effect.fork(WorkQueue.offer(producer, 99))
      yield* until(Effect.map(WorkQueue.statistics(producer), (s) => s.waitingOffers === 2))
      yield* Fiber.interrupt(withdrawn)

      // A consumer elsewhere (another instance of the same queue) makes room.
      const seen: Array<number> = []
      yield* RedisWorkQueue.make({
        ...base,
        name,
        capacity: 3,
        workers: 1,
        handler: (n) => Effect.sync(() => seen.push(n))
      })
      yield* Fiber.join(blocked)
      yield* WorkQueue.awaitIdle(producer)
      stats = yield* WorkQueue.statistics(producer)
      assert.strictEqual(stats.offered, 4)
      assert.strictEqual(stats.processed, 4)
      assert.strictEqual(stats.waitingOffers, 0)
      assert.strictEqual(stats.peakQueued, 3)
      assert.deepStrictEqual(seen.slice().sort(), [1, 2, 3, 4])
    })).pipe(Effect.provide(RedisLive)))

  it.live("wake-ups: an idle worker in another instance starts on a new item at once, not at its next poll", () =>
    Effect.scoped(Effect.gen(function*() {
      const name = uniqueName("wake")
      const slowPoll = { ...base, name, pollInterval: "1 minute" as const }
      const producer = yield* RedisWorkQueue.make({ ...slowPoll, workers: 0 })
      const seen: Array<number> = []
      yield* RedisWorkQueue.make({ ...slowPoll, workers: 1, handler: (n: number) => Effect.sync(() => seen.push(n)) })
      // The idle worker looks at Redis after 1, 2, 4 … ms: at about 2.0 s, then 4.1 s. Offer in between.
      yield* sleep(2_500)
      const start = Date.now()
      yield* WorkQueue.offer(producer, 1)
      yield* WorkQueue.awaitIdle(producer)
      const elapsed = Date.now() - start
      assert.deepStrictEqual(seen, [1])
      // A generous bound: the poll alone would take about 1.6 s.
      assert.isBelow(elapsed, 1_200, "woken by the offer's message")
    })).pipe(Effect.provide(RedisLive)))

  it.live("collect: failures are settled, counted globally and kept here with their Cause; the rest go on", () =>
    Effect.scoped(Effect.gen(function*() {
      const queue = yield* RedisWorkQueue.make({
        ...base,
        name: uniqueName("collect"),
        workers: 3,
        handler: (n) => n % 3 === 0 ? Effect.fail(`bad ${n}`) : n === 10 ? Effect.die("boom") : Effect.void
      })
      yield* WorkQueue.offerAll(queue, Array.from({ length: 12 }, (_, i) => i + 1))
      yield* WorkQueue.awaitIdle(queue)
      const stats = yield* WorkQueue.statistics(queue)
      assert.strictEqual(stats.processed, 12)
      assert.strictEqual(stats.failed, 5)
      assert.strictEqual(stats.succeeded, 7)
      const failures = yield* WorkQueue.failures(queue)
      assert.deepStrictEqual(failures.map((f) => f.item).sort((a, b) => a - b), [3, 6, 9, 10, 12])
      const died = failures.find((f) => f.item === 10)!
      assert.isTrue(Cause.isDie(died.cause))
      const failed = failures.find((f) => f.item === 3)!
      assert.deepStrictEqual(Cause.failureOption(failed.cause), Option.some("bad 3"))
      // Not redelivered: a failure is a result.
      assert.strictEqual((yield* RedisWorkQueue.statistics(queue)).redelivered, 0)
    })).pipe(Effect.provide(RedisLive)))

  it.live("fail-fast: the first failure stops this process's part; its items go back, nothing is lost", () =>
    Effect.scoped(Effect.gen(function*() {
      const name = uniqueName("fail-fast")
      const started: Array<number> = []
      const queue = yield* RedisWorkQueue.make({
        ...base,
        name,
        workers: 2,
        onFailure: "fail-fast",
        handler: (n: number) =>
          Effect.sync(() => started.push(n)).pipe(
            Effect.zipRight(n === 3 ? Effect.fail(`bad ${n}`) : Effect.sleep(n === 2 ? "10 seconds" : "1 millis"))
          )
      })
      yield* WorkQueue.offerAll(queue, [1, 2, 3, 4, 5, 6, 7, 8])
      const error = yield* Effect.flip(WorkQueue.awaitIdle(queue))
      assert.strictEqual(error, "bad 3")
      const refused = yield* Effect.flip(WorkQueue.offer(queue, 9))
      assert.isTrue(refused._tag === "WorkQueueClosedError" && refused.reason === "failed")
      const report = yield* WorkQueue.shutdown(queue, "drain")
      assert.isTrue(report.failure !== undefined && Cause.failureOption(report.failure)._tag === "Some")
      assert.strictEqual(report.failed, 1)
      // Item 2's handler (10 s) was interrupted and handed back, not discarded: still in the shared queue.
      const stats = yield* WorkQueue.statistics(queue)
      assert.strictEqual(stats.inFlight, 0)
      assert.strictEqual(stats.discarded, 0)
      assert.strictEqual(stats.processed + stats.queued, stats.offered)
      assert.isAtLeast(stats.queued, 1)

      // Another process picks them up.
      const rest: Array<number> = []
      const other = yield* RedisWorkQueue.make({
        ...base,
        name,
        workers: 1,
        handler: (n: number) => Effect.sync(() => rest.push(n))
      })
      yield* WorkQueue.awaitIdle(other)
      assert.include(rest, 2)
      const final = yield* WorkQueue.statistics(other)
      assert.strictEqual(final.processed, 8)
      assert.strictEqual(final.failed, 1)
    })).pipe(Effect.provide(RedisLive)))

  it.live("shutdown discard and a closing scope hand held items back at once, not after the timeout", () =>
    Effect.scoped(Effect.gen(function*() {
      const name = uniqueName("discard")
      const queue = yield* RedisWorkQueue.make({
        ...base,
        name,
        workers: 2,
        visibilityTimeout: "1 minute",
        handler: () => Effect.never
      })
      yield* WorkQueue.offerAll(queue, [1, 2, 3, 4, 5])
      yield* until(Effect.map(WorkQueue.statistics(queue), (s) => s.inFlight >= 2))
      const report = yield* WorkQueue.shutdown(queue, "discard")
      assert.strictEqual(report.mode, "discard")
      assert.strictEqual(report.processed, 0)
      assert.deepStrictEqual(report.discardedItems, [])
      const stats = yield* WorkQueue.statistics(queue)
      assert.strictEqual(stats.inFlight, 0)
      assert.strictEqual(stats.queued, 5)
      assert.strictEqual(stats.workersRunning, 0)

      // The same through a scope close (onClose: "discard").
      const scope = yield* Scope.make()
      const second = yield* RedisWorkQueue.make({
        ...base,
        name,
        workers: 3,
        onClose: "discard",
        visibilityTimeout: "1 minute",
        handler: () => Effect.never
      }).pipe(Scope.extend(scope))
      yield* until(Effect.map(WorkQueue.statistics(second), (s) => s.inFlight >= 3))
      yield* Scope.close(scope, Exit.void)
      const after = yield* WorkQueue.statistics(queue)
      assert.strictEqual(after.inFlight, 0)
      assert.strictEqual(after.queued, 5)
      assert.strictEqual((yield* RedisWorkQueue.statistics(queue)).redelivered, 0)
    })).pipe(Effect.provide(RedisLive)))

  it.live("drain while another process keeps offering: it finishes and acknowledges what it holds, then stops", () =>
    Effect.scoped(Effect.gen(function*() {
      const name = uniqueName("warm-drain")
      const options = { ...base, name, capacity: 1_000, visibilityTimeout: "1 minute" as const }
      const producer = yield* RedisWorkQueue.make({ ...options, workers: 0 })
      // Another process offers for ever, faster than one consumer (2 workers, 20 ms per item) keeps up.
      let next = 0
      const offering = yield* Effect.fork(
        Effect.forever(Effect.suspend(() => WorkQueue.offer(producer, next++)).pipe(Effect.zipRight(sleep(5))))
      )
      interface Log {
        readonly started: Array<number>
        readonly finished: Array<number>
      }
      const consumer = (log: Log, millis: number, workers: number) =>
        RedisWorkQueue.make({
          ...options,
          workers,
          handler: (n: number) =>
            Effect.sync(() => log.started.push(n)).pipe(
              Effect.zipRight(millis > 0 ? sleep(millis) : Effect.void),
              Effect.zipRight(Effect.sync(() => log.finished.push(n)))
            )
        })
      const sorted = (ns: ReadonlyArray<number>) => ns.slice().sort((a, b) => a - b)
      // Bounded: the drain must end although the queue never empties (disconnected so a hang fails the test).
      const bounded = <A, E>(effect: Effect.Effect<A, E>) =>
        Effect.disconnect(effect).pipe(Effect.timeout("10 seconds"), Effect.option)

      // A: closing its scope (onClose: "drain").
      const a: Log = { started: [], finished: [] }
      const scope = yield* Scope.make()
      yield* consumer(a, 20, 2).pipe(Scope.extend(scope))
      yield* until(Effect.sync(() => a.finished.length >= 4))
      const closed = yield* bounded(Scope.close(scope, Exit.void))
      assert.isTrue(Option.isSome(closed), "closing the scope waited for the shared queue to empty")
      assert.deepStrictEqual(sorted(a.finished), sorted(a.started), "every item it held was finished")
      const afterA = yield* RedisWorkQueue.statistics(producer)
      assert.strictEqual(afterA.inFlight, 0, "and acknowledged: it holds nothing")
      assert.strictEqual(afterA.succeeded, a.finished.length)
      assert.isAtLeast(afterA.queued, 1, "pending items stay for the other processes")

      // B: WorkQueue.shutdown(queue, "drain"), the producer still offering.
      const b: Log = { started: [], finished: [] }
      const queueB = yield* consumer(b, 20, 2)
      yield* until(Effect.sync(() => b.finished.length >= 4))
      const report = yield* bounded(WorkQueue.shutdown(queueB, "drain"))
      assert.isTrue(Option.isSome(report), "shutdown(\"drain\") waited for the shared queue to empty")
      if (Option.isSome(report)) {
        assert.strictEqual(report.value.mode, "drain")
        assert.isAtLeast(report.value.offered - report.value.processed, 1)
      }
      assert.deepStrictEqual(sorted(b.finished), sorted(b.started))
      const afterB = yield* RedisWorkQueue.statistics(producer)
      assert.strictEqual(afterB.inFlight, 0)
      assert.strictEqual(afterB.succeeded, a.finished.length + b.finished.length)
      assert.strictEqual(afterB.redelivered, 0)
      assert.strictEqual((yield* WorkQueue.statistics(queueB)).workersRunning, 0)

      // The producer stops; a third process takes the rest: every item processed exactly once overall.
      yield* Fiber.interrupt(offering)
      const c: Log = { started: [], finished: [] }
      yield* consumer(c, 0, 4)
      yield* WorkQueue.awaitIdle(producer)
      const final = yield* WorkQueue.statistics(producer)
      assert.strictEqual(final.processed, final.offered)
      assert.deepStrictEqual(
        sorted([...a.finished, ...b.finished, ...c.finished]),
        Array.from({ length: final.offered }, (_, i) => i)
      )
    })).pipe(Effect.provide(RedisLive)))

  it.live("a handler longer than the visibility timeout keeps its claim while its process lives", () =>
    Effect.scoped(Effect.gen(function*() {
      const name = uniqueName("refresh")
      const runs: Array<string> = []
      const options = {
        ...base,
        name,
        visibilityTimeout: "500 millis" as const,
        handler: (n: number) => Effect.sync(() => runs.push(`start ${n}`)).pipe(Effect.zipRight(sleep(1_500)))
      }
      const first = yield* RedisWorkQueue.make({ ...options, workers: 1 })
      yield* WorkQueue.offer(first, 1)
      yield* until(Effect.sync(() => runs.length === 1))
      // Another consumer polls all along: it would take the item if the claim ever lapsed.
      const second = yield* RedisWorkQueue.make({ ...options, workers: 2 })
      yield* WorkQueue.awaitIdle(second)
      const stats = yield* RedisWorkQueue.statistics(second)
      assert.deepStrictEqual(runs, ["start 1"])
      assert.strictEqual(stats.redelivered, 0)
      assert.strictEqual(stats.succeeded, 1)
      assert.strictEqual((yield* RedisWorkQueue.statistics(first)).claimsLost, 0)
    })).pipe(Effect.provide(RedisLive)))

  it.live("a visibility timeout beyond Node's 24.8-day timer limit does not make the refresher a busy loop", () =>
    Effect.scoped(Effect.gen(function*() {
      const redis = yield* RedisConnection.RedisConnection
      const scriptCalls = redis.use("commandstats", (client) => client.info("commandstats")).pipe(
        Effect.map((info) => Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0))
      )
      const started = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const queue = yield* RedisWorkQueue.make({
        ...base,
        name: uniqueName("long-visibility"),
        workers: 1,
        visibilityTimeout: "100 days",
        handler: () => Deferred.succeed(started, undefined).pipe(Effect.zipRight(Deferred.await(release)))
      })
      yield* WorkQueue.offer(queue, 1)
      yield* Deferred.await(started)
      // The only worker is busy: nothing but the refresher talks to Redis now.
      const before = yield* scriptCalls
      yield* sleep(300)
      assert.isAtMost((yield* scriptCalls) - before, 5)
      yield* Deferred.succeed(release, undefined)
      yield* WorkQueue.awaitIdle(queue)
    })).pipe(Effect.provide(RedisLive)))

  it.live("a lapsed claim is redelivered; the late settle counts nothing; maxDeliveries drops a poison item", () =>
    Effect.scoped(Effect.gen(function*() {
      const redis = yield* RedisConnection.RedisConnection
      // What a dead worker leaves behind: a claim whose deadline has passed. (Item ids count from 1.)
      const lapse = (name: string) =>
        redis.use("lapse", (client) => client.zadd(`fiberkit:workqueue:{${name}}:inflight`, "XX", 0, "1"))
      const runs: Array<string> = []
      const gate = yield* Deferred.make<void>()
      const slow = (who: string, gate: Deferred.Deferred<void>) => (n: number) =>
        Effect.sync(() => runs.push(`${who} started ${n}`)).pipe(
          Effect.zipRight(Deferred.await(gate)),
          Effect.zipRight(Effect.sync(() => runs.push(`${who} finished ${n}`)))
        )
      const fast = (who: string) => (n: number) => Effect.sync(() => runs.push(`${who} finished ${n}`))
      // "discard": P1's handler never ends, and a drain would wait for it.
      const options = { ...base, workers: 1, visibilityTimeout: "1 minute" as const, onClose: "discard" as const }

      // Redelivery: X holds item 1, its claim lapses, Y takes it and settles it; X's late settle is a duplicate.
      const name = uniqueName("lapse")
      const x = yield* RedisWorkQueue.make({ ...options, name, handler: slow("X", gate) })
      yield* WorkQueue.offer(x, 1)
      yield* until(Effect.sync(() => runs.includes("X started 1")))
      yield* lapse(name)
      const y = yield* RedisWorkQueue.make({ ...options, name, handler: fast("Y") })
      yield* until(Effect.map(WorkQueue.statistics(y), (stats) => stats.succeeded === 1))
      yield* Deferred.succeed(gate, undefined)
      yield* WorkQueue.shutdown(x, "drain") // X's settle has been sent when its worker has stopped
      const stats = yield* RedisWorkQueue.statistics(y)
      assert.deepStrictEqual(runs, ["X started 1", "Y finished 1", "X finished 1"])
      assert.strictEqual(stats.redelivered, 1)
      assert.strictEqual(stats.succeeded, 1, "run twice (at least once), counted once")
      assert.strictEqual(stats.processed + stats.queued + stats.inFlight, stats.offered)

      // maxDeliveries: 1. The second claim of a lapsed item drops it instead of delivering it.
      const poison = uniqueName("poison")
      runs.length = 0
      const p1 = yield* RedisWorkQueue.make({
        ...options,
        name: poison,
        maxDeliveries: 1,
        handler: slow("P1", yield* Deferred.make<void>())
      })
      yield* WorkQueue.offer(p1, 7)
      yield* until(Effect.sync(() => runs.includes("P1 started 7")))
      yield* lapse(poison)
      const p2 = yield* RedisWorkQueue.make({ ...options, name: poison, maxDeliveries: 1, handler: fast("P2") })
      yield* until(Effect.map(WorkQueue.statistics(p2), (stats) => stats.discarded === 1))
      const dropped = yield* RedisWorkQueue.statistics(p2)
      assert.deepStrictEqual(
        { offered: dropped.offered, processed: dropped.processed, queued: dropped.queued, inFlight: dropped.inFlight },
        { offered: 1, processed: 0, queued: 0, inFlight: 0 }
      )
      assert.notInclude(runs, "P2 finished 7")
      const dead = yield* redis.use("dead", (client) => client.hgetall(`fiberkit:workqueue:{${poison}}:dead`))
      assert.deepStrictEqual(dead, { "1": "7" })
    })).pipe(Effect.provide(RedisLive)))

  it.live(
    "kill -9 of a worker process mid-handler: its items are redelivered to another process, none is lost",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* RedisServer.RedisServer
        const redis = yield* RedisConnection.RedisConnection
        const name = uniqueName("kill")
        const items = 12
        const producer = yield* RedisWorkQueue.make({
          name,
          schema: Item,
          capacity: 1_000,
          workers: 0,
          handler: () => Effect.void,
          onFailure: "collect",
          onClose: "drain"
        })
        // Child A: 2 workers, slow handlers, visibility timeout 1 s. Child B boots meanwhile and waits for a gate.
        const gate = `test:{${name}}:gate`
        const a = yield* spawnWorker([server.url, name, 2, 2_000, 1_000])
        const b = yield* spawnWorker([server.url, name, 3, 50, 1_000, `gate=${gate}`])
        yield* waitForLine(a, (line) => line === "ready")
        yield* WorkQueue.offerAll(producer, Array.from({ length: items }, (_, n) => ({ n })))
        yield* waitForLine(a, (line) => line.startsWith("start "))
        a.process.kill("SIGKILL")
        yield* Effect.promise(() => a.exited)
        const startedByA = a.lines.filter((line) => line.startsWith("start ")).map((line) => Number(line.slice(6)))

        // A's claims stay in flight until their deadline passes (then they are back in the queue); nothing is
        // lost meanwhile.
        const between = yield* RedisWorkQueue.statistics(producer)
        assert.strictEqual(between.processed + between.queued + between.inFlight, between.offered)
        assert.isAtLeast(between.inFlight + between.redelivered, 1)

        // Child B takes over; the producer ends the input so B stops once all is done.
        yield* waitForLine(b, (line) => line === "booted")
        yield* redis.use("gate", (client) => client.set(gate, "1"))
        yield* WorkQueue.end(producer)
        const code = yield* Effect.promise(() => b.exited)
        assert.strictEqual(code, 0, b.lines.join("\n"))
        yield* WorkQueue.awaitIdle(producer)

        const stats = yield* RedisWorkQueue.statistics(producer)
        assert.strictEqual(stats.offered, items)
        assert.strictEqual(stats.processed, items)
        assert.strictEqual(stats.queued + stats.inFlight, 0)
        assert.isAtLeast(stats.redelivered, 1)
        assert.strictEqual(stats.processed + stats.queued, stats.offered)
        // Every item ran to its end at least once; those A was running when killed ran again in B.
        const runs = yield* redis.use("runs", (client) => client.hgetall(`test:{${name}}:runs`))
        for (let n = 0; n < items; n++) assert.isAtLeast(Number(runs[String(n)] ?? 0), 1, `item ${n}`)
        const startedByB = b.lines.filter((line) => line.startsWith("start ")).map((line) => Number(line.slice(6)))
        for (const n of startedByA) {
          if (runs[String(n)] === "1") assert.include(startedByB, n, `item ${n} interrupted by the kill`)
        }
        assert.isTrue(b.lines.some((line) => line.startsWith("summary ")))
      })).pipe(Effect.provide(RedisLive))
  )

  it.live(
    "kill -9 in the middle of a batch: the items it finished were acknowledged at once and are not redelivered",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* RedisServer.RedisServer
        const redis = yield* RedisConnection.RedisConnection
        const name = uniqueName("ack")
        const items = 12
        const producer = yield* RedisWorkQueue.make({
          ...base,
          name,
          schema: Item,
          workers: 0,
          handler: () => Effect.void
        })
        // One worker, handlers that end at once, except item 5's, which never ends. Its first claim takes one
        // item (0); the next takes a fair share of the 11 left, items 1 to 5: item 5 shares a batch with 1..4.
        const a = yield* spawnWorker([server.url, name, 1, 0, 1_000, "block=5"])
        yield* waitForLine(a, (line) => line === "ready")
        yield* WorkQueue.offerAll(producer, Array.from({ length: items }, (_, n) => ({ n })))
        yield* waitForLine(a, (line) => line === "start 5")
        // Items 0..4 are acknowledged while item 5 still runs, not with the worker's next claim (never, here).
        const acknowledged = yield* until(Effect.map(WorkQueue.statistics(producer), (s) => s.succeeded === 5)).pipe(
          Effect.timeout("10 seconds"),
          Effect.option
        )
        assert.isTrue(Option.isSome(acknowledged), "the finished items of the batch were not acknowledged")
        a.process.kill("SIGKILL")
        yield* Effect.promise(() => a.exited)

        // Another process takes what is left: item 5 once its claim expires (1 s), and 6..11.
        const seen: Array<number> = []
        const b = yield* RedisWorkQueue.make({
          ...base,
          name,
          schema: Item,
          workers: 2,
          handler: ({ n }) => Effect.sync(() => seen.push(n))
        })
        yield* until(Effect.map(WorkQueue.statistics(b), (s) => s.processed === items))
        const stats = yield* RedisWorkQueue.statistics(b)
        assert.strictEqual(stats.redelivered, 1, "only the item running at the kill comes back")
        assert.deepStrictEqual(seen.slice().sort((x, y) => x - y), [5, 6, 7, 8, 9, 10, 11])
        const runs = yield* redis.use("runs", (client) => client.hgetall(`test:{${name}}:runs`))
        assert.deepStrictEqual(runs, { "0": "1", "1": "1", "2": "1", "3": "1", "4": "1" })
      })).pipe(Effect.provide(RedisLive))
  )

  it.live("a slow item does not hold the items claimed with it: they are handed back for any other worker", () =>
    Effect.scoped(Effect.gen(function*() {
      const name = uniqueName("slow-item")
      const gate = yield* Deferred.make<void>()
      const started: Array<number> = []
      const x = yield* RedisWorkQueue.make({
        ...base,
        name,
        workers: 1,
        visibilityTimeout: "1 minute",
        onClose: "discard", // should an assertion fail, closing does not wait for the gate
        handler: (n: number) =>
          Effect.sync(() => started.push(n)).pipe(Effect.zipRight(n === 1 ? Deferred.await(gate) : Effect.void))
      })
      // A fast item first: the worker learns its handler is fast and claims batches from then on.
      yield* WorkQueue.offer(x, 0)
      yield* until(Effect.map(WorkQueue.statistics(x), (s) => s.succeeded === 1))
      // 20 items at once: X's worker claims a fair share of them (items 1..10) and item 1 hangs.
      yield* WorkQueue.offerAll(x, Array.from({ length: 20 }, (_, i) => i + 1))
      yield* until(Effect.sync(() => started.includes(1)))
      // Another process with idle workers: it gets the other 19, those X claimed with item 1 included.
      const seen: Array<number> = []
      const y = yield* RedisWorkQueue.make({
        ...base,
        name,
        workers: 2,
        handler: (n: number) => Effect.sync(() => seen.push(n))
      })
      const done = yield* until(Effect.map(WorkQueue.statistics(y), (s) => s.succeeded === 20)).pipe(
        Effect.timeout("10 seconds"),
        Effect.option
      )
      assert.isTrue(Option.isSome(done), `items stayed behind the slow one; the other process saw ${seen.length}`)
      assert.deepStrictEqual(started, [0, 1], "X started nothing after the slow item")
      assert.deepStrictEqual(seen.slice().sort((a, b) => a - b), Array.from({ length: 19 }, (_, i) => i + 2))
      const stats = yield* RedisWorkQueue.statistics(y)
      assert.strictEqual(stats.inFlight, 1)
      assert.strictEqual(stats.redelivered, 0, "a hand-back is not a redelivery")
      yield* Deferred.succeed(gate, undefined)
      yield* WorkQueue.awaitIdle(x)
      assert.strictEqual((yield* WorkQueue.statistics(x)).succeeded, 21)
    })).pipe(Effect.provide(RedisLive)))

  it.live("Redis down: offers, statistics and awaitIdle fail fast with RedisError; workers recover when it returns", () =>
    Effect.scoped(Effect.gen(function*() {
      const serverScope = yield* Scope.make()
      const first = yield* RedisServer.start().pipe(Scope.extend(serverScope))
      // The restarted server's scope closes after the queue's (finalizers run in reverse order).
      const secondScope = yield* Scope.make()
      yield* Effect.addFinalizer(() => Scope.close(secondScope, Exit.void))
      const connection = yield* RedisConnection.make({ url: first.url, commandTimeout: "500 millis" })
      const seen: Array<number> = []
      const queue = yield* RedisWorkQueue.make({
        ...base,
        name: uniqueName("down"),
        workers: 1,
        handler: (n: number) => Effect.sync(() => seen.push(n))
      }).pipe(Effect.provideService(RedisConnection.RedisConnection, connection))
      yield* WorkQueue.offerAll(queue, [1, 2])
      yield* WorkQueue.awaitIdle(queue)

      yield* Scope.close(serverScope, Exit.void)
      const failures = [
        yield* Effect.flip(WorkQueue.offer(queue, 3)),
        yield* Effect.flip(WorkQueue.statistics(queue)),
        yield* Effect.flip(WorkQueue.awaitIdle(queue)),
        yield* Effect.flip(WorkQueue.end(queue))
      ]
      for (const error of failures) {
        assert.strictEqual(error._tag, "RedisError", String(error))
        if (RedisConnection.isRedisError(error)) assert.oneOf(error.reason, ["unavailable", "timeout"])
      }

      // The same port again (an empty server: this one keeps nothing on disk).
      yield* RedisServer.start({ port: first.port }).pipe(Scope.extend(secondScope))
      yield* until(Effect.map(Effect.either(WorkQueue.offer(queue, 4)), (result) => result._tag === "Right"))
      yield* WorkQueue.awaitIdle(queue)
      assert.deepStrictEqual(seen, [1, 2, 4])
      const stats = yield* WorkQueue.statistics(queue)
      assert.strictEqual(stats.workersRunning, 1, "the worker survived the outage")
      assert.strictEqual(stats.processed, 1)
    })))
})
