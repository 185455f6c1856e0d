/**
 * Python's `ExceptionGroup` and `except*` for Effect.
 *
 * A failed Effect carries a `Cause`: a tree that can hold many typed failures,
 * defects and interruptions at once (a `TaskGroup` keeps every task's failure
 * in it). Effect's own tools mostly look at one of them: `Effect.catchTags`
 * handles the first failure it meets and `Cause.squash` keeps one error. This
 * module gives the whole picture:
 *
 * - `fromCause` turns a `Cause` into an `ErrorGroup`: the typed failures in the
 *   order they happened, the defects, the interruptions, each with the task it
 *   came from when known (from `TaskGroup.failures` or `Batch`), and tasks that
 *   failed for several reasons as nested groups;
 * - `catchTags` is `except*`: one handler per tag receiving **all** failures of
 *   that tag; what no handler matched fails again with the same structure;
 *   defects and interruptions are never swallowed; handled tags leave the
 *   error type;
 * - `format` prints a group as a tree (task, tag, message, nested groups).
 *
 * @since 0.1.0
 */
import type { NonEmptyReadonlyArray } from "effect/Array"
import type * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as FiberId from "effect/FiberId"
import type * as Inspectable from "effect/Inspectable"
import type * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import * as internal from "./internal/errorGroup.js"
import type { InvalidArgumentError } from "./InvalidArgument.js"
import type * as TaskGroup from "./TaskGroup.js"

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
 * The task an entry came from: its position (spawn order, or input order in a
 * `Batch`) and its label.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskRef {
  readonly index: number
  readonly label: string | undefined
}

/**
 * A typed failure (`Effect.fail`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Failure<out E> {
  readonly _tag: "Failure"
  readonly error: E
  readonly task: TaskRef | undefined
}

/**
 * An unexpected error (`Effect.die`, a thrown exception): never handled by a
 * failure handler.
 *
 * @since 0.1.0
 * @category models
 */
export interface Defect {
  readonly _tag: "Defect"
  readonly defect: unknown
  readonly task: TaskRef | undefined
}

/**
 * An interruption, with the fiber that asked for it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Interruption {
  readonly _tag: "Interruption"
  readonly fiberId: FiberId.FiberId
  readonly task: TaskRef | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type Entry<E> = Failure<E> | Defect | Interruption | ErrorGroup<E>

/**
 * A structured view of everything that went wrong. `entries` keeps the order
 * in which things happened; `failures`, `defects`, `interruptions` and
 * `groups` are the same entries by kind (this level only; `allFailures`
 * walks nested groups).
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorGroup<out E> extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: TypeId
  readonly _tag: "ErrorGroup"
  readonly label: string | undefined
  /** How the group ran, when known: `"fail-fast"` or `"settle"`. */
  readonly mode: TaskGroup.Mode | undefined
  /** For a nested group: the task that failed with it. */
  readonly task: TaskRef | undefined
  readonly entries: ReadonlyArray<Entry<E>>
  readonly failures: ReadonlyArray<Failure<E>>
  readonly defects: ReadonlyArray<Defect>
  readonly interruptions: ReadonlyArray<Interruption>
  readonly groups: ReadonlyArray<ErrorGroup<E>>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FromCauseOptions {
  readonly label?: string | undefined
  readonly mode?: TaskGroup.Mode | undefined
  /**
   * The failures of the group the cause came from (`TaskGroup.failures`): an
   * entry inside one of these causes is attributed to that task.
   */
  readonly tasks?: ReadonlyArray<TaskGroup.TaskFailure> | undefined
}

/**
 * The `_tag`s of the tagged members of `E`.
 *
 * @since 0.1.0
 * @category models
 */
export type Tags<E> = E extends { readonly _tag: infer T extends string } ? T : never

/**
 * One handler per tag of `E`, each receiving every failure with that tag.
 *
 * @since 0.1.0
 * @category models
 */
export type Handlers<E> = {
  readonly [K in Tags<E>]?: (
    errors: NonEmptyReadonlyArray<Extract<E, { readonly _tag: K }>>
  ) => Effect.Effect<void, any, any>
}

type HandlerError<H> = {
  [K in keyof H]: H[K] extends (...args: Array<any>) => Effect.Effect<any, infer E, any> ? E : never
}[keyof H]

type HandlerContext<H> = {
  [K in keyof H]: H[K] extends (...args: Array<any>) => Effect.Effect<any, any, infer R> ? R : never
}[keyof H]

