import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import * as Runtime from "effect/Runtime"
import * as RuntimeFlags from "effect/RuntimeFlags"
import type * as Batch from "../Batch.js"
import type * as ErrorGroup from "../ErrorGroup.js"
import { InvalidArgumentError } from "../InvalidArgument.js"
import type * as TaskGroup from "../TaskGroup.js"
import * as errorGroup from "./errorGroup.js"
import * as validate from "./validate.js"

/** @internal */
export const TypeId: Batch.TypeId = Symbol.for("@fiberkit/core/Batch") as Batch.TypeId

const modes = ["fail-fast", "settle"] as const

/** @internal */
export class ResultImpl<I, A, E> implements Batch.Result<I, A, E> {
  readonly [TypeId]: Batch.TypeId = TypeId
  readonly successes: ReadonlyArray<Batch.Success<I, A>>
  readonly failures: ReadonlyArray<Batch.Failure<I, E>>
  readonly interrupted: ReadonlyArray<Batch.Interrupted<I>>
  constructor(
    readonly label: string | undefined,
    readonly mode: TaskGroup.Mode,
    readonly outcomes: ReadonlyArray<Batch.Outcome<I, A, E>>,
    /** Failures in the order they happened (outcomes are in input order). */
    readonly failureOrder: ReadonlyArray<Batch.Failure<I, E>>,
    readonly peakRunning: number,
    readonly itemLabel: ((item: I, index: number) => string) | undefined
  ) {
    const successes: Array<Batch.Success<I, A>> = []
    const interrupted: Array<Batch.Interrupted<I>> = []
    for (const outcome of outcomes) {
      if (outcome._tag === "Success") successes.push(outcome)
      else if (outcome._tag === "Interrupted") interrupted.push(outcome)
    }
    this.successes = successes
    this.failures = outcomes.filter((o): o is Batch.Failure<I, E> => o._tag === "Failure")
    this.interrupted = interrupted
  }
  get statistics(): Batch.Statistics {
    return {
      total: this.outcomes.length,
      succeeded: this.successes.length,
      failed: this.failures.length,
      interrupted: this.interrupted.length,
      notStarted: this.interrupted.filter((o) => !o.started).length,
      peakRunning: this.peakRunning
    }
  }
  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _id: "Batch.Result", label: this.label, mode: this.mode, ...this.statistics }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

/** @internal */
export const isResult = (u: unknown): u is Batch.Result<unknown, unknown, unknown> => Predicate.hasProperty(u, TypeId)

const failureOf = <I, E>(index: number, item: I, cause: Cause.Cause<E>): Batch.Failure<I, E> => ({
  _tag: "Failure",
  index,
  item,
  cause,
  errors: Array.from(Cause.failures(cause)),
  defects: Array.from(Cause.defects(cause))
})

const optionsProblem = (options: Batch.Options<any, any> | undefined): InvalidArgumentError | undefined => {
  const op = "Batch.process"
  if (options === undefined) return undefined
  if (typeof options !== "object" || options === null) {
    return new InvalidArgumentError({ operation: op, argument: "options", expected: "an object", actual: options })
  }
  return validate.firstProblem(
    options.concurrency === undefined || options.concurrency === "unbounded" ||
      (typeof options.concurrency === "number" && Number.isSafeInteger(options.concurrency) &&
        options.concurrency > 0) ?
      Either.void :
      validate.invalid(op, "options.concurrency", `a positive integer or "unbounded"`, options.concurrency),
    options.mode === undefined ? Either.void : validate.oneOf(op, "options.mode", modes, options.mode),
    options.itemLabel === undefined || typeof options.itemLabel === "function" ?
      Either.void :
      validate.invalid(op, "options.itemLabel", "a function (item, index) => string", options.itemLabel)
  )
}

