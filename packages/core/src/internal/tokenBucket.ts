import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import type * as Scheduler from "effect/Scheduler"
import * as Scope from "effect/Scope"
import { InvalidArgumentError } from "../InvalidArgument.js"
import type * as TokenBucket from "../TokenBucket.js"
import * as timeline from "./timeline.js"
import * as validate from "./validate.js"

/** @internal */
export const TypeId: TokenBucket.TypeId = Symbol.for("@fiberkit/core/TokenBucket") as TokenBucket.TypeId

// Float refills can leave 0.9999999 of a token where 1 is due.
const EPSILON = 1e-9

const WAITING = 0
const GRANTED = 1
const DONE = 2

interface Band {
  readonly rate: number
  readonly perMs: number
  readonly burst: number
  readonly refillPerMs: number
  tokens: number
}

interface Waiter {
  readonly cost: number
  /** Needs a concurrency slot as well as tokens (withTokens, not take). */
  readonly slot: boolean
  readonly operation: string
  resume: ((effect: Effect.Effect<void, TokenBucket.TokenBucketClosedError | InvalidArgumentError>) => void) | undefined
  /** Set when the waiter is settled before its fiber suspended. */
  outcome: Effect.Effect<void, TokenBucket.TokenBucketClosedError | InvalidArgumentError> | undefined
  state: number
  /** The waiting fiber, once it has suspended (see `GrantScheduler`). */
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined
  prev: Waiter | undefined
  next: Waiter | undefined
}

/**
 * The fiber that `grant` is resuming right now, if any: `GrantScheduler` runs that one at once.
 */
let grantee: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined

/**
 * The scheduler a waiter's fiber uses while it is suspended in the queue (see `wait`). Everything
 * is handed to the scheduler the fiber had before, except the resumption that gives it its turn:
 * that one runs at once, on the stack of whoever found the tokens (a caller arriving, the timer, a
 * slot released). So a waiter takes its tokens, and its call
 * starts, at the moment they became available, not after every task already queued on the
 * scheduler: when thousands of fibers are being started, one flush of that queue lasts tens of
 * milliseconds, and a bucket that can hold only `burst` tokens meanwhile loses the rest.
 */
class GrantScheduler implements Scheduler.Scheduler {
  constructor(readonly underlying: Scheduler.Scheduler) {}
  scheduleTask(task: Scheduler.Task, priority: number, fiber?: Fiber.RuntimeFiber<unknown, unknown>): void {
    if (fiber !== undefined && fiber === grantee) {
      grantee = undefined
      task()
    } else {
      this.underlying.scheduleTask(task, priority, fiber)
    }
  }
  shouldYield(fiber: Fiber.RuntimeFiber<unknown, unknown>): number | false {
    return this.underlying.shouldYield(fiber)
  }
}

const grantSchedulers = new WeakMap<Scheduler.Scheduler, GrantScheduler>()
const grantSchedulerFor = (underlying: Scheduler.Scheduler): GrantScheduler => {
  if (underlying instanceof GrantScheduler) return underlying
  let scheduler = grantSchedulers.get(underlying)
  if (scheduler === undefined) {
    scheduler = new GrantScheduler(underlying)
    grantSchedulers.set(underlying, scheduler)
  }
  return scheduler
}

/** Gives `node` its turn: its fiber, if suspended, runs now (and claims its tokens) before this returns. */
const grant = (node: Waiter): void => {
  if (node.resume === undefined) {
    node.outcome = Effect.void
    return
  }
  const previous = grantee
  grantee = node.fiber
  try {
    node.resume(Effect.void)
  } finally {
    grantee = previous
  }
}

/** @internal */
export class TokenBucketClosedError extends Data.TaggedError("TokenBucketClosedError")<{
  readonly label: string | undefined
}> {
  override get message(): string {
    const name = this.label === undefined ? "TokenBucket" : `TokenBucket "${this.label}"`
    return `${name} is closed: its scope ended while this call was waiting for tokens (or after it)`
  }
}

