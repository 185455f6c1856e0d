import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import * as Runtime from "effect/Runtime"
import type * as Deadline from "../Deadline.js"
import { InvalidArgumentError } from "../InvalidArgument.js"
import * as timeline from "./timeline.js"
import * as validate from "./validate.js"

/** @internal */
export const TypeId: Deadline.TypeId = Symbol.for("@fiberkit/core/Deadline") as Deadline.TypeId

/** @internal */
export const TimeoutExceededTypeId: Deadline.TimeoutExceededTypeId = Symbol.for(
  "@fiberkit/core/Deadline/TimeoutExceeded"
) as Deadline.TimeoutExceededTypeId

/** @internal */
export class TimeoutExceeded extends Data.TaggedError("TimeoutExceeded")<{
  readonly label: string
  readonly after: Duration.Duration
}> {
  readonly [TimeoutExceededTypeId]: Deadline.TimeoutExceededTypeId = TimeoutExceededTypeId
  override get message(): string {
    return `${this.label} did not finish within ${Duration.format(this.after)}`
  }
}

// The live clock's timers are plain host timers, so a deadline can arm one directly
// (no fiber). Any other clock (TestClock, a custom one) is driven through `clock.sleep`.
const liveClockPrototype = Object.getPrototypeOf(Clock.make())
const isLiveClock = (clock: Clock.Clock): boolean => Object.getPrototypeOf(clock) === liveClockPrototype

// setTimeout stores its delay in an int32; longer waits are re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * The deadlines a fiber runs under, innermost last, so nested deadlines can see the outer ones.
 * Writing a FiberRef copies the fiber's whole FiberRef map, twice per region with
 * `Effect.locally`; instead each fiber gets its own mutable stack once (`owner`), pushes and
 * pops on it, and a forked child starts from a snapshot (`fork`). A joined child never
 * replaces its parent's stack (`join`).
 */
class DeadlineStack {
  constructor(readonly owner: FiberId.FiberId | undefined, readonly items: Array<DeadlineImpl>) {}
}
const emptyStack = new DeadlineStack(undefined, [])
const currentStack = FiberRef.unsafeMake<DeadlineStack>(emptyStack, {
  fork: (stack) => stack.items.length === 0 ? emptyStack : new DeadlineStack(undefined, stack.items.slice()),
  join: (parent) => parent
})

// Each region interrupts with its own id, so it can tell its own interruption from anyone else's.
let nextRegionId = 0
const regionId = (): FiberId.FiberId => FiberId.make(--nextRegionId, 0)

/** @internal */
export class DeadlineImpl implements Deadline.Deadline {
  readonly [TypeId]: Deadline.TypeId = TypeId
  expired = false
  moves = 0
  // Callbacks of the regions running under this deadline: almost always one, so a Set is
  // only made for a deadline shared by several regions.
  private listener: (() => void) | undefined = undefined
  private listeners: Set<() => void> | undefined = undefined
  private cancelTimer: (() => void) | undefined = undefined
  private armedFor = Number.NaN