/** @internal */
export const process: {
  <I, A, E, R, M extends TaskGroup.Mode = "settle">(
    f: (item: I, index: number) => Effect.Effect<A, E, R>,
    options?: Batch.Options<I, M>
  ): (items: Iterable<I>) => Effect.Effect<Batch.Result<I, A, E>, InvalidArgumentError, R>
  <I, A, E, R, M extends TaskGroup.Mode = "settle">(
    items: Iterable<I>,
    f: (item: I, index: number) => Effect.Effect<A, E, R>,
    options?: Batch.Options<I, M>
  ): Effect.Effect<Batch.Result<I, A, E>, InvalidArgumentError, R>
} = dual(
  (args) => typeof args[0] !== "function",
  <I, A, E, R>(
    items: Iterable<I>,
    f: (item: I, index: number) => Effect.Effect<A, E, R>,
    options?: Batch.Options<I, TaskGroup.Mode>
  ): Effect.Effect<Batch.Result<I, A, E>, InvalidArgumentError, R> =>
    Effect.suspend(() => {
      if (
        items === null || typeof items !== "object" && typeof items !== "string" ||
        typeof (items as any)[Symbol.iterator] !== "function"
      ) {
        return Effect.fail(
          new InvalidArgumentError({
            operation: "Batch.process",
            argument: "items",
            expected: "an iterable",
            actual: items
          })
        )
      }
      if (typeof f !== "function") {
        return Effect.fail(
          new InvalidArgumentError({
            operation: "Batch.process",
            argument: "f",
            expected: "a function (item, index) => Effect",
            actual: f
          })
        )
      }
      const problem = optionsProblem(options)
      if (problem !== undefined) return Effect.fail(problem)
      return Effect.fiberIdWith((parentId) => run(Array.from(items), f, options, parentId))
    })
)

const run = <I, A, E, R>(
  input: ReadonlyArray<I>,
  f: (item: I, index: number) => Effect.Effect<A, E, R>,
  options: Batch.Options<I, TaskGroup.Mode> | undefined,
  parentId: FiberId.FiberId
): Effect.Effect<Batch.Result<I, A, E>, never, R> => {
  const mode = options?.mode ?? "settle"
  const n = input.length
  const concurrency = options?.concurrency
  const limit = concurrency === undefined || concurrency === "unbounded" ? n : Math.min(concurrency, n)
  const outcomes: Array<Batch.Outcome<I, A, E> | undefined> = new Array(n)
  const failureOrder: Array<Batch.Failure<I, E>> = []
  // The fiber of every item still running, by index; `first` is the lowest index that may still run.
  const fibers: Array<Fiber.RuntimeFiber<A, E> | undefined> = new Array(n)
  let first = 0
  let next = 0
  let running = 0
  let peakRunning = 0
  let stopped = false
  let done: Deferred.Deferred<void> | undefined
  let launch: () => void = () => {}

  const interruptRunning = () => {
    for (let i = first; i < next; i++) fibers[i]?.unsafeInterruptAsFork(parentId)
  }

  // Called by each item's fiber as it ends: record what happened, then start the next item.
  // Starting items from here (not from worker loops) keeps the per-item cost to one fiber.
  const settle = (i: number, exit: Exit.Exit<A, E>) => {
    fibers[i] = undefined
    while (first < next && fibers[first] === undefined) first++
    running--
    if (Exit.isSuccess(exit)) {
      outcomes[i] = { _tag: "Success", index: i, item: input[i]!, value: exit.value }
    } else if (Cause.isInterruptedOnly(exit.cause)) {
      outcomes[i] = { _tag: "Interrupted", index: i, item: input[i]!, started: true }
    } else {
      // A failure that raced the batch's own interruption still counts as the failure it is.
      const failure = failureOf(i, input[i]!, exit.cause)
      outcomes[i] = failure
      failureOrder.push(failure)
      if (mode === "fail-fast" && !stopped) {
        stopped = true
        interruptRunning()
      }
    }
    if (!stopped) launch()
    if (running === 0 && (stopped || next === n)) Deferred.unsafeDone(done!, Exit.void)
  }

  const finish = (): Batch.Result<I, A, E> => {
    for (let i = 0; i < n; i++) {
      outcomes[i] ??= { _tag: "Interrupted", index: i, item: input[i]!, started: false }
    }
    return new ResultImpl(
      options?.label,
      mode,
      outcomes as Array<Batch.Outcome<I, A, E>>,
      failureOrder,
      peakRunning,
      options?.itemLabel
    )
  }

  if (n === 0) return Effect.sync(finish)
  // The runtime is captured before the uninterruptible region so items inherit the caller's
  // services and FiberRefs (TestClock, Random, logging) but run interruptible.
  return Effect.flatMap(Effect.runtime<R>(), (runtime) => {
    const fork = Runtime.runFork(runtime)
    // Items must be interruptible (fail-fast and cleanup depend on it); wrap only when the caller is not.
    const interruptible = RuntimeFlags.interruption(runtime.runtimeFlags)
    launch = () => {
      while (running < limit && next < n && !stopped) {
        const i = next++
        running++
        if (running > peakRunning) peakRunning = running
        const effect = f(input[i]!, i)
        const fiber = fork(interruptible ? effect : Effect.interruptible(effect))
        fibers[i] = fiber
        fiber.addObserver((exit) => settle(i, exit))
      }
    }
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        done = Deferred.unsafeMake<void>(parentId)
        launch()
        return restore(Deferred.await(done)).pipe(
          Effect.onInterrupt(() =>
            Effect.suspend(() => {
              stopped = true
              const live: Array<Fiber.RuntimeFiber<A, E>> = []
              for (let i = first; i < next; i++) if (fibers[i] !== undefined) live.push(fibers[i]!)
              return Fiber.interruptAllAs(live, parentId)
            })
          ),
          Effect.map(finish)
        )
      })
    )
  })
}