/**
 * Sleeps in whole milliseconds, never less than one: timers have millisecond
 * resolution anyway, and a sub-millisecond float could wake at the same
 * instant forever. Waking late costs no throughput: the tokens accrued
 * meanwhile are all handed out at the next wake-up.
 */
const timer = (delay: number): Effect.Effect<void> =>
  Effect.sleep(Duration.millis(Math.max(1, Math.ceil(delay - 1e-6))))

const nowMs = (clock: Clock.Clock): number => Number(clock.unsafeCurrentTimeNanos()) / 1_000_000

/** @internal */
export class TokenBucketImpl implements TokenBucket.TokenBucket {
  readonly [TypeId]: TokenBucket.TypeId = TypeId
  bands: Array<Band>
  maxConcurrent: number | undefined
  defaultCost: number
  last: number
  pausedUntil = Number.NEGATIVE_INFINITY
  pauses = 0
  inFlight = 0
  peakInFlight = 0
  admitted = 0
  admittedCost = 0
  waiting = 0
  head: Waiter | undefined = undefined
  tail: Waiter | undefined = undefined
  closed = false
  pumping = false
  draining = false
  redrain = false
  /** Waiters told to go whose fibers have not yet taken their tokens, and what they will take. */
  turns = 0
  turnCost = 0
  turnSlots = 0
  /** Timer fibers alive (0 when idle or closed; briefly 2 while one replaces another). */
  timers = 0
  pumpFiber: Fiber.RuntimeFiber<void> | undefined = undefined

