import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import type * as BackgroundTasks from "../BackgroundTasks.js"
import { InvalidArgumentError } from "../InvalidArgument.js"

/** @internal */
export const TypeId: BackgroundTasks.TypeId = Symbol.for("@fiberkit/core/BackgroundTasks") as BackgroundTasks.TypeId

/** @internal */
export class BackgroundTasksImpl implements BackgroundTasks.BackgroundTasks {
  readonly [TypeId]: BackgroundTasks.TypeId = TypeId
  state: "open" | "closing" | "closed" = "open"
  readonly running = new Map<Fiber.RuntimeFiber<unknown, unknown>, string>()
  readonly failures: Array<BackgroundTasks.TaskFailure> = []
  started = 0
  succeeded = 0
  failed = 0
  interrupted = 0
  peakRunning = 0
  report: BackgroundTasks.CloseReport | undefined = undefined

  constructor(
    readonly set: FiberSet.FiberSet<unknown, unknown>,
    readonly gracePeriod: Duration.Duration,
    readonly label: string | undefined
  ) {}

  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _id: "BackgroundTasks", label: this.label, state: this.state, ...this.statistics() }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }

  statistics(): BackgroundTasks.Statistics {
    return {
      started: this.started,
      running: this.running.size,
      succeeded: this.succeeded,
      failed: this.failed,
      interrupted: this.interrupted,
      peakRunning: this.peakRunning
    }
  }

  settle(fiber: Fiber.RuntimeFiber<unknown, unknown>, exit: Exit.Exit<unknown, unknown>): void {
    this.running.delete(fiber)
    if (Exit.isSuccess(exit)) this.succeeded++
    else if (Cause.isInterruptedOnly(exit.cause)) this.interrupted++
    else this.failed++
  }
}

const impl = (self: BackgroundTasks.BackgroundTasks) => self as BackgroundTasksImpl

/** @internal */
export const isBackgroundTasks = (u: unknown): u is BackgroundTasks.BackgroundTasks => Predicate.hasProperty(u, TypeId)

/** @internal */
export class BackgroundTasksClosedError extends Data.TaggedError("BackgroundTasksClosedError")<{
  readonly label: string | undefined
  readonly task: string
}> {
  override get message(): string {
    const name = this.label === undefined ? "BackgroundTasks" : `BackgroundTasks "${this.label}"`
    return `cannot start background task "${this.task}": ${name} is shutting down or closed`
  }
}

/** @internal */
export const make = (
  options: BackgroundTasks.Options
): Effect.Effect<BackgroundTasks.BackgroundTasks, InvalidArgumentError, Scope.Scope> =>
  Effect.suspend(() => {
    const input = typeof options === "object" && options !== null ? options.gracePeriod : undefined
    // Numbers are milliseconds; Duration would turn a negative or NaN into zero silently.
    const grace = typeof input === "number" && !(Number.isFinite(input) && input >= 0) ?
      Option.none() :
      Duration.decodeUnknown(input)
    if (Option.isNone(grace) || !Duration.isFinite(grace.value)) {
      return Effect.fail(
        new InvalidArgumentError({
          operation: "BackgroundTasks.make",
          argument: "gracePeriod",
          expected: "a finite duration (e.g. \"5 seconds\" or 5000)",
          actual: typeof options === "object" && options !== null ? options.gracePeriod : options
        })
      )
    }
    return Effect.gen(function*() {
      // Registered before our own finalizer, so it runs after it: the grace period comes first,
      // then the FiberSet interrupts whatever is left.
      const set = yield* FiberSet.make<unknown, unknown>()
      const tasks = new BackgroundTasksImpl(set, grace.value, options.label)
      yield* Effect.addFinalizer(() => Effect.asVoid(shutdown(tasks)))
      return tasks as BackgroundTasks.BackgroundTasks
    })
  })

