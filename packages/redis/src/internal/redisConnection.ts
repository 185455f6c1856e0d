import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import { Redis } from "ioredis"
import * as Crypto from "node:crypto"
import type * as api from "../RedisConnection.js"
import type { RedisServer } from "../RedisServer.js"
import * as realTime from "./realTime.js"
import * as redisServer from "./redisServer.js"
import * as validate from "./validate.js"

/** @internal */
export const TypeId: unique symbol = Symbol.for("@fiberkit/redis/RedisError")

/** @internal */
export type Reason = "unavailable" | "timeout" | "script" | "protocol"

const describeReason: Record<Reason, string> = {
  unavailable: "Redis is unavailable",
  timeout: "Redis did not answer in time",
  script: "a Lua script failed",
  protocol: "Redis rejected the command"
}

const causeText = (cause: unknown): string =>
  Predicate.hasProperty(cause, "message") && typeof cause.message === "string" ? cause.message : String(cause)

/** @internal */
export class RedisError extends Data.TaggedError("RedisError")<{
  readonly operation: string
  readonly reason: Reason
  readonly cause: unknown
}> {
  readonly [TypeId]: typeof TypeId = TypeId
  override get message(): string {
    return `${this.operation}: ${describeReason[this.reason]} (${causeText(this.cause)})`
  }
}

/** @internal */
export const isRedisError = (u: unknown): u is RedisError => Predicate.hasProperty(u, TypeId)

// ioredis reports everything as an Error; its class name and message are the only stable signals.
const classify = (cause: unknown, inScript: boolean): Reason => {
  const name = Predicate.hasProperty(cause, "name") ? String(cause.name) : ""
  const message = causeText(cause)
  if (message.includes("Command timed out")) return "timeout"
  if (name === "ReplyError") return inScript ? "script" : "protocol"
  return "unavailable"
}

/** @internal */
export const RedisConnection = Context.GenericTag<api.RedisConnection>("@fiberkit/redis/RedisConnection")

/** @internal */
export const defineScript = (name: string, lua: string): api.Script => ({
  name,
  lua,
  sha: Crypto.createHash("sha1").update(lua).digest("hex")
})

const defaultCommandTimeout = 2_000

interface Resolved {
  readonly url: string
  readonly commandTimeoutMillis: number
  readonly keyPrefix: string
}

const resolve = (
  operation: string,
  options: api.Options
): Effect.Effect<Resolved, validate.InvalidArgumentError> =>
  Effect.suspend(() => {
    const shape = validate.object(operation, "options", options)
    if (shape !== undefined) return Effect.fail(shape)
    const url = options.url
    if (typeof url !== "string" || !/^rediss?:\/\/./.test(url)) {
      return Effect.fail(validate.invalid(operation, "url", "a redis:// or rediss:// URL", url))
    }
    let commandTimeoutMillis = defaultCommandTimeout
    if (options.commandTimeout !== undefined) {
      const decoded = validate.positiveDuration(operation, "commandTimeout", options.commandTimeout)
      if (decoded instanceof Error) return Effect.fail(decoded)
      commandTimeoutMillis = Math.max(1, Math.ceil(decoded.millis))
    }
    const prefixProblem = validate.optionalString(operation, "keyPrefix", options.keyPrefix)
    if (prefixProblem !== undefined) return Effect.fail(prefixProblem)
    return Effect.succeed({ url, commandTimeoutMillis, keyPrefix: options.keyPrefix ?? "" })
  })

const connect = (resolved: Resolved): Effect.Effect<api.RedisConnection, RedisError, Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const client = new Redis(resolved.url, {
          lazyConnect: true,
          // Redis down must be an error now, not a command parked until it comes back.
          enableOfflineQueue: false,
          commandTimeout: resolved.commandTimeoutMillis,
          connectTimeout: Math.max(1_000, resolved.commandTimeoutMillis),
          // A command in flight when the connection drops fails instead of being replayed later: a replayed
          // script could take permits or items for a caller that has already given up.
          maxRetriesPerRequest: 0,
          autoResendUnfulfilledCommands: false,
          // Keep reconnecting in the background (capped at 1 s apart) so the connection recovers on its own.
          retryStrategy: (times) => Math.min(50 * times, 1_000),
          keyPrefix: resolved.keyPrefix
        })
        // Errors surface through the commands that fail; without a listener ioredis prints each one.
        client.on("error", () => {})
        return client
      }),
      (client) => Effect.sync(() => client.disconnect())
    )
    // A peer that accepts the socket but never answers the ready check would keep connect() pending forever.
    const connectBudget = Math.max(1_000, resolved.commandTimeoutMillis) + resolved.commandTimeoutMillis
    const connected = yield* realTime.timeoutTo(
      Effect.tryPromise({
        try: () => client.connect().then(() => true),
        catch: (cause) =>
          new RedisError({ operation: "RedisConnection.connect", reason: classify(cause, false), cause })
      }),
      connectBudget,
      () => false
    )
    if (!connected) {
      return yield* new RedisError({
        operation: "RedisConnection.connect",
        reason: "timeout",
        cause: new Error(`${resolved.url} did not become ready within ${connectBudget} ms`)
      })
    }
    return makeService(client, resolved)
  })

const makeService = (client: Redis, resolved: Resolved): api.RedisConnection => {
  const use = <A>(operation: string, f: (client: Redis) => Promise<A>): Effect.Effect<A, RedisError> =>
    Effect.tryPromise({
      try: () => f(client),
      catch: (cause) => new RedisError({ operation, reason: classify(cause, false), cause })
    })
  const run = (
    operation: string,
    script: api.Script,
    keys: ReadonlyArray<string>,
    args: ReadonlyArray<string | number>
  ): Effect.Effect<unknown, RedisError> =>
    Effect.tryPromise({
      try: async () => {
        try {
          return await client.evalsha(script.sha, keys.length, ...keys, ...args)
        } catch (error) {
          // The server has not seen this script yet (or restarted and lost its cache): send the source once.
          if (causeText(error).startsWith("NOSCRIPT")) {
            return await client.eval(script.lua, keys.length, ...keys, ...args)
          }
          throw error
        }
      },
      catch: (cause) =>
        new RedisError({ operation: `${operation} (script ${script.name})`, reason: classify(cause, true), cause })
    })
  return {
    url: resolved.url,
    keyPrefix: resolved.keyPrefix,
    commandTimeoutMillis: resolved.commandTimeoutMillis,
    client,
    use,
    run,
    duplicate: connect(resolved)
  }
}

/** @internal */
export const make = (
  options: api.Options
): Effect.Effect<api.RedisConnection, RedisError | validate.InvalidArgumentError, Scope.Scope> =>
  Effect.flatMap(resolve("RedisConnection.make", options), connect)

/** @internal */
export const layer = (
  options: api.Options
): Layer.Layer<api.RedisConnection, RedisError | validate.InvalidArgumentError> =>
  Layer.scoped(RedisConnection, Effect.flatMap(resolve("RedisConnection.layer", options), connect))

/** @internal */
export const layerFromServer: Layer.Layer<api.RedisConnection, RedisError, RedisServer> = Layer.scoped(
  RedisConnection,
  Effect.flatMap(
    redisServer.RedisServer,
    (server) => connect({ url: server.url, commandTimeoutMillis: defaultCommandTimeout, keyPrefix: "" })
  )
)
