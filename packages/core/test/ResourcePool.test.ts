import { assert, describe, it } from "@effect/vitest"
import { Deadline, InvalidArgument, ResourcePool } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"

const failuresOf = (exit: Exit.Exit<unknown, unknown>): Array<unknown> =>
  Exit.isFailure(exit) ? Chunk.toArray(Cause.failures(exit.cause)) : []

interface Conn {
  readonly id: number
  healthy: boolean
}

// A fake connection factory: records opens and closes, so tests can check nothing leaks.
const factory = () => {
  const state = { next: 0, open: new Set<number>(), opened: 0, closed: 0 }
  const acquire = Effect.acquireRelease(
    Effect.sync((): Conn => {
      const id = ++state.next
      state.open.add(id)
      state.opened++
      return { id, healthy: true }
    }),
    (conn) =>
      Effect.sync(() => {
        state.open.delete(conn.id)
        state.closed++
      })
  )
  return { state, acquire }
}

describe("ResourcePool", () => {
  it.effect("keeps min warm, never exceeds max, and releases everything when its scope closes", () =>
    Effect.gen(function*() {
      const { acquire, state } = factory()
      const scope = yield* Scope.make()
      const pool = yield* Scope.extend(ResourcePool.make({ acquire, min: 2, max: 3, label: "db" }), scope)
      yield* Effect.repeatN(Effect.yieldNow(), 5)
      assert.strictEqual(state.opened, 2, "min resources are created at start")
      // 10 borrowers, each holding a connection for 10 ms.
      const fiber = yield* Effect.fork(Effect.forEach(
        Array.from({ length: 10 }, (_, i) => i),
        () => ResourcePool.use(pool, (conn) => Effect.as(Effect.sleep("10 millis"), conn.id)),
        { concurrency: "unbounded" }
      ))
      yield* Effect.repeatN(Effect.yieldNow(), 20)
      const busy = yield* ResourcePool.statistics(pool)
      assert.strictEqual(busy.inUse, 3)
      assert.strictEqual(busy.waiting, 7)
      assert.strictEqual(busy.size, 3)
      yield* TestClock.adjust("40 millis")
      const ids = yield* Fiber.join(fiber)
      assert.strictEqual(ids.length, 10)
      assert.isTrue(ids.every((id) => id >= 1 && id <= 3), "only the 3 pooled connections were used")
      const done = yield* ResourcePool.statistics(pool)
      assert.deepStrictEqual(
        {
          inUse: done.inUse,
          waiting: done.waiting,
          peakInUse: done.peakInUse,
          peakSize: done.peakSize,
          borrowed: done.borrowed
        },
        { inUse: 0, waiting: 0, peakInUse: 3, peakSize: 3, borrowed: 10 }
      )
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(state.open.size, 0, "every connection was closed")
      assert.strictEqual(state.closed, state.opened)
    }))

  it.scoped("idle resources above min are released after idleTimeToLive", () =>
    Effect.gen(function*() {
      const { acquire, state } = factory()
      const pool = yield* ResourcePool.make({ acquire, min: 1, max: 4, idleTimeToLive: "1 second" })
      const burst = yield* Effect.fork(Effect.forEach(
        [1, 2, 3, 4],
        () => ResourcePool.use(pool, () => Effect.sleep("10 millis")),
        { concurrency: "unbounded" }
      ))
      yield* TestClock.adjust("10 millis")
      yield* Fiber.join(burst)
      assert.strictEqual((yield* ResourcePool.statistics(pool)).size, 4)
      yield* TestClock.adjust("2 seconds")
      yield* Effect.repeatN(Effect.yieldNow(), 10)
      const stats = yield* ResourcePool.statistics(pool)
      assert.strictEqual(stats.size, 1, "shrunk back to min")
      assert.strictEqual(state.open.size, 1)
    }))

  it.scoped("a borrower waits at most acquireTimeout, then fails with TimeoutExceeded", () =>
    Effect.gen(function*() {
      const { acquire } = factory()
      const pool = yield* ResourcePool.make({ acquire, max: 1, acquireTimeout: "100 millis", label: "db" })
      const holder = yield* Effect.fork(ResourcePool.use(pool, () => Effect.sleep("1 second")))
      yield* Effect.repeatN(Effect.yieldNow(), 5)
      const waiter = yield* Effect.fork(Effect.exit(ResourcePool.use(pool, (conn) => Effect.succeed(conn.id))))
      yield* TestClock.adjust("100 millis")
      const exit = yield* Fiber.join(waiter)
      const error = failuresOf(exit)[0]
      assert.isTrue(Deadline.isTimeoutExceeded(error))
      assert.strictEqual((error as Deadline.TimeoutExceeded).label, "db: acquire")
      const stats = yield* ResourcePool.statistics(pool)
      assert.deepStrictEqual({ acquireTimeouts: stats.acquireTimeouts, waiting: stats.waiting, inUse: stats.inUse }, {
        acquireTimeouts: 1,
        waiting: 0,
        inUse: 1
      })
      yield* TestClock.adjust("900 millis")
      yield* Fiber.join(holder)
      assert.strictEqual((yield* ResourcePool.statistics(pool)).inUse, 0)
    }))

  it.scoped("a resource that fails the health check is destroyed and another one is lent", () =>
    Effect.gen(function*() {
      const { acquire, state } = factory()
      const pool = yield* ResourcePool.make({
        acquire,
        min: 1,
        max: 2,
        healthCheck: (conn) => Effect.succeed(conn.healthy)
      })
      const first = yield* ResourcePool.use(pool, (conn) => Effect.sync(() => (conn.healthy = false, conn.id)))
      const second = yield* ResourcePool.use(pool, (conn) => Effect.succeed(conn.id))
      assert.notStrictEqual(second, first)
      const stats = yield* ResourcePool.statistics(pool)
      assert.strictEqual(stats.unhealthy, 1)
      assert.isFalse(state.open.has(first), "the unhealthy connection was closed")
    }))

  it.scoped("when even fresh resources are unhealthy, borrowing fails with UnhealthyResourceError", () =>
    Effect.gen(function*() {
      const { acquire } = factory()
      const pool = yield* ResourcePool.make({ acquire, max: 2, healthCheck: () => Effect.succeed(false), label: "db" })
      const exit = yield* Effect.exit(ResourcePool.use(pool, () => Effect.void))
      const error = failuresOf(exit)[0] as ResourcePool.UnhealthyResourceError
      assert.strictEqual(error._tag, "UnhealthyResourceError")
      assert.strictEqual(error.attempts, 3)
      assert.match(error.message, /^db: 3 resources in a row failed the health check/)
    }))

  it.scoped("an invalidated resource is never lent again; an interrupted borrower gives its resource back", () =>
    Effect.gen(function*() {
      const { acquire, state } = factory()
      const pool = yield* ResourcePool.make({ acquire, max: 1 })
      const first = yield* ResourcePool.use(pool, (conn) => Effect.as(ResourcePool.invalidate(pool, conn), conn.id))
      const second = yield* ResourcePool.use(pool, (conn) => Effect.succeed(conn.id))
      assert.notStrictEqual(first, second)
      assert.isFalse(state.open.has(first))
      const borrower = yield* Effect.fork(ResourcePool.use(pool, () => Effect.never))
      yield* Effect.repeatN(Effect.yieldNow(), 5)
      assert.strictEqual((yield* ResourcePool.statistics(pool)).inUse, 1)
      yield* Fiber.interrupt(borrower)
      assert.strictEqual((yield* ResourcePool.statistics(pool)).inUse, 0)
      assert.strictEqual(yield* ResourcePool.use(pool, (conn) => Effect.succeed(conn.id)), second)
    }))

  it.effect("bad options are a typed InvalidArgumentError", () =>
    Effect.gen(function*() {
      const { acquire } = factory()
      const argumentOf = (effect: Effect.Effect<unknown, unknown, Scope.Scope>) =>
        Effect.scoped(Effect.map(Effect.flip(effect), (e) => {
          assert.isTrue(InvalidArgument.isInvalidArgumentError(e), String(e))
          return (e as InvalidArgument.InvalidArgumentError).argument
        }))
      assert.strictEqual(yield* argumentOf(ResourcePool.make({ acquire, max: 0 })), "max")
      assert.strictEqual(yield* argumentOf(ResourcePool.make({ acquire, min: 3, max: 2 })), "max")
      assert.strictEqual(yield* argumentOf(ResourcePool.make({ acquire, min: -1, max: 2 })), "min")
      assert.strictEqual(
        yield* argumentOf(ResourcePool.make({ acquire, max: 2, idleTimeToLive: -5 })),
        "idleTimeToLive"
      )
      assert.strictEqual(
        yield* argumentOf(ResourcePool.make({ acquire, max: 2, acquireTimeout: "x" as any })),
        "acquireTimeout"
      )
      assert.strictEqual(
        yield* argumentOf(ResourcePool.make({ acquire, max: 2, healthCheck: 1 as any })),
        "healthCheck"
      )
      assert.strictEqual(yield* argumentOf(ResourcePool.make({ acquire: "x" as any, max: 2 })), "acquire")
      assert.strictEqual(yield* argumentOf(ResourcePool.make(undefined as any)), "options")
      assert.strictEqual(yield* argumentOf(ResourcePool.use({} as any, () => Effect.void)), "pool")
      assert.strictEqual(yield* argumentOf(ResourcePool.statistics(null as any)), "pool")
    }))
})