/**
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import { ErrorGroup } from "@fiberkit/core"
 *
 * console.log(ErrorGroup.isErrorGroup(ErrorGroup.fromCause(Cause.fail("x")))) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isErrorGroup: (u: unknown) => u is ErrorGroup<unknown> = internal.isErrorGroup

/**
 * Builds a group from entries, e.g. to print a report assembled by hand.
 *
 * @example
 * ```ts
 * import { ErrorGroup } from "@fiberkit/core"
 *
 * const group = ErrorGroup.make({
 *   label: "import",
 *   entries: [{ _tag: "Failure", error: "row 3 is empty", task: { index: 3, label: "row 3" } }]
 * })
 * console.log(ErrorGroup.format(group))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <E>(options: {
  readonly label?: string | undefined
  readonly mode?: TaskGroup.Mode | undefined
  readonly task?: TaskRef | undefined
  readonly entries: ReadonlyArray<Entry<E>>
}) => ErrorGroup<E> = internal.make

/**
 * The structured view of a `Cause`. Entries appear left to right as the cause
 * holds them (a `TaskGroup`'s cause lists its failures in the order they
 * happened). Pass `tasks` (from `TaskGroup.failures`) to attribute entries to
 * their tasks; a task that failed for several reasons becomes a nested group.
 * Anything but a `Cause` throws `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Cause, Data } from "effect"
 * import { ErrorGroup } from "@fiberkit/core"
 *
 * class NotFound extends Data.TaggedError("NotFound")<{ readonly id: number }> {}
 *
 * const group = ErrorGroup.fromCause(
 *   Cause.parallel(Cause.fail(new NotFound({ id: 1 })), Cause.die(new Error("bug")))
 * )
 * console.log(group.failures.length, group.defects.length) // 1 1
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromCause: <E>(cause: Cause.Cause<E>, options?: FromCauseOptions) => ErrorGroup<E> = internal.fromCause

/**
 * `fromCause` of a failed `Exit`; `None` for a success.
 *
 * @example
 * ```ts
 * import { Effect, Exit } from "effect"
 * import { ErrorGroup } from "@fiberkit/core"
 *
 * const group = ErrorGroup.fromExit(Effect.runSyncExit(Effect.fail("no")))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromExit: <A, E>(exit: Exit.Exit<A, E>, options?: FromCauseOptions) => Option.Option<ErrorGroup<E>> =
  internal.fromExit

/**
 * The failures of a `TaskGroup` so far, each attributed to its task (index and
 * label), with the group's label and mode.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ErrorGroup, TaskGroup } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const group = yield* TaskGroup.make({ mode: "settle", label: "jobs" })
 *   yield* TaskGroup.spawn(group, Effect.fail("disk full"), { label: "backup" })
 *   yield* TaskGroup.join(group)
 *   const errors = yield* ErrorGroup.fromTaskGroup(group)
 *   console.log(ErrorGroup.format(errors))
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromTaskGroup: <M extends TaskGroup.Mode>(
  group: TaskGroup.TaskGroup<M>
) => Effect.Effect<ErrorGroup<unknown>, InvalidArgumentError> = internal.fromTaskGroup

/**
 * Every typed failure, nested groups included, in tree order.
 *
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import { ErrorGroup } from "@fiberkit/core"
 *
 * const errors = ErrorGroup.allFailures(ErrorGroup.fromCause(Cause.parallel(Cause.fail(1), Cause.fail(2))))
 * console.log(errors.map((f) => f.error)) // [1, 2]
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const allFailures: <E>(self: ErrorGroup<E>) => Array<Failure<E>> = internal.allFailures

/**
 * Counts over the whole tree.
 *
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import { ErrorGroup } from "@fiberkit/core"
 *
 * console.log(ErrorGroup.size(ErrorGroup.fromCause(Cause.die("x")))) // { failures: 0, defects: 1, ... }
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const size: (self: ErrorGroup<unknown>) => {
  readonly failures: number
  readonly defects: number
  readonly interruptions: number
  readonly groups: number
} = internal.size

/**
 * `true` when the tree holds no failure, defect or interruption.
 *
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import { ErrorGroup } from "@fiberkit/core"
 *
 * console.log(ErrorGroup.isEmpty(ErrorGroup.fromCause(Cause.empty))) // true
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const isEmpty: (self: ErrorGroup<unknown>) => boolean = internal.isEmpty

/**
 * Every typed failure of the tree, grouped by `_tag` (untagged errors under
 * `"(untagged)"`), each list in tree order.
 *
 * @example
 * ```ts
 * import { Cause, Data } from "effect"
 * import { ErrorGroup } from "@fiberkit/core"
 *
 * class Timeout extends Data.TaggedError("Timeout")<{}> {}
 * const byTag = ErrorGroup.groupByTag(ErrorGroup.fromCause(Cause.fail(new Timeout())))
 * console.log(byTag.get("Timeout")?.length) // 1
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const groupByTag: <E>(self: ErrorGroup<E>) => Map<string, Array<Failure<E>>> = internal.groupByTag

/**
 * `ExceptionGroup.split`: the failures matching the predicate, and the rest
 * (with every defect and interruption), both keeping the nested structure.
 *
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import { ErrorGroup } from "@fiberkit/core"
 *
 * const group = ErrorGroup.fromCause(Cause.parallel(Cause.fail(404), Cause.fail(500)))
 * const [clientErrors, rest] = ErrorGroup.split(group, (status: number) => status < 500)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const split: {
  <E, E1 extends E>(
    refinement: (error: E) => error is E1
  ): (self: ErrorGroup<E>) => [ErrorGroup<E1>, ErrorGroup<Exclude<E, E1>>]
  <E>(predicate: (error: E) => boolean): (self: ErrorGroup<E>) => [ErrorGroup<E>, ErrorGroup<E>]
  <E, E1 extends E>(
    self: ErrorGroup<E>,
    refinement: (error: E) => error is E1
  ): [ErrorGroup<E1>, ErrorGroup<Exclude<E, E1>>]
  <E>(self: ErrorGroup<E>, predicate: (error: E) => boolean): [ErrorGroup<E>, ErrorGroup<E>]
} = internal.split

/**
 * The group as a tree, for logs and demos:
 *
 * ```text
 * ErrorGroup "batch" (settle): 3 failures, 1 defect
 * ├─ [#2 user 2] NotFound: user 2 does not exist
 * ├─ [#5 report] ErrorGroup: 2 failures
 * │  ├─ HttpError: GET /a answered 500
 * │  └─ HttpError: GET /b answered 503
 * └─ [#7] defect: Error: unexpected null
 * ```
 *
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import { ErrorGroup } from "@fiberkit/core"
 *
 * console.log(ErrorGroup.format(ErrorGroup.fromCause(Cause.fail("boom"))))
 * ```
 *
 * @since 0.1.0
 * @category formatting
 */
