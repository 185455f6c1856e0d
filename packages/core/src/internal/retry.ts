import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleInterval from "effect/ScheduleInterval"
import { InvalidArgumentError } from "../InvalidArgument.js"
import type * as Retry from "../Retry.js"
import * as timeline from "./timeline.js"
import * as validate from "./validate.js"

/** @internal */
export const TypeId: Retry.TypeId = Symbol.for("@fiberkit/core/Retry") as Retry.TypeId

const op = "Retry.policy"

/** @internal */
export class RetryExhaustedError<E> extends Data.TaggedError("RetryExhaustedError")<{
  readonly lastError: E
  readonly attempts: number
  readonly waited: Duration.Duration
  readonly reason: "max-attempts" | "budget"
}> {
  override get message(): string {
    const last = Predicate.hasProperty(this.lastError, "message") && typeof this.lastError.message === "string" ?
      this.lastError.message :
      Inspectable.format(this.lastError)
    const why = this.reason === "max-attempts" ?
      `${this.attempts} ${this.attempts === 1 ? "attempt" : "attempts"}, the most allowed` :
      `${this.attempts} ${this.attempts === 1 ? "attempt" : "attempts"}: the next wait would overrun the time budget`
    return `gave up after ${why} (waited ${Duration.format(this.waited)} in total); last error: ${last}`
  }
}

