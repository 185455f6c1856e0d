/**
 * A pool of resources (connections, sockets, file handles) with the knobs a
 * service needs: a minimum kept warm, a maximum never exceeded, an idle time
 * to live, a bound on how long a borrower waits, a health check on borrow,
 * and statistics. It is built on Effect's own `Pool` (which owns creation,
 * reuse and release), adding what `Pool` leaves out: typed errors for bad
 * options, acquire timeouts, health checks and counters.
 *
 * This is the Effect answer to Python's async context managers:
 * `@asynccontextmanager` / `__aenter__` + `__aexit__` is `Effect.acquireRelease`
 * (release is guaranteed, runs uninterruptibly, in reverse order of
 * acquisition), a long-lived resource shared by a program is a `Layer.scoped`
 * service, and a pool is a scoped resource whose items are themselves scoped:
 * every resource the pool creates is released when the pool's scope closes.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Inspectable from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import type * as Types from "effect/Types"
import type { TimeoutExceeded } from "./Deadline.js"
import * as internal from "./internal/resourcePool.js"
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
 * @since 0.1.0
 * @category models
 */
export interface ResourcePool<in out A, out E = never> extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: ResourcePool.Variance<A, E>
  readonly label: string
  readonly min: number
  readonly max: number
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace ResourcePool {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Variance<in out A, out E> {
    readonly _A: Types.Invariant<A>
    readonly _E: Types.Covariant<E>
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<A, E, R> {
  /**
   * Creates one resource. Register its release with `Effect.acquireRelease`:
   * the pool closes the resource's scope when it retires it.
   */
  readonly acquire: Effect.Effect<A, E, R>
  /** Resources kept even when idle (created at start). Default 0. */
  readonly min?: number | undefined
  /** The most resources that exist at once. */
  readonly max: number
  /** Idle resources above `min` are released after this long unused. Default: never. */
  readonly idleTimeToLive?: Duration.DurationInput | undefined
  /** How long a borrower waits for a resource before failing with `TimeoutExceeded`. Default: no limit. */
  readonly acquireTimeout?: Duration.DurationInput | undefined
  /** Checked on every borrow; a resource that fails it is destroyed and another one is tried. */
  readonly healthCheck?: ((resource: A) => Effect.Effect<boolean, unknown>) | undefined
  /** Names the pool in errors and statistics. */
  readonly label?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Statistics {
  /** Resources that exist now (idle + in use). Never above `max`. */
  readonly size: number
  readonly inUse: number
  readonly idle: number
  /** Borrowers waiting for a resource. */
  readonly waiting: number
  readonly created: number
  readonly destroyed: number
  readonly borrowed: number
  /** Resources that failed the health check on borrow. */
  readonly unhealthy: number
  readonly acquireTimeouts: number
  readonly peakInUse: number
  readonly peakSize: number
}

/**
 * Every resource tried in a row (more than `max`, so freshly created ones
 * too) failed the health check.
 *
 * @since 0.1.0
 * @category errors
 */
export interface UnhealthyResourceError extends Cause.YieldableError {
  readonly _tag: "UnhealthyResourceError"
  readonly label: string
  readonly attempts: number
}

/**
 * @example
 * ```ts
 * import { ResourcePool } from "@fiberkit/core"
 *
 * console.log(new ResourcePool.UnhealthyResourceError({ label: "db", attempts: 5 }).message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const UnhealthyResourceError: new(
  args: { readonly label: string; readonly attempts: number }
) => UnhealthyResourceError = internal.UnhealthyResourceError

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ResourcePool } from "@fiberkit/core"
 *
 * const program = Effect.scoped(
 *   Effect.map(ResourcePool.make({ acquire: Effect.succeed(1), max: 2 }), ResourcePool.isResourcePool)
 * )
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isResourcePool: (u: unknown) => u is ResourcePool<unknown, unknown> = internal.isResourcePool

/**
 * Creates a pool that lives as long as the enclosing `Scope`; when the scope
 * closes, every resource it created is released. Bad options (min above max,
 * a negative time, a missing acquire) fail with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { ResourcePool } from "@fiberkit/core"
 *
 * let next = 0
 * const connect = Effect.acquireRelease(
 *   Effect.sync(() => ({ id: ++next })),
 *   (conn) => Console.log(`closed connection ${conn.id}`)
 * )
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const pool = yield* ResourcePool.make({
 *     acquire: connect,
 *     min: 1,
 *     max: 4,
 *     idleTimeToLive: "30 seconds",
 *     acquireTimeout: "2 seconds",
 *     label: "db"
 *   })
 *   return yield* ResourcePool.use(pool, (conn) => Effect.succeed(conn.id))
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <A, E, R>(
  options: Options<A, E, R>
) => Effect.Effect<ResourcePool<A, E>, InvalidArgumentError, Scope.Scope | Exclude<R, Scope.Scope>> = internal.make

/**
 * Borrows a resource for the rest of the current `Scope` (`async with
 * pool.acquire() as conn:`). Waits while all `max` are in use, up to
 * `acquireTimeout`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ResourcePool } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const pool = yield* ResourcePool.make({ acquire: Effect.succeed("conn"), max: 1 })
 *   const conn = yield* ResourcePool.get(pool) // returned when this scope closes
 *   return conn
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const get: <A, E>(
  self: ResourcePool<A, E>
) => Effect.Effect<A, E | TimeoutExceeded | UnhealthyResourceError | InvalidArgumentError, Scope.Scope> = internal.get

/**
 * Borrows a resource, runs `f` with it, and gives it back however `f` ends.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ResourcePool } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const pool = yield* ResourcePool.make({ acquire: Effect.succeed({ query: (q: string) => q.length }), max: 2 })
 *   return yield* pool.pipe(ResourcePool.use((conn) => Effect.succeed(conn.query("select 1"))))
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const use: {
  <A, B, E2, R2>(f: (resource: A) => Effect.Effect<B, E2, R2>): <E>(
    self: ResourcePool<A, E>
  ) => Effect.Effect<
    B,
    E | E2 | TimeoutExceeded | UnhealthyResourceError | InvalidArgumentError,
    Exclude<R2, Scope.Scope>
  >
  <A, E, B, E2, R2>(
    self: ResourcePool<A, E>,
    f: (resource: A) => Effect.Effect<B, E2, R2>
  ): Effect.Effect<
    B,
    E | E2 | TimeoutExceeded | UnhealthyResourceError | InvalidArgumentError,
    Exclude<R2, Scope.Scope>
  >
} = internal.use

/**
 * Marks a resource as broken (e.g. its connection was reset): the pool
 * releases it once it is given back and never lends it again.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ResourcePool } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const pool = yield* ResourcePool.make({ acquire: Effect.succeed({ id: 1 }), max: 1 })
 *   yield* ResourcePool.use(pool, (conn) => ResourcePool.invalidate(pool, conn))
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const invalidate: {
  <A>(resource: A): <E>(self: ResourcePool<A, E>) => Effect.Effect<void, InvalidArgumentError>
  <A, E>(self: ResourcePool<A, E>, resource: A): Effect.Effect<void, InvalidArgumentError>
} = internal.invalidate

/**
 * Counters in the manner of trio's `statistics()`: size, in use, idle,
 * waiting, created, destroyed, peaks.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ResourcePool } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const pool = yield* ResourcePool.make({ acquire: Effect.succeed(1), min: 2, max: 4 })
 *   return yield* ResourcePool.statistics(pool)
 * }))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const statistics: <A, E>(self: ResourcePool<A, E>) => Effect.Effect<Statistics, InvalidArgumentError> =
  internal.statistics
