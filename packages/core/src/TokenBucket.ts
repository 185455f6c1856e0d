/**
 * A token bucket limits how *often* work starts: `rate` calls per `per`, with
 * up to `burst` calls allowed at once after a quiet spell. It is the
 * `RateLimiter` class of the asyncio playbook (tokens refilled from the
 * elapsed time, wait when empty), with the guarantees a client of a real API
 * needs:
 *
 * - **exact**: tokens refill continuously, so no window of length `per` ever
 *   admits more than `rate + burst` (Effect's own `RateLimiter` ties the
 *   bucket size to the limit and can admit 1.7× the limit in one second);
 * - **fair**: callers wait in FIFO order, and a caller with a larger `cost`
 *   is not overtaken by cheaper ones;
 * - **stackable**: `limits: [{ rate: 4, per: "1 second" }, { rate: 60, per:
 *   "1 minute" }]` admits a call only when every limit allows it;
 * - **concurrency-aware**: `maxConcurrent` caps how many admitted calls run
 *   at once, on top of the rate;
 * - **polite**: `pause` (or `pauseOnRetryAfter`) stops everyone when the server
 *   answers 429 with `Retry-After`, and restarts from an empty bucket;
 * - **adjustable**: `reconfigure` changes the limits at runtime;
 * - **interruption-safe**: a caller interrupted while waiting, or admitted
 *   but interrupted before it ran, consumes nothing;
 * - **nothing left running**: the bucket has a timer fiber only while callers
 *   wait; closing its scope fails the waiters with `TokenBucketClosedError`.
 *
 * Time is read from Effect's `Clock`, so `TestClock` drives it in tests.
 *
 * **Beyond one process.** `TokenBucket<S>` is an interface with pluggable
 * backends: `make` builds the in-process bucket (`S = never`), `fromBackend`
 * wraps any other `Backend` (e.g. `@fiberkit/redis`'s `RedisTokenBucket`,
 * shared by every process that uses it), and the module functions work on
 * both, adding the store's error `S` to their error channel. A program written
 * against a service tag typed `TokenBucket<StoreError>` runs on `layer` (local)
 * or on the store's layer: only the `Layer` changes.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Inspectable from "effect/Inspectable"
import type * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/tokenBucket.js"
import * as dispatch from "./internal/tokenBucketBackend.js"
import type { InvalidArgumentError } from "./InvalidArgument.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId as TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A token bucket whose operations can fail with `S`, the error of the store
 * that holds its tokens: `never` for the in-process bucket of `make`. `S` is
 * covariant (the `out` annotation is what the compiler checks), so a
 * `TokenBucket<never>` is also a `TokenBucket<RedisError>`: a program that
 * asks for the latter runs on either.
 *
 * @since 0.1.0
 * @category models
 */
// S is phantom: the `out` annotation alone makes the compiler keep `TokenBucket<E1>` and `TokenBucket<E2>` apart.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface TokenBucket<out S = never> extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: TypeId
  readonly label: string | undefined
}

