import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument, WorkQueue } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"

// A small seeded generator (mulberry32), so a failing property run can be replayed from its seed.
const random = (seed: number) => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)) }
}

const sleepy = (log: Array<number>, ms: number) => (n: number) =>
  Effect.sleep(ms).pipe(Effect.zipRight(Effect.sync(() => log.push(n))))

describe("WorkQueue", () => {
  it.scoped("runs N workers concurrently and awaitIdle waits for every item (queue.join)", () =>
    Effect.gen(function*() {
      const done: Array<number> = []
      const queue = yield* WorkQueue.make({
        capacity: 10,
        workers: 4,
        handler: sleepy(done, 100),
        onFailure: "fail-fast",
        onClose: "drain"
      })
      yield* WorkQueue.offerAll(queue, [1, 2, 3, 4, 5, 6, 7, 8])
      const idle = yield* Effect.fork(WorkQueue.awaitIdle(queue))
      yield* TestClock.adjust("100 millis")
      assert.strictEqual(done.length, 4, "four workers: four items per 100 ms")
      assert.isTrue(Option.isNone(yield* Fiber.poll(idle)), "not idle while items remain")
      yield* TestClock.adjust("100 millis")
      yield* Fiber.join(idle)
      assert.sameMembers(done, [1, 2, 3, 4, 5, 6, 7, 8])
      const stats = yield* WorkQueue.statistics(queue)
      assert.strictEqual(stats.processed, 8)
      assert.strictEqual(stats.inFlight, 0)
      assert.deepStrictEqual(stats.processedByWorker, [2, 2, 2, 2])
    }))

  it.scoped("offer waits while the queue is full (backpressure)", () =>
    Effect.gen(function*() {
      const done: Array<number> = []
      const queue = yield* WorkQueue.make({
        capacity: 2,
        workers: 1,
        handler: sleepy(done, 10),
        onFailure: "fail-fast",
        onClose: "drain"
      })
      // One item in the worker's hands, two queued: the fourth offer must wait.
      yield* WorkQueue.offerAll(queue, [1, 2, 3])
      const fourth = yield* Effect.fork(WorkQueue.offer(queue, 4))
      yield* Effect.yieldNow()
      assert.isTrue(Option.isNone(yield* Fiber.poll(fourth)), "the offer is suspended")
      assert.strictEqual((yield* WorkQueue.statistics(queue)).waitingOffers, 1)
      yield* TestClock.adjust("10 millis")
      yield* Fiber.join(fourth)
      yield* TestClock.adjust("30 millis")
      yield* WorkQueue.awaitIdle(queue)
      assert.deepStrictEqual(done, [1, 2, 3, 4], "one worker keeps the order")
      assert.strictEqual((yield* WorkQueue.statistics(queue)).peakQueued, 2)
    }))

  it.scoped("the end of input is a state: workers finish and stop, later offers fail typed", () =>
    Effect.gen(function*() {
      const done: Array<number> = []
      const queue = yield* WorkQueue.make({
        capacity: 10,
        workers: 3,
        handler: sleepy(done, 5),
        onFailure: "collect",
        onClose: "discard",
        label: "ingest"
      })
      yield* WorkQueue.offerAll(queue, [1, 2, 3, 4, 5])
      yield* WorkQueue.end(queue)
      const late = yield* Effect.either(WorkQueue.offer(queue, 6))
      assert.isTrue(Either.isLeft(late))
      if (Either.isLeft(late)) {
        assert.strictEqual(late.left._tag, "WorkQueueClosedError")
        assert.match(late.left.message, /WorkQueue "ingest".*input has ended/)
      }
      yield* TestClock.adjust("10 millis")
      const report = yield* WorkQueue.shutdown(queue, "drain")
      assert.sameMembers(done, [1, 2, 3, 4, 5])
      assert.deepStrictEqual([report.offered, report.processed, report.discarded], [5, 5, 0])
      assert.strictEqual((yield* WorkQueue.statistics(queue)).workersRunning, 0, "no worker fiber left")
    }))

  it.scoped("collect mode keeps every failing item with its cause and goes on", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make({
        capacity: 10,
        workers: 2,
        handler: (n: number) => n % 3 === 0 ? Effect.fail(`bad ${n}`) : Effect.void,
        onFailure: "collect",
        onClose: "drain"
      })
      yield* WorkQueue.offerAll(queue, [1, 2, 3, 4, 5, 6, 7])
      yield* WorkQueue.awaitIdle(queue)
      const failures = yield* WorkQueue.failures(queue)
      assert.deepStrictEqual(failures.map((f) => f.item), [3, 6])
      assert.deepStrictEqual(failures.map((f) => Cause.failureOption(f.cause)), [
        Option.some("bad 3"),
        Option.some("bad 6")
      ])
      const stats = yield* WorkQueue.statistics(queue)
      assert.deepStrictEqual([stats.succeeded, stats.failed, stats.processed], [5, 2, 7])
    }))

  it.scoped("fail-fast stops at the first failure: queued items discarded, running ones interrupted", () =>
    Effect.gen(function*() {
      const interrupted: Array<number> = []
      const queue = yield* WorkQueue.make({
        capacity: 10,
        workers: 2,
        handler: (n: number) =>
          n === 1 ?
            Effect.delay(Effect.fail("item 1 broke" as const), "10 millis") :
            Effect.sleep("1 second").pipe(Effect.onInterrupt(() => Effect.sync(() => interrupted.push(n)))),
        onFailure: "fail-fast",
        onClose: "drain"
      })
      yield* WorkQueue.offerAll(queue, [1, 2, 3, 4])
      const idle = yield* Effect.fork(Effect.exit(WorkQueue.awaitIdle(queue)))
      yield* TestClock.adjust("10 millis")
      const exit = yield* Fiber.join(idle)
      assert.deepStrictEqual(exit, Exit.fail("item 1 broke" as const))
      assert.strictEqual(interrupted.length, 1, "the other worker's running item was interrupted")
      const offerAfter = yield* Effect.either(WorkQueue.offer(queue, 5))
      assert.isTrue(Either.isLeft(offerAfter) && offerAfter.left.reason === "failed")
      const report = yield* WorkQueue.shutdown(queue, "drain")
      assert.deepStrictEqual([report.offered, report.processed, report.failed, report.discarded], [4, 1, 1, 3])
      assert.sameMembers([...report.discardedItems], [2, 3, 4])
      assert.isDefined(report.failure)
    }))

  it.scoped("drain processes everything offered; discard drops the queue and interrupts the running", () =>
    Effect.gen(function*() {
      const drained: Array<number> = []
      const a = yield* WorkQueue.make({
        capacity: 10,
        workers: 1,
        handler: sleepy(drained, 10),
        onFailure: "collect",
        onClose: "drain"
      })
      yield* WorkQueue.offerAll(a, [1, 2, 3])
      const drain = yield* Effect.fork(WorkQueue.shutdown(a, "drain"))
      yield* TestClock.adjust("30 millis")
      const drainReport = yield* Fiber.join(drain)
      assert.deepStrictEqual(drained, [1, 2, 3])
      assert.deepStrictEqual([drainReport.processed, drainReport.discarded], [3, 0])

      const discarded: Array<number> = []
      const interrupted: Array<number> = []
      const b = yield* WorkQueue.make({
        capacity: 10,
        workers: 1,
        handler: (n: number) =>
          sleepy(discarded, 10)(n).pipe(Effect.onInterrupt(() => Effect.sync(() => interrupted.push(n)))),
        onFailure: "collect",
        onClose: "drain"
      })
      yield* WorkQueue.offerAll(b, [1, 2, 3])
      yield* TestClock.adjust("15 millis") // 1 done, 2 running, 3 queued
      const report = yield* WorkQueue.shutdown(b, "discard")
      assert.deepStrictEqual(discarded, [1])
      assert.deepStrictEqual(interrupted, [2])
      assert.deepStrictEqual([report.offered, report.processed, report.discarded], [3, 1, 2])
      assert.sameMembers([...report.discardedItems], [2, 3])
      assert.deepStrictEqual(yield* WorkQueue.shutdown(b, "drain"), report, "a second shutdown returns the same report")
    }))

  it.effect("closing the scope applies onClose and leaves no worker running", () =>
    Effect.gen(function*() {
      const interrupted: Array<number> = []
      const scope = yield* Scope.make()
      const queue = yield* WorkQueue.make({
        capacity: 10,
        workers: 2,
        handler: (n: number) => Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => interrupted.push(n)))),
        onFailure: "fail-fast",
        onClose: "discard"
      }).pipe(Scope.extend(scope))
      yield* WorkQueue.offerAll(queue, [1, 2, 3])
      yield* Effect.yieldNow()
      yield* Scope.close(scope, Exit.void)
      assert.sameMembers(interrupted, [1, 2])
      const stats = yield* WorkQueue.statistics(queue)
      assert.deepStrictEqual([stats.workersRunning, stats.inFlight, stats.discarded, stats.offered], [0, 0, 3, 3])
    }))

  it.scoped("interrupting a waiting offer withdraws the item", () =>
    Effect.gen(function*() {
      const done: Array<number> = []
      const queue = yield* WorkQueue.make({
        capacity: 1,
        workers: 1,
        handler: sleepy(done, 10),
        onFailure: "fail-fast",
        onClose: "drain"
      })
      yield* WorkQueue.offerAll(queue, [1, 2])
      const blocked = yield* Effect.fork(WorkQueue.offer(queue, 3))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(blocked)
      yield* TestClock.adjust("50 millis")
      yield* WorkQueue.awaitIdle(queue)
      assert.deepStrictEqual(done, [1, 2])
      const stats = yield* WorkQueue.statistics(queue)
      assert.deepStrictEqual([stats.offered, stats.processed, stats.waitingOffers], [2, 2, 0])
    }))

  it.scoped("bad options fail with InvalidArgumentError at the call", () =>
    Effect.gen(function*() {
      const base = {
        capacity: 1,
        workers: 1,
        handler: () => Effect.void,
        onFailure: "collect",
        onClose: "drain"
      } as const
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ capacity: 0 }, /WorkQueue.make: capacity must be a positive integer, got 0/],
        [{ workers: 1.5 }, /workers must be a positive integer, got 1.5/],
        [{ handler: "nope" }, /handler must be a function/],
        [{ onFailure: "ignore" }, /onFailure must be one of "fail-fast", "collect"/],
        [{ onClose: undefined }, /onClose must be one of "drain", "discard"/]
      ]
      for (const [patch, pattern] of cases) {
        const error = yield* Effect.flip(
          WorkQueue.make({ ...base, ...patch } as WorkQueue.Options<unknown, never, never, "collect">)
        )
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error))
        assert.match(error.message, pattern)
      }
      const queue = yield* WorkQueue.make(base)
      const error = yield* Effect.flip(WorkQueue.shutdown(queue, "later" as any))
      assert.match(error.message, /WorkQueue.shutdown: mode must be one of "drain", "discard"/)
    }))

  it.effect(
    "property: random producers, workers, capacities and shutdown points lose and repeat nothing",
    () =>
      Effect.gen(function*() {
        for (let seed = 1; seed <= 80; seed++) {
          const rng = random(seed)
          const producers = rng.int(1, 4)
          const workers = rng.int(1, 5)
          const capacity = rng.int(1, 8)
          const perProducer = rng.int(0, 25)
          const mode: WorkQueue.ShutdownMode = rng.next() < 0.5 ? "drain" : "discard"
          const onFailure: WorkQueue.FailureMode = rng.next() < 0.3 ? "fail-fast" : "collect"
          const shutdownAt = rng.int(0, 40)
          const delays = Array.from({ length: 5000 }, () => rng.int(0, 3))
          const failing = new Set(Array.from({ length: 3 }, () => rng.int(0, 4 * 1000 + 25)))
          const interruptProducer = rng.next() < 0.3 ? rng.int(0, producers - 1) : -1
          const interruptAt = rng.int(0, 30)
          const processed: Array<number> = []
          const accepted: Array<number> = []
          const where =
            `seed ${seed}: ${producers}p/${workers}w/cap ${capacity}/${perProducer} each/${mode}/${onFailure}`

          const scenario = Effect.scoped(Effect.gen(function*() {
            const queue = yield* WorkQueue.make({
              capacity,
              workers,
              handler: (n: number) =>
                Effect.sleep(delays[n % delays.length]!).pipe(
                  Effect.zipRight(failing.has(n) ? Effect.fail(n) : Effect.sync(() => processed.push(n)))
                ),
              onFailure,
              onClose: mode
            })
            const produce = (p: number) =>
              Effect.gen(function*() {
                for (let i = 0; i < perProducer; i++) {
                  const item = p * 1000 + i
                  const result = yield* Effect.either(WorkQueue.offer(queue, item))
                  if (Either.isLeft(result)) return
                  accepted.push(item)
                  if (delays[item % delays.length]! === 0) yield* Effect.sleep(1)
                }
              })
            const fibers: Array<Fiber.RuntimeFiber<void>> = []
            for (let p = 0; p < producers; p++) fibers.push(yield* Effect.fork(produce(p)))
            if (interruptProducer >= 0) {
              yield* Effect.fork(Effect.delay(Fiber.interrupt(fibers[interruptProducer]!), interruptAt))
            }
            yield* Effect.sleep(shutdownAt)
            const report = yield* WorkQueue.shutdown(queue, mode)
            yield* Fiber.interruptAll(fibers)
            return { report, stats: yield* WorkQueue.statistics(queue) }
          }))
          const fiber = yield* Effect.fork(scenario)
          yield* TestClock.adjust("10 seconds")
          const { report, stats } = yield* Fiber.join(fiber)

          const failed = report.failed
          assert.strictEqual(report.offered, accepted.length, `${where}: offered`)
          assert.strictEqual(report.processed + report.discarded, report.offered, `${where}: processed + discarded`)
          assert.strictEqual(new Set(processed).size, processed.length, `${where}: an item was processed twice`)
          const all = [...processed, ...report.discardedItems]
          assert.strictEqual(all.length + failed, accepted.length, `${where}: counts`)
          const seen = new Set(all)
          assert.strictEqual(seen.size, all.length, `${where}: an item both processed and discarded`)
          const lost = accepted.filter((n) => !seen.has(n) && !failing.has(n))
          assert.deepStrictEqual(lost, [], `${where}: lost items`)
          if (mode === "drain" && onFailure === "collect") assert.strictEqual(report.discarded, 0, `${where}: drain`)
          assert.strictEqual(stats.workersRunning, 0, `${where}: workers left running`)
          assert.strictEqual(stats.waitingOffers, 0, `${where}: offers left waiting`)
        }
      }),
    60_000
  )
})