  constructor(
    config: Config,
    readonly label: string | undefined,
    readonly clock: Clock.Clock,
    readonly scope: Scope.Scope
  ) {
    this.bands = config.bands.map((b) => ({ ...b, refillPerMs: b.rate / b.perMs, tokens: b.burst }))
    this.maxConcurrent = config.maxConcurrent
    this.defaultCost = config.cost
    this.last = nowMs(clock)
  }

  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _id: "TokenBucket", label: this.label, ...statisticsOf(this) }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }

  /** Adds what accrued since the last look; nothing accrues while paused. */
  refill(now: number): void {
    const from = Math.max(this.last, this.pausedUntil)
    if (now > from) {
      const elapsed = now - from
      for (const band of this.bands) band.tokens = Math.min(band.burst, band.tokens + elapsed * band.refillPerMs)
    }
    if (now > this.last) this.last = now
  }

  minBurst(): number {
    let min = Number.POSITIVE_INFINITY
    for (const band of this.bands) if (band.burst < min) min = band.burst
    return min
  }

  hasTokens(cost: number): boolean {
    for (const band of this.bands) if (band.tokens < cost - EPSILON) return false
    return true
  }

  slotFree(slot: boolean): boolean {
    return !slot || this.maxConcurrent === undefined || this.inFlight < this.maxConcurrent
  }

  /** Milliseconds until `cost` tokens are there in every band (and any pause is over). */
  delayFor(cost: number, now: number): number {
    const start = Math.max(now, this.pausedUntil)
    let wait = 0
    for (const band of this.bands) {
      const missing = cost - band.tokens
      if (missing > EPSILON) wait = Math.max(wait, missing / band.refillPerMs)
    }
    return start - now + wait
  }

  admit(cost: number, slot: boolean): void {
    for (const band of this.bands) band.tokens -= cost
    this.admitted++
    this.admittedCost += cost
    if (slot) {
      this.inFlight++
      if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight
    }
  }

  /** The fast path: admitted now, without queueing, if nobody is ahead. */
  tryAdmit(cost: number, slot: boolean): boolean {
    if (this.head !== undefined || this.turns > 0) return false
    const now = nowMs(this.clock)
    if (now < this.pausedUntil || !this.slotFree(slot)) return false
    this.refill(now)
    if (!this.hasTokens(cost)) return false
    this.admit(cost, slot)
    return true
  }

  enqueue(cost: number, slot: boolean, operation: string, front = false): Waiter {
    const node: Waiter = {
      cost,
      slot,
      operation,
      resume: undefined,
      outcome: undefined,
      state: WAITING,
      fiber: undefined,
      prev: undefined,
      next: undefined
    }
    if (front) {
      node.next = this.head
      if (this.head === undefined) this.tail = node
      else this.head.prev = node
      this.head = node
    } else {
      node.prev = this.tail
      if (this.tail === undefined) this.head = node
      else this.tail.next = node
      this.tail = node
    }
    this.waiting++
    return node
  }

  unlink(node: Waiter): void {
    if (node.prev === undefined) this.head = node.next
    else node.prev.next = node.next
    if (node.next === undefined) this.tail = node.prev
    else node.next.prev = node.prev
    node.prev = node.next = undefined
    this.waiting--
  }

  /**
   * Gives turns to waiters from the head, in order, while the tokens (and
   * slots) not yet promised to earlier turns cover them. A waiter takes its
   * tokens itself when its fiber runs (`claim`), so the moment tokens are
   * spent is the moment the call starts: a busy scheduler that resumes fibers
   * late can delay calls but never bunch them into one window. A suspended
   * waiter runs at once when given its turn (`grant`), so it normally claims
   * before this returns; its claim calls `drain` again, which only asks this
   * loop to look once more. Returns how long to sleep before the head can go,
   * or undefined when nothing needs a timer (queue empty, turns outstanding
   * whose claims will look again, or the head waits for a concurrency slot,
   * which a release will hand over).
   */
  drain(): number | undefined {
    if (this.draining) {
      this.redrain = true
      return undefined
    }
    this.draining = true
    try {
      let delay: number | undefined
      do {
        this.redrain = false
        delay = this.drainOnce()
      } while (this.redrain)
      return delay
    } finally {
      this.draining = false
    }
  }

  drainOnce(): number | undefined {
    for (;;) {
      const node = this.head
      if (node === undefined) return undefined
      const now = nowMs(this.clock)
      this.refill(now)
      if (node.cost > this.minBurst() + EPSILON) {
        // Only after a reconfiguration shrank the burst below this request: it can never go.
        this.unlink(node)
        node.state = DONE
        settle(node, Effect.fail(costTooHigh(node.operation, node.cost, this.minBurst(), true)))
        continue
      }
      if (now < this.pausedUntil || !this.hasTokens(node.cost + this.turnCost)) {
        return this.turns > 0 ? undefined : this.delayFor(node.cost, now)
      }
      if (
        node.slot && this.maxConcurrent !== undefined && this.inFlight + this.turnSlots >= this.maxConcurrent
      ) return undefined
      this.unlink(node)
      node.state = GRANTED
      this.turns++
      this.turnCost += node.cost
      if (node.slot) this.turnSlots++
      grant(node)
    }
  }

  /** A turn ends: claimed, or its fiber interrupted before claiming. */
  endTurn(node: Waiter): void {
    if (node.state !== GRANTED) return
    node.state = DONE
    this.turns--
    this.turnCost -= node.cost
    if (node.slot) this.turnSlots--
  }

  /**
   * Runs in the waiter's own fiber once it has the turn: takes the tokens now
   * and passes the turn on. If they are gone meanwhile (a pause, a
   * reconfiguration) it goes back to the front of the queue.
   */
  claim(
    node: Waiter,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  ): Effect.Effect<void, TokenBucket.TokenBucketClosedError | InvalidArgumentError> {
    return Effect.suspend(() => {
      this.endTurn(node)
      if (this.closed) return Effect.fail(new TokenBucketClosedError({ label: this.label }))
      const now = nowMs(this.clock)
      this.refill(now)
      if (now >= this.pausedUntil && this.hasTokens(node.cost) && this.slotFree(node.slot)) {
        this.admit(node.cost, node.slot)
        return this.schedule(this.drain())
      }
      const again = this.enqueue(node.cost, node.slot, node.operation, true)
      return Effect.zipRight(
        this.schedule(this.drain()),
        Effect.flatMap(this.wait(again, restore), () => this.claim(again, restore))
      )
    })
  }

  /** Starts the timer fiber if waiters need one; it ends by itself when the queue empties. */
  schedule(delay: number | undefined): Effect.Effect<void> {
    if (delay === undefined || this.pumping || this.closed) return Effect.void
    this.pumping = true
    this.timers++
    const run = Effect.ensuring(
      Effect.interruptible(Effect.zipRight(timer(delay), this.pump)),
      Effect.sync(() => {
        this.timers--
      })
    )
    return Effect.asVoid(
      Effect.tap(
        Effect.forkIn(run, this.scope),
        (fiber) => {
          this.pumpFiber = fiber
        }
      )
    )
  }

  readonly pump: Effect.Effect<void> = Effect.suspend(() => {
    const delay = this.closed ? undefined : this.drain()
    if (delay === undefined) {
      this.pumping = false
      this.pumpFiber = undefined
      return Effect.void
    }
    return Effect.zipRight(timer(delay), this.pump)
  })

  /** Restarts the timer: the head's wait may have become shorter (more rate, a cancelled waiter). */
  reschedule(): Effect.Effect<void> {
    const fiber = this.pumpFiber
    this.pumping = false
    this.pumpFiber = undefined
    const next = Effect.suspend(() => this.schedule(this.drain()))
    return fiber === undefined
      ? next
      : Effect.zipRight(Effect.sync(() => fiber.unsafeInterruptAsFork(fiber.id())), next)
  }

  releaseSlot(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.inFlight--
      return this.schedule(this.drain())
    })
  }

  /** Suspends until `node` is admitted (or failed); on interruption it costs nothing. */
  /**
   * Suspends until `node` is admitted (or failed); on interruption it costs nothing. Called where
   * the caller is uninterruptible: `restore` makes only the suspension itself interruptible, and the
   * fiber's scheduler is swapped for a `GrantScheduler` around it and always put back (a FiberRef set
   * and an `ensuring`: half the memory per waiter of `Effect.withScheduler`'s acquire/use/release).
   */
  wait(
    node: Waiter,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  ): Effect.Effect<void, TokenBucket.TokenBucketClosedError | InvalidArgumentError> {
    return Effect.withFiberRuntime((fiber) => {
      const previous = fiber.currentScheduler
      // A phase on the fiber's timeline lane while it waits (free when no Timeline recording is on).
      const suspended = timeline.unsafePhase(this.suspend(node, fiber), "waiting for a token", "waiting")
      return Effect.zipRight(
        FiberRef.set(FiberRef.currentScheduler, grantSchedulerFor(previous)),
        Effect.ensuring(restore(suspended), FiberRef.set(FiberRef.currentScheduler, previous))
      )
    })
  }

  suspend(node: Waiter, fiber: Fiber.RuntimeFiber<unknown, unknown>) {
    return Effect.async<void, TokenBucket.TokenBucketClosedError | InvalidArgumentError>((resume) => {
      if (node.outcome !== undefined) {
        resume(node.outcome)
      } else {
        node.fiber = fiber
        node.resume = resume
      }
      return Effect.suspend(() => {
        if (node.state === WAITING) {
          // An interrupted waiter consumes nothing; if it was first, the next may go sooner.
          const wasHead = node === this.head
          this.unlink(node)
          node.state = DONE
          return wasHead ? this.reschedule() : Effect.void
        }
        if (node.state === GRANTED) {
          // Given the turn, but interrupted before it took its tokens: pass the turn on.
          this.endTurn(node)
          return this.reschedule()
        }
        return Effect.void
      })
    })
  }

  close(): Effect.Effect<void> {
    return Effect.sync(() => {
      this.closed = true
      const error = new TokenBucketClosedError({ label: this.label })
      let node = this.head
      while (node !== undefined) {
        const next: Waiter | undefined = node.next
        this.unlink(node)
        node.state = DONE
        settle(node, Effect.fail(error))
        node = next
      }
    })
  }
}

