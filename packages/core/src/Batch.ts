/**
 * Process a batch of items concurrently and get back, for **every input
 * item**, what happened to it: the seed's `process_batch`, asyncio's
 * `gather(..., return_exceptions=True)` with the item kept beside its result.
 *
 * - `"settle"` (the default): every item runs to its end; successes and
 *   failures both come back.
 * - `"fail-fast"`: TaskGroup semantics. The first failure stops the batch:
 *   items still running are interrupted, items not started never start, and
 *   every failure that happened (including ones racing the first) is kept.
 *
 * Why not `Effect.partition` or `Effect.all({ mode: "either" })`? `partition`
 * drops which input failed and keeps no defects; `all` with `"either"` or
 * `"validate"` gives one slot per input but never stops early and turns
 * defects into a failure of the whole call. A `Batch.Result` keys each outcome
 * by index and item, separates typed failures from defects and interruptions,
 * and turns into an `ErrorGroup` (with each failure's item as its task) or
 * back into a failing effect for `ErrorGroup.catchTags`.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import type * as Inspectable from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import type * as ErrorGroup from "./ErrorGroup.js"
import * as internal from "./internal/batch.js"
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
 * @since 0.1.0
 * @category models
 */
export interface Options<I, M extends TaskGroup.Mode = "settle"> {
  /** How many items run at once: a positive integer or `"unbounded"` (the default). */
  readonly concurrency?: number | "unbounded" | undefined
  /** `"settle"` (default) or `"fail-fast"`. */
  readonly mode?: M | undefined
  /** A name for the batch, shown by `toErrorGroup` and `ErrorGroup.format`. */
  readonly label?: string | undefined
  /** A name for each item, shown as the task label of its failure. */
  readonly itemLabel?: ((item: I, index: number) => string) | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Success<out I, out A> {
  readonly _tag: "Success"
  readonly index: number
  readonly item: I
  readonly value: A
}

/**
 * An item whose effect failed: its whole `Cause`, and the typed errors and
 * defects read from it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Failure<out I, out E> {
  readonly _tag: "Failure"
  readonly index: number
  readonly item: I
  readonly cause: Cause.Cause<E>
  readonly errors: ReadonlyArray<E>
  readonly defects: ReadonlyArray<unknown>
}

/**
 * An item that did not finish: cut short while running (`started: true`) or
 * never started because a fail-fast batch stopped first.
 *
 * @since 0.1.0
 * @category models
 */
export interface Interrupted<out I> {
  readonly _tag: "Interrupted"
  readonly index: number
  readonly item: I
  readonly started: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export type Outcome<I, A, E> = Success<I, A> | Failure<I, E> | Interrupted<I>

/**
 * @since 0.1.0
 * @category models
 */
export interface Statistics {
  readonly total: number
  readonly succeeded: number
  readonly failed: number
  readonly interrupted: number
  /** Of the interrupted, how many never started. */
  readonly notStarted: number
  /** The most items that ran at the same time. */
  readonly peakRunning: number
}

/**
 * What `process` returns: one outcome per input, in input order, plus the
 * same outcomes by kind. `succeeded + failed + interrupted = total`, always.
 *
 * @since 0.1.0
 * @category models
 */
export interface Result<out I, out A, out E> extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: TypeId
  readonly label: string | undefined
  readonly mode: TaskGroup.Mode
  readonly outcomes: ReadonlyArray<Outcome<I, A, E>>
  readonly successes: ReadonlyArray<Success<I, A>>
  /** In input order; `toErrorGroup` lists them in the order they happened. */
  readonly failures: ReadonlyArray<Failure<I, E>>
  readonly interrupted: ReadonlyArray<Interrupted<I>>
  readonly statistics: Statistics
}

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Batch } from "@fiberkit/core"
 *
 * const program = Effect.map(Batch.process([1, 2], Effect.succeed), Batch.isResult) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isResult: (u: unknown) => u is Result<unknown, unknown, unknown> = internal.isResult

