/**
 * Deadlines: Python's `asyncio.timeout` for Effect, on one call, on a whole
 * `TaskGroup` or per task, with deadlines that can be read and moved while the
 * work runs (`Timeout.reschedule`, `Timeout.when`).
 *
 * - A timeout fails with a typed `TimeoutExceeded { label, after }` that names
 *   the operation and its budget, not a bare `TimeoutException`.
 * - A `Deadline` is a value: `remaining` reads it, `extend` / `shorten` /
 *   `reschedule` move it, and every region running under it follows.
 * - Deadlines nest: inside an outer deadline, `remaining` reports the earlier of
 *   the two, and the outer one interrupts everything under it when it passes,
 *   so an inner deadline never outlives the outer.
 * - `cleanup: "wait"` (the default, like `Effect.timeout`) fails only once the
 *   interrupted work has finished its finalizers; `cleanup: "detach"` (like
 *   `Effect.disconnect`) fails at the deadline and lets the cleanup finish in
 *   the background.
 *
 * Why not `Effect.timeout`? It forks two fibers per call (the work and a
 * sleeping timer fiber), and when the timer wins it goes through four scheduler
 * hops (timer fiber wakes, parent wakes, loser is interrupted, parent wakes
 * again), joins the winner's FiberRefs and builds a `TimeoutException` with a
 * stack trace. With 1000 timeouts expiring in the same millisecond, the last one
 * waits for all of that work for the other 999: hundreds of ms of overshoot.
 *
 * A `Deadline` forks nothing in the default `"wait"` mode: the work runs on the
 * caller's fiber, a plain timer callback (no sleeping fiber) interrupts that
 * fiber with the region's own id, and the region's uninterruptible edge turns
 * that interruption, and only that one, into `TimeoutExceeded`. `"detach"` runs
 * the work in one child fiber so the caller can leave before the cleanup ends.
 * Time still comes from Effect's `Clock` (on the live clock every deadline
 * shares one host timer, armed for the earliest; any other clock, such as
 * `TestClock`, is slept on), so tests drive deadlines with `TestClock.adjust`.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Inspectable from "effect/Inspectable"
import type * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import * as internal from "./internal/deadline.js"
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
 * @category type ids
 */
export const TimeoutExceededTypeId: unique symbol = internal.TimeoutExceededTypeId as TimeoutExceededTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TimeoutExceededTypeId = typeof TimeoutExceededTypeId

/**
 * What happens to the interrupted work when a deadline passes.
 *
 * - `"wait"`: fail once its finalizers have run (nothing of it is left running).
 * - `"detach"`: fail at the deadline; its finalizers finish in the background.
 *
 * @since 0.1.0
 * @category models
 */
export type CleanupMode = "wait" | "detach"

