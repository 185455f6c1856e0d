import type * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import { InvalidArgumentError } from "../InvalidArgument.js"
import type * as Limiter from "../Limiter.js"
import * as backendInternal from "./backend.js"
import * as timeline from "./timeline.js"
import * as validate from "./validate.js"

/** @internal */
export const TypeId: Limiter.TypeId = Symbol.for("@fiberkit/core/Limiter") as Limiter.TypeId

// S is phantom: it only says which store errors the module functions can fail with.
const variance: Limiter.Limiter.Variance<never> = { _S: (_: never) => _ }

const WAITING = 0
const GRANTED = 1
const DONE = 2

/**
 * One fiber waiting for permits. Nodes form a doubly linked FIFO list so that
 * an interrupted waiter leaves in O(1) wherever it stands.
 */
interface Waiter {
  readonly permits: number
  readonly operation: string
  resume: ((effect: Effect.Effect<void, InvalidArgumentError>) => void) | undefined
  state: number
  prev: Waiter | undefined
  next: Waiter | undefined
}

const succeedVoid = Effect.void

/** @internal */
export interface MetricHooks {
  readonly inFlight: Metric.Metric.Gauge<number>
  readonly waiting: Metric.Metric.Gauge<number>
  readonly peakInFlight: Metric.Metric.Gauge<number>
  readonly acquired: Metric.Metric.Counter<number>
}

const metricsCache = new Map<string, MetricHooks>()

/** @internal */
export const metrics = (label: string): MetricHooks => {
  let hooks = metricsCache.get(label)
  if (hooks === undefined) {
    hooks = makeMetrics(label)
    metricsCache.set(label, hooks)
  }
  return hooks
}

const makeMetrics = (label: string): MetricHooks => ({
  inFlight: Metric.gauge("fiberkit_limiter_in_flight", { description: "permits held right now" }).pipe(
    Metric.tagged("limiter", label)
  ),
  waiting: Metric.gauge("fiberkit_limiter_waiting", { description: "fibers waiting for permits" }).pipe(
    Metric.tagged("limiter", label)
  ),
  peakInFlight: Metric.gauge("fiberkit_limiter_peak_in_flight", { description: "most permits held at once" }).pipe(
    Metric.tagged("limiter", label)
  ),
  acquired: Metric.counter("fiberkit_limiter_acquired_total", {
    description: "permits handed out since creation",
    incremental: true
  }).pipe(Metric.tagged("limiter", label))
})

const noTags: ReadonlyArray<never> = []

/** @internal */
export class LimiterImpl implements Limiter.Limiter {
  readonly [TypeId] = variance
  capacity: number
  inFlight = 0
  peakInFlight = 0
  totalAcquired = 0
  waiting = 0
  waitingPermits = 0
  head: Waiter | undefined = undefined
  tail: Waiter | undefined = undefined
  readonly hooks: MetricHooks | undefined

