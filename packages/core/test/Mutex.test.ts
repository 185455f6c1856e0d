import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument, Mutex } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"

// The seed's race: read, yield to the scheduler, write back. Every increment reads before anyone writes.
const racyIncrement = (state: { count: number }) =>
  Effect.gen(function*() {
    const read = state.count
    yield* Effect.sleep("1 millis")
    state.count = read + 1
  })

describe("Mutex", () => {
  it.effect("without a lock 100 concurrent increments lose updates; withLock makes it 100", () =>
    Effect.gen(function*() {
      const racy = { count: 0 }
      const fiber = yield* Effect.fork(
        Effect.all(Array.from({ length: 100 }, () => racyIncrement(racy)), { concurrency: "unbounded" })
      )
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(fiber)
      assert.strictEqual(racy.count, 1, "every increment read 0 before any wrote")

      const safe = { count: 0 }
      const mutex = yield* Mutex.make({ label: "counter" })
      const locked = yield* Effect.fork(
        Effect.all(Array.from({ length: 100 }, () => racyIncrement(safe).pipe(Mutex.withLock(mutex))), {
          concurrency: "unbounded"
        })
      )
      yield* TestClock.adjust("100 millis")
      yield* Fiber.join(locked)
      assert.strictEqual(safe.count, 100)
      const stats = yield* Mutex.statistics(mutex)
      assert.deepStrictEqual(
        [stats.locked, stats.acquisitions, stats.contended, stats.peakWaiting, stats.waiting],
        [false, 100, 99, 99, 0]
      )
    }))

  it.effect("waiters are served in the order they asked (FIFO), with the owner tracked", () =>
    Effect.gen(function*() {
      const mutex = yield* Mutex.make()
      const order: Array<string> = []
      const holder = yield* Effect.fork(Mutex.withLock(Effect.sleep("10 millis"), mutex))
      yield* Effect.yieldNow()
      const owner = (yield* Mutex.statistics(mutex)).owner
      assert.isTrue(Option.isSome(owner) && owner.value.startsWith("#"))
      const waiters: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
      for (const name of ["a", "b", "c"]) {
        waiters.push(yield* Effect.fork(Mutex.withLock(Effect.sync(() => order.push(name)), mutex)))
        yield* Effect.yieldNow()
      }
      assert.strictEqual((yield* Mutex.statistics(mutex)).waiting, 3)
      yield* TestClock.adjust("10 millis")
      yield* Fiber.join(holder)
      yield* Fiber.joinAll(waiters)
      assert.deepStrictEqual(order, ["a", "b", "c"])
    }))

  it.effect("unlock by a fiber that does not hold it fails typed; so does locking twice", () =>
    Effect.gen(function*() {
      const mutex = yield* Mutex.make({ label: "ledger" })
      const notLocked = yield* Effect.flip(Mutex.unlock(mutex))
      assert.strictEqual(notLocked._tag, "MutexNotOwnerError")
      assert.match(notLocked.message, /cannot unlock Mutex "ledger": it is not locked/)

      yield* Mutex.lock(mutex)
      const other = yield* Effect.fork(Effect.flip(Mutex.unlock(mutex)))
      const stranger = yield* Fiber.join(other)
      assert.match(stranger.message, /cannot unlock Mutex "ledger": it is held by fiber #\d+/)
      const reentry = yield* Effect.flip(Mutex.lock(mutex))
      assert.strictEqual(reentry._tag, "MutexReentryError")
      assert.match(reentry.message, /already holding it/)
      yield* Mutex.unlock(mutex)
      assert.isFalse(yield* Mutex.isLocked(mutex))
    }))

  it.effect("interruption: a waiter leaves the line, an interrupted holder releases", () =>
    Effect.gen(function*() {
      const mutex = yield* Mutex.make()
      const holder = yield* Effect.fork(Mutex.withLock(Effect.never, mutex))
      yield* Effect.yieldNow()
      const waiter = yield* Effect.fork(Mutex.withLock(Effect.void, mutex))
      yield* Effect.yieldNow()
      assert.strictEqual((yield* Mutex.statistics(mutex)).waiting, 1)
      yield* Fiber.interrupt(waiter)
      assert.strictEqual((yield* Mutex.statistics(mutex)).waiting, 0, "the interrupted waiter left")
      yield* Fiber.interrupt(holder)
      assert.isFalse(yield* Mutex.isLocked(mutex), "the interrupted holder released")
      assert.strictEqual(yield* Mutex.withLock(Effect.succeed("free again"), mutex), "free again")
    }))

  it.effect("a failing body releases the lock and keeps its error", () =>
    Effect.gen(function*() {
      const mutex = yield* Mutex.make()
      const error = yield* Effect.flip(Mutex.withLock(Effect.fail("boom" as const), mutex))
      assert.strictEqual(error, "boom")
      assert.isFalse(yield* Mutex.isLocked(mutex))
    }))

  it.effect("bad options are an InvalidArgumentError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Mutex.make({ label: 42 as never }))
      assert.isTrue(InvalidArgument.isInvalidArgumentError(error))
      assert.match(error.message, /Mutex.make: options must be undefined or \{ label\?: string \}/)
    }))
})
