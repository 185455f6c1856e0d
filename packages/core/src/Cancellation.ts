/**
 * Cancellation done right: asyncio's rule "never swallow `CancelledError`:
 * clean up, then re-raise", made the easy path in Effect.
 *
 * In Effect, cancellation is interruption. A fiber that is interrupted while
 * interruptible cannot be talked out of it: `catchAllCause` handlers are
 * skipped. But inside an uninterruptible region (an `acquire`, a `release`, an
 * `uninterruptibleMask`) a handler *does* see the interruption, and one that
 * recovers from it and carries on (a retry loop, a "keep going" poller) hangs
 * whoever waits for that fiber: a task group that never finishes failing, a
 * timeout that never returns. This module gives:
 *
 * - `acquireUseRelease` in the shape of asyncio's "acquire; try: use; except
 *   CancelledError: clean up; raise; finally: release": acquire cannot be cut
 *   half-way, `onCancel` runs only when `use` is interrupted, `release` always
 *   runs last, exactly once;
 * - `onCancel` (cleanup on interruption, then the interruption goes on),
 *   `critical` (a section that cannot be interrupted half-way: interruption
 *   waits until it ends), and `catchAllCause` that recovers from failures and
 *   defects but never from interruption;
 * - `checkPropagates`, a test helper that interrupts an effect and fails with
 *   `InterruptionSwallowed` when it does not end interrupted.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as internal from "./internal/cancellation.js"
import type { InvalidArgumentError } from "./InvalidArgument.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const InterruptionSwallowedTypeId: unique symbol = internal
  .InterruptionSwallowedTypeId as InterruptionSwallowedTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type InterruptionSwallowedTypeId = typeof InterruptionSwallowedTypeId

/**
 * How an interrupted effect failed to end interrupted:
 * `"succeeded"` (a handler recovered and returned a value), `"failed"` (a handler
 * replaced the interruption with an error), `"still-running"` (a handler keeps
 * going), `"finished-early"` (it ended before it could be interrupted: nothing proven).
 *
 * @since 0.1.0
 * @category models
 */
export type SwallowOutcome = "succeeded" | "failed" | "still-running" | "finished-early"

/**
 * @since 0.1.0
 * @category errors
 */
export interface InterruptionSwallowed extends Cause.YieldableError {
  readonly _tag: "InterruptionSwallowed"
  readonly [InterruptionSwallowedTypeId]: InterruptionSwallowedTypeId
  readonly label: string
  readonly outcome: SwallowOutcome
  /** How it ended, unless it is still running. */
  readonly exit: Exit.Exit<unknown, unknown> | undefined
}

/**
 * @example
 * ```ts
 * import { Cancellation } from "@fiberkit/core"
 *
 * const error = new Cancellation.InterruptionSwallowed({ label: "poller", outcome: "still-running", exit: undefined })
 * console.log(error.message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const InterruptionSwallowed: new(
  args: {
    readonly label: string
    readonly outcome: SwallowOutcome
    readonly exit: Exit.Exit<unknown, unknown> | undefined
  }
) => InterruptionSwallowed = internal.InterruptionSwallowed

/**
 * @example
 * ```ts
 * import { Cancellation } from "@fiberkit/core"
 *
 * console.log(Cancellation.isInterruptionSwallowed(new Error("x"))) // false
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isInterruptionSwallowed: (u: unknown) => u is InterruptionSwallowed = internal.isInterruptionSwallowed

/**
 * @since 0.1.0
 * @category models
 */
export interface AcquireUseReleaseOptions<A, E0, R0, B, E1, R1, R2, R3> {
  /** Runs uninterruptibly: a resource is either not acquired or acquired and released. */
  readonly acquire: Effect.Effect<A, E0, R0>
  /** Interruptible. */
  readonly use: (resource: A) => Effect.Effect<B, E1, R1>
  /**
   * Runs only when `use` is interrupted, before `release` (asyncio's `except CancelledError:` block).
   * Like every finalizer it cannot fail: handle its errors inside it.
   */
  readonly onCancel?: ((resource: A) => Effect.Effect<unknown, never, R2>) | undefined
  /** Runs once the resource was acquired, whatever happened (`finally:`), last; cannot fail. */
  readonly release: (resource: A, exit: Exit.Exit<B, E1>) => Effect.Effect<unknown, never, R3>
}