  constructor(capacity: number, readonly label: string | undefined, withMetrics: boolean) {
    this.capacity = capacity
    this.hooks = withMetrics ? metrics(label ?? "default") : undefined
    this.report()
  }

  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _id: "Limiter", label: this.label, ...statisticsOf(this) }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }

  get free(): number {
    return this.capacity - this.inFlight
  }

  report(): void {
    const hooks = this.hooks
    if (hooks === undefined) return
    hooks.inFlight.unsafeUpdate(this.inFlight, noTags)
    hooks.waiting.unsafeUpdate(this.waiting, noTags)
    hooks.peakInFlight.unsafeUpdate(this.peakInFlight, noTags)
  }

  take(n: number): void {
    this.inFlight += n
    this.totalAcquired += n
    if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight
    this.hooks?.acquired.unsafeUpdate(n, noTags)
  }

  /** Takes `n` permits now if nobody is queued ahead (strict FIFO) and they are free. */
  tryTake(n: number): boolean {
    if (this.head !== undefined || this.capacity - this.inFlight < n) return false
    this.take(n)
    if (this.hooks !== undefined) this.report()
    return true
  }

  enqueue(n: number, operation: string): Waiter {
    const node: Waiter = { permits: n, operation, resume: undefined, state: WAITING, prev: this.tail, next: undefined }
    if (this.tail === undefined) this.head = node
    else this.tail.next = node
    this.tail = node
    this.waiting++
    this.waitingPermits += n
    return node
  }

  unlink(node: Waiter): void {
    if (node.prev === undefined) this.head = node.next
    else node.prev.next = node.next
    if (node.next === undefined) this.tail = node.prev
    else node.next.prev = node.prev
    node.prev = node.next = undefined
    this.waiting--
    this.waitingPermits -= node.permits
  }

  /**
   * Hands free permits to the head of the queue, in order, until the head
   * needs more than is free. The permits are counted as the waiter's before it
   * resumes, so no other fiber can take them in between: one wake-up per
   * grant, never a herd.
   */
  drain(): void {
    let node = this.head
    while (node !== undefined) {
      if (node.permits > this.capacity) {
        // Only after a resize below this request: it can never be served.
        const next = node.next
        this.unlink(node)
        node.state = DONE
        node.resume!(Effect.fail(tooMany(node.operation, node.permits, this.capacity, true)))
        node = next
        continue
      }
      if (node.permits > this.capacity - this.inFlight) break
      const next = node.next
      this.unlink(node)
      this.take(node.permits)
      node.state = GRANTED
      node.resume!(succeedVoid)
      node = next
    }
    this.report()
  }

  release(n: number): void {
    this.inFlight -= n
    if (this.head !== undefined) this.drain()
    else if (this.hooks !== undefined) this.report()
  }

  /** Suspends until the permits are handed over; on interruption gives back whatever it held. */
  wait(n: number, operation: string): Effect.Effect<void, InvalidArgumentError> {
    // A phase on the fiber's timeline lane while it waits (free when no Timeline recording is on).
    return timeline.unsafePhase(this.suspendUntilGranted(n, operation), "waiting for a permit", "waiting")
  }

  suspendUntilGranted(n: number, operation: string): Effect.Effect<void, InvalidArgumentError> {
    return Effect.async<void, InvalidArgumentError>((resume) => {
      const node = this.enqueue(n, operation)
      node.resume = resume
      if (this.hooks !== undefined) this.report()
      return Effect.sync(() => {
        if (node.state === WAITING) {
          this.unlink(node)
          node.state = DONE
          // A large waiter leaving may let the smaller ones behind it through.
          this.drain()
        } else if (node.state === GRANTED) {
          // Granted, but interrupted before it could run: the permits go back.
          node.state = DONE
          this.release(n)
        }
      })
    })
  }

  acquire(n: number, operation: string): Effect.Effect<void, InvalidArgumentError> {
    return this.tryTake(n) ? succeedVoid : this.wait(n, operation)
  }
}

const statisticsOf = (self: LimiterImpl): Limiter.Statistics => ({
  capacity: self.capacity,
  inFlight: self.inFlight,
  available: Math.max(0, self.capacity - self.inFlight),
  waiting: self.waiting,
  waitingPermits: self.waitingPermits,
  peakInFlight: self.peakInFlight,
  totalAcquired: self.totalAcquired
})

const tooMany = (operation: string, n: number, capacity: number, resized: boolean) =>
  new InvalidArgumentError({
    operation,
    argument: "permits",
    expected: `at most the limiter's capacity of ${capacity}${
      resized ? " (it was resized below this request while waiting)" : ""
    }`,
    actual: n
  })

const checkPermits = (self: LimiterImpl, operation: string, n: unknown): InvalidArgumentError | undefined => {
  const problem = validate.firstProblem(validate.positiveInteger(operation, "permits", n))
  if (problem !== undefined) return problem
  return (n as number) > self.capacity ? tooMany(operation, n as number, self.capacity, false) : undefined
}

/** @internal */
export const isLimiter = (u: unknown): u is Limiter.Limiter<unknown> => Predicate.hasProperty(u, TypeId)

/**
 * A limiter whose permits live somewhere else (another process, a shared
 * store): every operation goes through its `Backend`.
 *
 * @internal
 */
export class BackendLimiter<S> implements Limiter.Limiter<S> {
  readonly [TypeId]: Limiter.Limiter.Variance<S> = variance
  readonly label: string | undefined