/** @internal */
export class PolicyImpl<E> implements Retry.Policy<E> {
  readonly [TypeId]: Retry.TypeId = TypeId
  constructor(
    readonly base: number,
    readonly factor: number,
    readonly cap: number,
    readonly maxAttempts: number,
    readonly budget: number,
    readonly jitter: Retry.Jitter,
    readonly retryable: (error: E) => boolean,
    readonly retryAfter: (error: E) => Option.Option<Duration.Duration>,
    readonly onRetry: ((event: Retry.RetryEvent<E>) => Effect.Effect<void>) | undefined
  ) {}
  get schedule(): Schedule.Schedule<Retry.Step<E>, E> {
    return schedule(this)
  }
  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return {
      _id: "Retry.Policy",
      base: `${this.base} millis`,
      factor: this.factor,
      cap: Number.isFinite(this.cap) ? `${this.cap} millis` : "none",
      maxAttempts: Number.isFinite(this.maxAttempts) ? this.maxAttempts : "unlimited",
      budget: Number.isFinite(this.budget) ? `${this.budget} millis` : "none",
      jitter: this.jitter
    }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

/** @internal */
export const isPolicy = (u: unknown): u is Retry.Policy<unknown> => Predicate.hasProperty(u, TypeId)

const tagOf = (u: unknown): string | undefined =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" ? u._tag : undefined

/**
 * By default an error's own `retryAfter` is honoured when it is an
 * `Option<Duration>` (as `UpstreamError` carries) or a `Duration`.
 */
const defaultRetryAfter = (error: unknown): Option.Option<Duration.Duration> => {
  if (!Predicate.hasProperty(error, "retryAfter")) return Option.none()
  const value = error.retryAfter
  if (Option.isOption(value)) {
    return Option.isSome(value) && Duration.isDuration(value.value) ? Option.some(value.value) : Option.none()
  }
  return Duration.isDuration(value) ? Option.some(value) : Option.none()
}

const millisOf = (
  argument: string,
  input: unknown,
  allowZero: boolean
): Either.Either<number, InvalidArgumentError> => {
  const decoded = Duration.decodeUnknown(input)
  const expected = allowZero ? "a finite duration of at least 0" : "a finite duration greater than 0"
  // Duration clamps negative numbers to zero; a negative input is a mistake to report, not to round.
  const negative = (typeof input === "number" || typeof input === "bigint") && input < 0
  if (negative || Option.isNone(decoded) || !Duration.isFinite(decoded.value)) {
    return Either.left(new InvalidArgumentError({ operation: op, argument, expected, actual: input }))
  }
  const ms = Duration.toMillis(decoded.value)
  return ms > 0 || (allowZero && ms === 0) ?
    Either.right(ms) :
    Either.left(new InvalidArgumentError({ operation: op, argument, expected, actual: input }))
}

const jitterProblem = (jitter: unknown): Either.Either<Retry.Jitter, InvalidArgumentError> => {
  if (jitter === undefined) return Either.right("full")
  if (jitter === "none" || jitter === "full" || jitter === "equal") return Either.right(jitter)
  const expected =
    `"none", "full", "equal", { additive: Duration } or { proportional: { min, max } } with 0 <= min <= max`
  if (Predicate.hasProperty(jitter, "additive")) {
    return Either.map(millisOf("options.jitter.additive", jitter.additive, true), () => jitter as Retry.Jitter)
  }
  if (Predicate.hasProperty(jitter, "proportional") && Predicate.isObject(jitter.proportional)) {
    const { max, min } = jitter.proportional as { min?: unknown; max?: unknown }
    if (
      typeof min === "number" && typeof max === "number" && Number.isFinite(min) && Number.isFinite(max) && min >= 0 &&
      max >= min
    ) return Either.right(jitter as Retry.Jitter)
  }
  return Either.left(new InvalidArgumentError({ operation: op, argument: "options.jitter", expected, actual: jitter }))
}

/** @internal */
export const makePolicy = <E>(options: Retry.Options<E>): Either.Either<Retry.Policy<E>, InvalidArgumentError> => {
  if (!Predicate.isObject(options)) {
    return Either.left(
      new InvalidArgumentError({ operation: op, argument: "options", expected: "an object", actual: options })
    )
  }
  return Either.gen(function*() {
    const base = yield* millisOf("options.base", options.base ?? 100, false)
    const factor = options.factor ?? 2
    if (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1) {
      return yield* Either.left(
        new InvalidArgumentError({
          operation: op,
          argument: "options.factor",
          expected: "a finite number >= 1",
          actual: factor
        })
      )
    }
    const cap = options.cap === undefined ? Infinity : yield* millisOf("options.cap", options.cap, false)
    if (cap < base) {
      return yield* Either.left(
        new InvalidArgumentError({
          operation: op,
          argument: "options.cap",
          expected: `at least options.base (${base} ms)`,
          actual: options.cap
        })
      )
    }
    const budget = options.budget === undefined ? Infinity : yield* millisOf("options.budget", options.budget, true)
    // With neither limit given a policy would retry forever: default to three attempts.
    const maxAttempts = options.maxAttempts ?? (options.budget === undefined ? 3 : Infinity)
    if (maxAttempts !== Infinity) {
      const check = validate.positiveInteger(op, "options.maxAttempts", maxAttempts)
      if (Either.isLeft(check)) return yield* Either.left(check.left)
    }
    const jitter = yield* jitterProblem(options.jitter)
    const fn = (argument: string, value: unknown) =>
      value === undefined || typeof value === "function" ?
        Either.void :
        Either.left(new InvalidArgumentError({ operation: op, argument, expected: "a function", actual: value }))
    yield* fn("options.retryable", options.retryable)
    yield* fn("options.onRetry", options.onRetry)
    if (options.retryAfter !== undefined && options.retryAfter !== false) {
      yield* fn("options.retryAfter", options.retryAfter)
    }
    const tags = options.retryOn
    if (tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => typeof t === "string"))) {
      return yield* Either.left(
        new InvalidArgumentError({
          operation: op,
          argument: "options.retryOn",
          expected: "an array of tags",
          actual: tags
        })
      )
    }
    const predicate = options.retryable
    const tagSet = tags === undefined ? undefined : new Set<string>(tags)
    const retryable = (error: E) =>
      (tagSet === undefined || tagSet.has(tagOf(error) ?? "")) && (predicate === undefined || predicate(error))
    const retryAfter = options.retryAfter === false ?
      () => Option.none() :
      (options.retryAfter ?? defaultRetryAfter) as (error: E) => Option.Option<Duration.Duration>
    return new PolicyImpl<E>(base, factor, cap, maxAttempts, budget, jitter, retryable, retryAfter, options.onRetry)
  })
}

/** @internal */
export const make = <E>(options: Retry.Options<E>): Retry.Policy<E> => {
  const made = makePolicy(options)
  if (Either.isLeft(made)) throw made.left
  return made.right
}

/** @internal */
export const policy = <E>(options: Retry.Options<E>): Effect.Effect<Retry.Policy<E>, InvalidArgumentError> =>
  Effect.suspend(() => makePolicy(options))