/**
 * The seed's `cancellable_operation`: acquire, use, clean up on cancel and
 * re-raise, release in every case. Interrupted at any step, each finalizer
 * runs exactly once and in reverse order of acquisition (`onCancel`, then
 * `release`); the interruption then goes on to the caller.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Cancellation } from "@fiberkit/core"
 *
 * const program = Cancellation.acquireUseRelease({
 *   acquire: Effect.succeed({ id: "conn-1" }),
 *   use: (conn) => Effect.as(Effect.sleep("1 second"), conn.id),
 *   onCancel: (conn) => Console.log(`rolling back work on ${conn.id}`),
 *   release: (conn) => Console.log(`closing ${conn.id}`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const acquireUseRelease: <A, E0, R0, B, E1, R1, R2, R3>(
  options: AcquireUseReleaseOptions<A, E0, R0, B, E1, R1, R2, R3>
) => Effect.Effect<B, E0 | E1 | InvalidArgumentError, R0 | R1 | R2 | R3> = internal.acquireUseRelease

/**
 * Runs `cleanup` when `self` is interrupted, then lets the interruption go
 * on: `except CancelledError: cleanup(); raise`. The cleanup itself runs
 * uninterruptibly, so it is not cut short by a second interrupt.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Cancellation } from "@fiberkit/core"
 *
 * const program = Effect.never.pipe(Cancellation.onCancel(Console.log("cancelled: flushing")))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const onCancel: {
  <X, R2>(cleanup: Effect.Effect<X, never, R2>): <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | InvalidArgumentError, R | R2>
  <A, E, R, X, R2>(
    self: Effect.Effect<A, E, R>,
    cleanup: Effect.Effect<X, never, R2>
  ): Effect.Effect<A, E | InvalidArgumentError, R | R2>
} = internal.onCancel

/**
 * A section that cannot be interrupted half-way (write the file *and* rename
 * it, debit *and* credit). An interruption that arrives meanwhile is not lost:
 * it takes effect as soon as the section ends. Keep such sections short: a
 * timeout over them waits for them (or detaches them).
 *
 * @example
 * ```ts
 * import { Effect, Ref } from "effect"
 * import { Cancellation } from "@fiberkit/core"
 *
 * const transfer = (from: Ref.Ref<number>, to: Ref.Ref<number>, amount: number) =>
 *   Cancellation.critical(Effect.zipRight(Ref.update(from, (n) => n - amount), Ref.update(to, (n) => n + amount)))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const critical: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidArgumentError, R> =
  internal.critical

/**
 * `Effect.catchAllCause` that recovers from failures and defects but never
 * from interruption: a cause that contains an interruption is re-raised as it
 * is. The safe choice for "log and keep going" handlers, above all inside
 * uninterruptible regions, where Effect's own `catchAllCause` sees the
 * interruption and can swallow it.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Cancellation } from "@fiberkit/core"
 *
 * const pollOnce = Effect.fail("server busy")
 * const poller = Effect.uninterruptibleMask((restore) =>
 *   restore(pollOnce).pipe(
 *     Cancellation.catchAllCause((cause) => Console.log("poll failed, retrying", cause)),
 *     Effect.forever
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const catchAllCause: {
  <E, A2, E2, R2>(f: (cause: Cause.Cause<E>) => Effect.Effect<A2, E2, R2>): <A, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A | A2, E2, R | R2>
  <A, E, R, A2, E2, R2>(
    self: Effect.Effect<A, E, R>,
    f: (cause: Cause.Cause<E>) => Effect.Effect<A2, E2, R2>
  ): Effect.Effect<A | A2, E2, R | R2>
} = internal.catchAllCause

/**
 * @since 0.1.0
 * @category models
 */
export interface CheckOptions<R = never> {
  /** Names the effect in the error (default "the effect"). */
  readonly label?: string | undefined
  /**
   * Runs after the effect is started and before it is interrupted, e.g.
   * `TestClock.adjust("50 millis")` to interrupt it in the middle of its work.
   * Default: ten scheduler turns, enough to reach its first suspension.
   */
  readonly before?: Effect.Effect<unknown, never, R> | undefined
  /** Runs right after the interrupt, e.g. a `TestClock.adjust` that lets a timed cleanup finish. */
  readonly after?: Effect.Effect<unknown, never, R> | undefined
  /** Scheduler turns the effect gets to end after the interrupt (default 1000). */
  readonly maxYields?: number | undefined
}

/**
 * A test helper proving that `self` propagates interruption: it starts
 * `self`, interrupts it, and succeeds with its `Exit` only if that exit is
 * interrupted (cleanup errors may sit beside the interruption). Otherwise it
 * fails with `InterruptionSwallowed`, saying whether the effect recovered,
 * replaced the interruption with an error, or is still running.
 *
 * It waits with scheduler turns, not the clock, so it behaves the same under
 * `TestClock`; pass `before` / `after` to move the clock around the interrupt.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Cancellation } from "@fiberkit/core"
 *
 * // An "unkillable" poller: inside an uninterruptible region, Effect.catchAllCause sees the
 * // interrupt too, backs off and polls again. checkPropagates fails with outcome "still-running".
 * const broken = Effect.uninterruptibleMask((restore) =>
 *   restore(Effect.sleep("100 millis")).pipe(Effect.catchAllCause(() => Effect.sleep("1 second")), Effect.forever)
 * )
 * const check = Cancellation.checkPropagates(broken, { label: "poller" })
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const checkPropagates: <A, E, R>(
  self: Effect.Effect<A, E, R>,
  options?: CheckOptions<R>
) => Effect.Effect<Exit.Exit<A, E>, InterruptionSwallowed | InvalidArgumentError, R> = internal.checkPropagates