  constructor(readonly backend: Limiter.Backend<S>) {
    this.label = backend.label
  }

  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    // Its counters are behind an Effect (a network round trip, perhaps): read them with `statistics`.
    return { _id: "Limiter", label: this.label, backend: "custom" }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

/** @internal */
export const fromBackend = <S>(backend: Limiter.Backend<S>): Limiter.Limiter<S> => {
  const problem = backendInternal.check(
    "Limiter.fromBackend",
    backend,
    ["acquire", "tryAcquire", "resize"],
    ["statistics"]
  )
  if (problem !== undefined) throw problem
  return new BackendLimiter(backend)
}

const backendOf = <S>(self: Limiter.Limiter<S>, operation: string): Limiter.Backend<S> | InvalidArgumentError =>
  self instanceof BackendLimiter ? self.backend : backendInternal.notOurs(operation, "Limiter", self)

/** @internal */
export const make = (options: Limiter.Options): Effect.Effect<Limiter.Limiter, InvalidArgumentError> =>
  Effect.suspend(() => {
    const problem = validate.firstProblem(
      Predicate.isObject(options) ?
        validate.positiveInteger("Limiter.make", "permits", options.permits) :
        validate.invalid("Limiter.make", "options", "an object with permits", options)
    )
    if (problem !== undefined) return Effect.fail(problem)
    return Effect.succeed(new LimiterImpl(options.permits, options.label, options.metrics === true))
  })

/** @internal */
export const layer = <I, S>(
  tag: Context.Tag<I, Limiter.Limiter<S>>,
  options: Limiter.Options
): Layer.Layer<I, InvalidArgumentError> => Layer.effect(tag, make(options))

/**
 * `withPermits` and `tryWithPermits` over a backend: the permits are validated
 * here, taken through `take` (so that an interruption cannot lose them) and
 * given back exactly once when the effect ends.
 */
const withBackendPermits = <S, A, E, R, E2>(
  self: Limiter.Limiter<S>,
  permits: number,
  operation: string,
  take: (backend: Limiter.Backend<S>) => Effect.Effect<Effect.Effect<void>, E2>,
  effect: Effect.Effect<A, E, R>,
  waiting: string | undefined
): Effect.Effect<A, E | E2 | InvalidArgumentError, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.suspend((): Effect.Effect<A, E | E2 | InvalidArgumentError, R> => {
      const backend = backendOf(self, operation)
      if (backend instanceof InvalidArgumentError) return Effect.fail(backend)
      const problem = validate.firstProblem(validate.positiveInteger(operation, "permits", permits))
      if (problem !== undefined) return Effect.fail(problem)
      return Effect.flatMap(
        backendInternal.acquire(take(backend), restore, waiting),
        (release) => Effect.ensuring(restore(effect), release)
      )
    })
  )

/** @internal */
export const withPermits =
  <S>(self: Limiter.Limiter<S>, permits: number) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | S | InvalidArgumentError, R> => {
    if (!(self instanceof LimiterImpl)) {
      return withBackendPermits(
        self,
        permits,
        "Limiter.withPermits",
        (backend) => backend.acquire(permits),
        effect,
        "waiting for a permit"
      )
    }
    const limiter = self
    const release = Effect.sync(() => limiter.release(permits))
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const problem = checkPermits(limiter, "Limiter.withPermits", permits)
        if (problem !== undefined) return Effect.fail(problem)
        if (limiter.tryTake(permits)) return Effect.ensuring(restore(effect), release)
        return Effect.flatMap(
          restore(limiter.wait(permits, "Limiter.withPermits")),
          () => Effect.ensuring(restore(effect), release)
        )
      })
    )
  }

/** @internal */
export const withPermit = <S>(self: Limiter.Limiter<S>) => withPermits(self, 1)

/** @internal */
export class LimiterBusyError extends Data.TaggedError("LimiterBusyError")<{
  readonly label: string | undefined
  readonly requested: number
  readonly available: number
  readonly waiting: number
}> {
  override get message(): string {
    const name = this.label === undefined ? "Limiter" : `Limiter "${this.label}"`
    return `${name}: ${this.requested} permit(s) requested without waiting, but ${this.available} free and ` +
      `${this.waiting} fiber(s) queued ahead`
  }
}

