/**
 * Calls from a worker thread into the main thread's runtime: Python's
 * `asyncio.run_coroutine_threadsafe(coro, loop)`, seen from the thread that
 * is not running the loop. (The other direction, main → worker, is
 * `Offload.run`.)
 *
 * A worker of an `Offload` pool made with `bridge: ThreadBridge.handlers(...)`
 * gets its own `MessagePort` back to the main thread. On the main side the
 * handlers run as fibers of the pool's runtime, with its services (an HTTP
 * client, a database, a cache that must have one owner). On the worker side
 * `ThreadBridge.connectParent` gives a client whose `call` sends a
 * `Schema.TaggedRequest` and decodes the answer, typed failures included.
 * Interrupting the call in the worker interrupts the handler in the main
 * thread; closing the pool ends every call still running.
 *
 * @since 0.1.0
 */
import type { InvalidArgumentError } from "@fiberkit/core/InvalidArgument"
import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { MessagePort } from "node:worker_threads"
import * as internal from "./internal/threadBridge.js"

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
 * The call could not be made or answered: the request or answer did not
 * cross the boundary, the main side has no handler for it, or the channel
 * closed while it waited.
 *
 * @example
 * ```ts
 * import { ThreadBridge } from "@fiberkit/node"
 *
 * console.log(new ThreadBridge.ThreadBridgeError({ request: "Price", detail: "the channel closed" }).message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const ThreadBridgeError = internal.ThreadBridgeError

/**
 * @since 0.1.0
 * @category errors
 */
export type ThreadBridgeError = internal.ThreadBridgeError

/**
 * @since 0.1.0
 * @category guards
 */
export const isThreadBridgeError: (u: unknown) => u is ThreadBridgeError = internal.isThreadBridgeError

/**
 * One handler per request tag of `A`, answering in the main thread.
 *
 * @since 0.1.0
 * @category models
 */
export type Handlers<A extends Schema.TaggedRequest.All, R> = {
  readonly [Tag in A["_tag"]]: (
    request: Extract<A, { readonly _tag: Tag }>
  ) => Effect.Effect<
    Schema.WithResult.Success<Extract<A, { readonly _tag: Tag }>>,
    Schema.WithResult.Failure<Extract<A, { readonly _tag: Tag }>>,
    R
  >
}

/**
 * The services the handlers `H` need.
 *
 * @since 0.1.0
 * @category models
 */
export type HandlersContext<H> = {
  readonly [K in keyof H]: H[K] extends (...args: ReadonlyArray<any>) => Effect.Effect<any, any, infer R> ? R : never
}[keyof H]

/**
 * Handlers ready to be served on a port (what `Offload.makePool`'s `bridge`
 * option takes).
 *
 * @since 0.1.0
 * @category models
 */
export interface Served<R> {
  readonly serve: (port: MessagePort) => Effect.Effect<void, InvalidArgumentError, Scope.Scope | R>
}

/**
 * The worker side: `call` sends a request to the main thread and waits for
 * its answer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Client<I extends Schema.TaggedRequest.All> {
  readonly call: <Req extends I>(
    request: Req
  ) => Effect.Effect<Schema.WithResult.Success<Req>, Schema.WithResult.Failure<Req> | ThreadBridgeError>
}

/**
 * Pairs a request schema with its main-thread handlers.
 *
 * @example
 * ```ts
 * import { ThreadBridge } from "@fiberkit/node"
 * import { Effect, Schema } from "effect"
 *
 * class Price extends Schema.TaggedRequest<Price>()("Price", {
 *   failure: Schema.Never,
 *   success: Schema.Number,
 *   payload: { sku: Schema.String }
 * }) {}
 *
 * const bridge = ThreadBridge.handlers(Price, { Price: ({ sku }) => Effect.succeed(sku.length * 10) })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const handlers: <A extends Schema.TaggedRequest.All, I, R, const H extends Handlers<A, any>>(
  schema: Schema.Schema<A, I, R>,
  handlers: H
) => Served<R | HandlersContext<H>> = internal.handlers

/**
 * Serves `handlers` on any `MessagePort` for the life of the scope (for a
 * channel made by hand; `Offload` pools do this for you).
 *
 * @example
 * ```ts
 * import { ThreadBridge } from "@fiberkit/node"
 * import { Effect, Schema } from "effect"
 * import { MessageChannel } from "node:worker_threads"
 *
 * class Echo extends Schema.TaggedRequest<Echo>()("Echo", {
 *   failure: Schema.Never,
 *   success: Schema.String,
 *   payload: { text: Schema.String }
 * }) {}
 *
 * const { port1 } = new MessageChannel()
 * const serving = ThreadBridge.serve(port1, Echo, { Echo: ({ text }) => Effect.succeed(text) })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const serve: <A extends Schema.TaggedRequest.All, I, R, const H extends Handlers<A, any>>(
  port: MessagePort,
  schema: Schema.Schema<A, I, R>,
  handlers: H
) => Effect.Effect<void, InvalidArgumentError, Scope.Scope | R | HandlersContext<H>> = internal.serve

/**
 * The calling side on any `MessagePort` served with `serve`.
 *
 * @example
 * ```ts
 * import { ThreadBridge } from "@fiberkit/node"
 * import { MessageChannel } from "node:worker_threads"
 *
 * const { port2 } = new MessageChannel()
 * const client = ThreadBridge.makeClient(port2)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeClient: <I extends Schema.TaggedRequest.All>(
  port: MessagePort
) => Effect.Effect<Client<I>, InvalidArgumentError, Scope.Scope> = internal.makeClient

/**
 * In a worker of an `Offload` pool made with a `bridge`: the client for the
 * main thread. Fails with `ThreadBridgeError` in any other thread.
 *
 * @example
 * ```ts
 * import { ThreadBridge } from "@fiberkit/node"
 * import { Effect, Schema } from "effect"
 *
 * class Price extends Schema.TaggedRequest<Price>()("Price", {
 *   failure: Schema.Never,
 *   success: Schema.Number,
 *   payload: { sku: Schema.String }
 * }) {}
 *
 * const price = Effect.gen(function*() {
 *   const main = yield* ThreadBridge.connectParent<Price>()
 *   return yield* main.call(new Price({ sku: "A-1" }))
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const connectParent: <I extends Schema.TaggedRequest.All>() => Effect.Effect<
  Client<I>,
  ThreadBridgeError,
  Scope.Scope
> = internal.connectParent
