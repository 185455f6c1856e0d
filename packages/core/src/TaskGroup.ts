/**
 * A task group is a scope that owns the fibers spawned into it. It is the
 * Effect counterpart of Python's `asyncio.TaskGroup` and trio's nurseries:
 *
 * - the group does not finish until every task in it has finished;
 * - in `"fail-fast"` mode the first task that fails interrupts its siblings
 *   (and the body of `run`), and the group fails with a `Cause` that keeps
 *   **every** failure that happened, in the order they happened;
 * - in `"settle"` mode failures do not spread: every task runs to its end and
 *   its `Exit` is read from its handle (asyncio's `gather(...,
 *   return_exceptions=True)`, with the structure kept);
 * - interrupting the owner interrupts every task, and when the group's scope
 *   closes no fiber of it is left running.
 *
 * Why not `Effect.all` or `FiberSet`? `Effect.all` needs every effect up front
 * and reports only the first failure in its default mode; `FiberSet` lets tasks
 * be added at any time but neither waits for them nor cancels siblings on
 * failure. A task group does both, and counts what happened (`statistics`).
 *
 * A spawned task's error type appears in the error channel of `spawn` in
 * fail-fast mode: from the moment it is spawned, the enclosing body can fail
 * with it, because the group will interrupt the body and fail with that error.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Inspectable from "effect/Inspectable"
import type * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import type * as Types from "effect/Types"
import * as internal from "./internal/taskGroup.js"

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
export const TaskTypeId: unique symbol = internal.TaskTypeId as TaskTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TaskTypeId = typeof TaskTypeId

/**
 * `"fail-fast"`: the first failure interrupts every other task.
 * `"settle"`: every task runs to its end; failures are read from the handles.
 *
 * @since 0.1.0
 * @category models
 */
export type Mode = "fail-fast" | "settle"

/**
 * The errors a group of mode `M` can fail with because of a task failing with `E`.
 *
 * @since 0.1.0
 * @category models
 */
export type FailureOf<M extends Mode, E> = M extends "fail-fast" ? E : never

/**
 * What `runAll` returns: values in fail-fast mode, one `Exit` per task in settle mode.
 *
 * @since 0.1.0
 * @category models
 */
export type ResultsOf<M extends Mode, A, E> = M extends "settle" ? Array<Exit.Exit<A, E>> : Array<A>

/**
 * @since 0.1.0
 * @category models
 */
export interface TaskGroup<M extends Mode = "fail-fast"> extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: TypeId
  readonly mode: M
  readonly label: string | undefined
}

/**
 * The handle of a spawned task: `join(task)` waits for its value, `await(task)`
 * for its `Exit`, `result(task)` reads it once finished (asyncio's
 * `task.result()`). A handle is plain data, so discarding it is fine.
 *
 * @since 0.1.0
 * @category models
 */