/** @internal */
export const fork = dual<
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: BackgroundTasks.ForkOptions
  ) => (
    self: BackgroundTasks.BackgroundTasks
  ) => Effect.Effect<Fiber.RuntimeFiber<A, E>, BackgroundTasks.BackgroundTasksClosedError, R>,
  <A, E, R>(
    self: BackgroundTasks.BackgroundTasks,
    effect: Effect.Effect<A, E, R>,
    options?: BackgroundTasks.ForkOptions
  ) => Effect.Effect<Fiber.RuntimeFiber<A, E>, BackgroundTasks.BackgroundTasksClosedError, R>
>((args) => isBackgroundTasks(args[0]), <A, E, R>(
  self: BackgroundTasks.BackgroundTasks,
  effect: Effect.Effect<A, E, R>,
  options?: BackgroundTasks.ForkOptions
) =>
  Effect.suspend(() => {
    const tasks = impl(self)
    const name = options?.name ?? `task-${tasks.started + 1}`
    if (tasks.state !== "open") {
      return Effect.fail(new BackgroundTasksClosedError({ label: tasks.label, task: name }))
    }
    // The failure is reported by the task itself, with its Cause, before the fiber ends: it cannot be lost.
    const reported = effect.pipe(
      Effect.tapErrorCause((cause) =>
        Cause.isInterruptedOnly(cause) ? Effect.void : Effect.suspend(() => {
          tasks.failures.push({ name, cause })
          return Effect.logError(`background task "${name}" failed`, cause)
        })
      ),
      Effect.annotateLogs({ backgroundTask: name })
    )
    return Effect.map(
      FiberSet.run(tasks.set as FiberSet.FiberSet<A, E>, reported, { propagateInterruption: false }),
      (fiber) => {
        tasks.started++
        tasks.running.set(fiber, name)
        if (tasks.running.size > tasks.peakRunning) tasks.peakRunning = tasks.running.size
        fiber.addObserver((exit) => tasks.settle(fiber, exit))
        return fiber
      }
    )
  }))

/** @internal */
export const shutdown = (self: BackgroundTasks.BackgroundTasks): Effect.Effect<BackgroundTasks.CloseReport> =>
  Effect.suspend(() => {
    const tasks = impl(self)
    if (tasks.report !== undefined) return Effect.succeed(tasks.report)
    tasks.state = "closing"
    const runningAtClose = Array.from(tasks.running.values())
    // Interruptible inside this uninterruptible shutdown, so the timeout can stop the wait.
    return Effect.interruptible(FiberSet.awaitEmpty(tasks.set)).pipe(
      Effect.timeoutOption(tasks.gracePeriod),
      Effect.flatMap(() => {
        const left = Array.from(tasks.running.values())
        const finished = runningAtClose.filter((name) => !left.includes(name))
        return FiberSet.clear(tasks.set).pipe(
          Effect.zipRight(Effect.suspend(() => {
            tasks.state = "closed"
            tasks.report = {
              gracePeriod: tasks.gracePeriod,
              finishedInGrace: finished,
              interrupted: left,
              failures: tasks.failures.slice()
            }
            return left.length === 0 ? Effect.void : Effect.logWarning(
              `${left.length} background task(s) still running after the ${
                Duration.format(tasks.gracePeriod)
              } grace period were interrupted: ${left.join(", ")}`
            )
          })),
          Effect.map(() => tasks.report!)
        )
      }),
      Effect.uninterruptible
    )
  })

/** @internal */
export const awaitEmpty = (self: BackgroundTasks.BackgroundTasks): Effect.Effect<void> =>
  FiberSet.awaitEmpty(impl(self).set)

/** @internal */
export const statistics = (self: BackgroundTasks.BackgroundTasks): Effect.Effect<BackgroundTasks.Statistics> =>
  Effect.sync(() => impl(self).statistics())

/** @internal */
export const failures = (
  self: BackgroundTasks.BackgroundTasks
): Effect.Effect<ReadonlyArray<BackgroundTasks.TaskFailure>> => Effect.sync(() => impl(self).failures.slice())

/** @internal */
export const running = (self: BackgroundTasks.BackgroundTasks): Effect.Effect<ReadonlyArray<string>> =>
  Effect.sync(() => Array.from(impl(self).running.values()))
