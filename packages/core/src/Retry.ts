/**
 * Retrying the asyncio playbook's way, "exponential backoff with jitter",
 * built on Effect's `Schedule`, with the parts that a retry against a real
 * server needs and Effect leaves to you.
 *
 * What Effect already gives: `Effect.retry` with a `Schedule`;
 * `Schedule.exponential(base, factor)`; `Schedule.jittered`, which
 * **multiplies** each delay by a random factor in [0.8, 1.2]; `Schedule.recurs`,
 * `Schedule.upTo`, `Schedule.whileInput`; `Effect.retryOrElse` to see the last
 * error. What `Retry` adds on top of them (the policy *is* a `Schedule`, see
 * `Policy.schedule`):
 *
 * - jitter by name: `"full"` (uniform in [0, d], the default), `"equal"`
 *   (d/2 + uniform [0, d/2]), `{ additive }` (d + uniform [0, additive], what
 *   the Python seed does) and `{ proportional }` (Effect's multiplicative
 *   `jittered`); all draw from Effect's `Random` service, so a seeded
 *   `Random` (`Effect.withRandom(Random.make(seed))`) replays them exactly;
 * - a cap on each exponential delay, a maximum number of attempts and/or a
 *   budget for the total time spent waiting;
 * - only retryable errors are retried (`retryOn` tags and/or a `retryable`
 *   predicate); any other error passes through unchanged at once;
 * - `Retry-After`: an error's `retryAfter` (an `Option<Duration>`, as
 *   `UpstreamError` carries from a 429 or 503) is a floor for the next delay;
 * - giving up fails with `RetryExhaustedError`: the last error, how many
 *   attempts were made, how long was spent waiting and why it stopped;
 * - `onRetry` sees every retry (attempt, error, delay) before its sleep,
 *   for logs and demos.
 *
 * Sleeps go through Effect's `Clock`, so under `TestClock` the exact delays
 * are observable, and interrupting a retry during a backoff sleep stops it at
 * once.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Inspectable from "effect/Inspectable"
import type * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import type * as Schedule from "effect/Schedule"
import * as internal from "./internal/retry.js"
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
 * How the random part of a delay `d` (after the cap) is drawn, `r` uniform in [0, 1):
 *
 * - `"none"`: `d`;
 * - `"full"`: `r * d` (AWS's "full jitter": spreads clients the most);
 * - `"equal"`: `d / 2 + r * d / 2`;
 * - `{ additive: j }`: `d + r * j`, jitter added on top (the Python seed's
 *   `base * 2 ** attempt + random.uniform(0, 1)`);
 * - `{ proportional: { min, max } }`: `d * (min + (max - min) * r)`, what
 *   Effect's `Schedule.jittered` does with `{ min: 0.8, max: 1.2 }`.
 *
 * @since 0.1.0
 * @category models
 */
export type Jitter =
  | "none"
  | "full"
  | "equal"
  | { readonly additive: Duration.DurationInput }
  | { readonly proportional: { readonly min: number; readonly max: number } }

/**
 * What the policy decided after a failed attempt.
 *
 * @since 0.1.0
 * @category models
 */
export interface Step<out E> {
  readonly verdict: "retry" | "not-retryable" | "max-attempts" | "budget"
  /** The error of the attempt that just failed. */
  readonly error: E
  /** Attempts made so far, the failed one included. */
  readonly attempts: number
  /** The sleep before the next attempt (zero when not retrying). */
  readonly delay: Duration.Duration
  /** Total time waited, this sleep included. */
  readonly waited: Duration.Duration
  /** `true` when the server's Retry-After set this delay (it was longer than the backoff). */
  readonly retryAfter: boolean
}

/**
 * A retry about to happen: passed to `onRetry` before the sleep.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryEvent<out E> extends Step<E> {
  readonly verdict: "retry"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<E> {
  /** The first delay (default 100 ms). */
  readonly base?: Duration.DurationInput | undefined
  /** Each delay is the previous one times `factor` (default 2, at least 1). */
  readonly factor?: number | undefined
  /** The most any exponential delay may grow to, before jitter (default none). */
  readonly cap?: Duration.DurationInput | undefined
  /** Total attempts, the first included (default 3, or unlimited when `budget` is given). */
  readonly maxAttempts?: number | undefined
  /** The most time to spend sleeping between attempts in total; a retry that would overrun it is not made. */
  readonly budget?: Duration.DurationInput | undefined
  /** Default `"full"`. */
  readonly jitter?: Jitter | undefined
  /** Retry only errors with one of these `_tag`s. */
  readonly retryOn?: ReadonlyArray<Extract<E, { readonly _tag: string }>["_tag"]> | undefined
  /** Retry only errors this returns `true` for (combined with `retryOn` when both are given). */
  readonly retryable?: ((error: E) => boolean) | undefined
  /**
   * Where to read a server's Retry-After. Default: the error's `retryAfter`
   * property when it is an `Option<Duration>` or a `Duration`. `false` ignores it.
   */
  readonly retryAfter?: ((error: E) => Option.Option<Duration.Duration>) | false | undefined
  /** Called before each retry's sleep. */
  readonly onRetry?: ((event: RetryEvent<E>) => Effect.Effect<void>) | undefined
}