export interface Task<out A, out E = never> extends Pipeable, Inspectable.Inspectable {
  readonly [TaskTypeId]: Task.Variance<A, E>
  /** Position in spawn order, from 0. */
  readonly index: number
  readonly label: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace Task {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Variance<out A, out E> {
    readonly _A: Types.Covariant<A>
    readonly _E: Types.Covariant<E>
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<M extends Mode = "fail-fast"> {
  /** Default `"fail-fast"`. */
  readonly mode?: M | undefined
  /** A name shown in errors and in `toString`. */
  readonly label?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SpawnOptions {
  /** A name kept with the task's failure, for reports and `ErrorGroup`. */
  readonly label?: string | undefined
}

/**
 * Counts in the style of trio's `statistics()`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Statistics {
  readonly spawned: number
  readonly running: number
  readonly succeeded: number
  readonly failed: number
  readonly interrupted: number
  readonly peakRunning: number
}

/**
 * One failed task: where it stood in spawn order, its label and its cause.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskFailure {
  readonly index: number
  readonly label: string | undefined
  readonly cause: Cause.Cause<unknown>
}

/**
 * Spawning into a group that is shutting down after a failure, or that has
 * already closed. asyncio raises `RuntimeError` here; fiberkit fails with this.
 *
 * @since 0.1.0
 * @category errors
 */
export interface TaskGroupClosedError extends Cause.YieldableError {
  readonly _tag: "TaskGroupClosedError"
  readonly label: string | undefined
  readonly reason: "failing" | "closed"
}

/**
 * @example
 * ```ts
 * import { TaskGroup } from "@fiberkit/core"
 *
 * const error = new TaskGroup.TaskGroupClosedError({ label: "fetch", reason: "closed" })
 * console.log(error.message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const TaskGroupClosedError: new(
  args: { readonly label: string | undefined; readonly reason: "failing" | "closed" }
) => TaskGroupClosedError = internal.TaskGroupClosedError

/**
 * Reading a task's result (`result`) before the task has finished: asyncio's
 * `InvalidStateError`.
 *
 * @since 0.1.0
 * @category errors
 */
export interface TaskNotDoneError extends Cause.YieldableError {
  readonly _tag: "TaskNotDoneError"
  readonly index: number
  readonly label: string | undefined
}

/**
 * @example
 * ```ts
 * import { TaskGroup } from "@fiberkit/core"
 *
 * console.log(new TaskGroup.TaskNotDoneError({ index: 0, label: "user" }).message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const TaskNotDoneError: new(
  args: { readonly index: number; readonly label: string | undefined }
) => TaskNotDoneError = internal.TaskNotDoneError

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@fiberkit/core"
 *
 * const program = TaskGroup.run((group) => Effect.succeed(TaskGroup.isTaskGroup(group)))
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isTaskGroup: (u: unknown) => u is TaskGroup<Mode> = internal.isTaskGroup

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@fiberkit/core"
 *
 * const program = TaskGroup.run((group) =>
 *   Effect.map(TaskGroup.spawn(group, Effect.succeed(1)), TaskGroup.isTask)
 * )
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isTask: (u: unknown) => u is Task<unknown, unknown> = internal.isTask

/**
 * Creates a group that lives as long as the enclosing `Scope`. When the scope
 * closes, every task still running is interrupted and awaited. Call `join` to
 * wait for the tasks and receive their failures.
 *
 * `run` is usually what you want: it also interrupts the body on failure.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@fiberkit/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function*() {
 *     const group = yield* TaskGroup.make({ label: "workers" })
 *     yield* TaskGroup.spawn(group, Effect.log("one"))
 *     yield* TaskGroup.spawn(group, Effect.log("two"))
 *     yield* TaskGroup.join(group)
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <M extends Mode = "fail-fast">(
  options?: Options<M>
) => Effect.Effect<TaskGroup<M>, never, Scope.Scope> = internal.make

/**
 * `async with asyncio.TaskGroup() as tg:` in Effect. Runs `body` with a fresh
 * group, waits for every task it spawned, and returns the body's value.
 * In fail-fast mode a failing task interrupts the body and the other tasks,
 * and the result fails with every failure (combined with `Cause.parallel`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@fiberkit/core"
 *
 * const fetchUser = (id: string) => Effect.succeed({ id, name: "Ada" })
 * const fetchOrders = (id: string) => Effect.succeed([{ user: id, total: 12 }])
 *
 * const program = TaskGroup.run((group) =>
 *   Effect.gen(function*() {
 *     const user = yield* TaskGroup.spawn(group, fetchUser("1"))
 *     const orders = yield* TaskGroup.spawn(group, fetchOrders("1"))
 *     // join waits for a task and returns its value
 *     return { user: yield* TaskGroup.join(user), orders: yield* TaskGroup.join(orders) }
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const run: <A, E, R, M extends Mode = "fail-fast">(
  body: (group: TaskGroup<M>) => Effect.Effect<A, E, R>,
  options?: Options<M>
) => Effect.Effect<A, E, R> = internal.run

/**
 * Runs every effect as a task of one group and returns their results in the
 * order given: the replacement for `asyncio.gather`. In fail-fast mode it
 * returns the values; in settle mode one `Exit` per effect.
 *
 * @example
 * ```ts
 * import { Effect, Exit } from "effect"
 * import { TaskGroup } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const values = yield* TaskGroup.runAll([Effect.succeed(1), Effect.succeed(2)])
 *   const exits = yield* TaskGroup.runAll([Effect.succeed(1), Effect.fail("boom")], { mode: "settle" })
 *   return [values, exits.map(Exit.isSuccess)]
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const runAll: <A, E, R, M extends Mode = "fail-fast">(
  effects: Iterable<Effect.Effect<A, E, R>>,
  options?: Options<M>
) => Effect.Effect<ResultsOf<M, A, E>, FailureOf<M, E>, R> = internal.runAll

/**
 * Starts `effect` as a task of the group and returns its handle at once.
 * Fails with `TaskGroupClosedError` when the group no longer takes tasks.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@fiberkit/core"
 *
 * const program = TaskGroup.run((group) =>
 *   Effect.gen(function*() {
 *     const task = yield* group.pipe(TaskGroup.spawn(Effect.succeed(42), { label: "answer" }))
 *     return yield* TaskGroup.join(task)
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const spawn: {
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: SpawnOptions
  ): <M extends Mode>(self: TaskGroup<M>) => Effect.Effect<Task<A, E>, TaskGroupClosedError | FailureOf<M, E>, R>
  <M extends Mode, A, E, R>(
    self: TaskGroup<M>,
    effect: Effect.Effect<A, E, R>,
    options?: SpawnOptions
  ): Effect.Effect<Task<A, E>, TaskGroupClosedError | FailureOf<M, E>, R>
} = internal.spawn

/**
 * `join(task)` waits for one task and returns its value or fails as it
 * failed. `join(group)` waits until no task of the group is running, then
 * closes it to new tasks; in fail-fast mode it fails with every task failure.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const group = yield* TaskGroup.make({ mode: "settle" })
 *   const answer = yield* TaskGroup.spawn(group, Effect.succeed(42))
 *   yield* TaskGroup.spawn(group, Effect.fail("ignored in settle mode"))
 *   yield* TaskGroup.join(group)
 *   return yield* TaskGroup.join(answer)
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const join: {
  <A, E>(task: Task<A, E>): Effect.Effect<A, E>
  <M extends Mode>(group: TaskGroup<M>): Effect.Effect<void, FailureOf<M, unknown>>
} = internal.join

/**
 * A snapshot of the group's counters.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@fiberkit/core"
 *
 * const program = TaskGroup.run((group) =>
 *   Effect.gen(function*() {
 *     yield* TaskGroup.spawn(group, Effect.never)
 *     return yield* TaskGroup.statistics(group) // { spawned: 1, running: 1, ... }
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const statistics: <M extends Mode>(self: TaskGroup<M>) => Effect.Effect<Statistics> = internal.statistics

/**
 * Every task failure so far, in the order they happened, with the task's
 * index and label. In settle mode this is how failures are collected.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const group = yield* TaskGroup.make({ mode: "settle" })
 *   yield* TaskGroup.spawn(group, Effect.fail("a"), { label: "first" })
 *   yield* TaskGroup.join(group)
 *   return yield* TaskGroup.failures(group)
 * }))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const failures: <M extends Mode>(self: TaskGroup<M>) => Effect.Effect<ReadonlyArray<TaskFailure>> =
  internal.failures

/**
 * `task.result()`: the value of a finished task, its failure, or
 * `TaskNotDoneError` when it is still running.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const task = yield* TaskGroup.run((group) => TaskGroup.spawn(group, Effect.succeed("done")))
 *   return yield* TaskGroup.result(task) // "done": the group has joined
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const result: <A, E>(task: Task<A, E>) => Effect.Effect<A, E | TaskNotDoneError> = internal.result

/**
 * The task's `Exit` if it has finished.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@fiberkit/core"
 *
 * const program = TaskGroup.run((group) =>
 *   Effect.map(TaskGroup.spawn(group, Effect.never), TaskGroup.poll) // Option.none()
 * )
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const poll: <A, E>(task: Task<A, E>) => Option.Option<Exit.Exit<A, E>> = internal.poll

/**
 * Waits for the task and returns its `Exit` without failing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@fiberkit/core"
 *
 * const program = TaskGroup.run((group) =>
 *   Effect.flatMap(TaskGroup.spawn(group, Effect.fail("no"), {}), TaskGroup.await)
 * , { mode: "settle" })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
const _await: <A, E>(task: Task<A, E>) => Effect.Effect<Exit.Exit<A, E>> = internal.awaitTask

export {
  /**
   * Waits for the task and returns its `Exit` without failing.
   *
   * @since 0.1.0
   * @category combinators
   */
  _await as await
}

/**
 * Interrupts one task (asyncio's `task.cancel()`) and waits for it to end.
 * A cancelled task does not fail its group.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@fiberkit/core"
 *
 * const program = TaskGroup.run((group) =>
 *   Effect.gen(function*() {
 *     const task = yield* TaskGroup.spawn(group, Effect.never)
 *     yield* TaskGroup.cancel(task)
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const cancel: <A, E>(task: Task<A, E>) => Effect.Effect<void> = internal.cancel