  constructor(
    readonly label: string,
    readonly startedAt: number,
    public at: number,
    readonly clock: Clock.Clock,
    readonly parent: DeadlineImpl | undefined
  ) {}

  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _id: "Deadline", ...statisticsOf(this) }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }

  /** The earliest of this deadline and every enclosing one: the inner never outlives the outer. */
  effectiveAt(): number {
    let at = this.at
    for (let d = this.parent; d !== undefined; d = d.parent) if (d.at < at) at = d.at
    return at
  }

  error(): TimeoutExceeded {
    // A stack captured in a timer callback says nothing useful, and capturing it is the
    // most expensive part of a timeout under load: build the error without one.
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      return new TimeoutExceeded({ label: this.label, after: Duration.millis(Math.max(0, this.at - this.startedAt)) })
    } finally {
      Error.stackTraceLimit = limit
    }
  }

  get active(): number {
    return (this.listener === undefined ? 0 : 1) + (this.listeners?.size ?? 0)
  }

  /** Registers a region; the timer runs only while some region listens. */
  listen(listener: () => void): void {
    if (this.listener === undefined) this.listener = listener
    else (this.listeners ??= new Set()).add(listener)
    this.arm()
  }

  unlisten(listener: () => void): void {
    if (this.listener === listener) this.listener = undefined
    else this.listeners?.delete(listener)
    if (this.active === 0) this.disarm()
  }

  expire(): void {
    if (this.expired) return
    this.expired = true
    this.disarm()
    const first = this.listener
    const rest = this.listeners === undefined ? [] : Array.from(this.listeners)
    first?.()
    for (const listener of rest) listener()
  }

  disarm(): void {
    this.cancelTimer?.()
    this.cancelTimer = undefined
    this.armedFor = Number.NaN
  }

  arm(): void {
    if (this.expired || this.active === 0 || this.armedFor === this.at) return
    this.disarm()
    if (this.at === Infinity) return
    const delay = this.at - this.clock.unsafeCurrentTimeMillis()
    if (delay <= 0) return this.expire()
    this.armedFor = this.at
    // `complete`: the timer covered the whole delay. Host timers may fire up to a millisecond
    // before Date.now() reaches `at`; re-arming for that millisecond would push the expiry to a
    // later turn of the event loop, which under load can be very late. So a complete timer expires.
    const fired = (complete: boolean) => {
      this.cancelTimer = undefined
      this.armedFor = Number.NaN
      if (complete || this.clock.unsafeCurrentTimeMillis() >= this.at) this.expire()
      else this.arm()
    }
    if (isLiveClock(this.clock)) {
      const step = Math.min(delay, MAX_TIMER_MS)
      const handle = setTimeout(() => fired(step === delay), step)
      this.cancelTimer = () => clearTimeout(handle)
    } else {
      // Another clock (TestClock, a custom one): a fiber sleeps on it. It starts at once,
      // so the sleep is registered before this returns and a TestClock adjust sees it.
      const fiber = Effect.runFork(
        Effect.flatMap(this.clock.sleep(Duration.millis(delay)), () => Effect.sync(() => fired(false)))
      )
      this.cancelTimer = () => fiber.unsafeInterruptAsFork(fiber.id())
    }
  }

  move(at: number): boolean {
    if (this.expired) return false
    this.at = at
    this.moves++
    this.arm()
    return true
  }
}

const statisticsOf = (d: DeadlineImpl): Deadline.Statistics => {
  const now = d.clock.unsafeCurrentTimeMillis()
  const at = d.effectiveAt()
  return {
    label: d.label,
    budgetMs: d.at - d.startedAt,
    remainingMs: d.expired ? 0 : Math.max(0, at - now),
    moves: d.moves,
    expired: d.expired,
    activeRegions: d.active
  }
}

const cleanupModes: ReadonlyArray<Deadline.CleanupMode> = ["wait", "detach"]

const decodeDuration = (
  operation: string,
  argument: string,
  value: unknown,
  allowInfinity: boolean
): Duration.Duration | InvalidArgumentError => {
  const expected = allowInfinity ? "a duration of at least 0 (or Infinity)" : "a finite duration of at least 0"
  // Duration.decode clamps negative numbers to zero: a negative budget is a mistake, not "now".
  if (
    (typeof value === "number" && (Number.isNaN(value) || value < 0)) || (typeof value === "bigint" && value < 0) ||
    (typeof value === "string" && value.trim().startsWith("-"))
  ) {
    return new InvalidArgumentError({ operation, argument, expected, actual: value })
  }
  const decoded = value === "infinity" || value === "Infinity"
    ? Option.some(Duration.infinity)
    : Duration.decodeUnknown(value)
  if (Option.isNone(decoded)) return new InvalidArgumentError({ operation, argument, expected, actual: value })
  const ms = Duration.toMillis(decoded.value)
  if (Number.isNaN(ms) || ms < 0 || (!allowInfinity && !Duration.isFinite(decoded.value))) {
    return new InvalidArgumentError({ operation, argument, expected, actual: value })
  }
  return decoded.value
}