const settle = (
  node: Waiter,
  outcome: Effect.Effect<void, TokenBucket.TokenBucketClosedError | InvalidArgumentError>
): void => {
  if (node.resume === undefined) node.outcome = outcome
  else node.resume(outcome)
}

const statisticsOf = (self: TokenBucketImpl): TokenBucket.Statistics => ({
  admitted: self.admitted,
  admittedCost: self.admittedCost,
  waiting: self.waiting,
  inFlight: self.inFlight,
  peakInFlight: self.peakInFlight,
  tokens: self.bands.map((b) => b.tokens),
  pauses: self.pauses,
  pausedUntil: Number.isFinite(self.pausedUntil) ? self.pausedUntil : undefined,
  timers: self.timers,
  closed: self.closed
})

const costTooHigh = (operation: string, cost: number, burst: number, reconfigured: boolean) =>
  new InvalidArgumentError({
    operation,
    argument: "cost",
    expected: `at most the bucket's burst of ${burst}${
      reconfigured ? " (the bucket was reconfigured below this request while it waited)" : ""
    }`,
    actual: cost
  })

interface Config {
  readonly bands: ReadonlyArray<{ readonly rate: number; readonly perMs: number; readonly burst: number }>
  readonly maxConcurrent: number | undefined
  readonly cost: number
}

