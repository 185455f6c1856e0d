/**
 * The `TokenBucket` of `@fiberkit/core`, shared by every process that opens it by the same `name` on the same
 * Redis: "1000 calls per second to this API" holds for the whole fleet, not per instance. It is a
 * `TokenBucket.TokenBucket<RedisError>`, so `TokenBucket.withTokens`, `take`, `pause`, `pauseOnRetryAfter`,
 * `reconfigure` and `statistics` work on it unchanged: a program switches from the local bucket to this one by
 * swapping its Layer.
 *
 * **How it works.** The bucket's state (tokens per limit, the time they were computed, any pause) is one hash in
 * Redis. Taking tokens is one Lua script, so it is atomic across processes, and the script reads the time
 * with Redis `TIME`: callers' clocks never enter the arithmetic. When tokens are short the script answers with
 * the exact wait until the first caller can go, and the process sleeps that long instead of polling.
 * In each process one fiber talks to Redis while callers wait: it sends the queue's head in one script call
 * (up to 256 callers; the script admits the longest prefix the tokens allow), so a single round trip admits
 * many callers, and callers arriving meanwhile ride the next one.
 *
 * **Guarantees.**
 *
 * - *Rate*: tokens are taken at the Redis time of admission, so, on the Redis clock, no window of length `per`
 *   admits more than `rate + burst` in total across all processes (the test checks this with 3 processes).
 *   A caller starts one network return trip after its admission, so its own clock sees the same spacing,
 *   shifted by that (small, varying) delay.
 * - *Clock skew*: irrelevant between clients. If the Redis server's clock steps back, nothing accrues until it
 *   catches up; a step forward refills at most to `burst`.
 * - *Pause*: `pause` (and so `pauseOnRetryAfter`) is stored in Redis: one process seeing `429 Retry-After`
 *   stops every process, and all restart from an empty bucket.
 * - *Limits*: the latest `make` or `reconfigure` (from any process) defines the limits for everyone; tokens
 *   carry over, clamped to the new burst. If the hash disappears (Redis restarted without persistence) the next
 *   call recreates it, full, from that process's options.
 * - *Redis down*: the next script call fails at once (the connection has no offline queue, and a command
 *   timeout for a server that stops answering), and with it every caller of the process waiting at that
 *   moment fails with `RedisError`, never a hang. Callers sleeping through a wait the script announced find
 *   out when it ends. The next call after Redis returns works again.
 * - *Fairness*: first come, first served within a process (a large `cost` is not overtaken by cheaper callers
 *   of the same process). Across processes there is no queue, but no starvation either: the first caller
 *   Redis tells to wait *holds* its cost, and until it is admitted other processes may only take tokens beyond
 *   that cost (otherwise a stream of cost-1 calls elsewhere, each taking a token as soon as it accrues, would
 *   keep a cost-10 call waiting forever). The hold passes to another process at each admission; it is given
 *   back when its caller gives up, and lapses 200 ms after the wait it was taken for if its process died.
 * - *Interruption*: a caller interrupted while queued costs nothing. A caller interrupted while its request is
 *   at Redis (one round trip), or admitted but not yet running, has spent its tokens: Redis cannot know it gave
 *   up, and handing the tokens to someone else later would move an admission out of the window it was
 *   counted in.
 *
 * **What is per process.** `maxConcurrent` caps this process's running calls (a global cap on running calls is
 * what `RedisLimiter` is for); the default `cost` is this process's. In `statistics`, `admitted`,
 * `admittedCost`, `tokens`, `pauses` and `pausedUntil` are global (read from Redis; `admitted` counts grants
 * Redis made, including to callers interrupted before they ran; `pausedUntil` is on the Redis clock), while
 * `waiting`, `inFlight`, `peakInFlight`, `timers` and `closed` describe this process. `timers` is 1 while this
 * process has callers waiting (its Redis fiber), 0 otherwise.
 *
 * **Why not an existing store.** `@effect/experimental`'s Redis `RateLimiterStore` (`tokenBucket`) takes the
 * current time from the caller (`clock.unsafeCurrentTimeMillis()` passed into the script), so a machine whose
 * clock runs ahead refills the bucket early for everyone and one behind stops the refill; it refills whole
 * tokens per `refill` step, ties the bucket size to the limit (no separate burst: up to twice the limit in one
 * window), has no pause, no stacked limits, and its "delay" mode takes tokens ahead of time (debt), so a caller
 * interrupted while delaying still spends them. `rate-limiter-flexible` and similar counters are fixed or
 * sliding windows, not a bucket with a burst. The scripts here are small enough to own: under 200 lines of Lua.
 *
 * @since 0.1.0
 */
