/**
 * A limiter caps how much work runs at once: Python's `asyncio.Semaphore`
 * (and the `RateLimitedClient` that wraps every request in `async with
 * semaphore`), done so that the classic mistakes cannot happen:
 *
 * - **weighted and fair**: `withPermits(limiter, n)` takes `n` permits; waiters
 *   are served strictly first-come first-served, so a request for 5 permits is
 *   not starved by a stream of requests for 1;
 * - **direct hand-off**: a release gives its permits straight to the head of
 *   the queue and wakes exactly the fibers it served. Effect's `Semaphore` wakes
 *   every waiter on each release and lets them race, which costs O(waiters²);
 *   here each acquire and release is O(1);
 * - **no silent hangs**: asking for `n <= 0` or for more permits than the
 *   limiter has fails with `InvalidArgumentError` at the call (Effect's
 *   `Semaphore` waits forever);
 * - **interruption-safe**: an interrupted fiber gives back every permit it held
 *   or was being handed, whether it was waiting, holding or in between;
 * - **observable and adjustable**: `statistics` (in flight, waiting, peak,
 *   total acquired), optional `Metric`s, and `resize` at runtime.
 *
 * `forEach` and `forEachBatch` process large inputs with a fixed pool of
 * worker fibers pulling from one iterator: a million items never become a
 * million fibers (asyncio's "creating too many tasks" anti-pattern).
 *
 * **Beyond one process.** `Limiter<S>` is an interface with pluggable
 * backends: `make` builds the in-process one (`S = never`), `fromBackend`
 * wraps any other `Backend` (e.g. `@fiberkit/redis`'s `RedisLimiter`, whose
 * permits are leases in Redis), and the module functions work on both, adding
 * the store's error `S` to their error channel. Write a program against a
 * service tag typed `Limiter<StoreError>`, and `layer` (local) or the store's
 * layer satisfy it alike: only the `Layer` changes.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Inspectable from "effect/Inspectable"
import type * as Layer from "effect/Layer"
import type * as Metric from "effect/Metric"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import type * as Types from "effect/Types"
import * as internal from "./internal/limiter.js"
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
 * A limiter whose operations can fail with `S`, the error of the store that
 * holds its permits: `never` for the in-process limiter of `make`. `S` is
 * covariant, so a `Limiter<never>` is also a `Limiter<RedisError>`: a program
 * that asks for the latter runs on either.
 *
 * @since 0.1.0
 * @category models
 */
export interface Limiter<out S = never> extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: Limiter.Variance<S>
  readonly label: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace Limiter {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Variance<out S> {
    readonly _S: Types.Covariant<S>
  }
}

/**
 * What a limiter needs from the place its permits live: implement it to run
 * the same programs over another store (`@fiberkit/redis` does, for Redis),
 * then wrap it with `fromBackend`. The module functions validate `permits`
 * (a positive integer) before calling it, run `acquire` so that an
 * interruption can never lose what it took (see `fromBackend`), and call the
 * release it returns exactly once.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * class StoreDown extends Data.TaggedError("StoreDown") {}
 *
 * // A store that cannot be reached: every operation fails with its own, typed error.
 * const unreachable: Limiter.Backend<StoreDown> = {
 *   label: "unreachable",
 *   acquire: () => Effect.fail(new StoreDown()),
 *   tryAcquire: () => Effect.fail(new StoreDown()),
 *   resize: () => Effect.fail(new StoreDown()),
 *   statistics: Effect.fail(new StoreDown())
 * }
 *
 * const program = Effect.succeed("report").pipe(
 *   Limiter.withPermit(Limiter.fromBackend(unreachable)),
 *   Effect.catchTag("StoreDown", () => Effect.succeed("the shared limiter is down: try later"))
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Backend<out S> {
  /** Shown in `toString` and available as the limiter's `label`. */
  readonly label: string | undefined
  /**
   * Waits for `permits` (already validated as a positive integer) and succeeds
   * with the effect that gives them back. Interrupted while waiting, it must
   * leave nothing held. Fails with `InvalidArgumentError` when `permits`
   * exceeds the capacity (it could never be served).
   */
  readonly acquire: (permits: number) => Effect.Effect<Effect.Effect<void>, S | InvalidArgumentError>
  /** Takes `permits` only if they are free right now; otherwise fails with `LimiterBusyError`. */
  readonly tryAcquire: (
    permits: number
  ) => Effect.Effect<Effect.Effect<void>, S | InvalidArgumentError | LimiterBusyError>
  /** Sets the capacity (already validated as a positive integer); see `resize`. */
  readonly resize: (permits: number) => Effect.Effect<void, S | InvalidArgumentError>
  /** The counters, as `statistics` returns them. */
  readonly statistics: Effect.Effect<Statistics, S>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How many permits exist: a positive integer. */
  readonly permits: number
  /** A name shown in errors, `toString` and as the `limiter` tag of the metrics. */
  readonly label?: string | undefined
  /**
   * Keep the gauges `fiberkit_limiter_in_flight`, `fiberkit_limiter_waiting`,
   * `fiberkit_limiter_peak_in_flight` and the counter
   * `fiberkit_limiter_acquired_total` (tagged `limiter=<label>`) up to date.
   * Default `false`: the counters of `statistics` are always kept.
   */
  readonly metrics?: boolean | undefined
}