/**
 * A point in time (on Effect's `Clock`) by which work must finish. It can be
 * shared by several regions and moved while they run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Deadline extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: TypeId
  readonly label: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface MakeOptions {
  /** The budget from now: a `Duration` input of at least 0, or `Infinity` to set it later. */
  readonly after: Duration.DurationInput
  /** Names the operation in `TimeoutExceeded` (default `"operation"`). */
  readonly label?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface WithinOptions {
  /** Default `"wait"`. */
  readonly cleanup?: CleanupMode | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TimeoutOptions extends MakeOptions, WithinOptions {}

/**
 * A snapshot of a deadline.
 *
 * @since 0.1.0
 * @category models
 */
export interface Statistics {
  readonly label: string
  /** The deadline's own budget from its creation, in ms (moves included). */
  readonly budgetMs: number
  /** Time left, counting enclosing deadlines; 0 once expired. */
  readonly remainingMs: number
  /** How many times it was extended, shortened or rescheduled. */
  readonly moves: number
  readonly expired: boolean
  /** Regions currently running under it. */
  readonly activeRegions: number
}

/**
 * The deadline of `label` passed before the work finished. `after` is the
 * budget the operation had (moves included).
 *
 * @since 0.1.0
 * @category errors
 */
export interface TimeoutExceeded extends Cause.YieldableError {
  readonly _tag: "TimeoutExceeded"
  readonly [TimeoutExceededTypeId]: TimeoutExceededTypeId
  readonly label: string
  readonly after: Duration.Duration
}

/**
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { Deadline } from "@fiberkit/core"
 *
 * const error = new Deadline.TimeoutExceeded({ label: "GET /users/1", after: Duration.millis(250) })
 * console.log(error.message) // GET /users/1 did not finish within 250ms
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const TimeoutExceeded: new(
  args: { readonly label: string; readonly after: Duration.Duration }
) => TimeoutExceeded = internal.TimeoutExceeded

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@fiberkit/core"
 *
 * const program = Effect.map(Deadline.make({ after: "1 second" }), Deadline.isDeadline) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isDeadline: (u: unknown) => u is Deadline = internal.isDeadline

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@fiberkit/core"
 *
 * const program = Effect.never.pipe(
 *   Deadline.timeout({ after: "10 millis", label: "wait" }),
 *   Effect.catchIf(Deadline.isTimeoutExceeded, (e) => Effect.succeed(e.label))
 * )
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isTimeoutExceeded: (u: unknown) => u is TimeoutExceeded = internal.isTimeoutExceeded

/**
 * `async with asyncio.timeout(after):` around one effect. Runs `self` and
 * fails with `TimeoutExceeded` if it has not finished after `after`. Wrap a
 * `TaskGroup.run` to give the whole group one deadline (every task is
 * interrupted when it passes), or wrap each spawned effect for per-task
 * deadlines.
 *
 * Bad options (a negative or unparsable `after`, an empty label, an unknown
 * cleanup mode) fail with `InvalidArgumentError` before anything runs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline, TaskGroup } from "@fiberkit/core"
 *
 * const fetchUrl = (url: string) => Effect.succeed(url).pipe(Effect.delay("20 millis"))
 *
 * // each fetch has 100 ms, all of them together 1 second
 * const program = TaskGroup.runAll(
 *   ["/a", "/b"].map((url) => fetchUrl(url).pipe(Deadline.timeout({ after: "100 millis", label: url })))
 * ).pipe(Deadline.timeout({ after: "1 second", label: "fetch all" }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const timeout: {
  (options: TimeoutOptions): <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | TimeoutExceeded | InvalidArgumentError, R>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    options: TimeoutOptions
  ): Effect.Effect<A, E | TimeoutExceeded | InvalidArgumentError, R>
} = internal.timeout

/**
 * Creates a deadline `after` from now on the current `Clock`, to run work
 * under it with `within` and move it while it runs. Created inside another
 * deadline's region, it is nested in it: it can never be later than the outer
 * one in effect.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const deadline = yield* Deadline.make({ after: "1 second", label: "upload" })
 *   return yield* Effect.sleep("10 millis").pipe(Deadline.within(deadline))
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options: MakeOptions) => Effect.Effect<Deadline, InvalidArgumentError> = internal.make

/**
 * Runs `self` under `deadline`; fails with `TimeoutExceeded` when it passes.
 * Moving the deadline while `self` runs moves its timer. A deadline that has
 * already passed fails at once without starting `self`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const deadline = yield* Deadline.make({ after: "100 millis", label: "job" })
 *   const work = Effect.gen(function*() {
 *     yield* Effect.sleep("80 millis")
 *     yield* Deadline.extend(deadline, "100 millis") // progress was made: allow more time
 *     yield* Effect.sleep("80 millis")
 *   })
 *   yield* Deadline.within(work, deadline, { cleanup: "detach" })
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const within: {
  (deadline: Deadline, options?: WithinOptions): <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | TimeoutExceeded | InvalidArgumentError, R>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    deadline: Deadline,
    options?: WithinOptions
  ): Effect.Effect<A, E | TimeoutExceeded | InvalidArgumentError, R>
} = internal.within

/**
 * Moves the deadline later by `by`. Succeeds with `false` (and changes
 * nothing) when it has already expired: an expired deadline cannot be revived.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@fiberkit/core"
 *
 * const program = Effect.flatMap(Deadline.make({ after: "1 second" }), Deadline.extend("500 millis"))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const extend: {
  (by: Duration.DurationInput): (self: Deadline) => Effect.Effect<boolean, InvalidArgumentError>
  (self: Deadline, by: Duration.DurationInput): Effect.Effect<boolean, InvalidArgumentError>
} = internal.extend

/**
 * Moves the deadline earlier by `by`; if that puts it in the past, the work
 * under it is interrupted at once.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@fiberkit/core"
 *
 * const program = Effect.flatMap(Deadline.make({ after: "1 second" }), Deadline.shorten("500 millis"))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const shorten: {
  (by: Duration.DurationInput): (self: Deadline) => Effect.Effect<boolean, InvalidArgumentError>
  (self: Deadline, by: Duration.DurationInput): Effect.Effect<boolean, InvalidArgumentError>
} = internal.shorten

/**
 * Sets the deadline to `after` from now (Python's `Timeout.reschedule`);
 * `Infinity` removes it. `false` when it has already expired.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@fiberkit/core"
 *
 * const program = Effect.flatMap(Deadline.make({ after: Infinity }), Deadline.reschedule("2 seconds"))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const reschedule: {
  (after: Duration.DurationInput): (self: Deadline) => Effect.Effect<boolean, InvalidArgumentError>
  (self: Deadline, after: Duration.DurationInput): Effect.Effect<boolean, InvalidArgumentError>
} = internal.reschedule

/**
 * Time left before the deadline, counting every enclosing deadline (so the
 * answer is never later than the outer one); zero once expired, infinity for
 * an unset deadline.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@fiberkit/core"
 *
 * const program = Effect.flatMap(Deadline.make({ after: "1 second" }), Deadline.remaining)
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const remaining: (self: Deadline) => Effect.Effect<Duration.Duration, InvalidArgumentError> = internal.remaining

/**
 * The innermost deadline the current fiber runs under, if any.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@fiberkit/core"
 *
 * const program = Deadline.current.pipe(Deadline.timeout({ after: "1 second", label: "outer" }))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const current: Effect.Effect<Option.Option<Deadline>> = internal.current

/**
 * Time left for the current fiber under every deadline around it (infinity
 * outside any): the budget to hand to a client library's own timeout option.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@fiberkit/core"
 *
 * const program = Deadline.currentRemaining.pipe(Deadline.timeout({ after: "2 seconds" }))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const currentRemaining: Effect.Effect<Duration.Duration> = internal.currentRemaining

/**
 * A snapshot of the deadline: budget, time left, moves, expiry, regions under it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@fiberkit/core"
 *
 * const program = Effect.flatMap(Deadline.make({ after: "1 second", label: "job" }), Deadline.statistics)
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const statistics: (self: Deadline) => Effect.Effect<Statistics, InvalidArgumentError> = internal.statistics