const checkOptions = (
  operation: string,
  options: unknown,
  allowInfinity: boolean
): { after: Duration.Duration; label: string; cleanup: Deadline.CleanupMode } | InvalidArgumentError => {
  if (!Predicate.isRecord(options)) {
    return new InvalidArgumentError({
      operation,
      argument: "options",
      expected: "an object with `after`",
      actual: options
    })
  }
  const after = decodeDuration(operation, "after", options.after, allowInfinity)
  if (after instanceof InvalidArgumentError) return after
  if (options.label !== undefined && (typeof options.label !== "string" || options.label.length === 0)) {
    return new InvalidArgumentError({
      operation,
      argument: "label",
      expected: "a non-empty string",
      actual: options.label
    })
  }
  const cleanup = options.cleanup ?? "wait"
  const problem = validate.firstProblem(validate.oneOf(operation, "cleanup", cleanupModes, cleanup))
  if (problem) return problem
  return {
    after,
    label: (options.label as string | undefined) ?? "operation",
    cleanup: cleanup as Deadline.CleanupMode
  }
}

const currentOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): DeadlineImpl | undefined =>
  fiber.getFiberRef(currentStack).items.at(-1)

const clockOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Clock.Clock =>
  Context.get(fiber.currentDefaultServices, Clock.Clock)

/**
 * Runs `self` on the caller's own fiber under `deadline`, for `cleanup: "wait"`: no fiber is
 * forked and no fiber sleeps. When the timer fires, it interrupts the caller with this region's
 * own id; the interruption unwinds `self` (running its finalizers) up to the region's edge, which
 * is uninterruptible, so it can see the interruption there. If it is this region's alone, the
 * region removes it from the fiber (`FiberRef.interruptedCause`) and fails with
 * `TimeoutExceeded`; anyone else's interruption (an outer deadline, a cancelled task) goes on.
 */
const runInline = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  deadline: DeadlineImpl
): Effect.Effect<A, E | Deadline.TimeoutExceeded, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime<A, E | Deadline.TimeoutExceeded, R>((fiber) => {
      if (deadline.expired || deadline.effectiveAt() <= deadline.clock.unsafeCurrentTimeMillis()) {
        deadline.expire()
        return Effect.fail(deadline.error())
      }
      const id = regionId()
      let timedOut = false
      const onFire = () => {
        if (timedOut) return
        timedOut = true
        timeline.unsafeMarkFiber(fiber, `deadline "${deadline.label}" fired`, "deadline")
        fiber.unsafeInterruptAsFork(id)
      }
      const inherited = fiber.getFiberRef(currentStack)
      const own = inherited.owner === fiber.id()
      const stack = own ? inherited : new DeadlineStack(fiber.id(), inherited.items.slice())
      stack.items.push(deadline)
      deadline.listen(onFire)
      const body = Effect.flatMap(
        Effect.exit(restore(self)),
        (exit): Effect.Effect<A, E | Deadline.TimeoutExceeded> => {
          stack.items.splice(stack.items.lastIndexOf(deadline), 1)
          deadline.unlisten(onFire)
          if (!timedOut) return exit
          // Someone else interrupted this fiber too: that interruption wins and goes on.
          if (interruptedByOthers(fiber.getFiberRef(FiberRef.interruptedCause), id)) return exit
          // Errors raised while unwinding (a failing finalizer) are kept beside the timeout.
          const others = Exit.isFailure(exit) ?
            [...Cause.failures(exit.cause)].map(Cause.fail).concat([...Cause.defects(exit.cause)].map(Cause.die)) :
            []
          const timeout = Effect.failCause(
            others.reduce<Cause.Cause<E | Deadline.TimeoutExceeded>>(Cause.parallel, Cause.fail(deadline.error()))
          )
          return Effect.zipRight(FiberRef.set(FiberRef.interruptedCause, Cause.empty), timeout)
        }
      )
      return own ? body : Effect.zipRight(FiberRef.set(currentStack, stack), body)
    })
  )

const interruptedByOthers = (cause: Cause.Cause<never>, id: FiberId.FiberId): boolean =>
  Cause.reduce(
    cause,
    false,
    (found, c) => found || (c._tag === "Interrupt" && c.fiberId !== id) ? Option.some(true) : Option.none()
  )

/**
 * Runs `self` in a child fiber under `deadline`. Everything happens in one async
 * callback: the child is started there (inheriting the caller's context, fiber refs
 * and interruptibility), and the caller is resumed either by the child's exit or by
 * the deadline's timer, which interrupts the child directly. No second fiber races it.
 */