const decodePer = (operation: string, argument: string, per: unknown): number | InvalidArgumentError => {
  if (per === undefined) return 1000
  const decoded = Duration.decodeUnknown(per)
  const ms = Option.isSome(decoded) && !(typeof per === "number" && per < 0) ?
    Duration.toMillis(decoded.value) :
    Number.NaN
  return Number.isFinite(ms) && ms > 0 ?
    ms :
    new InvalidArgumentError({ operation, argument, expected: "a finite duration greater than 0", actual: per })
}

const parseConfig = (
  operation: string,
  options: TokenBucket.Options | undefined,
  previous?: Config
): Config | InvalidArgumentError => {
  if (!Predicate.isObject(options)) {
    return new InvalidArgumentError({
      operation,
      argument: "options",
      expected: "an object with rate (or limits)",
      actual: options
    })
  }
  const o = options as TokenBucket.Options & TokenBucket.Limit & { readonly limits?: ReadonlyArray<TokenBucket.Limit> }
  let raw: ReadonlyArray<TokenBucket.Limit>
  if (o.limits !== undefined) {
    if (o.rate !== undefined) {
      return new InvalidArgumentError({
        operation,
        argument: "rate",
        expected: "absent when limits is given (put every limit in limits)",
        actual: o.rate
      })
    }
    if (!Array.isArray(o.limits) || o.limits.length === 0) {
      return new InvalidArgumentError({
        operation,
        argument: "limits",
        expected: "a non-empty array of { rate, per, burst }",
        actual: o.limits
      })
    }
    raw = o.limits
  } else if (o.rate === undefined && previous !== undefined) {
    raw = []
  } else {
    raw = [o]
  }
  const bands: Array<{ rate: number; perMs: number; burst: number }> = []
  for (let i = 0; i < raw.length; i++) {
    const limit = raw[i]
    const name = (field: string) => o.limits === undefined ? field : `limits[${i}].${field}`
    if (!Predicate.isObject(limit)) {
      return new InvalidArgumentError({ operation, argument: `limits[${i}]`, expected: "an object", actual: limit })
    }
    const burst = limit.burst ?? 1
    const problem = validate.firstProblem(
      validate.positiveFinite(operation, name("rate"), limit.rate),
      typeof burst === "number" && Number.isFinite(burst) && burst >= 1 ?
        validate.positiveFinite(operation, name("burst"), burst) :
        validate.invalid(operation, name("burst"), "a finite number of at least 1", burst)
    )
    if (problem !== undefined) return problem
    const perMs = decodePer(operation, name("per"), limit.per)
    if (typeof perMs !== "number") return perMs
    bands.push({ rate: limit.rate, perMs, burst })
  }
  const finalBands = bands.length > 0 ? bands : previous!.bands
  const maxConcurrent = o.maxConcurrent === undefined ?
    (raw.length === 0 ? previous?.maxConcurrent : undefined) :
    o.maxConcurrent
  const cost = o.cost ?? previous?.cost ?? 1
  const problem = validate.firstProblem(
    maxConcurrent === undefined ? Either.void : validate.positiveInteger(operation, "maxConcurrent", maxConcurrent),
    validate.positiveFinite(operation, "cost", cost)
  )
  if (problem !== undefined) return problem
  const minBurst = Math.min(...finalBands.map((b) => b.burst))
  if (cost > minBurst) return costTooHigh(operation, cost, minBurst, false)
  return { bands: finalBands, maxConcurrent, cost }
}

