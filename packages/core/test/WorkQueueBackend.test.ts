import { assert, describe, it } from "@effect/vitest"
import type { InvalidArgument } from "@fiberkit/core"
import { WorkQueue } from "@fiberkit/core"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import { expectTypeOf } from "vitest"

class StoreError extends Data.TaggedError("StoreError")<{ readonly operation: string }> {}
class HandlerError extends Data.TaggedError("HandlerError")<{ readonly item: number }> {}

/**
 * A backend in front of an in-process queue (standing in for a shared store):
 * it records every call and can be switched to fail every operation with
 * `StoreError`.
 */
const recordingBackend = <A, E, M extends WorkQueue.FailureMode>(local: WorkQueue.WorkQueue<A, E, M>) => {
  const state = { calls: [] as Array<string>, failing: false }
  const guard = <X, XE>(call: string, effect: Effect.Effect<X, XE>): Effect.Effect<X, XE | StoreError> =>
    Effect.suspend((): Effect.Effect<X, XE | StoreError> => {
      state.calls.push(call)
      return state.failing ? Effect.fail(new StoreError({ operation: call.split(" ")[0]! })) : effect
    })
  const backend: WorkQueue.Backend<A, E, M, StoreError> = {
    label: "store",
    capacity: local.capacity,
    onFailure: local.onFailure,
    onClose: local.onClose,
    offer: (item) => guard(`offer ${item}`, WorkQueue.offer(local, item)),
    offerAll: (items) => {
      const all = [...items]
      return guard(`offerAll ${all.join(",")}`, WorkQueue.offerAll(local, all))
    },
    end: guard("end", WorkQueue.end(local)),
    awaitIdle: guard("awaitIdle", WorkQueue.awaitIdle(local)),
    shutdown: (mode) => guard(`shutdown ${mode}`, WorkQueue.shutdown(local, mode)),
    statistics: guard("statistics", WorkQueue.statistics(local)),
    failures: guard("failures", WorkQueue.failures(local))
  }
  return { backend, state, queue: WorkQueue.fromBackend(backend) }
}

const localQueue = <M extends WorkQueue.FailureMode>(onFailure: M, seen: Array<number>, capacity = 10) =>
  WorkQueue.make({
    capacity,
    workers: 2,
    handler: (n: number) =>
      n < 0 ? Effect.fail(new HandlerError({ item: n })) : Effect.sync(() => {
        seen.push(n)
      }),
    onFailure,
    onClose: "drain",
    label: "local"
  })