/** @internal */
export const tryWithPermits = <S>(self: Limiter.Limiter<S>, permits: number) =>
<A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | S | InvalidArgumentError | Limiter.LimiterBusyError, R> => {
  if (!(self instanceof LimiterImpl)) {
    return withBackendPermits(
      self,
      permits,
      "Limiter.tryWithPermits",
      (backend) => backend.tryAcquire(permits),
      effect,
      undefined
    )
  }
  const limiter = self
  const release = Effect.sync(() => limiter.release(permits))
  return Effect.uninterruptibleMask((restore) =>
    Effect.suspend((): Effect.Effect<A, E | InvalidArgumentError | Limiter.LimiterBusyError, R> => {
      const problem = checkPermits(limiter, "Limiter.tryWithPermits", permits)
      if (problem !== undefined) return Effect.fail(problem)
      if (limiter.tryTake(permits)) return Effect.ensuring(restore(effect), release)
      return Effect.fail(
        new LimiterBusyError({
          label: limiter.label,
          requested: permits,
          available: Math.max(0, limiter.free),
          waiting: limiter.waiting
        })
      )
    })
  )
}

/** @internal */
export const acquireScoped = <S>(
  self: Limiter.Limiter<S>,
  permits: number
): Effect.Effect<void, S | InvalidArgumentError, Scope.Scope> => {
  const operation = "Limiter.acquireScoped"
  if (!(self instanceof LimiterImpl)) {
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const backend = backendOf(self, operation)
        if (backend instanceof InvalidArgumentError) return Effect.fail(backend)
        const problem = validate.firstProblem(validate.positiveInteger(operation, "permits", permits))
        if (problem !== undefined) return Effect.fail(problem)
        return Effect.flatMap(
          backendInternal.acquire(backend.acquire(permits), restore, "waiting for a permit"),
          (release) => Effect.addFinalizer(() => release)
        )
      })
    )
  }
  const limiter = self
  const release = Effect.sync(() => limiter.release(permits))
  // Not acquireReleaseInterruptible: its release would also run when the acquisition failed.
  return Effect.uninterruptibleMask((restore) =>
    Effect.suspend(() => {
      const problem = checkPermits(limiter, operation, permits)
      if (problem !== undefined) return Effect.fail(problem)
      return Effect.zipRight(
        restore(limiter.acquire(permits, operation)),
        Effect.addFinalizer(() => release)
      )
    })
  )
}

/** @internal */
export const resize = <S>(self: Limiter.Limiter<S>, permits: number): Effect.Effect<void, S | InvalidArgumentError> =>
  Effect.suspend(() => {
    const problem = validate.firstProblem(validate.positiveInteger("Limiter.resize", "permits", permits))
    if (problem !== undefined) return Effect.fail(problem)
    if (!(self instanceof LimiterImpl)) {
      const backend = backendOf(self, "Limiter.resize")
      return backend instanceof InvalidArgumentError ? Effect.fail(backend) : backend.resize(permits)
    }
    self.capacity = permits
    // Growing lets waiters in; shrinking fails the waiters that can never be served.
    self.drain()
    return Effect.void
  })

/** @internal */
export const statistics = <S>(self: Limiter.Limiter<S>): Effect.Effect<Limiter.Statistics, S> =>
  self instanceof LimiterImpl ?
    Effect.sync(() => statisticsOf(self)) :
    Effect.suspend(() => {
      const backend = backendOf(self, "Limiter.statistics")
      // A value that is not a limiter at all is a defect here: statistics has no error channel for it.
      return backend instanceof InvalidArgumentError ? Effect.die(backend) : backend.statistics
    })

/** @internal */
export const unsafeStatistics = (self: Limiter.Limiter<never>): Limiter.Statistics => {
  if (self instanceof LimiterImpl) return statisticsOf(self)
  // Synchronous reads exist only where the counters are in this process.
  throw new InvalidArgumentError({
    operation: "Limiter.unsafeStatistics",
    argument: "self",
    expected: "a local limiter (Limiter.make); read a backend's counters with Limiter.statistics",
    actual: self
  })
}

// ---------------------------------------------------------------------------
// Bounded processing: a pool of `concurrency` workers pulling from one
// iterator, so a million items never become a million fibers.
// ---------------------------------------------------------------------------

