/**
 * A mutual-exclusion lock for fibers: asyncio's `Lock` with the owner tracked.
 *
 * - **FIFO**: waiters get the lock in the order they asked; a release hands it
 *   directly to the next waiter, so nobody barges in.
 * - **Owned**: the fiber that locked is the only one that may unlock; any other
 *   `unlock` fails with `MutexNotOwnerError`, and locking twice from the same
 *   fiber fails with `MutexReentryError` instead of waiting forever.
 * - **Interruption-safe**: `withLock` always releases, even when the body or
 *   the wait is interrupted, including an interruption that lands just after
 *   the lock was granted.
 * - **Observable**: `statistics` (locked, owner, waiting, acquisitions, contended).
 *
 * Before reaching for it, note that `Ref.update` and `SynchronizedRef.updateEffect`
 * make most "read, await, write" races disappear without a lock: lesson 15.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import type * as Inspectable from "effect/Inspectable"
import type * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import * as internal from "./internal/mutex.js"
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
export interface Mutex extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: TypeId
  readonly label: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Shown in error messages and `toString`. */
  readonly label?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Statistics {
  readonly locked: boolean
  /** The holder's fiber id (e.g. `#12`). */
  readonly owner: Option.Option<string>
  /** Fibers waiting now. */
  readonly waiting: number
  readonly acquisitions: number
  /** Acquisitions that had to wait. */
  readonly contended: number
  readonly peakWaiting: number
}

/**
 * `unlock` by a fiber that does not hold the lock (or when nobody does).
 *
 * @since 0.1.0
 * @category errors
 */
export interface MutexNotOwnerError extends Cause.YieldableError {
  readonly _tag: "MutexNotOwnerError"
  readonly label: string | undefined
  readonly caller: string
  readonly owner: string | undefined
}

/**
 * @example
 * ```ts
 * import { Mutex } from "@fiberkit/core"
 *
 * console.log(new Mutex.MutexNotOwnerError({ label: "counter", caller: "#3", owner: "#2" }).message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const MutexNotOwnerError: new(
  args: { readonly label: string | undefined; readonly caller: string; readonly owner: string | undefined }
) => MutexNotOwnerError = internal.MutexNotOwnerError

/**
 * `lock` by the fiber that already holds the lock: with a non-re-entrant lock
 * this is a deadlock, so it fails at once.
 *
 * @since 0.1.0
 * @category errors
 */
export interface MutexReentryError extends Cause.YieldableError {
  readonly _tag: "MutexReentryError"
  readonly label: string | undefined
  readonly fiber: string
}

/**
 * @example
 * ```ts
 * import { Mutex } from "@fiberkit/core"
 *
 * console.log(new Mutex.MutexReentryError({ label: "counter", fiber: "#2" }).message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const MutexReentryError: new(
  args: { readonly label: string | undefined; readonly fiber: string }
) => MutexReentryError = internal.MutexReentryError

/**
 * @example
 * ```ts
 * import { Mutex } from "@fiberkit/core"
 *
 * console.log(Mutex.isMutex(Mutex.unsafeMake())) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isMutex: (u: unknown) => u is Mutex = internal.isMutex

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mutex } from "@fiberkit/core"
 *
 * const program = Effect.flatMap(Mutex.make({ label: "balance" }), Mutex.statistics)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: Options) => Effect.Effect<Mutex, InvalidArgumentError> = internal.make

/**
 * For module-level singletons; prefer `make`.
 *
 * @example
 * ```ts
 * import { Mutex } from "@fiberkit/core"
 *
 * const lock = Mutex.unsafeMake({ label: "config" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake: (options?: Options) => Mutex = internal.unsafeMake

/**
 * `async with lock:`. Runs `effect` holding the lock and releases it however
 * the effect ends. Waiters are served first come, first served.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mutex } from "@fiberkit/core"
 *
 * let balance = 100
 * const program = Effect.gen(function*() {
 *   const mutex = yield* Mutex.make({ label: "balance" })
 *   const withdraw = (amount: number) =>
 *     Effect.gen(function*() {
 *       const current = balance
 *       yield* Effect.sleep("1 millis") // an await between the read and the write
 *       balance = current - amount
 *     }).pipe(Mutex.withLock(mutex))
 *   yield* Effect.all([withdraw(10), withdraw(20)], { concurrency: "unbounded" })
 *   return balance // 70, never 80 or 90
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withLock: {
  (self: Mutex): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | MutexReentryError, R>
  <A, E, R>(effect: Effect.Effect<A, E, R>, self: Mutex): Effect.Effect<A, E | MutexReentryError, R>
} = internal.withLock

/**
 * Takes the lock, waiting if needed. Pair with `unlock` from the same fiber,
 * or use `withLock`, which cannot forget.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mutex } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const mutex = yield* Mutex.make()
 *   yield* Mutex.lock(mutex)
 *   yield* Mutex.unlock(mutex)
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const lock: (self: Mutex) => Effect.Effect<void, MutexReentryError> = internal.lock

/**
 * Releases the lock; fails with `MutexNotOwnerError` unless the calling fiber holds it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mutex } from "@fiberkit/core"
 *
 * const program = Effect.flatMap(Mutex.make(), (mutex) => Effect.flip(Mutex.unlock(mutex))) // MutexNotOwnerError
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const unlock: (self: Mutex) => Effect.Effect<void, MutexNotOwnerError> = internal.unlock

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mutex } from "@fiberkit/core"
 *
 * const program = Effect.flatMap(Mutex.make(), Mutex.statistics)
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const statistics: (self: Mutex) => Effect.Effect<Statistics> = internal.statistics

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mutex } from "@fiberkit/core"
 *
 * const program = Effect.flatMap(Mutex.make(), Mutex.isLocked) // false
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const isLocked: (self: Mutex) => Effect.Effect<boolean> = internal.isLocked
