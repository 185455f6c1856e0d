/**
 * Tracked background work: the answer to asyncio's "fire and forget is a
 * leaked task". `asyncio.create_task(job())` without keeping the task leaves a
 * coroutine nobody awaits: its exception is reported only when it is garbage
 * collected, if at all, and nothing stops it at shutdown. In Effect the same
 * mistake is `Effect.forkDaemon` (or `Effect.runFork` inside an effect).
 *
 * `BackgroundTasks` is a set of fibers (Effect's `FiberSet`) owned by a
 * `Scope`, with the policy a service needs:
 *
 * - every task's failure is **reported** the moment it happens: logged at
 *   error level with its full `Cause`, counted, and kept (`failures`);
 * - when the scope closes, the set stops taking tasks, **waits** up to a grace
 *   period for the running ones, then **interrupts** the rest and says which
 *   (a warning log and the `CloseReport`).
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as Inspectable from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/backgroundTasks.js"
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
export interface BackgroundTasks extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: TypeId
  readonly label: string | undefined
  readonly gracePeriod: Duration.Duration
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How long closing the scope waits for running tasks before interrupting them. Required: there is no safe default. */
  readonly gracePeriod: Duration.DurationInput
  readonly label?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ForkOptions {
  /** Shown in failure logs and in the close report (default `task-N`). */
  readonly name?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Statistics {
  readonly started: number
  readonly running: number
  readonly succeeded: number
  readonly failed: number
  readonly interrupted: number
  readonly peakRunning: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TaskFailure {
  readonly name: string
  readonly cause: Cause.Cause<unknown>
}

/**
 * What closing did: which tasks finished within the grace period and which had to be interrupted.
 *
 * @since 0.1.0
 * @category models
 */
export interface CloseReport {
  readonly gracePeriod: Duration.Duration
  readonly finishedInGrace: ReadonlyArray<string>
  readonly interrupted: ReadonlyArray<string>
  readonly failures: ReadonlyArray<TaskFailure>
}

/**
 * Starting a task after shutdown has begun.
 *
 * @since 0.1.0
 * @category errors
 */
export interface BackgroundTasksClosedError extends Cause.YieldableError {
  readonly _tag: "BackgroundTasksClosedError"
  readonly label: string | undefined
  readonly task: string
}

/**
 * @example
 * ```ts
 * import { BackgroundTasks } from "@fiberkit/core"
 *
 * console.log(new BackgroundTasks.BackgroundTasksClosedError({ label: "audit", task: "send-email" }).message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const BackgroundTasksClosedError: new(
  args: { readonly label: string | undefined; readonly task: string }
) => BackgroundTasksClosedError = internal.BackgroundTasksClosedError

/**
 * @example
 * ```ts
 * import { BackgroundTasks } from "@fiberkit/core"
 *
 * console.log(BackgroundTasks.isBackgroundTasks({})) // false
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isBackgroundTasks: (u: unknown) => u is BackgroundTasks = internal.isBackgroundTasks

/**
 * A set of background tasks living as long as the enclosing `Scope`. A bad
 * `gracePeriod` fails with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { BackgroundTasks } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const tasks = yield* BackgroundTasks.make({ gracePeriod: "5 seconds", label: "follow-ups" })
 *   yield* BackgroundTasks.fork(tasks, Effect.log("sending the welcome email"), { name: "welcome-email" })
 *   return "response sent" // the email still goes out: the scope waits up to 5 s for it
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options: Options) => Effect.Effect<BackgroundTasks, InvalidArgumentError, Scope.Scope> =
  internal.make

/**
 * Starts `effect` in the background and returns its fiber at once. Its
 * failure is logged with its Cause and counted; it is interrupted if still
 * running when the grace period ends. Fails with `BackgroundTasksClosedError`
 * once shutdown has begun.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { BackgroundTasks } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const tasks = yield* BackgroundTasks.make({ gracePeriod: "1 second" })
 *   yield* tasks.pipe(BackgroundTasks.fork(Effect.fail("smtp down"), { name: "email" }))
 *   // logged: background task "email" failed, with the Cause
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const fork: {
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: ForkOptions
  ): (self: BackgroundTasks) => Effect.Effect<Fiber.RuntimeFiber<A, E>, BackgroundTasksClosedError, R>
  <A, E, R>(
    self: BackgroundTasks,
    effect: Effect.Effect<A, E, R>,
    options?: ForkOptions
  ): Effect.Effect<Fiber.RuntimeFiber<A, E>, BackgroundTasksClosedError, R>
} = internal.fork

/**
 * What closing the scope does, on demand: stop taking tasks, wait up to the
 * grace period, interrupt the rest, report. Calling it again returns the same report.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { BackgroundTasks } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const tasks = yield* BackgroundTasks.make({ gracePeriod: "100 millis" })
 *   yield* BackgroundTasks.fork(tasks, Effect.never, { name: "stuck" })
 *   const report = yield* BackgroundTasks.shutdown(tasks)
 *   console.log(report.interrupted) // ["stuck"]
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const shutdown: (self: BackgroundTasks) => Effect.Effect<CloseReport> = internal.shutdown

/**
 * Waits until no task is running (without closing the set).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { BackgroundTasks } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const tasks = yield* BackgroundTasks.make({ gracePeriod: "1 second" })
 *   yield* BackgroundTasks.fork(tasks, Effect.sleep("10 millis"))
 *   yield* BackgroundTasks.awaitEmpty(tasks)
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const awaitEmpty: (self: BackgroundTasks) => Effect.Effect<void> = internal.awaitEmpty

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { BackgroundTasks } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.flatMap(BackgroundTasks.make({ gracePeriod: 0 }), BackgroundTasks.statistics))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const statistics: (self: BackgroundTasks) => Effect.Effect<Statistics> = internal.statistics

/**
 * Every task failure so far, in order, with the task's name and Cause.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { BackgroundTasks } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.flatMap(BackgroundTasks.make({ gracePeriod: 0 }), BackgroundTasks.failures))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const failures: (self: BackgroundTasks) => Effect.Effect<ReadonlyArray<TaskFailure>> = internal.failures

/**
 * The names of the tasks running now.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { BackgroundTasks } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.flatMap(BackgroundTasks.make({ gracePeriod: 0 }), BackgroundTasks.running))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const running: (self: BackgroundTasks) => Effect.Effect<ReadonlyArray<string>> = internal.running
