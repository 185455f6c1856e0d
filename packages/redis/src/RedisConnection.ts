/**
 * A scoped `ioredis` client wrapped in Effect: every command is an `Effect` that fails with a typed
 * {@link RedisError} and never hangs.
 *
 * The client is configured for failing fast and recovering on its own:
 *
 * - `enableOfflineQueue: false`: while Redis is down a command fails at once with reason `"unavailable"`
 *   instead of waiting in a queue for a server that may not come back;
 * - a command timeout (default 2 s): a server that accepts the connection but does not answer gives reason
 *   `"timeout"`;
 * - commands in flight when the connection drops fail rather than being replayed after reconnecting (a replayed
 *   script could take permits for a caller that has already given up);
 * - ioredis keeps reconnecting in the background (at most 1 s apart), so the same connection works again as
 *   soon as Redis is back. Nothing has to be rebuilt.
 *
 * Lua scripts are defined once with {@link defineScript} and run with `connection.run`: `EVALSHA` first, the
 * source only when the server answers `NOSCRIPT` (first use, or after a restart emptied its script cache).
 *
 * @since 0.1.0
 */
import type { InvalidArgument } from "@fiberkit/core"
import type * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { Redis } from "ioredis"
import * as internal from "./internal/redisConnection.js"
import type { RedisServer } from "./RedisServer.js"

/**
 * A Lua script with its SHA-1, made by {@link defineScript}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Script {
  /** A short name used in error messages. */
  readonly name: string
  readonly lua: string
  readonly sha: string
}

/**
 * An open connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisConnection {
  readonly url: string
  /** Prepended by ioredis to every key (including a script's `KEYS`); `""` when none. */
  readonly keyPrefix: string
  readonly commandTimeoutMillis: number
  /** The ioredis client itself, for what `use` does not cover. Do not `quit` it: the scope owns it. */
  readonly client: Redis
  /** Runs one or more commands; a rejection becomes a `RedisError` naming `operation`. */
  readonly use: <A>(operation: string, f: (client: Redis) => Promise<A>) => Effect.Effect<A, RedisError>
  /**
   * Runs a script with `EVALSHA`, sending its source only when the server does not know it. Pass every key the
   * script touches in `keys` (so `keyPrefix` applies to them and a cluster could route them).
   */
  readonly run: (
    operation: string,
    script: Script,
    keys: ReadonlyArray<string>,
    args: ReadonlyArray<string | number>
  ) => Effect.Effect<unknown, RedisError>
  /**
   * A second connection with the same options, closed with the given scope: for blocking commands
   * (`BLMOVE`) or subscriptions, which would stall every other command on a shared connection. The command
   * timeout applies to blocking commands too: block for less than `commandTimeoutMillis` at a time.
   */
  readonly duplicate: Effect.Effect<RedisConnection, RedisError, Scope.Scope>
}

/**
 * The service tag.
 *
 * @since 0.1.0
 * @category tags
 */
export const RedisConnection: Context.Tag<RedisConnection, RedisConnection> = internal.RedisConnection

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…` for TLS. */
  readonly url: string
  /** How long a command may go unanswered before it fails with reason `"timeout"`. Default 2 s. */
  readonly commandTimeout?: Duration.DurationInput | undefined
  /** A prefix for every key, to keep several applications apart in one Redis database. */
  readonly keyPrefix?: string | undefined
}

/**
 * @since 0.1.0
 * @category type ids
 */
export const RedisErrorTypeId: typeof internal.TypeId = internal.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type RedisErrorTypeId = typeof internal.TypeId

/**
 * A Redis command failed. `reason` says how:
 *
 * - `"unavailable"`: not connected (Redis is down, restarting, unreachable) or the connection dropped while the
 *   command was in flight. Retrying later can succeed: the connection reconnects by itself.
 * - `"timeout"`: no answer within the command timeout.
 * - `"script"`: a Lua script raised an error.
 * - `"protocol"`: Redis rejected a command (wrong type, bad arguments, …).
 *
 * @example
 * ```ts
 * import { RedisConnection } from "@fiberkit/redis"
 *
 * const error = new RedisConnection.RedisError({
 *   operation: "RedisLimiter.acquire",
 *   reason: "unavailable",
 *   cause: new Error("connect ECONNREFUSED 127.0.0.1:6379")
 * })
 * console.log(error.message)
 * // RedisLimiter.acquire: Redis is unavailable (connect ECONNREFUSED 127.0.0.1:6379)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export interface RedisError extends Cause.YieldableError {
  readonly [RedisErrorTypeId]: RedisErrorTypeId
  readonly _tag: "RedisError"
  readonly operation: string
  readonly reason: "unavailable" | "timeout" | "script" | "protocol"
  readonly cause: unknown
}

/**
 * @since 0.1.0
 * @category errors
 */
export const RedisError: new(args: {
  readonly operation: string
  readonly reason: "unavailable" | "timeout" | "script" | "protocol"
  readonly cause: unknown
}) => RedisError = internal.RedisError

/**
 * @since 0.1.0
 * @category guards
 */
export const isRedisError: (u: unknown) => u is RedisError = internal.isRedisError

/**
 * Defines a Lua script once (its SHA-1 is computed here) for `connection.run`.
 *
 * @example
 * ```ts
 * import { RedisConnection } from "@fiberkit/redis"
 *
 * const incrementBy = RedisConnection.defineScript("incrementBy", "return redis.call('INCRBY', KEYS[1], ARGV[1])")
 * console.log(incrementBy.sha.length) // 40
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const defineScript: (name: string, lua: string) => Script = internal.defineScript

/**
 * Connects (failing with reason `"unavailable"` if Redis cannot be reached now) and disconnects when the scope
 * closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  options: Options
) => Effect.Effect<RedisConnection, RedisError | InvalidArgument.InvalidArgumentError, Scope.Scope> = internal.make

/**
 * {@link make} as a layer.
 *
 * @example
 * ```ts
 * import { RedisConnection } from "@fiberkit/redis"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const redis = yield* RedisConnection.RedisConnection
 *   return yield* redis.use("ping", (client) => client.ping())
 * }).pipe(Effect.provide(RedisConnection.layer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (
  options: Options
) => Layer.Layer<RedisConnection, RedisError | InvalidArgument.InvalidArgumentError> = internal.layer

/**
 * A connection to the server of `RedisServer.layer()` (tests and demos).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromServer: Layer.Layer<RedisConnection, RedisError, RedisServer> = internal.layerFromServer