const runWithin = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  deadline: DeadlineImpl,
  cleanup: Deadline.CleanupMode
): Effect.Effect<A, E | Deadline.TimeoutExceeded, R> =>
  Effect.withFiberRuntime<A, E | Deadline.TimeoutExceeded, R>((parent, status) => {
    if (deadline.expired || deadline.effectiveAt() <= deadline.clock.unsafeCurrentTimeMillis()) {
      deadline.expire()
      return Effect.fail(deadline.error())
    }
    return Effect.async<A, E | Deadline.TimeoutExceeded>((resume) => {
      const parentId = parent.id()
      const parentContext = parent.currentContext
      const runtime = Runtime.make({
        context: parentContext as Context.Context<R>,
        fiberRefs: parent.getFiberRefs(),
        runtimeFlags: status.runtimeFlags
      })
      let timedOut = false
      let resumed = false
      const stack = new DeadlineStack(undefined, [...parent.getFiberRef(currentStack).items, deadline])
      const child = Runtime.runFork(runtime)(self, {
        updateRefs: (refs, fiberId) => FiberRefs.updateAs(refs, { fiberId, fiberRef: currentStack, value: stack })
      })
      const onFire = () => {
        if (timedOut) return
        timedOut = true
        timeline.unsafeMarkFiber(child, `deadline "${deadline.label}" fired`, "deadline")
        child.unsafeInterruptAsFork(parentId)
        if (cleanup === "detach" && !resumed) {
          resumed = true
          deadline.unlisten(onFire)
          resume(Effect.fail(deadline.error()))
        }
      }
      child.addObserver((exit) => {
        deadline.unlisten(onFire)
        if (resumed) return
        resumed = true
        // Like Effect.timeout, a successful child hands its FiberRef changes back to the caller.
        if (!timedOut) return resume(Exit.isSuccess(exit) ? Effect.zipRight(child.inheritAll, exit) : exit)
        resume(
          Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause) ?
            Effect.failCause(Cause.parallel(Cause.fail(deadline.error()), exit.cause)) :
            Effect.fail(deadline.error())
        )
      })
      if (!resumed) deadline.listen(onFire)
      // The caller was interrupted (e.g. by an outer deadline): stop the child too.
      return Effect.suspend(() => {
        deadline.unlisten(onFire)
        resumed = true
        child.unsafeInterruptAsFork(parentId)
        return cleanup === "detach" ? Effect.void : Effect.asVoid(child.await)
      })
    })
  })

const run = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  deadline: DeadlineImpl,
  cleanup: Deadline.CleanupMode
): Effect.Effect<A, E | Deadline.TimeoutExceeded, R> =>
  cleanup === "wait" ? runInline(self, deadline) : runWithin(self, deadline, cleanup)

const make_ = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  label: string,
  after: Duration.Duration
): DeadlineImpl => {
  const clock = clockOf(fiber)
  const now = clock.unsafeCurrentTimeMillis()
  return new DeadlineImpl(label, now, now + Duration.toMillis(after), clock, currentOf(fiber))
}

/** @internal */
export const timeout = dual<
  (options: Deadline.TimeoutOptions) => <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | Deadline.TimeoutExceeded | InvalidArgumentError, R>,
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    options: Deadline.TimeoutOptions
  ) => Effect.Effect<A, E | Deadline.TimeoutExceeded | InvalidArgumentError, R>
>(2, (self, options) => {
  const checked = checkOptions("Deadline.timeout", options, true)
  if (checked instanceof InvalidArgumentError) return Effect.fail(checked)
  return Effect.withFiberRuntime((fiber) => run(self, make_(fiber, checked.label, checked.after), checked.cleanup))
})

/** A timeout whose arguments were checked by the caller (used by other modules). */
export const timeoutUnchecked = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  label: string,
  after: Duration.Duration,
  cleanup: Deadline.CleanupMode
): Effect.Effect<A, E | Deadline.TimeoutExceeded, R> =>
  Effect.withFiberRuntime((fiber) => run(self, make_(fiber, label, after), cleanup))

/** @internal */
export const make = (options: Deadline.MakeOptions): Effect.Effect<Deadline.Deadline, InvalidArgumentError> => {
  const checked = checkOptions("Deadline.make", options, true)
  if (checked instanceof InvalidArgumentError) return Effect.fail(checked)
  return Effect.withFiberRuntime((fiber) => Effect.succeed(make_(fiber, checked.label, checked.after)))
}

/** @internal */
export const isDeadline = (u: unknown): u is Deadline.Deadline => Predicate.hasProperty(u, TypeId)

