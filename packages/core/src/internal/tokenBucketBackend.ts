/**
 * The dispatch between the in-process bucket (`./tokenBucket.ts`, the fast
 * path, checked first) and any other `TokenBucket.Backend`.
 */
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import { InvalidArgumentError } from "../InvalidArgument.js"
import type * as TokenBucket from "../TokenBucket.js"
import * as backendInternal from "./backend.js"
import * as local from "./tokenBucket.js"
import * as validate from "./validate.js"

/**
 * A bucket whose tokens live somewhere else (another process, a shared
 * store): every operation goes through its `Backend`.
 *
 * @internal
 */
export class BackendTokenBucket<S> implements TokenBucket.TokenBucket<S> {
  readonly [local.TypeId]: TokenBucket.TypeId = local.TypeId
  readonly label: string | undefined

  constructor(readonly backend: TokenBucket.Backend<S>) {
    this.label = backend.label
  }

  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    // Its counters are behind an Effect (a network round trip, perhaps): read them with `statistics`.
    return { _id: "TokenBucket", label: this.label, backend: "custom" }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

/** @internal */
export const fromBackend = <S>(backend: TokenBucket.Backend<S>): TokenBucket.TokenBucket<S> => {
  const problem = backendInternal.check(
    "TokenBucket.fromBackend",
    backend,
    ["take", "withTokens", "pause", "reconfigure"],
    ["statistics"]
  )
  if (problem !== undefined) throw problem
  return new BackendTokenBucket(backend)
}

/** @internal */
export const layer = <I, S>(
  tag: Context.Tag<I, TokenBucket.TokenBucket<S>>,
  options: TokenBucket.Options
): Layer.Layer<I, InvalidArgumentError> => Layer.scoped(tag, local.make(options))

const backendOf = <S>(
  self: TokenBucket.TokenBucket<S>,
  operation: string
): TokenBucket.Backend<S> | InvalidArgumentError =>
  self instanceof BackendTokenBucket ? self.backend : backendInternal.notOurs(operation, "TokenBucket", self)

/** A cost the caller gave (undefined: the bucket's default) must be positive; the backend checks the burst. */
const checkCost = (operation: string, cost: unknown): InvalidArgumentError | undefined =>
  cost === undefined ? undefined : validate.firstProblem(validate.positiveFinite(operation, "cost", cost))

/** @internal */
export const withTokens = <S>(
  self: TokenBucket.TokenBucket<S>,
  options?: TokenBucket.CallOptions
): <A, E, R>(
  effect: Effect.Effect<A, E, R>
) => Effect.Effect<A, E | S | InvalidArgumentError | TokenBucket.TokenBucketClosedError, R> => {
  // Decided once per `withTokens(bucket)`, not once per call: the local bucket pays nothing for the dispatch.
  if (self instanceof local.TokenBucketImpl) return local.withTokens(self, options)
  return (effect) =>
    Effect.suspend(() => {
      const operation = "TokenBucket.withTokens"
      const backend = backendOf(self, operation)
      if (backend instanceof InvalidArgumentError) return Effect.fail(backend)
      const cost = options?.cost
      const problem = checkCost(operation, cost)
      if (problem !== undefined) return Effect.fail(problem)
      return backend.withTokens(cost)(effect)
    })
}

/** @internal */
export const take = <S>(
  self: TokenBucket.TokenBucket<S>,
  cost?: number
): Effect.Effect<void, S | InvalidArgumentError | TokenBucket.TokenBucketClosedError> => {
  if (self instanceof local.TokenBucketImpl) return local.take(self, cost)
  return Effect.suspend(() => {
    const operation = "TokenBucket.take"
    const backend = backendOf(self, operation)
    if (backend instanceof InvalidArgumentError) return Effect.fail(backend)
    const problem = checkCost(operation, cost)
    if (problem !== undefined) return Effect.fail(problem)
    return backend.take(cost)
  })
}

/**
 * A pause's length in ms, or the error for a duration that is not one. A
 * negative number of ms or NaN is a mistake worth reporting, not a zero pause
 * (Duration itself reads both as zero).
 */
const pauseMillis = (operation: string, duration: unknown): number | InvalidArgumentError => {
  const decoded = Duration.decodeUnknown(duration)
  const ms = Option.isSome(decoded) && !(typeof duration === "number" && !(duration >= 0)) ?
    Duration.toMillis(decoded.value) :
    Number.NaN
  return ms >= 0 && Number.isFinite(ms) ?
    ms :
    new InvalidArgumentError({
      operation,
      argument: "duration",
      expected: "a finite duration of at least 0",
      actual: duration
    })
}

/** @internal */
export const pause = <S>(
  self: TokenBucket.TokenBucket<S>,
  duration: Duration.DurationInput
): Effect.Effect<void, S | InvalidArgumentError> =>
  Effect.suspend((): Effect.Effect<void, S | InvalidArgumentError> => {
    const operation = "TokenBucket.pause"
    const ms = pauseMillis(operation, duration)
    if (typeof ms !== "number") return Effect.fail(ms)
    if (self instanceof local.TokenBucketImpl) return local.pause(self, ms)
    const backend = backendOf(self, operation)
    return backend instanceof InvalidArgumentError ? Effect.fail(backend) : backend.pause(ms)
  })

/** @internal */
export const pauseOnRetryAfter = <E, S>(
  self: TokenBucket.TokenBucket<S>,
  retryAfter: (error: E) => Option.Option<Duration.DurationInput>
) =>
<A, E2 extends E, R>(effect: Effect.Effect<A, E2, R>): Effect.Effect<A, E2, R> => {
  if (self instanceof local.TokenBucketImpl) return local.pauseOnRetryAfter(self, retryAfter)(effect)
  return Effect.tapError(effect, (error) => {
    const delay = retryAfter(error)
    // The call's own failure is what the caller handles; a store that cannot pause must not replace it.
    return Option.isSome(delay) ?
      Effect.catchAllCause(
        pause(self, delay.value),
        (cause) => Effect.logWarning("TokenBucket.pauseOnRetryAfter: the bucket could not be paused", cause)
      ) :
      Effect.void
  })
}

/** @internal */
export const reconfigure = <S>(
  self: TokenBucket.TokenBucket<S>,
  options: TokenBucket.Reconfigure
): Effect.Effect<void, S | InvalidArgumentError> => {
  if (self instanceof local.TokenBucketImpl) return local.reconfigure(self, options)
  return Effect.suspend(() => {
    const operation = "TokenBucket.reconfigure"
    const backend = backendOf(self, operation)
    if (backend instanceof InvalidArgumentError) return Effect.fail(backend)
    // The fields are checked by the backend: only it knows the configuration they amend.
    if (!Predicate.isObject(options)) {
      return Effect.fail(
        new InvalidArgumentError({
          operation,
          argument: "options",
          expected: "an object with rate, limits, maxConcurrent or cost",
          actual: options
        })
      )
    }
    return backend.reconfigure(options)
  })
}

/** @internal */
export const statistics = <S>(self: TokenBucket.TokenBucket<S>): Effect.Effect<TokenBucket.Statistics, S> => {
  if (self instanceof local.TokenBucketImpl) return local.statistics(self)
  return Effect.suspend(() => {
    const backend = backendOf(self, "TokenBucket.statistics")
    // A value that is not a bucket at all is a defect here: statistics has no error channel for it.
    return backend instanceof InvalidArgumentError ? Effect.die(backend) : backend.statistics
  })
}
