import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import { InvalidArgumentError } from "../InvalidArgument.js"
import type * as TaskGroup from "../TaskGroup.js"
// Timeline marks only: a no-op (one set-size check) unless a recording is active.
import * as timeline from "./timeline.js"

/** @internal */
export const TypeId: TaskGroup.TypeId = Symbol.for("@fiberkit/core/TaskGroup") as TaskGroup.TypeId

/** @internal */
export const TaskTypeId: TaskGroup.TaskTypeId = Symbol.for("@fiberkit/core/TaskGroup/Task") as TaskGroup.TaskTypeId

const modes: ReadonlyArray<TaskGroup.Mode> = ["fail-fast", "settle"]

const taskVariance = { _A: (_: never) => _, _E: (_: never) => _ }

/** @internal */
export class TaskImpl<A, E> implements TaskGroup.Task<A, E> {
  readonly [TaskTypeId] = taskVariance
  // The fiber is dropped once the task ends so a finished task costs only its Exit.
  fiber: Fiber.RuntimeFiber<A, E> | undefined
  exit: Exit.Exit<A, E> | undefined = undefined
  constructor(readonly index: number, readonly label: string | undefined, fiber: Fiber.RuntimeFiber<A, E>) {
    this.fiber = fiber
  }
  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return {
      _id: "Task",
      index: this.index,
      label: this.label,
      exit: this.exit === undefined ? "running" : Inspectable.toJSON(this.exit)
    }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

/** @internal */
export class TaskGroupImpl<M extends TaskGroup.Mode> implements TaskGroup.TaskGroup<M> {
  readonly [TypeId]: TaskGroup.TypeId = TypeId
  state: "open" | "failing" | "closed" = "open"
  readonly running = new Set<TaskImpl<any, any>>()
  readonly failures: Array<TaskGroup.TaskFailure> = []
  spawned = 0
  succeeded = 0
  failed = 0
  interrupted = 0
  peakRunning = 0
  idle: Deferred.Deferred<void> | undefined = undefined
  // Set by `run`: interrupts the body when a task fails in fail-fast mode.
  onFailFast: (() => void) | undefined = undefined

  constructor(readonly mode: M, readonly label: string | undefined, readonly interruptor: FiberId.FiberId) {}

  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _id: "TaskGroup", label: this.label, mode: this.mode, state: this.state, ...statisticsOf(this) }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }

  register<A, E>(fiber: Fiber.RuntimeFiber<A, E>, label: string | undefined): TaskImpl<A, E> {
    const task = new TaskImpl<A, E>(this.spawned++, label, fiber)
    this.running.add(task)
    if (this.running.size > this.peakRunning) this.peakRunning = this.running.size
    fiber.addObserver((exit) => this.settle(task, exit))
    return task
  }

  settle<A, E>(task: TaskImpl<A, E>, exit: Exit.Exit<A, E>): void {
    task.exit = exit
    task.fiber = undefined
    this.running.delete(task)
    if (Exit.isSuccess(exit)) {
      this.succeeded++
    } else if (Cause.isInterruptedOnly(exit.cause)) {
      // A cancelled task is not a failure of the group, as in asyncio and trio.
      this.interrupted++
    } else {
      this.failed++
      this.failures.push({ index: task.index, label: task.label, cause: exit.cause })
      if (this.mode === "fail-fast" && this.state === "open") this.failFast()
    }
    if (this.running.size === 0 && this.idle !== undefined) {
      Deferred.unsafeDone(this.idle, Exit.void)
      this.idle = undefined
    }
  }

  failFast(): void {
    this.state = "failing"
    for (const task of Array.from(this.running)) {
      if (task.fiber !== undefined) timeline.markInterruptedByGroup(task.fiber, this.label)
      task.fiber?.unsafeInterruptAsFork(this.interruptor)
    }
    this.onFailFast?.()
  }

  awaitIdle(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.running.size === 0) return Effect.void
      this.idle ??= Deferred.unsafeMake<void>(FiberId.none)
      return Deferred.await(this.idle)
    })
  }

  failureCause(): Cause.Cause<unknown> {
    return this.failures.reduce<Cause.Cause<unknown>>(
      (acc, failure) => Cause.isEmpty(acc) ? failure.cause : Cause.parallel(acc, failure.cause),
      Cause.empty
    )
  }

  close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.state = "closed"
      if (this.running.size === 0) return Effect.void
      const fibers = Array.from(this.running, (task) => task.fiber!)
      for (const fiber of fibers) timeline.markInterruptedByGroup(fiber, this.label)
      return Fiber.interruptAllAs(fibers, this.interruptor)
    })
  }
}

const statisticsOf = (group: TaskGroupImpl<any>): TaskGroup.Statistics => ({
  spawned: group.spawned,
  running: group.running.size,
  succeeded: group.succeeded,
  failed: group.failed,
  interrupted: group.interrupted,
  peakRunning: group.peakRunning
})

/** @internal */
export const isTaskGroup = (u: unknown): u is TaskGroup.TaskGroup<TaskGroup.Mode> => Predicate.hasProperty(u, TypeId)