/** @internal */
export const isTokenBucket = (u: unknown): u is TokenBucket.TokenBucket => Predicate.hasProperty(u, TypeId)

const impl = (self: TokenBucket.TokenBucket): TokenBucketImpl => self as TokenBucketImpl

/** @internal */
export const make = (
  options: TokenBucket.Options
): Effect.Effect<TokenBucket.TokenBucket, InvalidArgumentError, Scope.Scope> =>
  Effect.suspend(() => {
    const config = parseConfig("TokenBucket.make", options)
    if (config instanceof InvalidArgumentError) return Effect.fail(config)
    return Effect.flatMap(Effect.zip(Clock.clockWith(Effect.succeed), Effect.scope), ([clock, scope]) => {
      const bucket = new TokenBucketImpl(config, options.label, clock, scope)
      return Effect.as(Scope.addFinalizer(scope, bucket.close()), bucket)
    })
  })

const checkCost = (bucket: TokenBucketImpl, operation: string, cost: unknown): InvalidArgumentError | undefined => {
  const problem = validate.firstProblem(validate.positiveFinite(operation, "cost", cost))
  if (problem !== undefined) return problem
  const burst = bucket.minBurst()
  return (cost as number) > burst + EPSILON ? costTooHigh(operation, cost as number, burst, false) : undefined
}

const acquire = (
  bucket: TokenBucketImpl,
  cost: number,
  slot: boolean,
  operation: string,
  restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
): Effect.Effect<void, InvalidArgumentError | TokenBucket.TokenBucketClosedError> => {
  const problem = checkCost(bucket, operation, cost)
  if (problem !== undefined) return Effect.fail(problem)
  if (bucket.closed) return Effect.fail(new TokenBucketClosedError({ label: bucket.label }))
  if (bucket.tryAdmit(cost, slot)) return Effect.void
  // Queued before the timer is computed, so the timer sees this waiter.
  const node = bucket.enqueue(cost, slot, operation)
  return Effect.zipRight(
    bucket.schedule(bucket.drain()),
    Effect.flatMap(bucket.wait(node, restore), () => bucket.claim(node, restore))
  )
}

/** @internal */
export const withTokens = (self: TokenBucket.TokenBucket, options?: TokenBucket.CallOptions) =>
<A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | InvalidArgumentError | TokenBucket.TokenBucketClosedError, R> => {
  const bucket = impl(self)
  return Effect.uninterruptibleMask((restore) =>
    Effect.suspend(() => {
      const cost = options?.cost ?? bucket.defaultCost
      const release = bucket.maxConcurrent === undefined ? undefined : bucket.releaseSlot()
      // The slot is only counted when the bucket has a concurrency cap at the time of the call.
      const slot = release !== undefined
      return Effect.flatMap(
        acquire(bucket, cost, slot, "TokenBucket.withTokens", restore),
        () => release === undefined ? restore(effect) : Effect.ensuring(restore(effect), release)
      )
    })
  )
}

