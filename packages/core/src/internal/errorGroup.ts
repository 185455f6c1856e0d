import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import type * as ErrorGroup from "../ErrorGroup.js"
import { InvalidArgumentError } from "../InvalidArgument.js"
import * as TaskGroup from "../TaskGroup.js"

/** @internal */
export const TypeId: ErrorGroup.TypeId = Symbol.for("@fiberkit/core/ErrorGroup") as ErrorGroup.TypeId

const modes: ReadonlyArray<string> = ["fail-fast", "settle"]

/** @internal */
export class ErrorGroupImpl<E> implements ErrorGroup.ErrorGroup<E> {
  readonly [TypeId]: ErrorGroup.TypeId = TypeId
  readonly _tag = "ErrorGroup"
  readonly failures: ReadonlyArray<ErrorGroup.Failure<E>>
  readonly defects: ReadonlyArray<ErrorGroup.Defect>
  readonly interruptions: ReadonlyArray<ErrorGroup.Interruption>
  readonly groups: ReadonlyArray<ErrorGroup.ErrorGroup<E>>
  constructor(
    readonly label: string | undefined,
    readonly mode: TaskGroup.Mode | undefined,
    readonly task: ErrorGroup.TaskRef | undefined,
    readonly entries: ReadonlyArray<ErrorGroup.Entry<E>>
  ) {
    // Entries keep the order things happened in; the typed views are filtered once here.
    const failures: Array<ErrorGroup.Failure<E>> = []
    const defects: Array<ErrorGroup.Defect> = []
    const interruptions: Array<ErrorGroup.Interruption> = []
    const groups: Array<ErrorGroup.ErrorGroup<E>> = []
    for (const entry of entries) {
      switch (entry._tag) {
        case "Failure":
          failures.push(entry)
          break
        case "Defect":
          defects.push(entry)
          break
        case "Interruption":
          interruptions.push(entry)
          break
        case "ErrorGroup":
          groups.push(entry)
      }
    }
    this.failures = failures
    this.defects = defects
    this.interruptions = interruptions
    this.groups = groups
  }
  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON(): unknown {
    return {
      _id: "ErrorGroup",
      label: this.label,
      mode: this.mode,
      task: this.task,
      entries: this.entries.map((entry) =>
        entry._tag === "ErrorGroup" ?
          entry.toJSON() :
          entry._tag === "Failure" ?
          { _tag: "Failure", error: Inspectable.toJSON(entry.error), task: entry.task } :
          entry._tag === "Defect" ?
          { _tag: "Defect", defect: Inspectable.toJSON(entry.defect), task: entry.task } :
          { _tag: "Interruption", fiberId: FiberId.threadName(entry.fiberId), task: entry.task }
      )
    }
  }
  toString() {
    return format(this)
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

/** @internal */
export const isErrorGroup = (u: unknown): u is ErrorGroup.ErrorGroup<unknown> => Predicate.hasProperty(u, TypeId)

/** @internal */
export const make = <E>(options: {
  readonly label?: string | undefined
  readonly mode?: TaskGroup.Mode | undefined
  readonly task?: ErrorGroup.TaskRef | undefined
  readonly entries: ReadonlyArray<ErrorGroup.Entry<E>>
}): ErrorGroup.ErrorGroup<E> => new ErrorGroupImpl(options.label, options.mode, options.task, options.entries)

/** How many failures and defects a cause holds: more than one makes a task's cause a nested group. */
const reasonCount = (cause: Cause.Cause<unknown>): number => {
  let count = 0
  const stack: Array<Cause.Cause<unknown>> = [cause]
  while (stack.length > 0) {
    const node = stack.pop()!
    switch (node._tag) {
      case "Fail":
      case "Die":
        count++
        break
      case "Sequential":
      case "Parallel":
        stack.push(node.left, node.right)
    }
  }
  return count
}

const leafEntries = <E>(
  cause: Cause.Cause<E>,
  task: ErrorGroup.TaskRef | undefined,
  known: ReadonlyMap<Cause.Cause<unknown>, ErrorGroup.TaskRef> | undefined,
  out: Array<ErrorGroup.Entry<E>>
): void => {
  // Explicit stack, right pushed first: left-to-right order without recursion depth limits.
  const stack: Array<readonly [Cause.Cause<E>, ErrorGroup.TaskRef | undefined]> = [[cause, task]]
  while (stack.length > 0) {
    const [node, owner] = stack.pop()!
    const ref = owner === undefined ? known?.get(node) : undefined
    if (ref !== undefined) {
      // A task that failed while its group was cancelling it also carries that interruption:
      // the failure is the news, the interruption is the group's own doing, so it is left out.
      const reasons = reasonCount(node)
      const cause = reasons > 0 ? withoutInterruptions(node) : node
      if (reasons > 1) {
        // A task that failed for several reasons (it ran its own group): a nested group.
        const inner: Array<ErrorGroup.Entry<E>> = []
        leafEntries(cause, undefined, undefined, inner)
        out.push(make({ label: ref.label ?? `task #${ref.index}`, task: ref, entries: inner }))
        continue
      }
      stack.push([cause, ref])
      continue
    }
    switch (node._tag) {
      case "Fail":
        out.push({ _tag: "Failure", error: node.error, task: owner })
        break
      case "Die":
        out.push({ _tag: "Defect", defect: node.defect, task: owner })
        break
      case "Interrupt":
        out.push({ _tag: "Interruption", fiberId: node.fiberId, task: owner })
        break
      case "Sequential":
      case "Parallel":
        stack.push([node.right, owner], [node.left, owner])
    }
  }
}

/** @internal */
export const withoutInterruptions = <E>(cause: Cause.Cause<E>): Cause.Cause<E> => {
  switch (cause._tag) {
    case "Interrupt":
      return Cause.empty
    case "Sequential":
    case "Parallel": {
      const left = withoutInterruptions(cause.left)
      const right = withoutInterruptions(cause.right)
      if (Cause.isEmptyType(left)) return right
      if (Cause.isEmptyType(right)) return left
      return cause._tag === "Sequential" ? Cause.sequential(left, right) : Cause.parallel(left, right)
    }
    default:
      return cause
  }
}

const checkOptions = (operation: string, options: ErrorGroup.FromCauseOptions | undefined): void => {
  if (options === undefined) return
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError({ operation, argument: "options", expected: "an object", actual: options })
  }
  if (options.mode !== undefined && !modes.includes(options.mode)) {
    throw new InvalidArgumentError({
      operation,
      argument: "options.mode",
      expected: `"fail-fast" or "settle"`,
      actual: options.mode
    })
  }
  if (options.tasks !== undefined && !Array.isArray(options.tasks)) {
    throw new InvalidArgumentError({
      operation,
      argument: "options.tasks",
      expected: "an array of TaskGroup.TaskFailure",
      actual: options.tasks
    })
  }
}

/** @internal */
export const fromCause = <E>(
  cause: Cause.Cause<E>,
  options?: ErrorGroup.FromCauseOptions
): ErrorGroup.ErrorGroup<E> => {
  if (!Cause.isCause(cause)) {
    throw new InvalidArgumentError({
      operation: "ErrorGroup.fromCause",
      argument: "cause",
      expected: "a Cause",
      actual: cause
    })
  }
  checkOptions("ErrorGroup.fromCause", options)
  const known = options?.tasks === undefined || options.tasks.length === 0 ?
    undefined :
    new Map<Cause.Cause<unknown>, ErrorGroup.TaskRef>(
      options.tasks.map((t) => [t.cause, { index: t.index, label: t.label }])
    )
  const entries: Array<ErrorGroup.Entry<E>> = []
  leafEntries(cause, undefined, known, entries)
  return make({ label: options?.label, mode: options?.mode, entries })
}

/** @internal */
export const fromExit = <A, E>(
  exit: Exit.Exit<A, E>,
  options?: ErrorGroup.FromCauseOptions
): Option.Option<ErrorGroup.ErrorGroup<E>> => {
  if (!Exit.isExit(exit)) {
    throw new InvalidArgumentError({
      operation: "ErrorGroup.fromExit",
      argument: "exit",
      expected: "an Exit",
      actual: exit
    })
  }
  return Exit.isSuccess(exit) ? Option.none() : Option.some(fromCause(exit.cause, options))
}

/** @internal */
export const fromTaskGroup = <M extends TaskGroup.Mode>(
  group: TaskGroup.TaskGroup<M>
): Effect.Effect<ErrorGroup.ErrorGroup<unknown>, InvalidArgumentError> =>
  Effect.suspend(() => {
    if (!TaskGroup.isTaskGroup(group)) {
      return Effect.fail(
        new InvalidArgumentError({
          operation: "ErrorGroup.fromTaskGroup",
          argument: "group",
          expected: "a TaskGroup",
          actual: group
        })
      )
    }
    return Effect.map(TaskGroup.failures(group), (failures) => {
      const entries: Array<ErrorGroup.Entry<unknown>> = []
      const known = new Map<Cause.Cause<unknown>, ErrorGroup.TaskRef>()
      for (const f of failures) known.set(f.cause, { index: f.index, label: f.label })
      for (const f of failures) leafEntries(f.cause, undefined, known, entries)
      return make({ label: group.label, mode: group.mode, entries })
    })
  })

/** @internal */
export const allFailures = <E>(self: ErrorGroup.ErrorGroup<E>): Array<ErrorGroup.Failure<E>> => {
  const out: Array<ErrorGroup.Failure<E>> = []
  const visit = (group: ErrorGroup.ErrorGroup<E>) => {
    for (const entry of group.entries) {
      if (entry._tag === "Failure") out.push(entry)
      else if (entry._tag === "ErrorGroup") visit(entry)
    }
  }
  visit(self)
  return out
}

/** @internal */
export const size = (self: ErrorGroup.ErrorGroup<unknown>): {
  readonly failures: number
  readonly defects: number
  readonly interruptions: number
  readonly groups: number
} => {
  let failures = 0, defects = 0, interruptions = 0, groups = 0
  const visit = (group: ErrorGroup.ErrorGroup<unknown>) => {
    for (const entry of group.entries) {
      if (entry._tag === "Failure") failures++
      else if (entry._tag === "Defect") defects++
      else if (entry._tag === "Interruption") interruptions++
      else {
        groups++
        visit(entry)
      }
    }
  }
  visit(self)
  return { failures, defects, interruptions, groups }
}

/** @internal */
export const isEmpty = (self: ErrorGroup.ErrorGroup<unknown>): boolean => {
  const s = size(self)
  return s.failures + s.defects + s.interruptions === 0
}

const tagOf = (u: unknown): string | undefined =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" ? u._tag : undefined

/** @internal */
export const groupByTag = <E>(self: ErrorGroup.ErrorGroup<E>): Map<string, Array<ErrorGroup.Failure<E>>> => {
  const out = new Map<string, Array<ErrorGroup.Failure<E>>>()
  for (const failure of allFailures(self)) {
    const tag = tagOf(failure.error) ?? "(untagged)"
    const list = out.get(tag)
    if (list === undefined) out.set(tag, [failure])
    else list.push(failure)
  }
  return out
}

const splitGroup = <E>(
  group: ErrorGroup.ErrorGroup<E>,
  predicate: (error: E) => boolean
): readonly [ErrorGroup.ErrorGroup<E>, ErrorGroup.ErrorGroup<E>] => {
  const matched: Array<ErrorGroup.Entry<E>> = []
  const rest: Array<ErrorGroup.Entry<E>> = []
  for (const entry of group.entries) {
    if (entry._tag === "Failure") {
      ;(predicate(entry.error) ? matched : rest).push(entry)
    } else if (entry._tag === "ErrorGroup") {
      const [m, r] = splitGroup(entry, predicate)
      // Nested groups keep their place and their label on both sides, as ExceptionGroup.split does.
      if (m.entries.length > 0) matched.push(m)
      if (r.entries.length > 0) rest.push(r)
    } else {
      rest.push(entry)
    }
  }
  return [
    make({ label: group.label, mode: group.mode, task: group.task, entries: matched }),
    make({ label: group.label, mode: group.mode, task: group.task, entries: rest })
  ]
}

/** @internal */
export const split: {
  <E, E1 extends E>(
    refinement: (error: E) => error is E1
  ): (self: ErrorGroup.ErrorGroup<E>) => [ErrorGroup.ErrorGroup<E1>, ErrorGroup.ErrorGroup<Exclude<E, E1>>]
  <E>(
    predicate: (error: E) => boolean
  ): (self: ErrorGroup.ErrorGroup<E>) => [ErrorGroup.ErrorGroup<E>, ErrorGroup.ErrorGroup<E>]
  <E, E1 extends E>(
    self: ErrorGroup.ErrorGroup<E>,
    refinement: (error: E) => error is E1
  ): [ErrorGroup.ErrorGroup<E1>, ErrorGroup.ErrorGroup<Exclude<E, E1>>]
  <E>(
    self: ErrorGroup.ErrorGroup<E>,
    predicate: (error: E) => boolean
  ): [ErrorGroup.ErrorGroup<E>, ErrorGroup.ErrorGroup<E>]
} = dual(2, <E>(self: ErrorGroup.ErrorGroup<E>, predicate: (error: E) => boolean) => {
  if (!isErrorGroup(self)) {
    throw new InvalidArgumentError({
      operation: "ErrorGroup.split",
      argument: "self",
      expected: "an ErrorGroup",
      actual: self
    })
  }
  if (typeof predicate !== "function") {
    throw new InvalidArgumentError({
      operation: "ErrorGroup.split",
      argument: "predicate",
      expected: "a function",
      actual: predicate
    })
  }
  const [m, r] = splitGroup(self, predicate)
  return [m, r]
})

// ---------------------------------------------------------------------------
// Printing

const describeError = (u: unknown): string => {
  const tag = tagOf(u)
  const message = u instanceof Error || (Predicate.hasProperty(u, "message") && typeof u.message === "string") ?
    (u as { message: string }).message :
    undefined
  if (tag !== undefined) return message !== undefined && message !== "" && message !== tag ? `${tag}: ${message}` : tag
  if (u instanceof Error) return `${u.name}: ${u.message}`
  if (typeof u === "string") return JSON.stringify(u)
  try {
    return JSON.stringify(u) ?? String(u)
  } catch {
    return String(u)
  }
}

const taskPrefix = (task: ErrorGroup.TaskRef | undefined): string =>
  task === undefined ? "" : task.label === undefined ? `[#${task.index}] ` : `[#${task.index} ${task.label}] `

const headline = (group: ErrorGroup.ErrorGroup<unknown>): string => {
  const s = size(group)
  const parts = [
    `${s.failures} ${s.failures === 1 ? "failure" : "failures"}`,
    ...(s.defects > 0 ? [`${s.defects} ${s.defects === 1 ? "defect" : "defects"}`] : []),
    ...(s.interruptions > 0 ? [`${s.interruptions} interrupted`] : [])
  ]
  const name = group.label === undefined ? "ErrorGroup" : `ErrorGroup "${group.label}"`
  const mode = group.mode === undefined ? "" : ` (${group.mode})`
  return `${taskPrefix(group.task)}${name}${mode}: ${parts.join(", ")}`
}

const entryLine = (entry: Exclude<ErrorGroup.Entry<unknown>, ErrorGroup.ErrorGroup<unknown>>): string => {
  switch (entry._tag) {
    case "Failure":
      return `${taskPrefix(entry.task)}${describeError(entry.error)}`
    case "Defect":
      return `${taskPrefix(entry.task)}defect: ${describeError(entry.defect)}`
    case "Interruption": {
      const ids = FiberId.ids(entry.fiberId)
      const list = Array.from(ids)
      const by = list.length === 0 ? "" : ` by fiber ${list.map((id) => `#${id}`).join(", ")}`
      return `${taskPrefix(entry.task)}interrupted${by}`
    }
  }
}

/** @internal */
export const format = (self: ErrorGroup.ErrorGroup<unknown>): string => {
  if (!isErrorGroup(self)) {
    throw new InvalidArgumentError({
      operation: "ErrorGroup.format",
      argument: "self",
      expected: "an ErrorGroup",
      actual: self
    })
  }
  const lines: Array<string> = [headline(self)]
  const visit = (group: ErrorGroup.ErrorGroup<unknown>, indent: string) => {
    group.entries.forEach((entry, i) => {
      const last = i === group.entries.length - 1
      const branch = last ? "└─ " : "├─ "
      if (entry._tag === "ErrorGroup") {
        lines.push(indent + branch + headline(entry))
        visit(entry, indent + (last ? "   " : "│  "))
      } else {
        // Multi-line messages stay under their branch.
        const [first, ...more] = entryLine(entry).split("\n")
        lines.push(indent + branch + first)
        for (const line of more) lines.push(indent + (last ? "   " : "│  ") + line)
      }
    })
  }
  visit(self, "")
  return lines.join("\n")
}

// ---------------------------------------------------------------------------
// except*

/** Removes the failures `drop` selects and keeps every other node where it was. */
const prune = <E>(cause: Cause.Cause<E>, drop: (error: E) => boolean): Cause.Cause<E> => {
  switch (cause._tag) {
    case "Fail":
      return drop(cause.error) ? Cause.empty : cause
    case "Sequential":
    case "Parallel": {
      const left = prune(cause.left, drop)
      const right = prune(cause.right, drop)
      if (left === cause.left && right === cause.right) return cause
      if (Cause.isEmptyType(left)) return right
      if (Cause.isEmptyType(right)) return left
      return cause._tag === "Sequential" ? Cause.sequential(left, right) : Cause.parallel(left, right)
    }
    default:
      return cause
  }
}

/** @internal */
export const catchTags = dual<
  (handlers: Record<string, (errors: ReadonlyArray<any>) => Effect.Effect<void, any, any>>) => (
    self: Effect.Effect<any, any, any>
  ) => Effect.Effect<Option.Option<any>, any, any>,
  (
    self: Effect.Effect<any, any, any>,
    handlers: Record<string, (errors: ReadonlyArray<any>) => Effect.Effect<void, any, any>>
  ) => Effect.Effect<Option.Option<any>, any, any>
>(2, (self, handlers) => {
  const problem = handlersProblem(handlers)
  if (problem !== undefined) return Effect.die(problem)
  const handled = (error: unknown) => {
    const tag = tagOf(error)
    return tag !== undefined && Object.prototype.hasOwnProperty.call(handlers, tag)
  }
  return Effect.matchCauseEffect(self, {
    onSuccess: (a) => Effect.succeed(Option.some(a)),
    onFailure: (cause) => {
      const byTag = new Map<string, Array<unknown>>()
      for (const error of Cause.failures(cause)) {
        if (!handled(error)) continue
        const tag = tagOf(error)!
        const list = byTag.get(tag)
        if (list === undefined) byTag.set(tag, [error])
        else list.push(error)
      }
      if (byTag.size === 0) return Effect.failCause(cause)
      const rest = prune(cause, handled)
      // Handlers run in the order they were written, like except* clauses; each sees every failure of its tag.
      const ordered = Object.keys(handlers).filter((tag) => byTag.has(tag))
      return Effect.map(
        Effect.forEach(ordered, (tag) => Effect.exit(handlers[tag]!(byTag.get(tag)!))),
        (exits) => {
          // A handler that fails joins what was left unhandled, as an except* clause that raises does.
          let result: Cause.Cause<unknown> = rest
          for (const exit of exits) {
            if (Exit.isFailure(exit)) {
              result = Cause.isEmptyType(result)
                ? exit.cause
                : Cause.parallel(result, exit.cause)
            }
          }
          return result
        }
      ).pipe(
        Effect.flatMap((result) => Cause.isEmptyType(result) ? Effect.succeed(Option.none()) : Effect.failCause(result))
      )
    }
  })
})

const handlersProblem = (handlers: unknown): InvalidArgumentError | undefined => {
  if (typeof handlers !== "object" || handlers === null || Array.isArray(handlers)) {
    return new InvalidArgumentError({
      operation: "ErrorGroup.catchTags",
      argument: "handlers",
      expected: "an object of one handler function per tag",
      actual: handlers
    })
  }
  for (const [tag, handler] of Object.entries(handlers)) {
    if (typeof handler !== "function") {
      return new InvalidArgumentError({
        operation: "ErrorGroup.catchTags",
        argument: `handlers.${tag}`,
        expected: "a function",
        actual: handler
      })
    }
  }
  return undefined
}