/** @internal */
export const isTask = (u: unknown): u is TaskGroup.Task<unknown, unknown> => Predicate.hasProperty(u, TaskTypeId)

const impl = <M extends TaskGroup.Mode>(group: TaskGroup.TaskGroup<M>): TaskGroupImpl<M> => group as TaskGroupImpl<M>

const unsafeMake = <M extends TaskGroup.Mode>(
  options: TaskGroup.Options<M> | undefined,
  interruptor: FiberId.FiberId
): TaskGroupImpl<M> => {
  const mode = (options?.mode ?? "fail-fast") as M
  if (!modes.includes(mode)) {
    // Only reachable from untyped callers (the type admits the two modes alone), so a defect, not a typed failure.
    throw new InvalidArgumentError({
      operation: "TaskGroup",
      argument: "mode",
      expected: `"fail-fast" or "settle"`,
      actual: mode
    })
  }
  return new TaskGroupImpl(mode, options?.label, interruptor)
}

// A bad mode throws inside `sync`, which makes it a defect with the message above.
const makeGroup = <M extends TaskGroup.Mode>(options?: TaskGroup.Options<M>) =>
  Effect.fiberIdWith((id) => Effect.sync(() => unsafeMake(options, id)))

/** @internal */
export const make = <M extends TaskGroup.Mode = "fail-fast">(
  options?: TaskGroup.Options<M>
): Effect.Effect<TaskGroup.TaskGroup<M>, never, Scope.Scope> =>
  Effect.acquireRelease(makeGroup(options), (group) => group.close())

/** @internal */
export class TaskGroupClosedError extends Data.TaggedError("TaskGroupClosedError")<{
  readonly label: string | undefined
  readonly reason: "failing" | "closed"
}> {
  override get message(): string {
    const name = this.label === undefined ? "TaskGroup" : `TaskGroup "${this.label}"`
    return this.reason === "failing" ?
      `cannot spawn into ${name}: it is shutting down after a task failed` :
      `cannot spawn into ${name}: it has already closed (its tasks were joined or its scope ended)`
  }
}

/** @internal */
export class TaskNotDoneError extends Data.TaggedError("TaskNotDoneError")<{
  readonly index: number
  readonly label: string | undefined
}> {
  override get message(): string {
    const name = this.label === undefined ? `task #${this.index}` : `task "${this.label}" (#${this.index})`
    return `the result of ${name} was read before it finished: join its group or await the task first`
  }
}

/** @internal */
export const spawn = dual<
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: TaskGroup.SpawnOptions
  ) => <M extends TaskGroup.Mode>(
    self: TaskGroup.TaskGroup<M>
  ) => Effect.Effect<TaskGroup.Task<A, E>, TaskGroup.TaskGroupClosedError | TaskGroup.FailureOf<M, E>, R>,
  <M extends TaskGroup.Mode, A, E, R>(
    self: TaskGroup.TaskGroup<M>,
    effect: Effect.Effect<A, E, R>,
    options?: TaskGroup.SpawnOptions
  ) => Effect.Effect<TaskGroup.Task<A, E>, TaskGroup.TaskGroupClosedError | TaskGroup.FailureOf<M, E>, R>
>((args) => isTaskGroup(args[0]), (self, effect, options) =>
  Effect.suspend(() => {
    const group = impl(self)
    if (group.state !== "open") {
      return Effect.fail(new TaskGroupClosedError({ label: group.label, reason: group.state }))
    }
    return Effect.map(Effect.forkDaemon(effect), (fiber) => {
      // The group may have started failing while we forked.
      if (group.state !== "open") fiber.unsafeInterruptAsFork(group.interruptor)
      return group.register(fiber, options?.label)
    })
  }))

/** @internal */
export const join: {
  <A, E>(task: TaskGroup.Task<A, E>): Effect.Effect<A, E>
  <M extends TaskGroup.Mode>(group: TaskGroup.TaskGroup<M>): Effect.Effect<void, TaskGroup.FailureOf<M, unknown>>
} = (self: any): any => isTask(self) ? joinTask(self) : joinGroup(self)

const joinTask = <A, E>(task: TaskGroup.Task<A, E>): Effect.Effect<A, E> =>
  Effect.suspend(() => {
    const t = task as TaskImpl<A, E>
    return t.exit !== undefined ? t.exit : Fiber.join(t.fiber!)
  })

const joinGroup = <M extends TaskGroup.Mode>(
  self: TaskGroup.TaskGroup<M>
): Effect.Effect<void, TaskGroup.FailureOf<M, unknown>> =>
  Effect.suspend(() => {
    const group = impl(self)
    return Effect.flatMap(group.awaitIdle(), () => {
      if (group.state === "open") group.state = "closed"
      return group.mode === "fail-fast" && group.failures.length > 0 ?
        Effect.failCause(group.failureCause() as Cause.Cause<TaskGroup.FailureOf<M, unknown>>) :
        Effect.void
    })
  })

