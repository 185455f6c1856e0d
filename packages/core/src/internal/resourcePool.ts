import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Pool from "effect/Pool"
import * as Predicate from "effect/Predicate"
import * as Scope from "effect/Scope"
import type * as Deadline from "../Deadline.js"
import { InvalidArgumentError } from "../InvalidArgument.js"
import type * as ResourcePool from "../ResourcePool.js"
import * as deadline from "./deadline.js"
import * as validate from "./validate.js"

/** @internal */
export const TypeId: ResourcePool.TypeId = Symbol.for("@fiberkit/core/ResourcePool") as ResourcePool.TypeId

/** @internal */
export class UnhealthyResourceError extends Data.TaggedError("UnhealthyResourceError")<{
  readonly label: string
  readonly attempts: number
}> {
  override get message(): string {
    return `${this.label}: ${this.attempts} resources in a row failed the health check on borrow; ` +
      `even freshly acquired ones are unhealthy, so the resource behind the pool is likely down`
  }
}

const variance = { _A: (_: any) => _, _E: (_: never) => _ }

interface Counters {
  created: number
  destroyed: number
  inUse: number
  waiting: number
  borrowed: number
  unhealthy: number
  acquireTimeouts: number
  peakInUse: number
  peakSize: number
}

/** @internal */
export class ResourcePoolImpl<A, E> implements ResourcePool.ResourcePool<A, E> {
  readonly [TypeId] = variance
  readonly counters: Counters = {
    created: 0,
    destroyed: 0,
    inUse: 0,
    waiting: 0,
    borrowed: 0,
    unhealthy: 0,
    acquireTimeouts: 0,
    peakInUse: 0,
    peakSize: 0
  }
  pool: Pool.Pool<A, E> | undefined = undefined
  closed = false
  constructor(
    readonly label: string,
    readonly min: number,
    readonly max: number,
    readonly acquireTimeout: Duration.Duration,
    readonly healthCheck: ((resource: A) => Effect.Effect<boolean, unknown>) | undefined
  ) {}
  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _id: "ResourcePool", label: this.label, min: this.min, max: this.max, ...statisticsOf(this) }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

const statisticsOf = (p: ResourcePoolImpl<any, any>): ResourcePool.Statistics => {
  const c = p.counters
  const size = c.created - c.destroyed
  return {
    size,
    inUse: c.inUse,
    idle: Math.max(0, size - c.inUse),
    waiting: c.waiting,
    created: c.created,
    destroyed: c.destroyed,
    borrowed: c.borrowed,
    unhealthy: c.unhealthy,
    acquireTimeouts: c.acquireTimeouts,
    peakInUse: c.peakInUse,
    peakSize: c.peakSize
  }
}

const durationOption = (
  operation: string,
  argument: string,
  value: unknown
): Duration.Duration | InvalidArgumentError => {
  const expected = "a duration of at least 0 (or Infinity)"
  if (
    (typeof value === "number" && (Number.isNaN(value) || value < 0)) ||
    (typeof value === "string" && value.trim().startsWith("-"))
  ) return new InvalidArgumentError({ operation, argument, expected, actual: value })
  const decoded = Duration.decodeUnknown(value)
  return Option.isSome(decoded)
    ? decoded.value
    : new InvalidArgumentError({ operation, argument, expected, actual: value })
}