export const format: (self: ErrorGroup<unknown>) => string = internal.format

/**
 * `except*` for an effect. Each handler receives **every** failure of its
 * tag from the effect's `Cause` (however many tasks failed with it) and runs
 * once, in the order written. What no handler matched fails again with the
 * cause's structure kept; defects and interruptions are always re-raised; a
 * handler that fails adds its failure to what is re-raised. When every
 * failure was handled the result is `Option.none()`; a success is
 * `Option.some(value)` (the `try` block completed).
 *
 * Handled tags leave the error type. A handler object that is not an object
 * of functions dies with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Console, Data, Effect } from "effect"
 * import { ErrorGroup, TaskGroup } from "@fiberkit/core"
 *
 * class NotFound extends Data.TaggedError("NotFound")<{ readonly id: number }> {}
 * class Timeout extends Data.TaggedError("Timeout")<{ readonly id: number }> {}
 *
 * const fetchOne = (id: number): Effect.Effect<number, NotFound | Timeout> =>
 *   id % 3 === 0 ? Effect.fail(new NotFound({ id })) : id % 5 === 0 ? Effect.fail(new Timeout({ id })) : Effect.succeed(id)
 *
 * // Effect<Option<Array<number>>, Timeout>: NotFound has left the error channel
 * const program = TaskGroup.runAll([3, 5, 6].map((id) => Effect.uninterruptible(fetchOne(id)))).pipe(
 *   ErrorGroup.catchTags({
 *     NotFound: (errors) => Console.log(`${errors.length} ids do not exist`)
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category error handling
 */
export const catchTags: {
  <
    E,
    Cases extends
      & {
        [K in Extract<E, { _tag: string }>["_tag"]]+?: (
          errors: NonEmptyReadonlyArray<Extract<E, { _tag: K }>>
        ) => Effect.Effect<void, any, any>
      }
      & (unknown extends E ? {} : { [K in Exclude<keyof Cases, Extract<E, { _tag: string }>["_tag"]>]: never })
  >(
    cases: Cases
  ): <A, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<
    Option.Option<A>,
    Exclude<E, { _tag: keyof Cases }> | HandlerError<Cases>,
    R | HandlerContext<Cases>
  >
  <
    A,
    E,
    R,
    Cases extends
      & {
        [K in Extract<E, { _tag: string }>["_tag"]]+?: (
          errors: NonEmptyReadonlyArray<Extract<E, { _tag: K }>>
        ) => Effect.Effect<void, any, any>
      }
      & (unknown extends E ? {} : { [K in Exclude<keyof Cases, Extract<E, { _tag: string }>["_tag"]>]: never })
  >(
    self: Effect.Effect<A, E, R>,
    cases: Cases
  ): Effect.Effect<
    Option.Option<A>,
    Exclude<E, { _tag: keyof Cases }> | HandlerError<Cases>,
    R | HandlerContext<Cases>
  >
} = internal.catchTags as any