/** @internal */
export const run = <A, E, R, M extends TaskGroup.Mode = "fail-fast">(
  body: (group: TaskGroup.TaskGroup<M>) => Effect.Effect<A, E, R>,
  options?: TaskGroup.Options<M>
): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    makeGroup(options),
    (group) =>
      Effect.flatMap(Effect.fork(body(group)), (bodyFiber) => {
        group.onFailFast = () => bodyFiber.unsafeInterruptAsFork(group.interruptor)
        // If the owner is interrupted, stop the body first so it cannot spawn while the group closes.
        const awaitBody = Effect.onInterrupt(Fiber.await(bodyFiber), () => Fiber.interrupt(bodyFiber))
        return Effect.flatMap(awaitBody, (bodyExit) => {
          group.onFailFast = undefined
          if (Exit.isSuccess(bodyExit)) {
            return Effect.as(joinGroup(group), bodyExit.value) as Effect.Effect<A, E>
          }
          const interruptedByGroup = group.state === "failing" && Cause.isInterruptedOnly(bodyExit.cause)
          // The body itself failed: like asyncio, its remaining tasks are cancelled
          // (onFailFast is cleared above, so this does not touch the finished body).
          if (!interruptedByGroup && group.state === "open") group.failFast()
          return Effect.flatMap(group.awaitIdle(), () => {
            group.state = "closed"
            const tasks = group.mode === "fail-fast" ? group.failureCause() : Cause.empty
            const cause = interruptedByGroup ?
              tasks :
              Cause.isEmpty(tasks) ?
              bodyExit.cause :
              Cause.parallel(bodyExit.cause, tasks)
            return Effect.failCause(cause as Cause.Cause<E>)
          })
        })
      }),
    (group) => group.close()
  )

const spawnBatch = 64

/** @internal */
export const runAll = <A, E, R, M extends TaskGroup.Mode = "fail-fast">(
  effects: Iterable<Effect.Effect<A, E, R>>,
  options?: TaskGroup.Options<M>
): Effect.Effect<TaskGroup.ResultsOf<M, A, E>, TaskGroup.FailureOf<M, E>, R> =>
  run((group: TaskGroup.TaskGroup<M>) => {
    const g = impl(group)
    return Effect.gen(function*() {
      const tasks: Array<TaskImpl<A, E>> = []
      for (const effect of effects) {
        if (g.state !== "open") break
        const fiber = yield* Effect.forkDaemon(effect)
        tasks.push(g.register(fiber, undefined))
        // Yielding every few forks lets early tasks finish while later ones are spawned: on a 100k
        // fan-out this keeps ~100 fibers alive instead of thousands (half the time, half the memory).
        if (tasks.length % spawnBatch === 0) yield* Effect.yieldNow()
      }
      yield* joinGroup(group)
      return (g.mode === "settle" ?
        tasks.map((task) => task.exit!) :
        tasks.map((task) => (task.exit as Exit.Success<A, E>).value)) as TaskGroup.ResultsOf<M, A, E>
    })
  }, options) as Effect.Effect<TaskGroup.ResultsOf<M, A, E>, TaskGroup.FailureOf<M, E>, R>

/** @internal */
export const statistics = <M extends TaskGroup.Mode>(
  self: TaskGroup.TaskGroup<M>
): Effect.Effect<TaskGroup.Statistics> => Effect.sync(() => statisticsOf(impl(self)))

/** @internal */
export const failures = <M extends TaskGroup.Mode>(
  self: TaskGroup.TaskGroup<M>
): Effect.Effect<ReadonlyArray<TaskGroup.TaskFailure>> => Effect.sync(() => impl(self).failures.slice())

/** @internal */
export const poll = <A, E>(task: TaskGroup.Task<A, E>): Option.Option<Exit.Exit<A, E>> =>
  Option.fromNullable((task as TaskImpl<A, E>).exit)

/** @internal */
export const awaitTask = <A, E>(task: TaskGroup.Task<A, E>): Effect.Effect<Exit.Exit<A, E>> =>
  Effect.suspend(() => {
    const t = task as TaskImpl<A, E>
    return t.exit !== undefined ? Effect.succeed(t.exit) : Fiber.await(t.fiber!)
  })

/** @internal */
export const cancel = <A, E>(task: TaskGroup.Task<A, E>): Effect.Effect<void> =>
  Effect.suspend(() => {
    const t = task as TaskImpl<A, E>
    return t.fiber === undefined ? Effect.void : Effect.asVoid(Fiber.interrupt(t.fiber))
  })

/** @internal */
export const result = <A, E>(task: TaskGroup.Task<A, E>): Effect.Effect<A, E | TaskGroup.TaskNotDoneError> =>
  Effect.suspend(() => {
    const t = task as TaskImpl<A, E>
    return t.exit !== undefined ?
      t.exit as Effect.Effect<A, E | TaskGroup.TaskNotDoneError> :
      Effect.fail(new TaskNotDoneError({ index: t.index, label: t.label }))
  })
