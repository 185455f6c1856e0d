/**
 * A bounded work queue with its own workers: the Effect counterpart of the
 * asyncio producer/consumer recipe (`asyncio.Queue(maxsize)`, N consumer
 * tasks, `queue.join()`, `task_done()`), without its sharp edges:
 *
 * - **backpressure**: `offer` waits while `capacity` items are queued;
 * - **N workers** run `handler` on each item; `task_done` is implicit, an item
 *   is done when its handler ends;
 * - **no sentinels**: the end of input is a state (`end`, `shutdown`), not a
 *   magic `None` pushed once per consumer;
 * - **`awaitIdle`** is `queue.join()`: it waits until every item offered so far
 *   has been processed (or discarded);
 * - **failures are reported**, in the mode chosen at construction:
 *   `"fail-fast"` stops the queue at the first failing handler, `"collect"`
 *   keeps going and records every failing item with its `Cause`;
 * - **shutdown is explicit and counted**: `"drain"` processes everything already
 *   offered, `"discard"` drops what is queued and interrupts what is running.
 *   Either way, once shut down, `processed + discarded = offered`, and the
 *   report lists the discarded items so nothing disappears silently.
 *
 * The items live in Effect's `Queue.bounded`; workers take them in small
 * batches (`takeUpTo`), which is both faster and fairer than one `take` per
 * item. fiberkit adds the workers, the end-of-input state, the accounting and
 * the shutdown policy.
 *
 * **Beyond one process.** `WorkQueue<A, E, M, S>` is an interface with
 * pluggable backends: `make` builds the in-process queue (`S = never`),
 * `fromBackend` wraps any other `Backend` (e.g. `@fiberkit/redis`'s
 * `RedisWorkQueue`, where producers and workers in several processes share
 * one queue), and the module functions work on both, adding the store's error
 * `S` to their error channel. A program written against a service tag typed
 * `WorkQueue<A, E, M, StoreError>` runs on `layer` (local) or on the store's
 * layer: only the `Layer` changes.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Inspectable from "effect/Inspectable"
import type * as Layer from "effect/Layer"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import type * as Types from "effect/Types"
import * as internal from "./internal/workQueue.js"
import type { InvalidArgumentError } from "./InvalidArgument.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId as TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * `"fail-fast"`: the first failing handler stops the queue (queued items are
 * discarded, running handlers interrupted) and `awaitIdle` fails with its error.
 * `"collect"`: every item is processed; failures are counted and kept.
 *
 * @since 0.1.0
 * @category models
 */
export type FailureMode = "fail-fast" | "collect"

/**
 * `"drain"`: stop taking new items, finish every item already offered.
 * `"discard"`: stop taking new items, drop the queued ones, interrupt the running ones.
 *
 * @since 0.1.0
 * @category models
 */
export type ShutdownMode = "drain" | "discard"

/**
 * The errors `awaitIdle` can fail with in mode `M` for a handler failing with `E`.
 *
 * @since 0.1.0
 * @category models
 */
export type FailureOf<M extends FailureMode, E> = M extends "fail-fast" ? E : never

/**
 * A queue of items `A` whose handler fails with `E`, in failure mode `M`, and
 * whose operations can fail with `S`, the error of the store that holds the
 * items: `never` for the in-process queue of `make`. `S` is covariant, so a
 * `WorkQueue<A, E, M, never>` is also a `WorkQueue<A, E, M, RedisError>`: a
 * program that asks for the latter runs on either.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkQueue<in out A, out E = never, M extends FailureMode = FailureMode, out S = never>
  extends Pipeable, Inspectable.Inspectable
{
  readonly [TypeId]: WorkQueue.Variance<A, E, S>
  readonly label: string | undefined
  readonly capacity: number
  readonly onFailure: M
  readonly onClose: ShutdownMode
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace WorkQueue {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Variance<in out A, out E, out S = never> {
    readonly _A: Types.Invariant<A>
    readonly _E: Types.Covariant<E>
    readonly _S: Types.Covariant<S>
  }
}

/**
 * Every choice is explicit: there is no default for what happens on failure
 * or when the scope closes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<A, E, R, M extends FailureMode> {
  /** How many items may wait in the queue before `offer` waits (a positive integer). */
  readonly capacity: number
  /** How many worker fibers run `handler` (a positive integer). */
  readonly workers: number
  /** Runs once per item. The item is done (asyncio's `task_done`) when this ends. */
  readonly handler: (item: A) => Effect.Effect<unknown, E, R>
  readonly onFailure: M
  /** What closing the enclosing `Scope` does if `shutdown` was not called. */
  readonly onClose: ShutdownMode
  /** Shown in errors and in `toString`. */
  readonly label?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Statistics {
  /** Items accepted (an offer that was interrupted or refused does not count). */
  readonly offered: number
  /** Waiting in the queue now. */
  readonly queued: number
  /** Handlers running now. */
  readonly inFlight: number
  readonly succeeded: number
  readonly failed: number
  /** `succeeded + failed`: the handler ran to its end. */
  readonly processed: number
  /** Dropped by a discard (or a fail-fast stop) before or while their handler ran. */
  readonly discarded: number
  /** Producers waiting for room (backpressure in action). */
  readonly waitingOffers: number
  readonly workers: number
  readonly workersRunning: number
  /** Items processed by each worker, in worker order: how evenly the work was shared. */
  readonly processedByWorker: ReadonlyArray<number>
  readonly capacity: number
  readonly peakQueued: number
}