/**
 * What a bucket needs from the place its tokens live: implement it to run the
 * same programs over another store (`@fiberkit/redis` does, for Redis), then
 * wrap it with `fromBackend`. The module functions check what they can
 * before calling it (a given `cost` is a finite number above 0, a pause a
 * finite duration of at least 0, `reconfigure` options an object); the
 * backend checks the rest against its configuration.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { TokenBucket } from "@fiberkit/core"
 *
 * class StoreDown extends Data.TaggedError("StoreDown") {}
 *
 * // A store that cannot be reached: every operation fails with its own, typed error.
 * const unreachable: TokenBucket.Backend<StoreDown> = {
 *   label: "unreachable",
 *   take: () => Effect.fail(new StoreDown()),
 *   withTokens: () => () => Effect.fail(new StoreDown()),
 *   pause: () => Effect.fail(new StoreDown()),
 *   reconfigure: () => Effect.fail(new StoreDown()),
 *   statistics: Effect.fail(new StoreDown())
 * }
 *
 * const program = Effect.succeed("called").pipe(
 *   TokenBucket.withTokens(TokenBucket.fromBackend(unreachable)),
 *   Effect.catchTag("StoreDown", () => Effect.succeed("the shared quota is down: try later"))
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Backend<out S> {
  /** Shown in `toString` and available as the bucket's `label`. */
  readonly label: string | undefined
  /**
   * Waits until `cost` tokens are taken: `undefined` means the bucket's default
   * cost; a number is already validated as positive, the backend checks it
   * against its burst. Interrupted while waiting, it must consume nothing.
   */
  readonly take: (cost: number | undefined) => Effect.Effect<void, S | InvalidArgumentError | TokenBucketClosedError>
  /**
   * `take`, then runs the effect, also holding one of `maxConcurrent` slots
   * while it runs (and giving it back however it ends); `cost` as for `take`.
   */
  readonly withTokens: (
    cost: number | undefined
  ) => <A, E, R>(
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | S | InvalidArgumentError | TokenBucketClosedError, R>
  /** Admits nothing for `millis` (already validated: finite, at least 0); see `pause`. */
  readonly pause: (millis: number) => Effect.Effect<void, S>
  /** See `reconfigure`; the backend validates the fields. */
  readonly reconfigure: (options: Reconfigure) => Effect.Effect<void, S | InvalidArgumentError>
  /** The counters, as `statistics` returns them. */
  readonly statistics: Effect.Effect<Statistics, S>
}

/**
 * One limit: `rate` tokens per `per`, at most `burst` saved up.
 *
 * @since 0.1.0
 * @category models
 */