/** @internal */
export const make = <A, E, R>(
  options: ResourcePool.Options<A, E, R>
): Effect.Effect<ResourcePool.ResourcePool<A, E>, InvalidArgumentError, Scope.Scope | Exclude<R, Scope.Scope>> => {
  const operation = "ResourcePool.make"
  if (!Predicate.isRecord(options)) {
    return Effect.fail(
      new InvalidArgumentError({ operation, argument: "options", expected: "{ acquire, min, max }", actual: options })
    )
  }
  if (!Effect.isEffect(options.acquire)) {
    return Effect.fail(
      new InvalidArgumentError({ operation, argument: "acquire", expected: "an Effect", actual: options.acquire })
    )
  }
  const min = options.min ?? 0
  const problem = validate.firstProblem(
    validate.nonNegativeInteger(operation, "min", min),
    validate.positiveInteger(operation, "max", options.max)
  ) ?? (min <= options.max ? undefined : new InvalidArgumentError({
    operation,
    argument: "max",
    expected: `at least min (${min})`,
    actual: options.max
  }))
  if (problem) return Effect.fail(problem)
  const ttl = durationOption(operation, "idleTimeToLive", options.idleTimeToLive ?? Infinity)
  if (ttl instanceof InvalidArgumentError) return Effect.fail(ttl)
  const acquireTimeout = durationOption(operation, "acquireTimeout", options.acquireTimeout ?? Infinity)
  if (acquireTimeout instanceof InvalidArgumentError) return Effect.fail(acquireTimeout)
  if (options.healthCheck !== undefined && !Predicate.isFunction(options.healthCheck)) {
    return Effect.fail(
      new InvalidArgumentError({
        operation,
        argument: "healthCheck",
        expected: "a function",
        actual: options.healthCheck
      })
    )
  }
  if (options.label !== undefined && (typeof options.label !== "string" || options.label.length === 0)) {
    return Effect.fail(
      new InvalidArgumentError({ operation, argument: "label", expected: "a non-empty string", actual: options.label })
    )
  }
  const impl = new ResourcePoolImpl<A, E>(
    options.label ?? "ResourcePool",
    min,
    options.max,
    acquireTimeout,
    options.healthCheck
  )
  const c = impl.counters
  // Count every resource from its creation to its release, whatever the pool decides.
  const acquire = Effect.acquireRelease(
    Effect.sync(() => {
      c.created++
      if (c.created - c.destroyed > c.peakSize) c.peakSize = c.created - c.destroyed
    }),
    () => Effect.sync(() => c.destroyed++)
  ).pipe(Effect.zipRight(options.acquire)) as Effect.Effect<A, E, Exclude<R, Scope.Scope>>
  const makePool = min === options.max && !Duration.isFinite(ttl) ?
    Pool.make({ acquire, size: min }) :
    Pool.makeWithTTL({ acquire, min, max: options.max, timeToLive: ttl, timeToLiveStrategy: "usage" })
  return Effect.gen(function*() {
    impl.pool = yield* makePool
    yield* Effect.addFinalizer(() => Effect.sync(() => impl.closed = true))
    return impl as ResourcePool.ResourcePool<A, E>
  })
}

const impl = <A, E>(self: ResourcePool.ResourcePool<A, E>) => self as ResourcePoolImpl<A, E>

const borrowOnce = <A, E>(
  p: ResourcePoolImpl<A, E>,
  scope: Scope.CloseableScope
): Effect.Effect<Option.Option<A>, E> =>
  Effect.gen(function*() {
    const resource = yield* Scope.extend(Pool.get(p.pool!), scope)
    if (p.healthCheck === undefined) return Option.some(resource)
    const healthy = yield* Effect.orElseSucceed(p.healthCheck(resource), () => false)
    if (healthy) return Option.some(resource)
    p.counters.unhealthy++
    // Returned to the pool as invalid: the pool destroys it instead of lending it again.
    yield* Scope.extend(Pool.invalidate(p.pool!, resource), scope)
    return Option.none()
  })