import type { InvalidArgument, TokenBucket } from "@fiberkit/core"
import type * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/redisTokenBucket.js"
import type { RedisConnection, RedisError } from "./RedisConnection.js"

/**
 * The local bucket's options (`rate`/`per`/`burst` or `limits`, `maxConcurrent`, `cost`, `label`) plus the
 * `name` that identifies the shared bucket: every process using the same name on the same Redis shares it.
 *
 * @since 0.1.0
 * @category models
 */
export type Options = TokenBucket.Options & {
  /** The bucket's identity across processes: its Redis key is `fiberkit:token-bucket:<name>`. */
  readonly name: string
}

/**
 * Opens the shared bucket `name` (creating it, full, if it does not exist) and writes these limits as the
 * limits of every process using it. Closing the scope fails this process's waiting callers with
 * `TokenBucketClosedError`; the bucket in Redis stays for the other processes.
 *
 * Fails with `InvalidArgumentError` for bad options (the same rules as `TokenBucket.make`, plus a non-empty
 * `name`) and with `RedisError` when Redis cannot be reached.
 *
 * @example
 * ```ts
 * import { TokenBucket } from "@fiberkit/core"
 * import { RedisConnection, RedisTokenBucket } from "@fiberkit/redis"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   // The same 100 calls per second, burst 10, in every process that runs this.
 *   const bucket = yield* RedisTokenBucket.make({ name: "github-api", rate: 100, burst: 10 })
 *   yield* Effect.log("calling").pipe(TokenBucket.withTokens(bucket))
 *   return yield* TokenBucket.statistics(bucket)
 * })).pipe(Effect.provide(RedisConnection.layer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  options: Options
) => Effect.Effect<
  TokenBucket.TokenBucket<RedisError>,
  InvalidArgument.InvalidArgumentError | RedisError,
  RedisConnection | Scope.Scope
> = (options) => internal.make(options)

/**
 * {@link make} as a layer for a service tag: the tag a program already uses for its local bucket, typed
 * `TokenBucket.TokenBucket<RedisError>`, accepts `TokenBucket.layer` and this layer alike.
 *
 * @example
 * ```ts
 * import { TokenBucket } from "@fiberkit/core"
 * import { RedisConnection, RedisTokenBucket } from "@fiberkit/redis"
 * import { Context, Effect, Layer } from "effect"
 *
 * class ApiBucket extends Context.Tag("ApiBucket")<
 *   ApiBucket,
 *   TokenBucket.TokenBucket<RedisConnection.RedisError>
 * >() {}
 *
 * const callApi = Effect.gen(function*() {
 *   const bucket = yield* ApiBucket
 *   return yield* Effect.succeed("ok").pipe(TokenBucket.withTokens(bucket))
 * })
 *
 * // One process:     TokenBucket.layer(ApiBucket, { rate: 50 })
 * // Every process:   the same limit, shared through Redis.
 * const Shared = RedisTokenBucket.layer(ApiBucket, { name: "api", rate: 50 }).pipe(
 *   Layer.provide(RedisConnection.layer({ url: "redis://127.0.0.1:6379" }))
 * )
 * const program = callApi.pipe(Effect.provide(Shared))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <I>(
  tag: Context.Tag<I, TokenBucket.TokenBucket<RedisError>>,
  options: Options
) => Layer.Layer<I, InvalidArgument.InvalidArgumentError | RedisError, RedisConnection> = internal.layer
