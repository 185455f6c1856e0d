/**
 * A real `redis-server` child process for tests and demos: a free loopback port, a fresh temporary directory,
 * no persistence, stopped (SIGTERM, then SIGKILL) and its directory removed when the scope closes.
 *
 * This is test and demo equipment, never a way to run Redis in production: it binds 127.0.0.1 only, keeps
 * nothing on disk and dies with the scope that started it (or, if the scope is never closed, when this Node
 * process exits; only a SIGKILL of this process leaves it running).
 *
 * @since 0.1.0
 */
import type { InvalidArgument } from "@fiberkit/core"
import type * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/redisServer.js"

/**
 * A running server: where to reach it and its working directory.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisServer {
  readonly host: "127.0.0.1"
  readonly port: number
  /** `redis://127.0.0.1:<port>`: what `RedisConnection.layer({ url })` takes. */
  readonly url: string
  /** The temporary directory the server runs in (removed on close). */
  readonly dir: string
}

/**
 * The service tag of the server started by {@link layer}.
 *
 * @since 0.1.0
 * @category tags
 */
export const RedisServer: Context.Tag<RedisServer, RedisServer> = internal.RedisServer

/**
 * @since 0.1.0
 * @category models
 */
export interface StartOptions {
  /** Listen on this port instead of a free one: how a test restarts "the same" Redis after stopping it. */
  readonly port?: number | undefined
  /** The executable: a name looked up on `PATH` or a path. Default `"redis-server"`. */
  readonly binary?: string | undefined
}

/**
 * The server could not be run. `reason` is `"not-installed"` (the binary is not on `PATH`; the message says
 * how to install it) or `"failed-to-start"` (it exited or never answered `PING`; the message carries its
 * output).
 *
 * @example
 * ```ts
 * import { RedisServer } from "@fiberkit/redis"
 *
 * const error = new RedisServer.RedisServerError({ reason: "not-installed", binary: "redis-server", detail: "not on PATH" })
 * console.log(error.message.includes("apt-get install redis-server")) // true
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const RedisServerError: new(args: {
  readonly reason: "not-installed" | "failed-to-start"
  readonly binary: string
  readonly detail: string
}) => RedisServerError = internal.RedisServerError

/**
 * @since 0.1.0
 * @category errors
 */
export interface RedisServerError extends InstanceType<typeof internal.RedisServerError> {}

/**
 * Starts `redis-server` in the current scope and waits until it answers `PING`. Closing the scope stops it:
 * a test stops Redis "mid-run" by closing a sub-scope, and brings it back with `start({ port })`.
 *
 * @example
 * ```ts
 * import { RedisServer } from "@fiberkit/redis"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function*() {
 *     const server = yield* RedisServer.start()
 *     console.log(server.url) // redis://127.0.0.1:<a free port>
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const start: (
  options?: StartOptions
) => Effect.Effect<RedisServer, RedisServerError | InvalidArgument.InvalidArgumentError, Scope.Scope> = internal.start

/**
 * {@link start} as a layer: the server lives as long as the layer.
 *
 * @example
 * ```ts
 * import { RedisConnection, RedisServer } from "@fiberkit/redis"
 * import { Layer } from "effect"
 *
 * const RedisLive = RedisConnection.layerFromServer.pipe(Layer.provideMerge(RedisServer.layer()))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (
  options?: StartOptions
) => Layer.Layer<RedisServer, RedisServerError | InvalidArgument.InvalidArgumentError> = internal.layer

/**
 * Whether `redis-server` is on `PATH` (nothing is run to find out).
 *
 * @since 0.1.0
 * @category getters
 */
export const binaryAvailable: Effect.Effect<boolean> = internal.binaryAvailable