/**
 * One failing item and how it failed.
 *
 * @since 0.1.0
 * @category models
 */
export interface ItemFailure<out A, out E> {
  readonly item: A
  readonly cause: Cause.Cause<E>
}

/**
 * What a shutdown did. `processed + discarded === offered` always holds.
 *
 * @since 0.1.0
 * @category models
 */
export interface ShutdownReport<out A> {
  readonly mode: ShutdownMode
  readonly offered: number
  readonly processed: number
  readonly succeeded: number
  readonly failed: number
  readonly discarded: number
  /** The items that were not processed, e.g. to store them for the next run. */
  readonly discardedItems: ReadonlyArray<A>
  /** In fail-fast mode, the failure that stopped the queue. */
  readonly failure: Cause.Cause<unknown> | undefined
}

/**
 * What a queue needs from the place its items live: implement it to run the
 * same programs over another store (`@fiberkit/redis` does, for Redis), then
 * wrap it with `fromBackend`. The module functions validate the shutdown mode
 * before calling it; each member has the meaning of the module function of
 * the same name, plus the store's error `S`.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { WorkQueue } from "@fiberkit/core"
 *
 * class StoreDown extends Data.TaggedError("StoreDown") {}
 *
 * // A store that cannot be reached: every operation fails with its own, typed error.
 * const down = Effect.fail(new StoreDown())
 * const unreachable: WorkQueue.Backend<string, never, "collect", StoreDown> = {
 *   label: "unreachable",
 *   capacity: 100,
 *   onFailure: "collect",
 *   onClose: "drain",
 *   offer: () => down,
 *   offerAll: () => down,
 *   end: down,
 *   awaitIdle: down,
 *   shutdown: () => down,
 *   statistics: down,
 *   failures: down
 * }
 *
 * const program = WorkQueue.offer(WorkQueue.fromBackend(unreachable), "job").pipe(
 *   Effect.catchTag("StoreDown", () => Effect.log("the shared queue is down: keep the job for later"))
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Backend<A, E, M extends FailureMode, S> {
  readonly label: string | undefined
  readonly capacity: number
  readonly onFailure: M
  readonly onClose: ShutdownMode
  readonly offer: (item: A) => Effect.Effect<void, WorkQueueClosedError | S>
  readonly offerAll: (items: Iterable<A>) => Effect.Effect<void, WorkQueueClosedError | S>
  readonly end: Effect.Effect<void, S>
  readonly awaitIdle: Effect.Effect<void, FailureOf<M, E> | S>
  /** `mode` is already validated. */
  readonly shutdown: (mode: ShutdownMode) => Effect.Effect<ShutdownReport<A>, InvalidArgumentError | S>
  readonly statistics: Effect.Effect<Statistics, S>
  readonly failures: Effect.Effect<ReadonlyArray<ItemFailure<A, E>>, S>
}

/**
 * Offering after `end`, `shutdown` or the scope's close (`reason: "closed"`),
 * or after a fail-fast stop (`reason: "failed"`).
 *
 * @since 0.1.0
 * @category errors
 */
export interface WorkQueueClosedError extends Cause.YieldableError {
  readonly _tag: "WorkQueueClosedError"
  readonly label: string | undefined
  readonly reason: "closed" | "failed"
}