/** @internal */
export const isTimeoutExceeded = (u: unknown): u is Deadline.TimeoutExceeded =>
  Predicate.hasProperty(u, TimeoutExceededTypeId)

const notADeadline = (operation: string, value: unknown) =>
  new InvalidArgumentError({
    operation,
    argument: "deadline",
    expected: "a Deadline from Deadline.make",
    actual: value
  })

/** @internal */
export const within = dual<
  (deadline: Deadline.Deadline, options?: Deadline.WithinOptions) => <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | Deadline.TimeoutExceeded | InvalidArgumentError, R>,
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    deadline: Deadline.Deadline,
    options?: Deadline.WithinOptions
  ) => Effect.Effect<A, E | Deadline.TimeoutExceeded | InvalidArgumentError, R>
>((args) => Effect.isEffect(args[0]), (self, deadline, options) => {
  if (!isDeadline(deadline)) return Effect.fail(notADeadline("Deadline.within", deadline))
  const cleanup = options?.cleanup ?? "wait"
  const problem = validate.firstProblem(validate.oneOf("Deadline.within", "cleanup", cleanupModes, cleanup))
  if (problem) return Effect.fail(problem)
  return run(self, deadline as DeadlineImpl, cleanup)
})

const moveBy = (operation: string, sign: 1 | -1) =>
  dual<
    (by: Duration.DurationInput) => (self: Deadline.Deadline) => Effect.Effect<boolean, InvalidArgumentError>,
    (self: Deadline.Deadline, by: Duration.DurationInput) => Effect.Effect<boolean, InvalidArgumentError>
  >(2, (self, by) => {
    if (!isDeadline(self)) return Effect.fail(notADeadline(operation, self))
    const amount = decodeDuration(operation, "by", by, false)
    if (amount instanceof InvalidArgumentError) return Effect.fail(amount)
    return Effect.sync(() => {
      const d = self as DeadlineImpl
      return d.move(d.at + sign * Duration.toMillis(amount))
    })
  })

/** @internal */
export const extend = moveBy("Deadline.extend", 1)

/** @internal */
export const shorten = moveBy("Deadline.shorten", -1)

/** @internal */
export const reschedule = dual<
  (after: Duration.DurationInput) => (self: Deadline.Deadline) => Effect.Effect<boolean, InvalidArgumentError>,
  (self: Deadline.Deadline, after: Duration.DurationInput) => Effect.Effect<boolean, InvalidArgumentError>
>(2, (self, after) => {
  if (!isDeadline(self)) return Effect.fail(notADeadline("Deadline.reschedule", self))
  const amount = decodeDuration("Deadline.reschedule", "after", after, true)
  if (amount instanceof InvalidArgumentError) return Effect.fail(amount)
  return Effect.sync(() => {
    const d = self as DeadlineImpl
    return d.move(d.clock.unsafeCurrentTimeMillis() + Duration.toMillis(amount))
  })
})

/** @internal */
export const remaining = (self: Deadline.Deadline): Effect.Effect<Duration.Duration, InvalidArgumentError> => {
  if (!isDeadline(self)) return Effect.fail(notADeadline("Deadline.remaining", self))
  return Effect.sync(() => {
    const d = self as DeadlineImpl
    if (d.expired) return Duration.zero
    const at = d.effectiveAt()
    return at === Infinity ? Duration.infinity : Duration.millis(Math.max(0, at - d.clock.unsafeCurrentTimeMillis()))
  })
}

/** @internal */
export const current: Effect.Effect<Option.Option<Deadline.Deadline>> = Effect.withFiberRuntime((fiber) =>
  Effect.succeed(Option.fromNullable(currentOf(fiber)))
)

/** @internal */
export const currentRemaining: Effect.Effect<Duration.Duration> = Effect.flatMap(
  current,
  Option.match({
    onNone: () => Effect.succeed(Duration.infinity),
    onSome: (d) => Effect.orDie(remaining(d))
  })
)

/** @internal */
export const statistics = (self: Deadline.Deadline): Effect.Effect<Deadline.Statistics, InvalidArgumentError> =>
  isDeadline(self) ?
    Effect.sync(() => statisticsOf(self as DeadlineImpl)) :
    Effect.fail(notADeadline("Deadline.statistics", self))