/** @internal */
export const forEach = <A, B, E, R, S = never>(
  items: Iterable<A>,
  f: (item: A, index: number) => Effect.Effect<B, E, R>,
  options: Limiter.ForEachOptions<S>
): Effect.Effect<any, E | S | InvalidArgumentError, R> =>
  Effect.suspend(() => {
    const problem = checkForEachOptions("Limiter.forEach", items, options)
    if (problem !== undefined) return Effect.fail(problem)
    const discard = options.discard === true
    const limiter = options.limiter
    const iterator = items[Symbol.iterator]()
    const results: Array<B> = []
    let index = 0
    let exhausted = false
    const guard = limiter === undefined ? undefined : withPermits(limiter, 1)
    const run = guard === undefined ? f : (item: A, i: number) => guard(f(item, i))
    const worker: Effect.Effect<void, E | S | InvalidArgumentError, R> = Effect.suspend(
      function loop(): Effect.Effect<void, E | S | InvalidArgumentError, R> {
        if (exhausted) return Effect.void
        const next = iterator.next()
        if (next.done === true) {
          exhausted = true
          return Effect.void
        }
        const i = index++
        return Effect.flatMap(run(next.value, i), (b) => {
          if (!discard) results[i] = b
          return loop()
        })
      }
    )
    const start = (concurrency: number) =>
      // Effect.all with unbounded concurrency interrupts the other workers on the first failure.
      Effect.as(
        Effect.all(Array.from({ length: concurrency }, () => worker), { concurrency: "unbounded", discard: true }),
        discard ? undefined : results
      )
    if (options.concurrency !== undefined) return start(options.concurrency)
    // No concurrency given: as many workers as the limiter has permits (a backend is asked for its capacity).
    if (limiter instanceof LimiterImpl) return start(limiter.capacity)
    return Effect.flatMap(statistics(limiter!), (stats) => start(stats.capacity))
  })

const checkForEachOptions = (
  operation: string,
  items: unknown,
  options: Limiter.ForEachOptions<unknown> | undefined
): InvalidArgumentError | undefined => {
  if (!Predicate.isIterable(items)) {
    return new InvalidArgumentError({ operation, argument: "items", expected: "an iterable", actual: items })
  }
  if (!Predicate.isObject(options)) {
    return new InvalidArgumentError({
      operation,
      argument: "options",
      expected: "an object with concurrency or limiter",
      actual: options
    })
  }
  if (options.limiter !== undefined && !isLimiter(options.limiter)) {
    return new InvalidArgumentError({ operation, argument: "limiter", expected: "a Limiter", actual: options.limiter })
  }
  if (options.concurrency === undefined && options.limiter === undefined) {
    return new InvalidArgumentError({
      operation,
      argument: "concurrency",
      expected: "a positive integer (or pass a limiter)",
      actual: undefined
    })
  }
  return options.concurrency === undefined ?
    undefined :
    validate.firstProblem(validate.positiveInteger(operation, "concurrency", options.concurrency))
}

/** @internal */
export const forEachBatch = <A, B, E, R>(
  items: Iterable<A>,
  f: (batch: ReadonlyArray<A>, batchIndex: number) => Effect.Effect<B, E, R>,
  options: Limiter.BatchOptions
): Effect.Effect<Array<B>, E | InvalidArgumentError, R> =>
  Effect.suspend(() => {
    const problem = validate.firstProblem(
      Predicate.isObject(options) ?
        validate.positiveInteger("Limiter.forEachBatch", "size", options.size) :
        validate.invalid("Limiter.forEachBatch", "options", "an object with size", options),
      options?.concurrency === undefined ?
        noProblem :
        validate.positiveInteger("Limiter.forEachBatch", "concurrency", options.concurrency)
    )
    if (problem !== undefined) return Effect.fail(problem)
    if (!Predicate.isIterable(items)) {
      return Effect.fail(
        new InvalidArgumentError({
          operation: "Limiter.forEachBatch",
          argument: "items",
          expected: "an iterable",
          actual: items
        })
      )
    }
    return forEach(chunked(items, options.size), f, { concurrency: options.concurrency ?? 1 }) as Effect.Effect<
      Array<B>,
      E | InvalidArgumentError,
      R
    >
  })

const noProblem: validate.Check = Either.void

/** Groups an iterable lazily, so batching never materialises the whole input. */
const chunked = function*<A>(items: Iterable<A>, size: number): Generator<Array<A>> {
  let batch: Array<A> = []
  for (const item of items) {
    batch.push(item)
    if (batch.length === size) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}