const borrow = <A, E>(
  self: ResourcePool.ResourcePool<A, E>
): Effect.Effect<A, E | Deadline.TimeoutExceeded | ResourcePool.UnhealthyResourceError, Scope.Scope> =>
  Effect.gen(function*() {
    const p = impl(self)
    const outer = yield* Effect.scope
    const c = p.counters
    const attempt = (n: number): Effect.Effect<A, E | ResourcePool.UnhealthyResourceError> =>
      Effect.flatMap(Scope.fork(outer, ExecutionStrategy.sequential), (scope) =>
        Effect.flatMap(
          Effect.onError(borrowOnce(p, scope), (cause) => Scope.close(scope, Exit.failCause(cause))),
          Option.match({
            onSome: Effect.succeed,
            onNone: () =>
              Effect.zipRight(
                Scope.close(scope, Exit.void),
                // Every item may be stale: after max + 1 unhealthy borrows, a fresh one failed too.
                n >= p.max
                  ? Effect.fail(new UnhealthyResourceError({ label: p.label, attempts: n + 1 }))
                  : attempt(n + 1)
              )
          })
        ))
    const waited = Effect.acquireUseRelease(
      Effect.sync(() => c.waiting++),
      () => attempt(0),
      () => Effect.sync(() => c.waiting--)
    )
    const resource = yield* (Duration.isFinite(p.acquireTimeout) ?
      deadline.timeoutUnchecked(waited, `${p.label}: acquire`, p.acquireTimeout, "wait").pipe(
        Effect.tapError((e) => Effect.sync(() => deadline.isTimeoutExceeded(e) && c.acquireTimeouts++))
      ) :
      waited)
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        c.inUse++
        c.borrowed++
        if (c.inUse > c.peakInUse) c.peakInUse = c.inUse
      }),
      () => Effect.sync(() => c.inUse--)
    )
    return resource
  })

/** @internal */
export const get = <A, E>(
  self: ResourcePool.ResourcePool<A, E>
): Effect.Effect<
  A,
  E | Deadline.TimeoutExceeded | ResourcePool.UnhealthyResourceError | InvalidArgumentError,
  Scope.Scope
> => isPool(self) ? borrow(self) : Effect.fail(notAPool("ResourcePool.get", self))

/** @internal */
export const use = dual<
  <A, B, E2, R2>(f: (resource: A) => Effect.Effect<B, E2, R2>) => <E>(
    self: ResourcePool.ResourcePool<A, E>
  ) => Effect.Effect<
    B,
    E | E2 | Deadline.TimeoutExceeded | ResourcePool.UnhealthyResourceError | InvalidArgumentError,
    Exclude<R2, Scope.Scope>
  >,
  <A, E, B, E2, R2>(
    self: ResourcePool.ResourcePool<A, E>,
    f: (resource: A) => Effect.Effect<B, E2, R2>
  ) => Effect.Effect<
    B,
    E | E2 | Deadline.TimeoutExceeded | ResourcePool.UnhealthyResourceError | InvalidArgumentError,
    Exclude<R2, Scope.Scope>
  >
>(2, (self, f) => {
  if (!isPool(self)) return Effect.fail(notAPool("ResourcePool.use", self))
  if (!Predicate.isFunction(f)) {
    return Effect.fail(
      new InvalidArgumentError({ operation: "ResourcePool.use", argument: "f", expected: "a function", actual: f })
    )
  }
  return Effect.scoped(Effect.flatMap(borrow(self), f)) as Effect.Effect<any, any, any>
})

/** @internal */
export const invalidate = dual<
  <A>(resource: A) => <E>(self: ResourcePool.ResourcePool<A, E>) => Effect.Effect<void, InvalidArgumentError>,
  <A, E>(self: ResourcePool.ResourcePool<A, E>, resource: A) => Effect.Effect<void, InvalidArgumentError>
>(2, (self, resource) =>
  isPool(self) ?
    Effect.scoped(Pool.invalidate(impl(self).pool!, resource)) :
    Effect.fail(notAPool("ResourcePool.invalidate", self)))

/** @internal */
export const statistics = <A, E>(
  self: ResourcePool.ResourcePool<A, E>
): Effect.Effect<ResourcePool.Statistics, InvalidArgumentError> =>
  isPool(self) ?
    Effect.sync(() => statisticsOf(impl(self))) :
    Effect.fail(notAPool("ResourcePool.statistics", self))

/** @internal */
export const isResourcePool = (u: unknown): u is ResourcePool.ResourcePool<unknown, unknown> =>
  Predicate.hasProperty(u, TypeId)

// Checks without narrowing, so the caller's A and E are kept.
const isPool = (u: unknown): boolean => Predicate.hasProperty(u, TypeId)

const notAPool = (operation: string, value: unknown) =>
  new InvalidArgumentError({
    operation,
    argument: "pool",
    expected: "a ResourcePool from ResourcePool.make",
    actual: value
  })