/** @internal */
export const take = (
  self: TokenBucket.TokenBucket,
  cost?: number
): Effect.Effect<void, InvalidArgumentError | TokenBucket.TokenBucketClosedError> => {
  const bucket = impl(self)
  return Effect.uninterruptibleMask((restore) =>
    Effect.suspend(() => acquire(bucket, cost ?? bucket.defaultCost, false, "TokenBucket.take", restore))
  )
}

/** @internal */
export const pause = (
  self: TokenBucket.TokenBucket,
  duration: Duration.DurationInput
): Effect.Effect<void, InvalidArgumentError> =>
  Effect.suspend(() => {
    const decoded = Duration.decodeUnknown(duration)
    // Duration clamps a negative number of ms to zero; a negative pause is a mistake worth reporting.
    const ms = Option.isSome(decoded) && !(typeof duration === "number" && duration < 0) ?
      Duration.toMillis(decoded.value) :
      Number.NaN
    if (!(ms >= 0) || !Number.isFinite(ms)) {
      return Effect.fail(
        new InvalidArgumentError({
          operation: "TokenBucket.pause",
          argument: "duration",
          expected: "a finite duration of at least 0",
          actual: duration
        })
      )
    }
    const bucket = impl(self)
    const now = nowMs(bucket.clock)
    bucket.refill(now)
    const until = now + ms
    if (until > bucket.pausedUntil) bucket.pausedUntil = until
    // The server said "not now": start again from empty, so the pause is not followed by a burst.
    for (const band of bucket.bands) band.tokens = Math.min(band.tokens, 0)
    bucket.pauses++
    return Effect.void
  })

/** @internal */
export const pauseOnRetryAfter = <E>(
  self: TokenBucket.TokenBucket,
  retryAfter: (error: E) => Option.Option<Duration.DurationInput>
) =>
<A, E2 extends E, R>(effect: Effect.Effect<A, E2, R>): Effect.Effect<A, E2, R> =>
  Effect.tapError(effect, (error) => {
    const delay = retryAfter(error)
    return Option.isSome(delay) ? Effect.ignore(pause(self, delay.value)) : Effect.void
  })

/** @internal */
export const reconfigure = (
  self: TokenBucket.TokenBucket,
  options: TokenBucket.Reconfigure
): Effect.Effect<void, InvalidArgumentError> =>
  Effect.suspend(() => {
    const bucket = impl(self)
    const previous: Config = {
      bands: bucket.bands.map((b) => ({ rate: b.rate, perMs: b.perMs, burst: b.burst })),
      maxConcurrent: bucket.maxConcurrent,
      cost: bucket.defaultCost
    }
    const config = parseConfig("TokenBucket.reconfigure", options as TokenBucket.Options, previous)
    if (config instanceof InvalidArgumentError) return Effect.fail(config)
    bucket.refill(nowMs(bucket.clock))
    const old = bucket.bands
    // Tokens carry over band by band (clamped to the new burst); a new band starts full.
    bucket.bands = config.bands.map((b, i) => ({
      ...b,
      refillPerMs: b.rate / b.perMs,
      tokens: Math.min(b.burst, old[i]?.tokens ?? b.burst)
    }))
    bucket.maxConcurrent = config.maxConcurrent
    bucket.defaultCost = config.cost
    return bucket.reschedule()
  })

/** @internal */
export const statistics = (self: TokenBucket.TokenBucket): Effect.Effect<TokenBucket.Statistics> =>
  Effect.sync(() => {
    const bucket = impl(self)
    bucket.refill(nowMs(bucket.clock))
    return statisticsOf(bucket)
  })
