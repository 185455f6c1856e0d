import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument, Limiter, TaskGroup } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"

const failureOf = <E>(exit: Exit.Exit<unknown, E>): E | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

// A small seeded generator (mulberry32) so a failing random case replays.
const seeded = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const idle = (limiter: Limiter.Limiter) =>
  Effect.map(Limiter.statistics(limiter), (s) => ({ inFlight: s.inFlight, waiting: s.waiting }))

describe("Limiter", () => {
  describe("bad input is a typed error at the call, never a hang", () => {
    it.effect("make rejects permits that are not positive integers", () =>
      Effect.gen(function*() {
        for (const permits of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "3" as unknown as number]) {
          const error = yield* Effect.flip(Limiter.make({ permits }))
          assert.isTrue(InvalidArgument.isInvalidArgumentError(error))
          assert.strictEqual(error.operation, "Limiter.make")
          assert.strictEqual(error.argument, "permits")
        }
        const missing = yield* Effect.flip(Limiter.make(undefined as unknown as Limiter.Options))
        assert.strictEqual(missing.argument, "options")
      }))

    it.effect("asking for more permits than exist fails at once (Effect's Semaphore waits forever)", () =>
      Effect.gen(function*() {
        const limiter = yield* Limiter.make({ permits: 3 })
        const error = yield* Effect.flip(Effect.void.pipe(Limiter.withPermits(limiter, 4)))
        assert.strictEqual(error._tag, "InvalidArgumentError")
        assert.strictEqual(
          error.message,
          "Limiter.withPermits: permits must be at most the limiter's capacity of 3, got 4"
        )
        for (const n of [0, -2, 0.5, Number.NaN]) {
          const bad = yield* Effect.flip(Effect.void.pipe(Limiter.withPermits(limiter, n)))
          assert.strictEqual(bad.argument, "permits")
        }
        const tooManyTry = yield* Effect.flip(Effect.void.pipe(Limiter.tryWithPermits(limiter, 9)))
        assert.strictEqual(tooManyTry._tag, "InvalidArgumentError")
        const scoped = yield* Effect.flip(Effect.scoped(Limiter.acquireScoped(limiter, 4)))
        assert.strictEqual(scoped._tag, "InvalidArgumentError")
        assert.deepStrictEqual(yield* idle(limiter), { inFlight: 0, waiting: 0 })
      }))

    it.effect("resize rejects bad capacities", () =>
      Effect.gen(function*() {
        const limiter = yield* Limiter.make({ permits: 3 })
        const error = yield* Effect.flip(Limiter.resize(limiter, 0))
        assert.strictEqual(error.operation, "Limiter.resize")
        assert.strictEqual((yield* Limiter.statistics(limiter)).capacity, 3)
      }))
  })

  it.effect("caps how many effects run at once", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.make({ permits: 3 })
      const fiber = yield* Effect.forEach(
        Array.from({ length: 10 }, (_, i) => i),
        (i) => Effect.as(Effect.sleep("100 millis"), i).pipe(Limiter.withPermit(limiter)),
        { concurrency: "unbounded" }
      ).pipe(Effect.fork)
      yield* TestClock.adjust("1 millis")
      const during = yield* Limiter.statistics(limiter)
      assert.strictEqual(during.inFlight, 3)
      assert.strictEqual(during.waiting, 7)
      yield* TestClock.adjust("298 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "10 jobs of 100 ms in waves of 3 take 400 ms")
      yield* TestClock.adjust("101 millis")
      assert.deepStrictEqual(yield* Fiber.join(fiber), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      const after = yield* Limiter.statistics(limiter)
      assert.deepStrictEqual(after, {
        capacity: 3,
        inFlight: 0,
        available: 3,
        waiting: 0,
        waitingPermits: 0,
        peakInFlight: 3,
        totalAcquired: 10
      })
    }))

  it.effect("a large waiter is not starved by a stream of small ones (strict FIFO)", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.make({ permits: 4 })
      const order: Array<string> = []
      const job = (name: string, permits: number, ms: number) =>
        Effect.sync(() => order.push(name)).pipe(
          Effect.zipRight(Effect.sleep(ms)),
          Limiter.withPermits(limiter, permits)
        )
      // Three small jobs hold 3 permits; one permit is free.
      yield* Effect.forkDaemon(job("small-1", 1, 100))
      yield* Effect.forkDaemon(job("small-2", 1, 100))
      yield* Effect.forkDaemon(job("small-3", 1, 100))
      yield* Effect.yieldNow()
      const large = yield* Effect.fork(job("large", 4, 10))
      yield* Effect.yieldNow()
      // A later small job must queue behind the large one even though a permit is free.
      const late = yield* Effect.fork(job("small-late", 1, 10))
      yield* Effect.yieldNow()
      assert.deepStrictEqual(order, ["small-1", "small-2", "small-3"])
      assert.strictEqual((yield* Limiter.statistics(limiter)).waiting, 2)
      yield* TestClock.adjust("100 millis")
      assert.deepStrictEqual(order, ["small-1", "small-2", "small-3", "large"])
      yield* TestClock.adjust("10 millis")
      yield* Fiber.join(large)
      yield* TestClock.adjust("10 millis")
      yield* Fiber.join(late)
      assert.deepStrictEqual(order, ["small-1", "small-2", "small-3", "large", "small-late"])
    }))

  it.effect(
    "property: random weights and hold times never exceed capacity and start in arrival order",
    () =>
      Effect.gen(function*() {
        for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
          const random = seeded(seed)
          const capacity = 1 + Math.floor(random() * 6)
          const limiter = yield* Limiter.make({ permits: capacity })
          const started: Array<number> = []
          const arrived: Array<number> = []
          let held = 0
          let maxHeld = 0
          const jobs = Array.from({ length: 60 }, (_, i) => ({
            i,
            permits: 1 + Math.floor(random() * capacity),
            hold: Math.floor(random() * 50),
            arrive: Math.floor(random() * 200)
          }))
          const fiber = yield* Effect.forEach(
            jobs,
            (job) =>
              Effect.sleep(job.arrive).pipe(
                Effect.tap(() => arrived.push(job.i)),
                Effect.zipRight(
                  Effect.gen(function*() {
                    started.push(job.i)
                    held += job.permits
                    maxHeld = Math.max(maxHeld, held)
                    yield* Effect.sleep(job.hold)
                    held -= job.permits
                  }).pipe(Limiter.withPermits(limiter, job.permits))
                )
              ),
            { concurrency: "unbounded", discard: true }
          ).pipe(Effect.fork)
          yield* TestClock.adjust("10 seconds")
          yield* Fiber.join(fiber)
          assert.isAtMost(maxHeld, capacity, `seed ${seed}`)
          assert.deepStrictEqual(started, arrived, `seed ${seed}: grants follow arrival order`)
          const stats = yield* Limiter.statistics(limiter)
          assert.strictEqual(stats.inFlight, 0)
          assert.strictEqual(stats.totalAcquired, jobs.reduce((a, j) => a + j.permits, 0))
        }
      }),
    { timeout: 30_000 }
  )

  describe("interruption returns every permit", () => {
    it.effect("while waiting: the waiter leaves the queue and those behind it move up", () =>
      Effect.gen(function*() {
        const limiter = yield* Limiter.make({ permits: 2 })
        const gate = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(Deferred.await(gate).pipe(Limiter.withPermits(limiter, 1)))
        yield* Effect.yieldNow()
        const large = yield* Effect.fork(Effect.void.pipe(Limiter.withPermits(limiter, 2)))
        yield* Effect.yieldNow()
        const small = yield* Effect.fork(Effect.succeed("small ran").pipe(Limiter.withPermits(limiter, 1)))
        yield* Effect.yieldNow()
        assert.strictEqual((yield* Limiter.statistics(limiter)).waiting, 2)
        // The large waiter gives up: the small one behind it fits in the free permit.
        yield* Fiber.interrupt(large)
        assert.strictEqual(yield* Fiber.join(small), "small ran")
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(holder)
        assert.deepStrictEqual(yield* idle(limiter), { inFlight: 0, waiting: 0 })
      }))

    it.effect("while holding: the permits come back when the holder is interrupted", () =>
      Effect.gen(function*() {
        const limiter = yield* Limiter.make({ permits: 3 })
        const holder = yield* Effect.fork(Effect.never.pipe(Limiter.withPermits(limiter, 3)))
        yield* Effect.yieldNow()
        assert.strictEqual((yield* Limiter.statistics(limiter)).inFlight, 3)
        yield* Fiber.interrupt(holder)
        assert.deepStrictEqual(yield* idle(limiter), { inFlight: 0, waiting: 0 })
        assert.strictEqual(yield* Effect.succeed(1).pipe(Limiter.withPermits(limiter, 3)), 1)
      }))

    it.effect("between hand-off and resumption: a granted but interrupted waiter gives the permits back", () =>
      Effect.gen(function*() {
        const limiter = yield* Limiter.make({ permits: 1 })
        const waiterRan = yield* Deferred.make<void>()
        const waiterFiber = yield* Deferred.make<Fiber.RuntimeFiber<unknown, unknown>>()
        // The holder interrupts the waiter and then releases in the same step: the permit is handed
        // to a fiber that is already interrupted.
        const holder = yield* Effect.fork(
          Effect.flatMap(Deferred.await(waiterFiber), (fiber) => Fiber.interruptFork(fiber)).pipe(
            Limiter.withPermit(limiter)
          )
        )
        yield* Effect.yieldNow()
        const waiter = yield* Effect.fork(Deferred.succeed(waiterRan, undefined).pipe(Limiter.withPermit(limiter)))
        yield* Effect.yieldNow()
        yield* Deferred.succeed(waiterFiber, waiter)
        yield* Fiber.join(holder)
        const exit = yield* Fiber.await(waiter)
        assert.isTrue(Exit.isInterrupted(exit))
        assert.isFalse(yield* Deferred.isDone(waiterRan))
        assert.deepStrictEqual(yield* idle(limiter), { inFlight: 0, waiting: 0 })
      }))

    it.effect("under TaskGroup fail-fast: holders and waiters are interrupted, nothing leaks", () =>
      Effect.gen(function*() {
        const limiter = yield* Limiter.make({ permits: 3, label: "fail-fast" })
        const exit = yield* TaskGroup.run((group) =>
          Effect.gen(function*() {
            for (let i = 0; i < 10; i++) {
              const job = i === 4 ?
                Effect.zipRight(Effect.sleep("50 millis"), Effect.fail("job 4 failed" as const)) :
                Effect.sleep("1 second")
              yield* TaskGroup.spawn(group, job.pipe(Limiter.withPermit(limiter)))
            }
          })
        ).pipe(Effect.exit, Effect.fork)
        yield* TestClock.adjust("1 second")
        // 3 hold, 7 wait; job 4 never even gets a permit until the first three finish at 1 s.
        yield* TestClock.adjust("60 millis")
        const result = yield* Fiber.join(exit)
        assert.strictEqual(failureOf(result), "job 4 failed")
        const stats = yield* Limiter.statistics(limiter)
        assert.strictEqual(stats.inFlight, 0)
        assert.strictEqual(stats.waiting, 0)
        assert.strictEqual(stats.waitingPermits, 0)
        assert.strictEqual(stats.peakInFlight, 3)
      }))
  })

  describe("tryWithPermits", () => {
    it.effect("runs when permits are free and fails fast with LimiterBusyError otherwise", () =>
      Effect.gen(function*() {
        const limiter = yield* Limiter.make({ permits: 2, label: "api" })
        assert.strictEqual(yield* Effect.succeed("ok").pipe(Limiter.tryWithPermits(limiter, 2)), "ok")
        const holder = yield* Effect.fork(Effect.never.pipe(Limiter.withPermits(limiter, 2)))
        yield* Effect.yieldNow()
        const busy = yield* Effect.flip(Effect.succeed("ok").pipe(Limiter.tryWithPermits(limiter, 1)))
        assert.strictEqual(busy._tag, "LimiterBusyError")
        assert.strictEqual(
          busy.message,
          "Limiter \"api\": 1 permit(s) requested without waiting, but 0 free and 0 fiber(s) queued ahead"
        )
        yield* Fiber.interrupt(holder)
      }))

    it.effect("does not jump the queue even when the permits it wants are free", () =>
      Effect.gen(function*() {
        const limiter = yield* Limiter.make({ permits: 3 })
        const holder = yield* Effect.fork(Effect.never.pipe(Limiter.withPermits(limiter, 2)))
        yield* Effect.yieldNow()
        const queued = yield* Effect.fork(Effect.void.pipe(Limiter.withPermits(limiter, 3)))
        yield* Effect.yieldNow()
        const busy = yield* Effect.flip(Effect.void.pipe(Limiter.tryWithPermits(limiter, 1)))
        assert.strictEqual(busy._tag, "LimiterBusyError")
        assert.strictEqual((busy as Limiter.LimiterBusyError).waiting, 1)
        yield* Fiber.interrupt(holder)
        yield* Fiber.join(queued)
      }))
  })

  describe("resize", () => {
    it.effect("growing admits waiters at once; shrinking holds new work back", () =>
      Effect.gen(function*() {
        const limiter = yield* Limiter.make({ permits: 1 })
        const gate = yield* Deferred.make<void>()
        const fibers = yield* Effect.forEach(
          [1, 2, 3, 4],
          () => Effect.fork(Deferred.await(gate).pipe(Limiter.withPermit(limiter)))
        )
        yield* Effect.yieldNow()
        assert.strictEqual((yield* Limiter.statistics(limiter)).inFlight, 1)
        yield* Limiter.resize(limiter, 3)
        yield* Effect.yieldNow()
        assert.deepStrictEqual(yield* idle(limiter), { inFlight: 3, waiting: 1 })
        yield* Limiter.resize(limiter, 1)
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.joinAll(fibers)
        const stats = yield* Limiter.statistics(limiter)
        assert.strictEqual(stats.capacity, 1)
        assert.strictEqual(stats.peakInFlight, 3)
        assert.strictEqual(stats.totalAcquired, 4)
      }))

    it.effect("shrinking below a queued request fails that request instead of leaving it to hang", () =>
      Effect.gen(function*() {
        const limiter = yield* Limiter.make({ permits: 4 })
        const holder = yield* Effect.fork(Effect.never.pipe(Limiter.withPermits(limiter, 1)))
        yield* Effect.yieldNow()
        const big = yield* Effect.fork(Effect.void.pipe(Limiter.withPermits(limiter, 4)))
        yield* Effect.yieldNow()
        yield* Limiter.resize(limiter, 2)
        const error = failureOf(yield* Fiber.await(big))
        assert.strictEqual(error?._tag, "InvalidArgumentError")
        assert.match(error!.message, /capacity of 2 \(it was resized below this request while waiting\), got 4/)
        yield* Fiber.interrupt(holder)
        assert.deepStrictEqual(yield* idle(limiter), { inFlight: 0, waiting: 0 })
      }))
  })

  it.effect("acquireScoped holds the permits for the scope's lifetime", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.make({ permits: 2 })
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Limiter.acquireScoped(limiter, 2)
        assert.strictEqual((yield* Limiter.statistics(limiter)).inFlight, 2)
      }))
      assert.strictEqual((yield* Limiter.statistics(limiter)).inFlight, 0)
    }))

  it.effect("statistics are also Metrics, tagged with the label", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.make({ permits: 5, label: "metrics-test", metrics: true })
      const gate = yield* Deferred.make<void>()
      const fibers = yield* Effect.forEach(
        [2, 2, 3],
        (n) => Effect.fork(Deferred.await(gate).pipe(Limiter.withPermits(limiter, n)))
      )
      yield* Effect.yieldNow()
      const metrics = Limiter.metrics("metrics-test")
      const inFlight = yield* Metric.value(metrics.inFlight)
      const waiting = yield* Metric.value(metrics.waiting)
      assert.strictEqual(inFlight.value, 4)
      assert.strictEqual(waiting.value, 1)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.joinAll(fibers)
      const peak = yield* Metric.value(metrics.peakInFlight)
      const acquired = yield* Metric.value(metrics.acquired)
      assert.strictEqual(peak.value, 5)
      assert.strictEqual(acquired.count, 7)
      assert.strictEqual((yield* Metric.value(metrics.inFlight)).value, 0)
      // The same metric, looked up by name and tag, for an exporter that does not know fiberkit.
      const byName = Metric.gauge("fiberkit_limiter_waiting", { description: "fibers waiting for permits" }).pipe(
        Metric.tagged("limiter", "metrics-test")
      )
      assert.strictEqual((yield* Metric.value(byName)).value, 0)
    }))

  it.effect("toString and toJSON show the counters", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.make({ permits: 2, label: "json" })
      assert.deepStrictEqual((limiter.toJSON() as { capacity: number }).capacity, 2)
      assert.match(String(limiter), /"label": "json"/)
      assert.isTrue(Limiter.isLimiter(limiter))
      assert.isFalse(Limiter.isLimiter({}))
    }))

  describe("forEach: bounded processing with a fixed pool of workers", () => {
    it.effect("keeps input order, runs at most `concurrency` at once, pulls lazily", () =>
      Effect.gen(function*() {
        let pulled = 0
        function* items() {
          for (let i = 0; i < 1000; i++) {
            pulled++
            yield i
          }
        }
        let running = 0
        let peak = 0
        let maxAhead = 0
        let done = 0
        const fiber = yield* Limiter.forEach(items(), (i) =>
          Effect.gen(function*() {
            running++
            peak = Math.max(peak, running)
            maxAhead = Math.max(maxAhead, pulled - done)
            yield* Effect.sleep(i % 7)
            running--
            done++
            return i * 2
          }), { concurrency: 8 }).pipe(Effect.fork)
        yield* TestClock.adjust("10 seconds")
        const results = yield* Fiber.join(fiber)
        assert.strictEqual(results.length, 1000)
        assert.isTrue(results.every((r, i) => r === i * 2))
        assert.strictEqual(peak, 8)
        // Never more than `concurrency` items taken from the iterator but not finished.
        assert.isAtMost(maxAhead, 8)
      }), { timeout: 30_000 })

    it.effect("the first failure stops the pool: running items are interrupted, no new item starts", () =>
      Effect.gen(function*() {
        const started: Array<number> = []
        const interrupted: Array<number> = []
        const fiber = yield* Limiter.forEach(
          Array.from({ length: 100 }, (_, i) => i),
          (i) =>
            Effect.sync(() => started.push(i)).pipe(
              Effect.zipRight(i === 2 ? Effect.delay(Effect.fail(`item ${i}`), "5 millis") : Effect.sleep("1 second")),
              Effect.onInterrupt(() => Effect.sync(() => interrupted.push(i)))
            ),
          { concurrency: 4, discard: true }
        ).pipe(Effect.exit, Effect.fork)
        yield* TestClock.adjust("5 millis")
        const exit = yield* Fiber.join(fiber)
        assert.strictEqual(failureOf(exit), "item 2")
        assert.deepStrictEqual(started, [0, 1, 2, 3])
        assert.sameMembers(interrupted, [0, 1, 3])
      }))

    it.effect("with a limiter: every item holds one of its permits (a cap shared with other work)", () =>
      Effect.gen(function*() {
        const limiter = yield* Limiter.make({ permits: 3 })
        const other = yield* Effect.fork(Effect.sleep("1 second").pipe(Limiter.withPermits(limiter, 2)))
        yield* Effect.yieldNow()
        let running = 0
        let peak = 0
        const fiber = yield* Limiter.forEach(
          [1, 2, 3, 4, 5, 6],
          (i) =>
            Effect.gen(function*() {
              running++
              peak = Math.max(peak, running)
              yield* Effect.sleep("10 millis")
              running--
              return i
            }),
          { limiter }
        ).pipe(Effect.fork)
        // One permit is left while `other` holds two: the six items run one at a time, 60 ms in all.
        yield* TestClock.adjust("59 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
        yield* TestClock.adjust("1 millis")
        assert.deepStrictEqual(yield* Fiber.join(fiber), [1, 2, 3, 4, 5, 6])
        assert.strictEqual(peak, 1)
        assert.strictEqual((yield* Limiter.statistics(limiter)).peakInFlight, 3)
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(other)
      }))

    it.effect("a million items with discard: true, in bounded memory", () =>
      Effect.gen(function*() {
        function* items() {
          for (let i = 0; i < 1_000_000; i++) yield i
        }
        let sum = 0
        yield* Limiter.forEach(items(), (i) =>
          Effect.sync(() => {
            sum += i
          }), { concurrency: 100, discard: true })
        assert.strictEqual(sum, (1_000_000 * 999_999) / 2)
      }), { timeout: 30_000 })

    it.effect("bad options are typed errors", () =>
      Effect.gen(function*() {
        const noConcurrency = yield* Effect.flip(Limiter.forEach([1], Effect.succeed, {}))
        assert.strictEqual(noConcurrency.argument, "concurrency")
        const zero = yield* Effect.flip(Limiter.forEach([1], Effect.succeed, { concurrency: 0 }))
        assert.match(zero.message, /Limiter.forEach: concurrency must be a positive integer, got 0/)
        const notIterable = yield* Effect.flip(
          Limiter.forEach(42 as unknown as Array<number>, Effect.succeed, { concurrency: 1 })
        )
        assert.strictEqual(notIterable.argument, "items")
        const badBatch = yield* Effect.flip(Limiter.forEachBatch([1], Effect.succeed, { size: 0 }))
        assert.strictEqual(badBatch.operation, "Limiter.forEachBatch")
        const badBatchConcurrency = yield* Effect.flip(
          Limiter.forEachBatch([1], Effect.succeed, { size: 2, concurrency: -1 })
        )
        assert.strictEqual(badBatchConcurrency.argument, "concurrency")
      }))
  })

  describe("forEachBatch", () => {
    it.effect("cuts the input into batches and runs them in order", () =>
      Effect.gen(function*() {
        const seen: Array<ReadonlyArray<number>> = []
        const result = yield* Limiter.forEachBatch([1, 2, 3, 4, 5], (batch, index) =>
          Effect.sync(() => {
            seen.push(batch)
            return `${index}:${batch.length}`
          }), { size: 2 })
        assert.deepStrictEqual(result, ["0:2", "1:2", "2:1"])
        assert.deepStrictEqual(seen, [[1, 2], [3, 4], [5]])
      }))

    it.effect("runs `concurrency` batches at once", () =>
      Effect.gen(function*() {
        const fiber = yield* Limiter.forEachBatch(
          Array.from({ length: 10 }, (_, i) => i),
          (batch) => Effect.as(Effect.sleep("100 millis"), batch.length),
          { size: 3, concurrency: 2 }
        ).pipe(Effect.fork)
        yield* TestClock.adjust("199 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "4 batches, 2 at a time: 200 ms")
        yield* TestClock.adjust("1 millis")
        assert.deepStrictEqual(yield* Fiber.join(fiber), [3, 3, 3, 1])
      }))
  })

  it.effect("waiters queued in thousands are served in order with no herd", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.make({ permits: 1 })
      const order: Array<number> = []
      yield* Effect.forEach(
        Array.from({ length: 5000 }, (_, i) => i),
        (i) => Effect.sync(() => order.push(i)).pipe(Effect.zipLeft(Effect.yieldNow()), Limiter.withPermit(limiter)),
        { concurrency: "unbounded", discard: true }
      )
      assert.strictEqual(order.length, 5000)
      assert.isTrue(order.every((v, i) => v === i))
      assert.strictEqual(Chunk.size(Chunk.fromIterable(order)), 5000)
    }))
})
