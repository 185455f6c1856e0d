/**
 * Bridges between Effect and the code around it, the questions Python answers
 * with `asyncio.run`, `run_in_executor` and `run_coroutine_threadsafe`:
 *
 * - **Promise APIs in**: `promise` wraps `(signal) => Promise` with the
 *   `AbortSignal` wired through, so interrupting the fiber really aborts the
 *   request; a rejection becomes a typed `RejectedError` that keeps the
 *   original rejection as its `cause`.
 * - **Callback and event APIs in**: `callback` (Node-style `(error, value)`)
 *   and `once` (the next event of an emitter or `EventTarget`), each removing
 *   what it registered when the fiber is interrupted.
 * - **Effects out, at the edge of a non-Effect host**: `makeEdge` builds one
 *   `ManagedRuntime` from a layer, for a plain `node:http` handler, a CLI or a
 *   test harness; a host `AbortSignal` interrupts the effect it started, and
 *   `dispose` stops what is running and releases the layer, once.
 * - **Effects out, from inside an effect** (a library that wants a
 *   Promise-returning callback): `runner` instead of a nested
 *   `Effect.runPromise`. A nested `runPromise` starts a fiber with no parent:
 *   it loses the caller's services and span and keeps running after the caller
 *   is interrupted, the same mistake as `asyncio.run` inside a running loop.
 *   `runner` runs in the caller's context and is interrupted with its scope.
 *
 * The "coroutine was never awaited" bug has a compile-time counterpart: the
 * `@effect/language-service` diagnostics `floatingEffect` and
 * `runEffectInsideEffect` are errors in this repository's `tsc`.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Inspectable from "effect/Inspectable"
import type * as Layer from "effect/Layer"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/bridge.js"
import type { InvalidArgumentError } from "./InvalidArgument.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const ErrorTypeId: unique symbol = internal.ErrorTypeId as ErrorTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type ErrorTypeId = typeof ErrorTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export const EdgeTypeId: unique symbol = internal.EdgeTypeId as EdgeTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type EdgeTypeId = typeof EdgeTypeId

/**
 * A promise passed to `promise` rejected. `cause` is the rejection value
 * itself (the `TypeError` from `fetch`, the driver's error), untouched.
 *
 * @example
 * ```ts
 * import { Bridge } from "@fiberkit/core"
 *
 * const error = new Bridge.RejectedError({ operation: "fetch /users/1", cause: new TypeError("fetch failed") })
 * console.log(error.message) // fetch /users/1 rejected with TypeError: fetch failed
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const RejectedError = internal.RejectedError

/**
 * @since 0.1.0
 * @category errors
 */
export type RejectedError = internal.RejectedError

/**
 * A callback API passed an error to its callback, or an emitter emitted its
 * error event. `cause` is what it passed.
 *
 * @example
 * ```ts
 * import { Bridge } from "@fiberkit/core"
 *
 * const error = new Bridge.CallbackError({ operation: "fs.stat", cause: new Error("ENOENT") })
 * console.log(error.message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const CallbackError = internal.CallbackError

/**
 * @since 0.1.0
 * @category errors
 */
export type CallbackError = internal.CallbackError

/**
 * An `Edge` was asked to run an effect after `dispose`.
 *
 * @example
 * ```ts
 * import { Bridge } from "@fiberkit/core"
 *
 * console.log(new Bridge.EdgeClosedError({ label: "http" }).message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const EdgeClosedError = internal.EdgeClosedError

/**
 * @since 0.1.0
 * @category errors
 */
export type EdgeClosedError = internal.EdgeClosedError

/**
 * @since 0.1.0
 * @category errors
 */
export type BridgeError = RejectedError | CallbackError | EdgeClosedError

/**
 * @example
 * ```ts
 * import { Bridge } from "@fiberkit/core"
 *
 * console.log(Bridge.isBridgeError(new Bridge.EdgeClosedError({ label: "http" }))) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isBridgeError: (u: unknown) => u is BridgeError = internal.isBridgeError

/**
 * Wraps a Promise API. `evaluate` receives an `AbortSignal` that is aborted
 * when the fiber is interrupted: pass it on (`fetch(url, { signal })`) and an
 * interrupted request is really cancelled. `operation` names the call in the
 * error message.
 *
 * @example
 * ```ts
 * import { Bridge } from "@fiberkit/core"
 * import { Effect } from "effect"
 *
 * const getUser = (id: string) =>
 *   Bridge.promise(`GET /users/${id}`, (signal) =>
 *     fetch(`http://127.0.0.1:8080/users/${id}`, { signal }).then((response) => response.json())
 *   ).pipe(Effect.timeout("2 seconds"))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const promise: <A>(
  operation: string,
  evaluate: (signal: AbortSignal) => PromiseLike<A>
) => Effect.Effect<A, RejectedError | InvalidArgumentError> = internal.promise

/**
 * Wraps a Node-style callback API: `register` starts the operation and calls
 * `done(error, value)` once. It may return a cleanup function, which runs if
 * the fiber is interrupted before `done` (clear a timer, destroy a socket).
 * Only the first call of `done` counts.
 *
 * @example
 * ```ts
 * import { Bridge } from "@fiberkit/core"
 *
 * const delayedEcho = (text: string) =>
 *   Bridge.callback<string>("delayedEcho", (done) => {
 *     const timer = setTimeout(() => done(null, text), 100)
 *     return () => clearTimeout(timer)
 *   })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const callback: <A>(
  operation: string,
  register: (done: (error: unknown, value?: A) => void, signal: AbortSignal) => void | (() => void)
) => Effect.Effect<A, CallbackError | InvalidArgumentError> = internal.callback

/**
 * The part of Node's `EventEmitter` that `once` needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface EmitterLike {
  readonly on: (event: string, listener: (...args: Array<any>) => void) => unknown
  readonly off?: ((event: string, listener: (...args: Array<any>) => void) => unknown) | undefined
  readonly removeListener?: ((event: string, listener: (...args: Array<any>) => void) => unknown) | undefined
}

/**
 * The part of the DOM `EventTarget` that `once` needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface EventTargetLike {
  readonly addEventListener: (event: string, listener: (...args: Array<any>) => void) => unknown
  readonly removeEventListener: (event: string, listener: (...args: Array<any>) => void) => unknown
}

/**
 * @since 0.1.0
 * @category models
 */