/**
 * A validated retry policy. `schedule` is the same policy as a plain
 * `Schedule` for `Effect.retry` and friends.
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy<in out E> extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: TypeId
  readonly schedule: Schedule.Schedule<Step<E>, E>
}

/**
 * Giving up: the last error, the attempts made, the total time waited and
 * whether the attempts or the time budget ran out.
 *
 * @since 0.1.0
 * @category errors
 */
export interface RetryExhaustedError<out E> extends Cause.YieldableError {
  readonly _tag: "RetryExhaustedError"
  readonly lastError: E
  readonly attempts: number
  readonly waited: Duration.Duration
  readonly reason: "max-attempts" | "budget"
}

/**
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { Retry } from "@fiberkit/core"
 *
 * const error = new Retry.RetryExhaustedError({
 *   lastError: new Error("503"),
 *   attempts: 4,
 *   waited: Duration.millis(700),
 *   reason: "max-attempts"
 * })
 * console.log(error.message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const RetryExhaustedError: new<E>(args: {
  readonly lastError: E
  readonly attempts: number
  readonly waited: Duration.Duration
  readonly reason: "max-attempts" | "budget"
}) => RetryExhaustedError<E> = internal.RetryExhaustedError

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "@fiberkit/core"
 *
 * const program = Effect.map(Retry.policy({ maxAttempts: 4 }), Retry.isPolicy) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isPolicy: (u: unknown) => u is Policy<unknown> = internal.isPolicy

/**
 * Validates options once into a reusable policy. Fails with
 * `InvalidArgumentError` for a zero or negative base, a factor below 1, a cap
 * below the base, a non-integer or zero `maxAttempts`, a negative budget or
 * an unknown jitter.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const policy = yield* Retry.policy<Error>({ base: "200 millis", cap: "5 seconds", maxAttempts: 6, jitter: "full" })
 *   return yield* Effect.fail(new Error("flaky")).pipe(Retry.retry(policy))
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const policy: <E>(options: Options<E>) => Effect.Effect<Policy<E>, InvalidArgumentError> = internal.policy

/**
 * `policy` for module-level constants: the same checks, but bad options
 * throw `InvalidArgumentError` right here instead of failing an effect, so
 * `retry(policy)` has no `InvalidArgumentError` in its type.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "@fiberkit/core"
 *
 * const policy = Retry.make<Error>({ base: "100 millis", maxAttempts: 4, jitter: "equal" })
 * const program = Effect.fail(new Error("flaky")).pipe(Retry.retry(policy))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <E>(options: Options<E>) => Policy<E> = internal.make

/**
 * The policy as a `Schedule` whose input is the error and whose output is the
 * `Step` taken, for `Effect.retry`, `Effect.retryOrElse` or `Schedule`
 * combinators.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const policy = yield* Retry.policy<string>({ maxAttempts: 3, jitter: "none" })
 *   return yield* Effect.retry(Effect.fail("nope"), Retry.schedule(policy))
 * })
 * ```
 *
 * @since 0.1.0
 * @category conversions
 */
export const schedule: <E>(self: Policy<E>) => Schedule.Schedule<Step<E>, E> = internal.schedule

/**
 * Runs `self`, and while it fails with a retryable error, sleeps as the policy
 * says and runs it again. A non-retryable error fails at once, unchanged; when
 * attempts or budget run out it fails with `RetryExhaustedError`. Given
 * options instead of a `Policy`, bad options fail with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Console, Data, Duration, Effect, Option } from "effect"
 * import { Retry } from "@fiberkit/core"
 *
 * class HttpError extends Data.TaggedError("HttpError")<{
 *   readonly status: number | undefined
 *   readonly retryAfter: Option.Option<Duration.Duration>
 * }> {}
 *
 * const robust = (fetchItem: Effect.Effect<string, HttpError>) =>
 *   fetchItem.pipe(
 *   Retry.retry({
 *     base: "100 millis",
 *     cap: "2 seconds",
 *     maxAttempts: 5,
 *     jitter: { additive: "50 millis" },
 *     // 5xx, 429 and resets are worth another try; a 404 is final
 *     retryable: (e) => e.status === undefined || e.status === 429 || e.status >= 500,
 *     onRetry: (r) => Console.log(`attempt ${r.attempts} failed (${r.error.status}); next in ${Duration.format(r.delay)}`)
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const retry: {
  <E>(policy: Policy<E>): <A, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | RetryExhaustedError<E>, R>
  <E>(
    options: Options<E>
  ): <A, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | RetryExhaustedError<E> | InvalidArgumentError, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: Policy<E>): Effect.Effect<A, E | RetryExhaustedError<E>, R>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    options: Options<E>
  ): Effect.Effect<A, E | RetryExhaustedError<E> | InvalidArgumentError, R>
} = internal.retry
