import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import * as Inspectable from "effect/Inspectable"
import type * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import type * as Bridge from "../Bridge.js"
import { InvalidArgumentError } from "../InvalidArgument.js"

/** @internal */
export const ErrorTypeId: Bridge.ErrorTypeId = Symbol.for("@fiberkit/core/Bridge/BridgeError") as Bridge.ErrorTypeId

/** @internal */
export const EdgeTypeId: Bridge.EdgeTypeId = Symbol.for("@fiberkit/core/Bridge/Edge") as Bridge.EdgeTypeId

const invalid = (operation: string, argument: string, expected: string, actual: unknown) =>
  new InvalidArgumentError({ operation, argument, expected, actual })

const describeCause = (cause: unknown): string => {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`
  try {
    return JSON.stringify(cause) ?? String(cause)
  } catch {
    return String(cause)
  }
}

/** @internal */
export class RejectedError extends Data.TaggedError("RejectedError")<{
  readonly operation: string
  readonly cause: unknown
}> {
  readonly [ErrorTypeId]: Bridge.ErrorTypeId = ErrorTypeId
  override get message(): string {
    return `${this.operation} rejected with ${describeCause(this.cause)}`
  }
}

/** @internal */
export class CallbackError extends Data.TaggedError("CallbackError")<{
  readonly operation: string
  readonly cause: unknown
}> {
  readonly [ErrorTypeId]: Bridge.ErrorTypeId = ErrorTypeId
  override get message(): string {
    return `${this.operation} called back with an error: ${describeCause(this.cause)}`
  }
}

/** @internal */
export class EdgeClosedError extends Data.TaggedError("EdgeClosedError")<{
  readonly label: string
}> {
  readonly [ErrorTypeId]: Bridge.ErrorTypeId = ErrorTypeId
  override get message(): string {
    return `${this.label}: the runtime was disposed, no new effect can start on it`
  }
}

/** @internal */
export const isBridgeError = (u: unknown): u is Bridge.BridgeError => Predicate.hasProperty(u, ErrorTypeId)

const nonEmptyString = (u: unknown): u is string => typeof u === "string" && u.length > 0

/** @internal */
export const promise = <A>(
  operation: string,
  evaluate: (signal: AbortSignal) => PromiseLike<A>
): Effect.Effect<A, RejectedError | InvalidArgumentError> => {
  if (!nonEmptyString(operation)) {
    return Effect.fail(invalid("Bridge.promise", "operation", "a non-empty name", operation))
  }
  if (typeof evaluate !== "function") {
    return Effect.fail(invalid("Bridge.promise", "evaluate", "a function (signal) => Promise", evaluate))
  }
  // tryPromise hands over an AbortSignal that is aborted when the fiber is interrupted:
  // the work behind the promise (a fetch, a query) is cancelled, not left running.
  return Effect.tryPromise({
    try: (signal) => evaluate(signal),
    catch: (cause) => new RejectedError({ operation, cause })
  })
}

/** @internal */
export const callback = <A>(
  operation: string,
  register: (done: (error: unknown, value?: A) => void, signal: AbortSignal) => void | (() => void)
): Effect.Effect<A, CallbackError | InvalidArgumentError> => {
  if (!nonEmptyString(operation)) {
    return Effect.fail(invalid("Bridge.callback", "operation", "a non-empty name", operation))
  }
  if (typeof register !== "function") {
    return Effect.fail(invalid("Bridge.callback", "register", "a function (done, signal) => cleanup", register))
  }
  return Effect.async<A, CallbackError>((resume, signal) => {
    let settled = false
    let cleanup: (() => void) | void = undefined
    const done = (error: unknown, value?: A) => {
      // A callback API may call back twice (a bug, or "error" after "end"): the first wins.
      if (settled) return
      settled = true
      if (error !== null && error !== undefined) resume(Effect.fail(new CallbackError({ operation, cause: error })))
      else resume(Effect.succeed(value as A))
    }
    try {
      cleanup = register(done, signal)
    } catch (error) {
      done(error)
    }
    return typeof cleanup === "function" ?
      Effect.sync(() => {
        settled = true
        ;(cleanup as () => void)()
      }) :
      Effect.sync(() => {
        settled = true
      })
  })
}

type Listener = (...args: Array<any>) => void

const isEmitter = (u: unknown): u is Bridge.EmitterLike =>
  Predicate.hasProperty(u, "on") && typeof u.on === "function" &&
  ((Predicate.hasProperty(u, "off") && typeof u.off === "function") ||
    (Predicate.hasProperty(u, "removeListener") && typeof u.removeListener === "function"))

const isEventTarget = (u: unknown): u is Bridge.EventTargetLike =>
  Predicate.hasProperty(u, "addEventListener") && typeof u.addEventListener === "function" &&
  Predicate.hasProperty(u, "removeEventListener") && typeof u.removeEventListener === "function"

const listen = (
  target: Bridge.EmitterLike | Bridge.EventTargetLike,
  event: string,
  listener: Listener
): () => void => {
  if (isEventTarget(target)) {
    target.addEventListener(event, listener)
    return () => target.removeEventListener(event, listener)
  }
  const emitter = target as Bridge.EmitterLike
  emitter.on(event, listener)
  return () => (emitter.off ?? emitter.removeListener!).call(emitter, event, listener)
}

/** @internal */
export const once = <A = unknown>(
  target: Bridge.EmitterLike | Bridge.EventTargetLike,
  event: string,
  options?: Bridge.OnceOptions
): Effect.Effect<A, CallbackError | InvalidArgumentError> => {
  if (!isEmitter(target) && !isEventTarget(target)) {
    return Effect.fail(
      invalid("Bridge.once", "target", "an event emitter (on/off) or an EventTarget", target)
    )
  }
  if (!nonEmptyString(event)) return Effect.fail(invalid("Bridge.once", "event", "a non-empty event name", event))
  const errorEvent = options?.errorEvent === undefined ? "error" : options.errorEvent
  if (errorEvent !== false && !nonEmptyString(errorEvent)) {
    return Effect.fail(invalid("Bridge.once", "errorEvent", "an event name or false", errorEvent))
  }
  return callback<A>(`once(${event})`, (done) => {
    const offs: Array<() => void> = []
    const removeAll = () => offs.forEach((off) => off())
    // Listeners go as soon as one fires, and on interruption: none is left on the emitter.
    offs.push(listen(target, event, (...args: Array<unknown>) => {
      removeAll()
      done(null, (args.length > 1 ? args : args[0]) as A)
    }))
    if (errorEvent !== false) {
      offs.push(listen(target, errorEvent, (error: unknown) => {
        removeAll()
        done(error ?? `${errorEvent} event`)
      }))
    }
    return removeAll
  })
}

class EdgeImpl<R, ER> implements Bridge.Edge<R, ER> {
  readonly [EdgeTypeId]: Bridge.EdgeTypeId = EdgeTypeId
  readonly running = new Set<Fiber.RuntimeFiber<unknown, unknown>>()
  readonly counts = { started: 0, succeeded: 0, failed: 0, interrupted: 0 }
  private disposing: Promise<void> | undefined
  constructor(readonly label: string, readonly runtime: ManagedRuntime.ManagedRuntime<R, ER>) {}

  get closed(): boolean {
    return this.disposing !== undefined
  }

  get statistics(): Bridge.EdgeStatistics {
    return { ...this.counts, running: this.running.size, closed: this.closed }
  }

  runPromiseExit<A, E>(
    effect: Effect.Effect<A, E, R>,
    options?: { readonly signal?: AbortSignal | undefined }
  ): Promise<Exit.Exit<A, E | ER | EdgeClosedError>> {
    if (this.closed) return Promise.resolve(Exit.fail(new EdgeClosedError({ label: this.label })))
    if (!Effect.isEffect(effect)) {
      return Promise.resolve(Exit.die(invalid(`${this.label}.run`, "effect", "an Effect", effect)))
    }
    const signal = options?.signal
    if (signal?.aborted) return Promise.resolve(Exit.interrupt(FiberId.none))
    return this.runtime.runtime().then(
      (runtime) =>
        new Promise<Exit.Exit<A, E | ER | EdgeClosedError>>((resolve) => {
          const fiber = Runtime.runFork(runtime)(effect)
          this.counts.started++
          this.running.add(fiber)
          // A host-side abort (client disconnected, request timed out) interrupts the fiber.
          const onAbort = () => fiber.unsafeInterruptAsFork(fiber.id())
          signal?.addEventListener("abort", onAbort, { once: true })
          fiber.addObserver((exit) => {
            signal?.removeEventListener("abort", onAbort)
            this.running.delete(fiber)
            if (Exit.isSuccess(exit)) this.counts.succeeded++
            else if (Cause.isInterruptedOnly(exit.cause)) this.counts.interrupted++
            else this.counts.failed++
            resolve(exit)
          })
        }),
      (error) => Exit.fail(error as ER)
    )
  }

  runPromise<A, E>(
    effect: Effect.Effect<A, E, R>,
    options?: { readonly signal?: AbortSignal | undefined }
  ): Promise<A> {
    return this.runPromiseExit(effect, options).then((exit) =>
      Exit.isSuccess(exit) ? exit.value : Promise.reject(Cause.squash(exit.cause))
    )
  }

  dispose(options?: { readonly drain?: boolean | undefined }): Promise<void> {
    if (this.disposing) return this.disposing
    const running = Array.from(this.running)
    const stopRunning = options?.drain ?
      Effect.forEach(running, Fiber.await, { discard: true }) :
      Fiber.interruptAll(running)
    this.disposing = Effect.runPromise(stopRunning).then(() => this.runtime.dispose())
    return this.disposing
  }

  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _id: "Bridge.Edge", label: this.label, ...this.statistics }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

/** @internal */
export const makeEdge = <R, ER>(
  layer: Layer.Layer<R, ER, never>,
  options?: { readonly label?: string | undefined }
): Bridge.Edge<R, ER> => {
  if (!Predicate.hasProperty(layer, Symbol.for("effect/Layer"))) {
    throw invalid("Bridge.makeEdge", "layer", "a Layer", layer)
  }
  const label = options?.label ?? "edge"
  if (!nonEmptyString(label)) throw invalid("Bridge.makeEdge", "label", "a non-empty string", label)
  return new EdgeImpl(label, ManagedRuntime.make(layer))
}

/** @internal */
export const isEdge = (u: unknown): u is Bridge.Edge<unknown, unknown> => Predicate.hasProperty(u, EdgeTypeId)

/** @internal */
export const runner = <R = never>(): Effect.Effect<
  <A, E>(effect: Effect.Effect<A, E, R>) => Promise<A>,
  never,
  R | Scope.Scope
> => FiberSet.makeRuntimePromise<R>() as any