const refOf = <I>(result: ResultImpl<I, unknown, unknown>, index: number, item: I): ErrorGroup.TaskRef => ({
  index,
  label: result.itemLabel === undefined ? undefined : result.itemLabel(item, index)
})

/** @internal */
export const toErrorGroup = <I, A, E>(self: Batch.Result<I, A, E>): ErrorGroup.ErrorGroup<E> => {
  if (!isResult(self)) {
    throw new InvalidArgumentError({
      operation: "Batch.toErrorGroup",
      argument: "self",
      expected: "a Batch.Result",
      actual: self
    })
  }
  const result = self as ResultImpl<I, A, E>
  const entries: Array<ErrorGroup.Entry<E>> = []
  for (const failure of result.failureOrder) {
    const task = refOf(result, failure.index, failure.item)
    // Attributed as a task of a group: interruptions that came with the failure are dropped, several reasons nest.
    const own = errorGroup.fromCause(failure.cause, { tasks: [{ ...task, cause: failure.cause }] })
    entries.push(...own.entries)
  }
  // Items cut short are listed; items a fail-fast batch never started did not go wrong, so they are not.
  for (const outcome of result.interrupted) {
    if (!outcome.started) continue
    entries.push({ _tag: "Interruption", fiberId: FiberId.none, task: refOf(result, outcome.index, outcome.item) })
  }
  return errorGroup.make({ label: result.label, mode: result.mode, entries })
}

/** @internal */
export const values = <I, A, E>(self: Batch.Result<I, A, E>): Effect.Effect<Array<A>, E> =>
  Effect.suspend(() => {
    if (!isResult(self)) {
      return Effect.die(
        new InvalidArgumentError({
          operation: "Batch.values",
          argument: "self",
          expected: "a Batch.Result",
          actual: self
        })
      )
    }
    const result = self as ResultImpl<I, A, E>
    if (result.failureOrder.length === 0) {
      if (result.interrupted.length > 0) {
        // Interrupted without a failure: only our own interruption could do that; say so.
        return Effect.interrupt
      }
      return Effect.succeed(result.successes.map((s) => s.value))
    }
    // The failures, combined as a TaskGroup combines them: every one kept, in the order they happened.
    // An interruption that came with a failure (the batch cancelling an item that failed anyway) is
    // left out: handling every failure with catchTags must not leave a stray interruption behind.
    let cause: Cause.Cause<E> = errorGroup.withoutInterruptions(result.failureOrder[0]!.cause)
    for (let i = 1; i < result.failureOrder.length; i++) {
      cause = Cause.parallel(cause, errorGroup.withoutInterruptions(result.failureOrder[i]!.cause))
    }
    return Effect.failCause(cause)
  })

/** @internal */
export const match = dual<
  <I, A, E, B>(cases: {
    readonly onSuccess: (value: A, item: I, index: number) => B
    readonly onFailure: (failure: Batch.Failure<I, E>) => B
    readonly onInterrupted: (outcome: Batch.Interrupted<I>) => B
  }) => (self: Batch.Result<I, A, E>) => Array<B>,
  <I, A, E, B>(self: Batch.Result<I, A, E>, cases: {
    readonly onSuccess: (value: A, item: I, index: number) => B
    readonly onFailure: (failure: Batch.Failure<I, E>) => B
    readonly onInterrupted: (outcome: Batch.Interrupted<I>) => B
  }) => Array<B>
>(2, (self, cases) =>
  self.outcomes.map((o) =>
    o._tag === "Success" ?
      cases.onSuccess(o.value, o.item, o.index) :
      o._tag === "Failure" ?
      cases.onFailure(o) :
      cases.onInterrupted(o)
  ))