export interface OnceOptions {
  /** The event that fails the wait (default `"error"`); `false` for none. */
  readonly errorEvent?: string | false | undefined
}

/**
 * Waits for the next `event` of an emitter or `EventTarget` (Python's
 * `asyncio.Event`-over-callbacks, Node's `events.once`). The error event fails
 * the wait with `CallbackError`. The listeners are removed when either fires
 * and when the fiber is interrupted, so a timeout leaves nothing behind.
 *
 * @example
 * ```ts
 * import { Bridge } from "@fiberkit/core"
 * import { Effect } from "effect"
 * import { EventEmitter } from "node:events"
 *
 * const emitter = new EventEmitter()
 * const ready = Bridge.once<string>(emitter, "ready").pipe(Effect.timeout("1 second"))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const once: <A = unknown>(
  target: EmitterLike | EventTargetLike,
  event: string,
  options?: OnceOptions
) => Effect.Effect<A, CallbackError | InvalidArgumentError> = internal.once

/**
 * @since 0.1.0
 * @category models
 */
export interface EdgeStatistics {
  readonly started: number
  readonly succeeded: number
  readonly failed: number
  readonly interrupted: number
  readonly running: number
  readonly closed: boolean
}

/**
 * A runtime for a host that is not an Effect program: built once from a layer,
 * shared by every call, disposed once on shutdown.
 *
 * @since 0.1.0
 * @category models
 */
export interface Edge<in R, out ER> extends Pipeable, Inspectable.Inspectable {
  readonly [EdgeTypeId]: EdgeTypeId
  readonly label: string
  readonly closed: boolean
  readonly statistics: EdgeStatistics
  /** Runs `effect`; aborting `signal` interrupts it. Rejects with the failure (squashed). */
  readonly runPromise: <A, E>(
    effect: Effect.Effect<A, E, R>,
    options?: { readonly signal?: AbortSignal | undefined }
  ) => Promise<A>
  /** Like `runPromise`, but resolves with the `Exit`: nothing is thrown. */
  readonly runPromiseExit: <A, E>(
    effect: Effect.Effect<A, E, R>,
    options?: { readonly signal?: AbortSignal | undefined }
  ) => Promise<Exit.Exit<A, E | ER | EdgeClosedError>>
  /**
   * Interrupts what is still running (or waits for it with `drain: true`),
   * then releases the layer. Later calls return the same promise.
   */
  readonly dispose: (options?: { readonly drain?: boolean | undefined }) => Promise<void>
}

/**
 * Builds the runtime for a non-Effect host. The layer is built on first use
 * and shared by every later call. Throws `InvalidArgumentError` at once for a
 * value that is not a layer (a host has no error channel to report it in).
 *
 * @example
 * ```ts
 * import { Bridge } from "@fiberkit/core"
 * import { Context, Effect, Layer } from "effect"
 * import * as http from "node:http"
 *
 * class Greeter extends Context.Tag("Greeter")<Greeter, { readonly greet: (name: string) => string }>() {}
 *
 * const edge = Bridge.makeEdge(Layer.succeed(Greeter, { greet: (name) => `hello ${name}` }), { label: "http" })
 *
 * const server = http.createServer((req, res) => {
 *   const aborted = new AbortController()
 *   res.on("close", () => aborted.abort())
 *   edge.runPromise(Effect.map(Greeter, (g) => g.greet(req.url ?? "/")), { signal: aborted.signal })
 *     .then((text) => res.end(text), () => res.writeHead(500).end())
 * })
 * server.on("close", () => void edge.dispose())
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeEdge: <R, ER>(
  layer: Layer.Layer<R, ER, never>,
  options?: { readonly label?: string | undefined }
) => Edge<R, ER> = internal.makeEdge

/**
 * @since 0.1.0
 * @category guards
 */
export const isEdge: (u: unknown) => u is Edge<unknown, unknown> = internal.isEdge

/**
 * The fix for a nested `Effect.runPromise`: a function that runs effects as
 * Promises **in the caller's context** (its services, its span) and whose
 * fibers are interrupted when the caller's scope closes. Hand it to a library
 * that wants Promise-returning callbacks.
 *
 * @example
 * ```ts
 * import { Bridge } from "@fiberkit/core"
 * import { Effect } from "effect"
 *
 * declare const library: { onMessage: (handler: (text: string) => Promise<void>) => void }
 *
 * const program = Effect.gen(function*() {
 *   const run = yield* Bridge.runner()
 *   library.onMessage((text) => run(Effect.log(`got ${text}`)))
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const runner: <R = never>() => Effect.Effect<
  <A, E>(effect: Effect.Effect<A, E, R>) => Promise<A>,
  never,
  R | Scope.Scope
> = internal.runner