export interface Limit {
  /** Tokens added per `per`: a finite number greater than 0. */
  readonly rate: number
  /** Default 1 second. */
  readonly per?: Duration.DurationInput | undefined
  /**
   * The most tokens the bucket holds: how many calls may start at once after a
   * quiet spell. At least 1; default 1 (perfectly smooth).
   */
  readonly burst?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type Options =
  & (Limit | {
    /** Several limits that must all allow a call, e.g. 4 per second and 60 per minute. */
    readonly limits: ReadonlyArray<Limit>
  })
  & {
    /** At most this many admitted calls of `withTokens` run at once. */
    readonly maxConcurrent?: number | undefined
    /** Tokens a call takes when it does not say (default 1). */
    readonly cost?: number | undefined
    readonly label?: string | undefined
  }

/**
 * What `reconfigure` accepts: new limits (all of them), and/or a new
 * `maxConcurrent` or default `cost`. Omitted fields keep their value.
 *
 * @since 0.1.0
 * @category models
 */
export type Reconfigure =
  & (Partial<Limit> | { readonly limits: ReadonlyArray<Limit> })
  & {
    readonly maxConcurrent?: number | undefined
    readonly cost?: number | undefined
  }

/**
 * @since 0.1.0
 * @category models
 */
export interface CallOptions {
  /** Tokens this call takes (default: the bucket's `cost`). At most the smallest burst. */
  readonly cost?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Statistics {
  /** Calls admitted so far (an admitted call that was interrupted before it ran is not counted). */
  readonly admitted: number
  /** Tokens those calls took. */
  readonly admittedCost: number
  readonly waiting: number
  /** Admitted `withTokens` calls still running. */
  readonly inFlight: number
  readonly peakInFlight: number
  /** Tokens in each limit's bucket now (negative right after a pause). */
  readonly tokens: ReadonlyArray<number>
  /** How many times `pause` was called. */
  readonly pauses: number
  /** Clock time (ms) until which the bucket is paused, if it ever was. */
  readonly pausedUntil: number | undefined
  /** Timer fibers running: 0 whenever nobody waits, and after the scope closed. */
  readonly timers: number
  readonly closed: boolean
}

/**
 * The bucket's scope ended while a call waited for tokens, or a call arrived after.
 *
 * @since 0.1.0
 * @category errors
 */
export interface TokenBucketClosedError extends Cause.YieldableError {
  readonly _tag: "TokenBucketClosedError"
  readonly label: string | undefined
}

/**
 * @example
 * ```ts
 * import { TokenBucket } from "@fiberkit/core"
 *
 * console.log(new TokenBucket.TokenBucketClosedError({ label: "github" }).message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const TokenBucketClosedError: new(args: { readonly label: string | undefined }) => TokenBucketClosedError =
  internal.TokenBucketClosedError

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TokenBucket } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.map(TokenBucket.make({ rate: 10 }), TokenBucket.isTokenBucket))
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isTokenBucket: (u: unknown) => u is TokenBucket<unknown> = internal.isTokenBucket

/**
 * Creates a bucket that lives as long as the enclosing `Scope`. It starts
 * full (`burst` tokens in each limit). Bad options (rate <= 0, burst < 1,
 * NaN, a default cost above the burst, both `rate` and `limits`) fail with
 * `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TokenBucket } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   // 1000 calls per second, at most 10 at once after a pause, at most 50 running
 *   const bucket = yield* TokenBucket.make({ rate: 1000, per: "1 second", burst: 10, maxConcurrent: 50 })
 *   // GitHub-style stacked limits: 4 per second and 60 per minute
 *   const strict = yield* TokenBucket.make({
 *     limits: [{ rate: 4, per: "1 second", burst: 4 }, { rate: 60, per: "1 minute", burst: 60 }]
 *   })
 *   return [bucket, strict]
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options: Options) => Effect.Effect<TokenBucket, InvalidArgumentError, Scope.Scope> = internal.make

/**
 * A bucket over any `Backend`: the module functions dispatch to it (the
 * in-process bucket of `make` keeps its own fast path). Throws
 * `InvalidArgumentError` when `backend` lacks one of its members.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TokenBucket } from "@fiberkit/core"
 *
 * // A backend in front of an in-process bucket that logs every admission.
 * const logging = (bucket: TokenBucket.TokenBucket): TokenBucket.Backend<never> => ({
 *   label: "logging",
 *   take: (cost) => Effect.zipRight(TokenBucket.take(bucket, cost), Effect.log(`took ${cost ?? "the default cost"}`)),
 *   withTokens: (cost) => (effect) => TokenBucket.withTokens(bucket, { cost })(Effect.zipRight(Effect.log("admitted"), effect)),
 *   pause: (millis) => Effect.orDie(TokenBucket.pause(bucket, millis)),
 *   reconfigure: (options) => TokenBucket.reconfigure(bucket, options),
 *   statistics: TokenBucket.statistics(bucket)
 * })
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const bucket = TokenBucket.fromBackend(logging(yield* TokenBucket.make({ rate: 10, burst: 2 })))
 *   yield* Effect.succeed("called").pipe(TokenBucket.withTokens(bucket))
 *   return yield* TokenBucket.statistics(bucket) // admitted: 1
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromBackend: <S>(backend: Backend<S>) => TokenBucket<S> = dispatch.fromBackend

/**
 * A layer with a new in-process bucket for `tag`, living as long as the layer.
 * The tag may ask for a `TokenBucket<E>` with any store error `E`: a local
 * bucket is one too, so the same program runs on this layer in one process
 * and on a shared store's layer (e.g. `RedisTokenBucket.layer`) across many.
 *
 * @example
 * ```ts
 * import { Context, Effect } from "effect"
 * import { TokenBucket } from "@fiberkit/core"
 *
 * class StoreError extends Error {}
 * class GitHubQuota extends Context.Tag("GitHubQuota")<GitHubQuota, TokenBucket.TokenBucket<StoreError>>() {}
 *
 * const call = Effect.flatMap(GitHubQuota, (bucket) => Effect.succeed("ok").pipe(TokenBucket.withTokens(bucket)))
 *
 * const program = call.pipe(Effect.provide(TokenBucket.layer(GitHubQuota, { rate: 4, per: "1 second", burst: 4 })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <I, S>(
  tag: Context.Tag<I, TokenBucket<S>>,
  options: Options
) => Layer.Layer<I, InvalidArgumentError> = dispatch.layer

/**
 * Waits for tokens (FIFO), then runs the effect; with `maxConcurrent` it also
 * holds one concurrency slot while it runs. Fails with `InvalidArgumentError`
 * at once when the cost is not positive or exceeds the smallest burst (it
 * could never be admitted), and with `TokenBucketClosedError` when the
 * bucket's scope has ended.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TokenBucket } from "@fiberkit/core"
 *
 * const callApi = (id: number) => Effect.succeed({ id })
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const bucket = yield* TokenBucket.make({ rate: 10, per: "1 second", burst: 2 })
 *   return yield* Effect.forEach(
 *     [1, 2, 3, 4],
 *     (id) => callApi(id).pipe(TokenBucket.withTokens(bucket)),
 *     { concurrency: "unbounded" }
 *   )
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withTokens: <S>(
  self: TokenBucket<S>,
  options?: CallOptions
) => <A, E, R>(
  effect: Effect.Effect<A, E, R>
) => Effect.Effect<A, E | S | InvalidArgumentError | TokenBucketClosedError, R> = dispatch.withTokens

/**
 * Waits until `cost` tokens (default: the bucket's cost) are available and
 * takes them, without a concurrency slot: `await limiter.acquire()`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TokenBucket } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const bucket = yield* TokenBucket.make({ rate: 5, burst: 5 })
 *   yield* TokenBucket.take(bucket, 3)
 *   yield* Effect.log("took 3 tokens")
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const take: <S>(
  self: TokenBucket<S>,
  cost?: number
) => Effect.Effect<void, S | InvalidArgumentError | TokenBucketClosedError> = dispatch.take

/**
 * Admits nothing for `duration` (for everyone), and starts again from an
 * empty bucket: what to do when the server answers 429 with `Retry-After`.
 * Pauses do not shorten each other: the later end wins.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TokenBucket } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const bucket = yield* TokenBucket.make({ rate: 100 })
 *   yield* TokenBucket.pause(bucket, "2 seconds")
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const pause: <S>(
  self: TokenBucket<S>,
  duration: Duration.DurationInput
) => Effect.Effect<void, S | InvalidArgumentError> = dispatch.pause

/**
 * When the effect fails with an error that carries a retry delay (a 429's
 * `Retry-After`), pauses the bucket for that long, then fails as before (so a
 * `retry` around it waits in the bucket, behind the pause). Put it inside
 * `withTokens`, so the pause is in place before the call lets the next one in.
 * If the pause itself fails (a store that cannot be reached), that is logged
 * as a warning and the call fails with its own error, which is what the
 * caller handles.
 *
 * @example
 * ```ts
 * import { Effect, Option, Schedule } from "effect"
 * import { TokenBucket } from "@fiberkit/core"
 * import type { Duration } from "effect"
 *
 * interface HttpError {
 *   readonly status: number
 *   readonly retryAfter: Option.Option<Duration.Duration>
 * }
 * declare const request: Effect.Effect<string, HttpError>
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const bucket = yield* TokenBucket.make({ rate: 20, burst: 5 })
 *   return yield* request.pipe(
 *     TokenBucket.pauseOnRetryAfter(bucket, (e: HttpError) => e.retryAfter),
 *     TokenBucket.withTokens(bucket),
 *     Effect.retry({ while: (e) => "status" in e && e.status === 429, times: 5 })
 *   )
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const pauseOnRetryAfter: <E, S>(
  self: TokenBucket<S>,
  retryAfter: (error: E) => Option.Option<Duration.DurationInput>
) => <A, E2 extends E, R>(effect: Effect.Effect<A, E2, R>) => Effect.Effect<A, E2, R> = dispatch.pauseOnRetryAfter

/**
 * Changes the limits, `maxConcurrent` or default `cost` at runtime. Tokens
 * carry over (clamped to the new burst); waiters are re-timed at once.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TokenBucket } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const bucket = yield* TokenBucket.make({ rate: 10, burst: 10 })
 *   // The API plan was upgraded.
 *   yield* TokenBucket.reconfigure(bucket, { rate: 50, burst: 20 })
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const reconfigure: <S>(
  self: TokenBucket<S>,
  options: Reconfigure
) => Effect.Effect<void, S | InvalidArgumentError> = dispatch.reconfigure

/**
 * A snapshot of the bucket's counters and token levels.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TokenBucket } from "@fiberkit/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const bucket = yield* TokenBucket.make({ rate: 10, burst: 3 })
 *   yield* TokenBucket.take(bucket)
 *   return yield* TokenBucket.statistics(bucket) // admitted: 1, tokens: [2]
 * }))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const statistics: <S>(self: TokenBucket<S>) => Effect.Effect<Statistics, S> = dispatch.statistics