/**
 * @example
 * ```ts
 * import { WorkQueue } from "@fiberkit/core"
 *
 * console.log(new WorkQueue.WorkQueueClosedError({ label: "crawl", reason: "closed" }).message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const WorkQueueClosedError: new(
  args: { readonly label: string | undefined; readonly reason: "closed" | "failed" }
) => WorkQueueClosedError = internal.WorkQueueClosedError

/**
 * @example
 * ```ts
 * import { WorkQueue } from "@fiberkit/core"
 *
 * console.log(WorkQueue.isWorkQueue({})) // false
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isWorkQueue: (u: unknown) => u is WorkQueue<unknown, unknown, FailureMode, unknown> = internal.isWorkQueue

/**
 * Creates the queue and starts its workers for the lifetime of the enclosing
 * `Scope`. When the scope closes, the queue shuts down as `onClose` says.
 * Bad options fail with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const queue = yield* WorkQueue.make({
 *     capacity: 100,
 *     workers: 4,
 *     handler: (n: number) => Effect.log(`item ${n}`),
 *     onFailure: "collect",
 *     onClose: "drain"
 *   })
 *   yield* WorkQueue.offerAll(queue, [1, 2, 3])
 *   yield* WorkQueue.awaitIdle(queue) // asyncio's queue.join()
 *   return yield* WorkQueue.shutdown(queue, "drain")
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <A, E, R, M extends FailureMode>(
  options: Options<A, E, R, M>
) => Effect.Effect<WorkQueue<A, E, M>, InvalidArgumentError, Scope.Scope | R> = internal.make

/**
 * A queue over any `Backend`: the module functions dispatch to it (the
 * in-process queue of `make` keeps its own fast path). Throws
 * `InvalidArgumentError` when `backend` lacks one of its members.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@fiberkit/core"
 *
 * // A backend in front of an in-process queue that counts what was offered through it.
 * const counting = <A, E, M extends WorkQueue.FailureMode>(
 *   queue: WorkQueue.WorkQueue<A, E, M>,
 *   counter: { offered: number }
 * ): WorkQueue.Backend<A, E, M, never> => ({
 *   label: "counting",
 *   capacity: queue.capacity,
 *   onFailure: queue.onFailure,
 *   onClose: queue.onClose,
 *   offer: (item) => Effect.tap(WorkQueue.offer(queue, item), () => counter.offered++),
 *   offerAll: (items) => Effect.forEach(items, (item) => Effect.tap(WorkQueue.offer(queue, item), () => counter.offered++), { discard: true }),
 *   end: WorkQueue.end(queue),
 *   awaitIdle: WorkQueue.awaitIdle(queue),
 *   shutdown: (mode) => WorkQueue.shutdown(queue, mode),
 *   statistics: WorkQueue.statistics(queue),
 *   failures: WorkQueue.failures(queue)
 * })
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const counter = { offered: 0 }
 *   const local = yield* WorkQueue.make({
 *     capacity: 10, workers: 2, handler: (n: number) => Effect.log(n), onFailure: "collect", onClose: "drain"
 *   })
 *   const queue = WorkQueue.fromBackend(counting(local, counter))
 *   yield* WorkQueue.offerAll(queue, [1, 2, 3])
 *   yield* WorkQueue.awaitIdle(queue)
 *   return counter.offered // 3
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromBackend: <A, E, M extends FailureMode, S>(backend: Backend<A, E, M, S>) => WorkQueue<A, E, M, S> =
  internal.fromBackend

/**
 * A layer with a new in-process queue (and its workers) for `tag`, living as
 * long as the layer. The tag may ask for a `WorkQueue<A, E, M, S>` with any
 * store error `S`: a local queue is one too, so the same program runs on this
 * layer in one process and on a shared store's layer (e.g.
 * `RedisWorkQueue.layer`) across many.
 *
 * @example
 * ```ts
 * import { Context, Effect } from "effect"
 * import { WorkQueue } from "@fiberkit/core"
 *
 * class StoreError extends Error {}
 * class Jobs extends Context.Tag("Jobs")<Jobs, WorkQueue.WorkQueue<string, never, "collect", StoreError>>() {}
 *
 * const produce = Effect.flatMap(Jobs, (jobs) =>
 *   Effect.zipRight(WorkQueue.offerAll(jobs, ["a", "b"]), WorkQueue.awaitIdle(jobs)))
 *
 * const program = produce.pipe(Effect.provide(WorkQueue.layer(Jobs, {
 *   capacity: 100, workers: 4, handler: (job: string) => Effect.log(job), onFailure: "collect", onClose: "drain"
 * })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <I, A, E, M extends FailureMode, S, R>(
  tag: Context.Tag<I, WorkQueue<A, E, M, S>>,
  options: Options<A, E, R, M>
) => Layer.Layer<I, InvalidArgumentError, Exclude<R, Scope.Scope>> = internal.layer

/**
 * Adds one item, waiting while the queue is full (backpressure). Fails with
 * `WorkQueueClosedError` once the input has ended or the queue has stopped.
 * Interrupting a waiting offer withdraws the item: it is not counted, and no
 * worker will see it. An offer still waiting when the input ends fails the
 * same way: the item was never accepted.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const queue = yield* WorkQueue.make({
 *     capacity: 1, workers: 1, handler: Effect.log, onFailure: "fail-fast", onClose: "drain"
 *   })
 *   yield* queue.pipe(WorkQueue.offer("hello"))
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const offer: {
  <A>(
    item: A
  ): <E, M extends FailureMode, S>(self: WorkQueue<A, E, M, S>) => Effect.Effect<void, WorkQueueClosedError | S>
  <A, E, M extends FailureMode, S>(self: WorkQueue<A, E, M, S>, item: A): Effect.Effect<void, WorkQueueClosedError | S>
} = internal.offer

/**
 * Offers the items in order, with backpressure: as many as there is room for
 * in one step, then it waits for room and goes on. If the queue closes
 * meanwhile it fails with `WorkQueueClosedError`; the items before that point
 * were accepted (`statistics().offered` counts them), the rest were not.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const queue = yield* WorkQueue.make({
 *     capacity: 10, workers: 2, handler: Effect.log, onFailure: "collect", onClose: "drain"
 *   })
 *   yield* WorkQueue.offerAll(queue, ["a", "b", "c"])
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const offerAll: {
  <A>(items: Iterable<A>): <E, M extends FailureMode, S>(
    self: WorkQueue<A, E, M, S>
  ) => Effect.Effect<void, WorkQueueClosedError | S>
  <A, E, M extends FailureMode, S>(
    self: WorkQueue<A, E, M, S>,
    items: Iterable<A>
  ): Effect.Effect<void, WorkQueueClosedError | S>
} = internal.offerAll

/**
 * The end of input, as a state: no more items will be offered; the workers
 * finish what is queued and stop. Later offers fail with `WorkQueueClosedError`.
 * This replaces asyncio's sentinel (`None` put once per consumer).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const queue = yield* WorkQueue.make({
 *     capacity: 10, workers: 2, handler: Effect.log, onFailure: "collect", onClose: "drain"
 *   })
 *   yield* WorkQueue.offerAll(queue, ["a", "b"])
 *   yield* WorkQueue.end(queue)
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const end: <A, E, M extends FailureMode, S>(self: WorkQueue<A, E, M, S>) => Effect.Effect<void, S> = internal.end

/**
 * asyncio's `queue.join()`: waits until every item offered so far has been
 * processed or discarded. In fail-fast mode it fails with the error of the
 * handler that stopped the queue.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const queue = yield* WorkQueue.make({
 *     capacity: 10, workers: 2, handler: Effect.log, onFailure: "fail-fast", onClose: "drain"
 *   })
 *   yield* WorkQueue.offerAll(queue, ["a", "b"])
 *   yield* WorkQueue.awaitIdle(queue)
 *   return yield* WorkQueue.statistics(queue) // processed: 2
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const awaitIdle: <A, E, M extends FailureMode, S>(
  self: WorkQueue<A, E, M, S>
) => Effect.Effect<void, FailureOf<M, E> | S> = internal.awaitIdle

/**
 * Ends the input and stops the workers, in the mode you choose, then reports
 * what happened. Calling it again returns the same report. A drain waits for
 * the handlers; interrupt the caller to cut it short.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const queue = yield* WorkQueue.make({
 *     capacity: 10,
 *     workers: 1,
 *     handler: () => Effect.sleep("1 second"),
 *     onFailure: "collect",
 *     onClose: "discard"
 *   })
 *   yield* WorkQueue.offerAll(queue, [1, 2, 3])
 *   const report = yield* WorkQueue.shutdown(queue, "discard")
 *   console.log(report.processed + report.discarded === report.offered) // true
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const shutdown: {
  (mode: ShutdownMode): <A, E, M extends FailureMode, S>(
    self: WorkQueue<A, E, M, S>
  ) => Effect.Effect<ShutdownReport<A>, InvalidArgumentError | S>
  <A, E, M extends FailureMode, S>(
    self: WorkQueue<A, E, M, S>,
    mode: ShutdownMode
  ): Effect.Effect<ShutdownReport<A>, InvalidArgumentError | S>
} = internal.shutdown

/**
 * A snapshot of the counters.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const queue = yield* WorkQueue.make({
 *     capacity: 10, workers: 2, handler: Effect.log, onFailure: "collect", onClose: "drain"
 *   })
 *   return yield* WorkQueue.statistics(queue)
 * }))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const statistics: <A, E, M extends FailureMode, S>(self: WorkQueue<A, E, M, S>) => Effect.Effect<Statistics, S> =
  internal.statistics

/**
 * Every failing item with its `Cause`, in the order they failed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const queue = yield* WorkQueue.make({
 *     capacity: 10,
 *     workers: 2,
 *     handler: (n: number) => n % 2 === 0 ? Effect.void : Effect.fail(`odd ${n}`),
 *     onFailure: "collect",
 *     onClose: "drain"
 *   })
 *   yield* WorkQueue.offerAll(queue, [1, 2, 3])
 *   yield* WorkQueue.awaitIdle(queue)
 *   return yield* WorkQueue.failures(queue) // items 1 and 3
 * }))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const failures: <A, E, M extends FailureMode, S>(
  self: WorkQueue<A, E, M, S>
) => Effect.Effect<ReadonlyArray<ItemFailure<A, E>>, S> = internal.failures