/**
 * Counts in the style of trio's `statistics()`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Statistics {
  /** The number of permits (changes with `resize`). */
  readonly capacity: number
  /** Permits held right now. Can exceed `capacity` briefly after a shrinking `resize`. */
  readonly inFlight: number
  readonly available: number
  /** Fibers queued for permits. */
  readonly waiting: number
  /** Permits the queued fibers asked for in total. */
  readonly waitingPermits: number
  /** The most permits ever held at once. */
  readonly peakInFlight: number
  /** Permits handed out since creation. */
  readonly totalAcquired: number
}

/**
 * The metrics a limiter created with `metrics: true` keeps up to date.
 *
 * @since 0.1.0
 * @category models
 */
export interface Metrics {
  readonly inFlight: Metric.Metric.Gauge<number>
  readonly waiting: Metric.Metric.Gauge<number>
  readonly peakInFlight: Metric.Metric.Gauge<number>
  readonly acquired: Metric.Metric.Counter<number>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ForEachOptions<out S = never> {
  /**
   * Number of worker fibers. Defaults to the limiter's capacity when `limiter`
   * is given (a `fromBackend` limiter is asked for it once, with `statistics`).
   */
  readonly concurrency?: number | undefined
  /** Run every item under one permit of this limiter (a cap shared with other work). */
  readonly limiter?: Limiter<S> | undefined
  /** Do not keep the results (constant memory for any input size). */
  readonly discard?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface BatchOptions {
  /** Items per batch: a positive integer. */
  readonly size: number
  /** Batches processed at once (default 1: one batch after the other). */
  readonly concurrency?: number | undefined
}

/**
 * `tryWithPermits` found the permits taken (or fibers queued ahead of it).
 *
 * @since 0.1.0
 * @category errors
 */
export interface LimiterBusyError extends Cause.YieldableError {
  readonly _tag: "LimiterBusyError"
  readonly label: string | undefined
  readonly requested: number
  readonly available: number
  readonly waiting: number
}

/**
 * @example
 * ```ts
 * import { Limiter } from "@fiberkit/core"
 *
 * const error = new Limiter.LimiterBusyError({ label: "db", requested: 1, available: 0, waiting: 3 })
 * console.log(error.message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const LimiterBusyError: new(args: {
  readonly label: string | undefined
  readonly requested: number
  readonly available: number
  readonly waiting: number
}) => LimiterBusyError = internal.LimiterBusyError

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * const program = Effect.map(Limiter.make({ permits: 2 }), Limiter.isLimiter) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isLimiter: (u: unknown) => u is Limiter<unknown> = internal.isLimiter

/**
 * Creates a limiter with `permits` permits. Fails with `InvalidArgumentError`
 * when `permits` is not a positive integer.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const limiter = yield* Limiter.make({ permits: 10, label: "http" })
 *   return yield* Limiter.statistics(limiter) // { capacity: 10, inFlight: 0, ... }
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options: Options) => Effect.Effect<Limiter, InvalidArgumentError> = internal.make

/**
 * A limiter over any `Backend`: the module functions dispatch to it (the
 * in-process limiter of `make` keeps its own fast path). The acquisition runs
 * in a child fiber that the caller waits for, so a caller interrupted just as
 * the backend hands over its permits still gives them back. Throws
 * `InvalidArgumentError` when `backend` lacks one of its members.
 *
 * @example
 * ```ts
 * import { Effect, Exit, Scope } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * // A backend in front of an in-process limiter that counts the permits it hands out.
 * const counting = (local: Limiter.Limiter, counter: { acquired: number }): Limiter.Backend<never> => {
 *   const acquire = (permits: number) =>
 *     Effect.gen(function*() {
 *       const scope = yield* Scope.make()
 *       yield* Scope.extend(Limiter.acquireScoped(local, permits), scope)
 *       counter.acquired += permits
 *       return Scope.close(scope, Exit.void)
 *     })
 *   return {
 *     label: "counting",
 *     acquire,
 *     tryAcquire: (permits) =>
 *       Effect.gen(function*() {
 *         const { available, waiting } = yield* Limiter.statistics(local)
 *         if (available < permits || waiting > 0) {
 *           return yield* new Limiter.LimiterBusyError({ label: "counting", requested: permits, available, waiting })
 *         }
 *         return yield* acquire(permits)
 *       }),
 *     resize: (permits) => Limiter.resize(local, permits),
 *     statistics: Limiter.statistics(local)
 *   }
 * }
 *
 * const program = Effect.gen(function*() {
 *   const counter = { acquired: 0 }
 *   const limiter = Limiter.fromBackend(counting(yield* Limiter.make({ permits: 2 }), counter))
 *   yield* Effect.log("in").pipe(Limiter.withPermits(limiter, 2))
 *   return counter.acquired // 2
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromBackend: <S>(backend: Backend<S>) => Limiter<S> = internal.fromBackend

/**
 * A layer with a new in-process limiter for `tag`. The tag may ask for a
 * `Limiter<E>` with any store error `E`: a local limiter is one too, so the
 * same program runs on this layer in one process and on a shared store's
 * layer (e.g. `RedisLimiter.layer`) across many.
 *
 * @example
 * ```ts
 * import { Context, Effect } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * class StoreError extends Error {}
 * class Database extends Context.Tag("Database")<Database, Limiter.Limiter<StoreError>>() {}
 *
 * const query = Effect.flatMap(Database, (limiter) => Effect.succeed("rows").pipe(Limiter.withPermit(limiter)))
 * // Effect<string, StoreError | InvalidArgumentError, Database>
 *
 * const program = query.pipe(Effect.provide(Limiter.layer(Database, { permits: 10, label: "db" })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <I, S>(tag: Context.Tag<I, Limiter<S>>, options: Options) => Layer.Layer<I, InvalidArgumentError> =
  internal.layer

/**
 * Runs an effect while holding `permits` permits, waiting in FIFO order for
 * them if needed; they are returned when the effect ends, however it ends.
 * Fails with `InvalidArgumentError` (without waiting) when `permits` is not a
 * positive integer or exceeds the limiter's capacity.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const memory = yield* Limiter.make({ permits: 8, label: "GB of RAM" })
 *   const small = Effect.log("small job").pipe(Limiter.withPermits(memory, 1))
 *   const large = Effect.log("large job").pipe(Limiter.withPermits(memory, 6))
 *   yield* Effect.all([small, large, small], { concurrency: "unbounded" })
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withPermits: <S>(
  self: Limiter<S>,
  permits: number
) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | S | InvalidArgumentError, R> =
  internal.withPermits

/**
 * `withPermits(self, 1)`: `async with semaphore:`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const limiter = yield* Limiter.make({ permits: 10 })
 *   const fetchOne = (id: number) => Effect.succeed(id).pipe(Limiter.withPermit(limiter))
 *   return yield* Effect.forEach([1, 2, 3], fetchOne, { concurrency: "unbounded" })
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withPermit: <S>(
  self: Limiter<S>
) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | S | InvalidArgumentError, R> =
  internal.withPermit

/**
 * Runs the effect only if `permits` permits are free *now* and nobody is
 * queued ahead; otherwise fails at once with `LimiterBusyError` (load
 * shedding: answer 503 instead of queueing).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const limiter = yield* Limiter.make({ permits: 1 })
 *   return yield* Effect.succeed("handled").pipe(
 *     Limiter.tryWithPermits(limiter, 1),
 *     Effect.catchTag("LimiterBusyError", () => Effect.succeed("busy, try later"))
 *   )
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const tryWithPermits: <S>(
  self: Limiter<S>,
  permits: number
) => <A, E, R>(
  effect: Effect.Effect<A, E, R>
) => Effect.Effect<A, E | S | InvalidArgumentError | LimiterBusyError, R> = internal.tryWithPermits

/**
 * Takes `permits` permits for the lifetime of the enclosing `Scope` (a
 * connection-pool slot held across several steps).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const pool = yield* Limiter.make({ permits: 5, label: "db connections" })
 *   yield* Effect.scoped(Effect.gen(function*() {
 *     yield* Limiter.acquireScoped(pool, 1)
 *     yield* Effect.log("two queries on one connection slot")
 *   }))
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const acquireScoped: <S>(
  self: Limiter<S>,
  permits: number
) => Effect.Effect<void, S | InvalidArgumentError, Scope.Scope> = internal.acquireScoped

/**
 * Changes the number of permits at runtime. Growing lets queued fibers in at
 * once; shrinking lets running work finish and holds new work back until
 * `inFlight` is under the new capacity. Queued requests larger than the new
 * capacity fail with `InvalidArgumentError` instead of waiting forever.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const limiter = yield* Limiter.make({ permits: 10 })
 *   yield* Limiter.resize(limiter, 4) // the upstream is struggling: back off
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const resize: <S>(self: Limiter<S>, permits: number) => Effect.Effect<void, S | InvalidArgumentError> =
  internal.resize

/**
 * A snapshot of the limiter's counters.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const limiter = yield* Limiter.make({ permits: 3 })
 *   yield* Effect.void.pipe(Limiter.withPermits(limiter, 2))
 *   return yield* Limiter.statistics(limiter) // peakInFlight: 2, totalAcquired: 2
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const statistics: <S>(self: Limiter<S>) => Effect.Effect<Statistics, S> = internal.statistics

/**
 * `statistics` read synchronously, for progress lines and callbacks. Only for
 * the in-process limiter of `make` (hence `Limiter<never>`): a backend's
 * counters may be a network round trip away, which no synchronous call can
 * wait for; use `statistics` there. Throws `InvalidArgumentError` if given a
 * `fromBackend` limiter anyway.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * const program = Effect.map(Limiter.make({ permits: 3 }), (l) => Limiter.unsafeStatistics(l).capacity)
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const unsafeStatistics: (self: Limiter<never>) => Statistics = internal.unsafeStatistics

/**
 * Applies `f` to every item with at most `concurrency` running at once, and
 * returns the results in input order (or nothing with `discard: true`). A
 * fixed pool of workers pulls items from the iterator one at a time, so memory
 * does not grow with the input: a generator of a million items is fine. The
 * first failure interrupts the other workers and no further item is started.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * function* ids() {
 *   for (let i = 0; i < 1_000_000; i++) yield i
 * }
 *
 * const program = Limiter.forEach(ids(), (id) => Effect.succeed(id * 2), { concurrency: 100, discard: true })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const forEach: {
  <A, B, E, R, S = never>(
    items: Iterable<A>,
    f: (item: A, index: number) => Effect.Effect<B, E, R>,
    options: ForEachOptions<S> & { readonly discard: true }
  ): Effect.Effect<void, E | S | InvalidArgumentError, R>
  <A, B, E, R, S = never>(
    items: Iterable<A>,
    f: (item: A, index: number) => Effect.Effect<B, E, R>,
    options: ForEachOptions<S>
  ): Effect.Effect<Array<B>, E | S | InvalidArgumentError, R>
} = internal.forEach

/**
 * Cuts the input into batches of `size` items (lazily) and applies `f` to
 * each batch, `concurrency` batches at a time (default 1). Returns one result
 * per batch, in order: asyncio's "gather a batch, then the next".
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * const insertRows = (rows: ReadonlyArray<number>) => Effect.succeed(rows.length)
 * const program = Limiter.forEachBatch([1, 2, 3, 4, 5], insertRows, { size: 2 }) // [2, 2, 1]
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const forEachBatch: <A, B, E, R>(
  items: Iterable<A>,
  f: (batch: ReadonlyArray<A>, batchIndex: number) => Effect.Effect<B, E, R>,
  options: BatchOptions
) => Effect.Effect<Array<B>, E | InvalidArgumentError, R> = internal.forEachBatch

/**
 * The metrics of the limiters labelled `label` (created with `metrics: true`),
 * to read with `Metric.value` or export with your metrics layer.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Limiter } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const limiter = yield* Limiter.make({ permits: 4, label: "db", metrics: true })
 *   yield* Effect.void.pipe(Limiter.withPermits(limiter, 2))
 *   return yield* Metric.value(Limiter.metrics("db").peakInFlight) // { value: 2 }
 * })
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics: (label: string) => Metrics = internal.metrics