/** The delay before attempt `attempt + 1`, before Retry-After and the budget are considered. */
const backoff = (p: PolicyImpl<any>, attempt: number): Effect.Effect<number> => {
  const exponential = Math.min(p.base * Math.pow(p.factor, attempt - 1), p.cap)
  const j = p.jitter
  if (j === "none") return Effect.succeed(Math.round(exponential))
  return Effect.map(Random.next, (r) => {
    if (j === "full") return Math.round(r * exponential)
    if (j === "equal") return Math.round(exponential / 2 + (r * exponential) / 2)
    if ("additive" in j) return Math.round(exponential + r * Duration.toMillis(j.additive))
    return Math.round(exponential * (j.proportional.min + (j.proportional.max - j.proportional.min) * r))
  })
}

interface State {
  readonly attempts: number
  readonly waited: number
}

/** @internal */
export const schedule = <E>(self: Retry.Policy<E>): Schedule.Schedule<Retry.Step<E>, E> => {
  const p = self as PolicyImpl<E>
  return Schedule.makeWithState<State, E, Retry.Step<E>>({ attempts: 0, waited: 0 }, (now, error, state) => {
    const attempts = state.attempts + 1
    const stop = (verdict: Retry.Step<E>["verdict"]) =>
      Effect.succeed<readonly [State, Retry.Step<E>, ScheduleDecision.ScheduleDecision]>([
        { attempts, waited: state.waited },
        { verdict, error, attempts, delay: Duration.zero, waited: Duration.millis(state.waited), retryAfter: false },
        ScheduleDecision.done
      ])
    if (!p.retryable(error)) return stop("not-retryable")
    if (attempts >= p.maxAttempts) return stop("max-attempts")
    return Effect.flatMap(backoff(p, attempts), (computed) => {
      const hint = p.retryAfter(error)
      // The server's Retry-After is a floor: waiting less would only earn another 429.
      const hinted = Option.isSome(hint) ? Math.ceil(Duration.toMillis(hint.value)) : 0
      const delay = Math.max(computed, hinted)
      const retryAfter = hinted > 0 && hinted >= computed
      if (state.waited + delay > p.budget) return stop("budget")
      const waited = state.waited + delay
      return Effect.succeed<readonly [State, Retry.Step<E>, ScheduleDecision.ScheduleDecision]>(
        [
          { attempts, waited },
          {
            verdict: "retry",
            error,
            attempts,
            delay: Duration.millis(delay),
            waited: Duration.millis(waited),
            retryAfter
          },
          ScheduleDecision.continueWith(ScheduleInterval.after(now + delay))
        ]
      )
    })
  })
}

const markBackoff = <E>(step: Retry.Step<E>): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) => {
    timeline.unsafeMarkFiber(
      fiber,
      `retry backoff ${Duration.format(step.delay)} after attempt ${step.attempts}`,
      "backoff"
    )
    return Effect.void
  })

/** @internal */
export const retry = dual<
  <E>(
    policy: Retry.Policy<E> | Retry.Options<E>
  ) => <A, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, any, R>,
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    policy: Retry.Policy<E> | Retry.Options<E>
  ) => Effect.Effect<A, any, R>
>(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, policyOrOptions: Retry.Policy<E> | Retry.Options<E>) =>
    Effect.suspend((): Effect.Effect<A, E | RetryExhaustedError<E> | InvalidArgumentError, R> => {
      const made = isPolicy(policyOrOptions) ?
        Either.right(policyOrOptions as Retry.Policy<E>) :
        makePolicy(policyOrOptions as Retry.Options<E>)
      if (Either.isLeft(made)) return Effect.fail(made.left)
      const p = made.right as PolicyImpl<E>
      const onRetry = p.onRetry
      // Each backoff is a mark on the retrying fiber's timeline lane (free when no recording is on).
      const steps = Schedule.tapOutput(
        schedule(p),
        (step) =>
          step.verdict === "retry" ?
            Effect.zipRight(
              markBackoff(step),
              onRetry === undefined ? Effect.void : onRetry(step as Retry.RetryEvent<E>)
            ) :
            Effect.void
      )
      return Effect.retryOrElse(
        self,
        steps,
        (error, step): Effect.Effect<never, E | RetryExhaustedError<E>> =>
          step.verdict === "max-attempts" || step.verdict === "budget" ?
            Effect.fail(
              new RetryExhaustedError({
                lastError: error,
                attempts: step.attempts,
                waited: step.waited,
                reason: step.verdict
              })
            ) :
            // Not retryable: the error goes on unchanged.
            Effect.fail(error)
      )
    })
)