describe("WorkQueue backends", () => {
  describe("dispatch", () => {
    it.scoped("every module function goes through the backend (both forms of the dual ones)", () =>
      Effect.gen(function*() {
        const seen: Array<number> = []
        const { queue, state } = recordingBackend(yield* localQueue("collect", seen))
        assert.isTrue(WorkQueue.isWorkQueue(queue))
        assert.strictEqual(queue.label, "store")
        assert.strictEqual(queue.capacity, 10)
        assert.strictEqual(queue.onFailure, "collect")
        assert.strictEqual(queue.onClose, "drain")
        assert.isTrue(String(queue).includes("store"))

        yield* WorkQueue.offer(queue, 1)
        yield* queue.pipe(WorkQueue.offer(2))
        yield* WorkQueue.offerAll(queue, [3, -4])
        yield* queue.pipe(WorkQueue.offerAll([5]))
        yield* WorkQueue.awaitIdle(queue)
        const failures = yield* WorkQueue.failures(queue)
        assert.deepStrictEqual(failures.map((f) => f.item), [-4])
        yield* WorkQueue.end(queue)
        const stats = yield* WorkQueue.statistics(queue)
        assert.strictEqual(stats.offered, 5)
        assert.strictEqual(stats.processed, 5)
        const report = yield* WorkQueue.shutdown(queue, "drain")
        assert.strictEqual(report.processed + report.discarded, report.offered)
        const again = yield* queue.pipe(WorkQueue.shutdown("drain"))
        assert.deepStrictEqual(again, report)
        assert.deepStrictEqual([...seen].sort(), [1, 2, 3, 5])
        assert.deepStrictEqual(state.calls, [
          "offer 1",
          "offer 2",
          "offerAll 3,-4",
          "offerAll 5",
          "awaitIdle",
          "failures",
          "end",
          "statistics",
          "shutdown drain",
          "shutdown drain"
        ])
      }))
  })

  describe("bad input", () => {
    it.scoped("the shutdown mode is validated before the backend is called", () =>
      Effect.gen(function*() {
        const { queue, state } = recordingBackend(yield* localQueue("collect", []))
        const error = yield* Effect.flip(WorkQueue.shutdown(queue, "later" as never))
        assert.strictEqual(error._tag, "InvalidArgumentError")
        assert.strictEqual((error as InvalidArgument.InvalidArgumentError).argument, "mode")
        assert.deepStrictEqual(state.calls, [])
      }))

    it.scoped("fromBackend rejects an object that is not a backend, naming the member", () =>
      Effect.gen(function*() {
        const { backend } = recordingBackend(yield* localQueue("collect", []))
        assert.throws(
          () => WorkQueue.fromBackend({ ...backend, offerAll: undefined } as never),
          /WorkQueue\.fromBackend: backend\.offerAll must be a function/
        )
        assert.throws(
          () => WorkQueue.fromBackend({ ...backend, awaitIdle: 1 } as never),
          /backend\.awaitIdle must be an Effect/
        )
        assert.throws(
          () => WorkQueue.fromBackend({ ...backend, capacity: 0 }),
          /backend\.capacity must be a positive integer/
        )
        assert.throws(
          () => WorkQueue.fromBackend({ ...backend, onClose: "never" as never }),
          /backend\.onClose must be one of/
        )
      }))
  })

  describe("store errors are typed S and reach the caller", () => {
    it.scoped("every module function fails with the backend's error", () =>
      Effect.gen(function*() {
        const { queue, state } = recordingBackend(yield* localQueue("fail-fast", []))
        expectTypeOf(queue).toEqualTypeOf<WorkQueue.WorkQueue<number, HandlerError, "fail-fast", StoreError>>()
        expectTypeOf(WorkQueue.offer(queue, 1)).toEqualTypeOf<
          Effect.Effect<void, WorkQueue.WorkQueueClosedError | StoreError>
        >()
        expectTypeOf(WorkQueue.offerAll(queue, [1])).toEqualTypeOf<
          Effect.Effect<void, WorkQueue.WorkQueueClosedError | StoreError>
        >()
        expectTypeOf(WorkQueue.end(queue)).toEqualTypeOf<Effect.Effect<void, StoreError>>()
        expectTypeOf(WorkQueue.awaitIdle(queue)).toEqualTypeOf<Effect.Effect<void, HandlerError | StoreError>>()
        expectTypeOf(WorkQueue.shutdown(queue, "drain")).toEqualTypeOf<
          Effect.Effect<WorkQueue.ShutdownReport<number>, InvalidArgument.InvalidArgumentError | StoreError>
        >()
        expectTypeOf(WorkQueue.statistics(queue)).toEqualTypeOf<Effect.Effect<WorkQueue.Statistics, StoreError>>()
        expectTypeOf(WorkQueue.failures(queue)).toEqualTypeOf<
          Effect.Effect<ReadonlyArray<WorkQueue.ItemFailure<number, HandlerError>>, StoreError>
        >()
        state.failing = true
        const errors = [
          yield* Effect.flip(WorkQueue.offer(queue, 1)),
          yield* Effect.flip(WorkQueue.offerAll(queue, [1, 2])),
          yield* Effect.flip(WorkQueue.end(queue)),
          yield* Effect.flip(WorkQueue.awaitIdle(queue)),
          yield* Effect.flip(WorkQueue.shutdown(queue, "discard")),
          yield* Effect.flip(WorkQueue.statistics(queue)),
          yield* Effect.flip(WorkQueue.failures(queue))
        ]
        assert.deepStrictEqual(errors.map((e) => e._tag), Array(7).fill("StoreError"))
        assert.deepStrictEqual(
          errors.map((e) => (e as StoreError).operation),
          ["offer", "offerAll", "end", "awaitIdle", "shutdown", "statistics", "failures"]
        )
        const recovered = yield* WorkQueue.offer(queue, 1).pipe(
          Effect.catchTag("StoreError", (e) => Effect.succeed(e.operation))
        )
        assert.strictEqual(recovered, "offer")
      }))

    it.scoped("a local queue has S = never: its error channels are what they were", () =>
      Effect.gen(function*() {
        const queue = yield* localQueue("collect", [])
        expectTypeOf(queue).toEqualTypeOf<WorkQueue.WorkQueue<number, HandlerError, "collect", never>>()
        expectTypeOf(WorkQueue.end(queue)).toEqualTypeOf<Effect.Effect<void>>()
        expectTypeOf(WorkQueue.awaitIdle(queue)).toEqualTypeOf<Effect.Effect<void>>()
        expectTypeOf(WorkQueue.statistics(queue)).toEqualTypeOf<Effect.Effect<WorkQueue.Statistics>>()
      }))
  })

  describe("interruption", () => {
    it.scoped("a producer waiting for room in the backend is interrupted: its item was never accepted", () =>
      Effect.gen(function*() {
        const seen: Array<number> = []
        const local = yield* WorkQueue.make({
          capacity: 1,
          workers: 1,
          handler: (n: number) => n === 0 ? Effect.never : Effect.sync(() => seen.push(n)),
          onFailure: "collect",
          onClose: "discard"
        })
        const { queue } = recordingBackend(local)
        yield* WorkQueue.offer(queue, 0)
        // The worker holds item 0 forever; item 1 fills the queue; item 2 waits for room.
        for (let turn = 0; turn < 100 && (yield* WorkQueue.statistics(queue)).inFlight === 0; turn++) {
          yield* Effect.yieldNow()
        }
        yield* WorkQueue.offer(queue, 1)
        const producer = yield* Effect.fork(WorkQueue.offer(queue, 2))
        for (let turn = 0; turn < 100 && (yield* WorkQueue.statistics(queue)).waitingOffers === 0; turn++) {
          yield* Effect.yieldNow()
        }
        assert.strictEqual((yield* WorkQueue.statistics(queue)).waitingOffers, 1)
        yield* Fiber.interrupt(producer)
        const stats = yield* WorkQueue.statistics(queue)
        assert.strictEqual(stats.offered, 2)
        assert.strictEqual(stats.waitingOffers, 0)
        const report = yield* WorkQueue.shutdown(queue, "discard")
        assert.deepStrictEqual([...report.discardedItems].sort(), [0, 1])
        assert.strictEqual(report.processed + report.discarded, report.offered)
        assert.deepStrictEqual(seen, [])
      }))
  })

  describe("layers", () => {
    class Jobs
      extends Context.Tag("test/Jobs")<Jobs, WorkQueue.WorkQueue<number, HandlerError, "collect", StoreError>>()
    {}

    const program = Effect.gen(function*() {
      const jobs = yield* Jobs
      yield* WorkQueue.offerAll(jobs, [1, 2, -3])
      yield* WorkQueue.awaitIdle(jobs)
      return { jobs, stats: yield* WorkQueue.statistics(jobs), failures: yield* WorkQueue.failures(jobs) }
    })

    it.effect("layer provides the local implementation through the tag and shuts it down with the layer", () =>
      Effect.gen(function*() {
        const seen: Array<number> = []
        const layer = WorkQueue.layer(Jobs, {
          capacity: 10,
          workers: 2,
          handler: (n: number) =>
            n < 0 ? Effect.fail(new HandlerError({ item: n })) : Effect.sync(() => {
              seen.push(n)
            }),
          onFailure: "collect",
          onClose: "drain",
          label: "local"
        })
        expectTypeOf(layer).toEqualTypeOf<Layer.Layer<Jobs, InvalidArgument.InvalidArgumentError>>()
        const { failures, jobs, stats } = yield* Effect.provide(program, layer)
        assert.strictEqual(jobs.label, "local")
        assert.strictEqual(stats.processed, 3)
        assert.deepStrictEqual(failures.map((f) => f.item), [-3])
        assert.deepStrictEqual([...seen].sort(), [1, 2])
        // The layer's scope has ended: the queue was shut down (drained), so offers are refused.
        const late = yield* Effect.flip(WorkQueue.offer(jobs, 4))
        assert.strictEqual(late._tag, "WorkQueueClosedError")
        const bad = yield* Effect.flip(Effect.provide(
          program,
          WorkQueue.layer(Jobs, {
            capacity: 0,
            workers: 1,
            handler: () => Effect.void,
            onFailure: "collect",
            onClose: "drain"
          })
        ))
        assert.strictEqual(bad._tag, "InvalidArgumentError")
      }))

    it.effect("layer: the handler's requirements become the layer's", () =>
      Effect.gen(function*() {
        class Store extends Context.Tag("test/Store")<Store, { readonly save: (n: number) => Effect.Effect<void> }>() {}
        const saved: Array<number> = []
        const layer = WorkQueue.layer(Jobs, {
          capacity: 4,
          workers: 1,
          handler: (n: number) => Effect.flatMap(Store, (store) => store.save(n)),
          onFailure: "collect",
          onClose: "drain"
        })
        expectTypeOf(layer).toEqualTypeOf<Layer.Layer<Jobs, InvalidArgument.InvalidArgumentError, Store>>()
        const { stats } = yield* program.pipe(
          Effect.provide(layer),
          Effect.provideService(Store, { save: (n) => Effect.sync(() => saved.push(n)) })
        )
        assert.strictEqual(stats.succeeded, 3)
        assert.deepStrictEqual(saved, [1, 2, -3])
      }))

    it.scoped("a WorkQueue with S = never satisfies a program typed for StoreError; the reverse does not compile", () =>
      Effect.gen(function*() {
        const local = yield* localQueue("collect", [])
        const widened: WorkQueue.WorkQueue<number, HandlerError, "collect", StoreError> = local
        expectTypeOf<WorkQueue.WorkQueue<number, HandlerError, "collect">>().toMatchTypeOf<
          WorkQueue.WorkQueue<number, HandlerError, "collect", StoreError>
        >()
        expectTypeOf<WorkQueue.WorkQueue<number, HandlerError, "collect", StoreError>>().not.toMatchTypeOf<
          WorkQueue.WorkQueue<number, HandlerError, "collect">
        >()
        const { queue: store } = recordingBackend(yield* localQueue("collect", []))
        // @ts-expect-error a store-backed queue is not a WorkQueue<..., never>: its errors would go untyped
        const narrowed: WorkQueue.WorkQueue<number, HandlerError, "collect"> = store
        void narrowed
        const onLocal = yield* Effect.provideService(program, Jobs, widened)
        const onStore = yield* Effect.provideService(program, Jobs, store)
        assert.strictEqual(onLocal.stats.processed, 3)
        assert.strictEqual(onStore.stats.processed, 3)
        expectTypeOf(program).toEqualTypeOf<
          Effect.Effect<
            {
              jobs: WorkQueue.WorkQueue<number, HandlerError, "collect", StoreError>
              stats: WorkQueue.Statistics
              failures: ReadonlyArray<WorkQueue.ItemFailure<number, HandlerError>>
            },
            WorkQueue.WorkQueueClosedError | StoreError,
            Jobs
          >
        >()
      }))
  })
})