/**
 * Runs `f` for every item, at most `concurrency` at once, and returns every
 * item's outcome. The effect itself fails only with `InvalidArgumentError`
 * (bad items, function or options); the items' failures are in the result.
 * Interrupting it interrupts every running item and waits for them.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { Batch } from "@fiberkit/core"
 *
 * class Invalid extends Data.TaggedError("Invalid")<{ readonly id: number }> {}
 *
 * const processItem = (item: { readonly id: number }) =>
 *   item.id % 4 === 0 ? Effect.fail(new Invalid({ id: item.id })) : Effect.succeed(item.id * 10)
 *
 * const program = Effect.gen(function*() {
 *   const result = yield* Batch.process([{ id: 1 }, { id: 4 }, { id: 5 }], processItem, { concurrency: 2 })
 *   for (const s of result.successes) console.log(`item ${s.item.id}: ${s.value}`)
 *   for (const f of result.failures) console.log(`item ${f.item.id} failed: ${f.errors[0]?._tag}`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const process: {
  <I, A, E, R, M extends TaskGroup.Mode = "settle">(
    f: (item: I, index: number) => Effect.Effect<A, E, R>,
    options?: Options<I, M>
  ): (items: Iterable<I>) => Effect.Effect<Result<I, A, E>, InvalidArgumentError, R>
  <I, A, E, R, M extends TaskGroup.Mode = "settle">(
    items: Iterable<I>,
    f: (item: I, index: number) => Effect.Effect<A, E, R>,
    options?: Options<I, M>
  ): Effect.Effect<Result<I, A, E>, InvalidArgumentError, R>
} = internal.process

/**
 * The failures of a batch as an `ErrorGroup`, in the order they happened,
 * each attributed to its item (index, and `itemLabel` when given); an item
 * that failed for several reasons is a nested group; items cut short follow
 * as interruptions (items never started are not errors and are not listed).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Batch, ErrorGroup } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const result = yield* Batch.process(["a", "b"], (s) => Effect.fail(`no ${s}`), { itemLabel: (s) => s })
 *   console.log(ErrorGroup.format(Batch.toErrorGroup(result)))
 * })
 * ```
 *
 * @since 0.1.0
 * @category conversions
 */
export const toErrorGroup: <I, A, E>(self: Result<I, A, E>) => ErrorGroup.ErrorGroup<E> = internal.toErrorGroup

/**
 * Back to an effect: every value in input order when nothing failed, else a
 * failure whose `Cause` holds every item failure in the order they happened
 * (what a `TaskGroup` would have failed with), ready for `ErrorGroup.catchTags`.
 *
 * @example
 * ```ts
 * import { Console, Data, Effect } from "effect"
 * import { Batch, ErrorGroup } from "@fiberkit/core"
 *
 * class Invalid extends Data.TaggedError("Invalid")<{}> {}
 *
 * const program = Batch.process([1, 2, 3], (n) => n === 2 ? Effect.fail(new Invalid()) : Effect.succeed(n)).pipe(
 *   Effect.flatMap(Batch.values),
 *   ErrorGroup.catchTags({ Invalid: (errors) => Console.log(`${errors.length} invalid`) })
 * )
 * ```
 *
 * @since 0.1.0
 * @category conversions
 */
export const values: <I, A, E>(self: Result<I, A, E>) => Effect.Effect<Array<A>, E> = internal.values

/**
 * One value per input, in input order, from three cases.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Batch } from "@fiberkit/core"
 *
 * const program = Effect.map(
 *   Batch.process([1, 2], (n) => n > 1 ? Effect.fail("big") : Effect.succeed(n)),
 *   Batch.match({
 *     onSuccess: (n) => `ok ${n}`,
 *     onFailure: (f) => `failed: ${f.errors.join(", ")}`,
 *     onInterrupted: (o) => (o.started ? "cut short" : "never started")
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const match: {
  <I, A, E, B>(cases: {
    readonly onSuccess: (value: A, item: I, index: number) => B
    readonly onFailure: (failure: Failure<I, E>) => B
    readonly onInterrupted: (outcome: Interrupted<I>) => B
  }): (self: Result<I, A, E>) => Array<B>
  <I, A, E, B>(self: Result<I, A, E>, cases: {
    readonly onSuccess: (value: A, item: I, index: number) => B
    readonly onFailure: (failure: Failure<I, E>) => B
    readonly onInterrupted: (outcome: Interrupted<I>) => B
  }): Array<B>
} = internal.match
