/**
 * `Limiter` across processes: a counting semaphore with weighted permits whose permits live in Redis, so every
 * process (and machine) that makes a `RedisLimiter` with the same `name` shares one capacity. It is a
 * `Limiter.Limiter<RedisError>`: `Limiter.withPermits`, `withPermit`, `tryWithPermits`, `acquireScoped`,
 * `resize`, `statistics` and `forEach({ limiter })` work on it unchanged, and a program written against a
 * `Limiter<RedisError>` service runs on the local `Limiter.layer` or on {@link layer} by swapping the layer.
 *
 * **Permits are leases.** Each acquisition is a lease id in a sorted set scored by its expiry (Redis time) plus
 * the permits it holds. One fiber per limiter extends all of this process's leases three times per `leaseTtl`, in
 * one round trip. Expired leases are reclaimed inside every script, so the permits of a holder that was
 * `kill -9`ed come back within `leaseTtl` (default 10 s) without anyone's help.
 *
 * **Atomic steps in Lua, time from Redis.** Acquire, poll, release, refresh, resize and statistics are single Lua
 * scripts (`EVALSHA`). Expiries and heartbeats use `redis.call("TIME")`, never a caller's clock: processes on
 * machines whose clocks disagree still agree on when a lease expires.
 *
 * **Fair, and large requests do not starve.** Requests that cannot be served at once join one FIFO queue in Redis
 * (across all processes). The head is served as soon as its permits fit and nothing overtakes it, the same rule
 * as the local `Limiter`: a request for 5 is not starved by a stream of requests for 1. Grants are made inside
 * the scripts (a release grants to the queue head at once) and the granted ids are published on a pub/sub
 * channel, so a waiting process wakes as soon as it is served. Pub/sub is at-most-once, so a waiter also polls
 * every `pollInterval` (default 250 ms or a quarter of the TTL); that poll is its heartbeat: a waiter whose
 * process died leaves the queue within `leaseTtl` instead of blocking it. A queued request granted before its
 * heartbeat lapsed gets a lease that ends with that heartbeat (its poll or the refresh fiber extends it once the
 * waiter takes it), so permits granted to a dead waiter also come back within `leaseTtl` of its death.
 *
 * **Failures.**
 * - Redis down: every operation fails at once with a `RedisError` (reason `"unavailable"`, or `"timeout"` after
 *   the connection's command timeout), never a hang; a waiter fails the same way on its next poll. When Redis is
 *   back, the same limiter works again (the connection reconnects on its own).
 * - Interrupted while waiting: the queue entry is removed (and a lease granted at that very moment is given
 *   back), so nothing is held. A holder interrupted gives its lease back like any release.
 * - A release that cannot reach Redis is logged; the lease is no longer refreshed and expires within the TTL.
 * - A lease that expires while still held (Redis unreachable or this process stalled for longer than `leaseTtl`)
 *   is logged as a warning; its permits may be given to another process while the holder still runs. Choose a
 *   TTL well above the longest pause you expect (GC, a blocked event loop, a network partition). A Redis that
 *   restarts without persistence forgets every lease the same way: run it with persistence (or a replica) if the
 *   limit must survive a Redis restart.
 *
 * **Statistics.** `capacity`, `inFlight`, `available`, `peakInFlight` and `totalAcquired` are global (read from
 * Redis, counted since the limiter's keys were created); `waiting` and `waitingPermits` are local: this
 * process's fibers queued for permits. `Limiter.unsafeStatistics` is not available (it would need a synchronous
 * network call).
 *
 * **Capacity.** Every `make` states the capacity (`permits`) and the last `make` or `resize` wins: processes
 * sharing a name should pass the same number.
 *
 * **Keys.** `fiberkit:limiter:{<name>}:leases|holders|queue|queued|heartbeats|meta` (after the connection's
 * `keyPrefix`; the braces keep them in one Redis Cluster slot) and the pub/sub channel
 * `fiberkit:limiter:{<name>}:granted`. Each limiter instance opens one extra connection for that subscription.
 * The keys are not deleted when processes stop (the statistics live there); delete them to reset a limiter.
 *
 * **Why not `redis-semaphore`?** (5.8.0, checked for this module; it would run on Node 20 with our ioredis.) Its
 * weighted `MultiSemaphore` passes the caller's `Date.now()` into its script (clock skew between machines moves
 * expiries), waits by re-running the script every `retryInterval` (no wake-up on release, and a bounded
 * `acquireTimeout` rather than waiting until interrupted), and has no queue: whoever retries first after a release
 * wins, so a request for many permits can starve behind a stream of small ones. It would also add a dependency
 * and need the statistics rebuilt around it. The six scripts here are short and do exactly what
 * `Limiter.Backend` asks.
 *
 * @since 0.1.0
 */
import type { InvalidArgument, Limiter } from "@fiberkit/core"
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/redisLimiter.js"
import type { RedisConnection, RedisError } from "./RedisConnection.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The shared name: every `RedisLimiter` with this name (on this Redis and key prefix) is one limiter. */
  readonly name: string
  /** The capacity: a positive integer. The last `make` or `resize` sets it for all processes. */
  readonly permits: number
  /** Shown in errors and `toString`; default: `name`. */
  readonly label?: string | undefined
  /**
   * How long a lease outlives its holder when nobody refreshes it: the time a crashed process's permits stay
   * taken. At least 100 ms; default 10 s.
   */
  readonly leaseTtl?: Duration.DurationInput | undefined
  /** How often a waiter checks (and renews its place) when no wake-up arrives; at most half the TTL. */
  readonly pollInterval?: Duration.DurationInput | undefined
}

/**
 * A limiter shared through Redis, living until the scope closes (then whatever this instance still holds or
 * waits for is given back).
 *
 * @example
 * ```ts
 * import { Limiter } from "@fiberkit/core"
 * import { RedisConnection, RedisLimiter } from "@fiberkit/redis"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const limiter = yield* RedisLimiter.make({ name: "payments-api", permits: 4, leaseTtl: "5 seconds" })
 *   // At most 4 calls in flight across every process using "payments-api".
 *   yield* Effect.forEach([1, 2, 3, 4, 5, 6], (n) => Effect.sleep(`${n * 10} millis`).pipe(Limiter.withPermit(limiter)), {
 *     concurrency: "unbounded"
 *   })
 *   return yield* Limiter.statistics(limiter)
 * }).pipe(Effect.scoped, Effect.provide(RedisConnection.layer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  options: Options
) => Effect.Effect<
  Limiter.Limiter<RedisError>,
  InvalidArgument.InvalidArgumentError | RedisError,
  RedisConnection | Scope.Scope
> = internal.make

/**
 * A layer with a Redis limiter for `tag`: the drop-in replacement for `Limiter.layer(tag, options)`.
 *
 * @example
 * ```ts
 * import { Limiter } from "@fiberkit/core"
 * import { RedisConnection, RedisLimiter } from "@fiberkit/redis"
 * import { Context, Layer } from "effect"
 *
 * class Calls extends Context.Tag("Calls")<Calls, Limiter.Limiter<RedisConnection.RedisError>>() {}
 *
 * const Local = Limiter.layer(Calls, { permits: 8 })
 * const Shared = RedisLimiter.layer(Calls, { name: "calls", permits: 8 }).pipe(
 *   Layer.provide(RedisConnection.layer({ url: "redis://127.0.0.1:6379" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <I>(
  tag: Context.Tag<I, Limiter.Limiter<RedisError>>,
  options: Options
) => Layer.Layer<I, InvalidArgument.InvalidArgumentError | RedisError, RedisConnection> = internal.layer