// PEP 789: in Python, yielding from inside `async with timeout():` lets the consumer's time count
// against the producer's timeout. The Stream version: a deadline around a producer that pushes into
// a bounded buffer also measures how long the consumer takes, because the producer waits on it.
describe("PEP 789 with Streams: where the deadline goes", () => {
  // Producing an element takes 10 ms; consuming one takes 50 ms; the buffer holds 1.
  const produce = (i: number) => Effect.as(Effect.sleep("10 millis"), i)
  const consume = (seen: Array<number>) => (i: number) => Effect.sleep("50 millis").pipe(Effect.tap(() => seen.push(i)))

  it.scoped("broken: a deadline around a pushing producer fires because the consumer is slow", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const queue = yield* Queue.bounded<number>(1)
      // Five elements need 50 ms of production; 100 ms looks generous.
      const producer = Effect.forEach([1, 2, 3, 4, 5], (i) => Effect.flatMap(produce(i), (n) => Queue.offer(queue, n)))
        .pipe(Deadline.timeout({ after: "100 millis", label: "producer" }), Effect.exit)
      const producerFiber = yield* Effect.fork(producer)
      const consumer = yield* Effect.fork(
        Stream.fromQueue(queue).pipe(Stream.take(5), Stream.runForEach(consume(seen)), Effect.exit)
      )
      yield* TestClock.adjust("100 millis")
      const exit = yield* Fiber.join(producerFiber)
      assert.strictEqual((failuresOf(exit)[0] as Deadline.TimeoutExceeded).label, "producer")
      assert.isBelow(seen.length, 5, "the producer was cut off by time the consumer spent")
      yield* Fiber.interrupt(consumer)
    }))

  it.effect("fixed: a deadline around each element's production measures only the producer", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const stream = Stream.fromIterable([1, 2, 3, 4, 5]).pipe(
        Stream.mapEffect((i) => Deadline.timeout(produce(i), { after: "20 millis", label: `produce ${i}` })),
        Stream.buffer({ capacity: 1 })
      )
      const fiber = yield* Effect.fork(Stream.runForEach(stream, consume(seen)))
      yield* TestClock.adjust("400 millis")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(seen, [1, 2, 3, 4, 5])
    }))

  it.effect("a deadline around the whole pipeline is a different, honest budget: it covers both sides", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const pipeline = Stream.fromIterable([1, 2, 3, 4, 5]).pipe(
        Stream.mapEffect(produce),
        Stream.runForEach(consume(seen)),
        Deadline.timeout({ after: "200 millis", label: "pipeline" })
      )
      const fiber = yield* Effect.fork(Effect.exit(pipeline))
      yield* TestClock.adjust("200 millis")
      const exit = yield* Fiber.join(fiber)
      assert.strictEqual((failuresOf(exit)[0] as Deadline.TimeoutExceeded).label, "pipeline")
      assert.isBelow(seen.length, 5)
    }))
})
