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

// Each region interrupts with an id of its own, so it can tell its own interruption from anyone
// else's. Regions nested on one fiber sit at different depths of its deadline stack, and a region
// never leaves its own interruption behind (it either removes it, or someone else's goes on with
// it and the fiber ends), so one id per depth is enough. Reusing them matters under load: each
// interruption hashes its interruptor's id (`onInterrupt` collects them in a HashSet), and a
// fresh id has no cached hash.
const regionIds: Array<FiberId.FiberId> = []
const regionIdAt = (depth: number): FiberId.FiberId => regionIds[depth] ??= FiberId.make(-1 - depth, 0)

/**
 * One host timer for every deadline on the live clock. Deadlines wait in buckets, one per
 * millisecond of expiry, and a single `setTimeout` is armed for the earliest bucket; when it
 * fires, every deadline whose millisecond has come expires in that one callback. Under load
 * (W4: 1000 timeouts of 10 ms, most of them in the same few milliseconds) this replaces a host
 * timer per deadline, with its allocation, its async-hooks bookkeeping and its own turn of the
 * timers phase, by a push into an array; cancelling is a swap-remove.
 *
 * Host timers may fire up to a millisecond before `Date.now()` reaches the time they were set
 * for; re-arming for that millisecond would push the expiry to a later turn of the event loop,
 * which under load can be very late. So when the timer fires, the bucket it was armed for is due.
 */
class TimerWheel {
  private readonly buckets = new Map<number, Array<DeadlineImpl>>()
  /** Bucket keys, a binary min-heap; a key whose bucket emptied stays until it comes up. */
  private readonly keys: Array<number> = []
  private handle: ReturnType<typeof setTimeout> | undefined = undefined
  private armedKey = Number.POSITIVE_INFINITY
  /** Whether the armed timer covers the whole wait (a wait over setTimeout's limit takes steps). */
  private armedFull = true

  add(deadline: DeadlineImpl, at: number): void {
    const key = Math.ceil(at)
    let bucket = this.buckets.get(key)
    if (bucket === undefined) {
      bucket = []
      this.buckets.set(key, bucket)
      heapPush(this.keys, key)
    }
    deadline.wheelBucket = bucket
    deadline.wheelKey = key
    deadline.wheelIndex = bucket.length
    bucket.push(deadline)
    if (key < this.armedKey) this.arm(key, Date.now())
  }

  remove(deadline: DeadlineImpl): void {
    const bucket = deadline.wheelBucket
    if (bucket === undefined) return
    deadline.wheelBucket = undefined
    const last = bucket.pop()!
    if (last !== deadline) {
      bucket[deadline.wheelIndex] = last
      last.wheelIndex = deadline.wheelIndex
    }
    if (bucket.length === 0) {
      this.buckets.delete(deadline.wheelKey)
      // The bucket the timer waits for is gone: wait for the next one, or for nothing at all (an armed
      // host timer would keep the process alive for a deadline nobody listens to any more).
      if (deadline.wheelKey === this.armedKey) this.rearm()
    }
  }

  /** Drops keys whose buckets are gone from the top of the heap and waits for the first live one. */
  private rearm(): void {
    const keys = this.keys
    while (keys.length > 0 && !this.buckets.has(keys[0]!)) heapPop(keys)
    if (keys.length === 0) {
      if (this.handle !== undefined) clearTimeout(this.handle)
      this.handle = undefined
      this.armedKey = Number.POSITIVE_INFINITY
    } else if (keys[0] !== this.armedKey || this.handle === undefined) {
      this.arm(keys[0]!, Date.now())
    }
  }

  private arm(key: number, now: number): void {
    if (this.handle !== undefined) clearTimeout(this.handle)
    this.armedKey = key
    const wait = Math.max(0, key - now)
    this.armedFull = wait <= MAX_TIMER_MS
    this.handle = setTimeout(this.fire, Math.min(wait, MAX_TIMER_MS))
  }

  private readonly fire = (): void => {
    this.handle = undefined
    const due = this.armedFull ? Math.max(this.armedKey, Date.now()) : Date.now()
    this.armedKey = Number.POSITIVE_INFINITY
    const keys = this.keys
    while (keys.length > 0 && keys[0]! <= due) {
      const key = heapPop(keys)
      const bucket = this.buckets.get(key)
      if (bucket === undefined) continue
      this.buckets.delete(key)
      for (const deadline of bucket) deadline.wheelBucket = undefined
      for (const deadline of bucket) deadline.wheelFired()
    }
    if (this.handle === undefined) this.rearm()
  }
}

const heapPush = (heap: Array<number>, value: number): void => {
  let i = heap.push(value) - 1
  while (i > 0) {
    const parent = (i - 1) >> 1
    if (heap[parent]! <= value) break
    heap[i] = heap[parent]!
    i = parent
  }
  heap[i] = value
}

const heapPop = (heap: Array<number>): number => {
  const top = heap[0]!
  const last = heap.pop()!
  if (heap.length > 0) {
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= heap.length) break
      const right = left + 1
      const child = right < heap.length && heap[right]! < heap[left]! ? right : left
      if (heap[child]! >= last) break
      heap[i] = heap[child]!
      i = child
    }
    heap[i] = last
  }
  return top
}

const wheel = new TimerWheel()

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
  /** Where this deadline sits in the timer wheel while armed on the live clock. */
  wheelBucket: Array<DeadlineImpl> | undefined = undefined
  wheelKey = 0
  wheelIndex = 0

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
    if (this.wheelBucket !== undefined) wheel.remove(this)
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
    if (isLiveClock(this.clock)) {
      wheel.add(this, this.at)
    } else {
      const fired = () => {
        this.cancelTimer = undefined
        this.armedFor = Number.NaN
        if (this.clock.unsafeCurrentTimeMillis() >= this.at) this.expire()
        else this.arm()
      }
      // Another clock (TestClock, a custom one): a fiber sleeps on it. It starts at once,
      // so the sleep is registered before this returns and a TestClock adjust sees it.
      const fiber = Effect.runFork(
        Effect.flatMap(this.clock.sleep(Duration.millis(delay)), () => Effect.sync(fired))
      )
      this.cancelTimer = () => fiber.unsafeInterruptAsFork(fiber.id())
    }
  }

  /** Called by the wheel when this deadline's millisecond has come (it has already left the wheel). */
  wheelFired(): void {
    this.armedFor = Number.NaN
    this.expire()
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
 * region removes it from the fiber and fails with `TimeoutExceeded`; anyone else's interruption
 * (an outer deadline, a cancelled task) goes on.
 *
 * The bookkeeping at the edge avoids Effect's structural equality on causes, which was the most
 * expensive step of a timeout under load (see packages/bench/NOTES.md, W4): the interruption is
 * removed with `FiberRef.delete` (setting `Cause.empty` compares the old cause with the new one,
 * which hashes the whole cause, and makes the runtime do the same on the fiber's next
 * interruption), and causes are read with a plain walk instead of `Cause.reduce`.
 */
const runInline = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  deadlineOf: (fiber: Fiber.RuntimeFiber<unknown, unknown>) => DeadlineImpl
): Effect.Effect<A, E | Deadline.TimeoutExceeded, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime<A, E | Deadline.TimeoutExceeded, R>((fiber) => {
      const deadline = deadlineOf(fiber)
      if (deadline.expired || deadline.effectiveAt() <= deadline.clock.unsafeCurrentTimeMillis()) {
        deadline.expire()
        return Effect.fail(deadline.error())
      }
      const inherited = fiber.getFiberRef(currentStack)
      const own = inherited.owner === fiber.id()
      const stack = own ? inherited : new DeadlineStack(fiber.id(), inherited.items.slice())
      const region = new InlineRegion(fiber, deadline, regionIdAt(stack.items.length))
      stack.items.push(deadline)
      deadline.listen(region.onFire)
      const body = Effect.matchCauseEffect(restore(self), {
        onFailure: (cause): Effect.Effect<A, E | Deadline.TimeoutExceeded> => {
          region.leave(stack)
          return region.timedOut ? region.timeout(cause) : Effect.failCause(cause)
        },
        onSuccess: (value): Effect.Effect<A, E | Deadline.TimeoutExceeded> => {
          region.leave(stack)
          // Uninterruptible work that ran past the deadline: the timeout is reported when it ends.
          return region.timedOut ? region.timeout(Cause.empty) : Effect.succeed(value)
        }
      })
      return own ? body : Effect.zipRight(FiberRef.set(currentStack, stack), body)
    })
  )

/** One `runInline` region: its id, its timer callback and what it does at its edge. */
class InlineRegion {
  timedOut = false
  constructor(
    readonly fiber: Fiber.RuntimeFiber<unknown, unknown>,
    readonly deadline: DeadlineImpl,
    readonly id: FiberId.FiberId
  ) {}

  readonly onFire = (): void => {
    if (this.timedOut) return
    this.timedOut = true
    timeline.unsafeMarkFiber(this.fiber, `deadline "${this.deadline.label}" fired`, "deadline")
    this.fiber.unsafeInterruptAsFork(this.id)
  }

  leave(stack: DeadlineStack): void {
    const items = stack.items
    if (items[items.length - 1] === this.deadline) items.pop()
    else items.splice(items.lastIndexOf(this.deadline), 1)
    this.deadline.unlisten(this.onFire)
  }

  /** The region's own interruption becomes `TimeoutExceeded`; errors raised while unwinding stay beside it. */
  timeout<E>(cause: Cause.Cause<E>): Effect.Effect<never, E | Deadline.TimeoutExceeded> {
    // Someone else interrupted this fiber too: that interruption wins and goes on.
    if (interruptedByOthers(this.fiber.getFiberRef(FiberRef.interruptedCause), this.id)) return Effect.failCause(cause)
    const others = failuresAndDefects(cause)
    const error = Cause.fail(this.deadline.error())
    return Effect.zipRight(
      clearInterruption,
      Effect.failCause(
        others === undefined ? error : others.reduce<Cause.Cause<E | Deadline.TimeoutExceeded>>(Cause.parallel, error)
      )
    )
  }
}

const clearInterruption = FiberRef.delete(FiberRef.interruptedCause)

/** Whether `cause` holds an interruption by anyone other than `id`. */
const interruptedByOthers = (cause: Cause.Cause<unknown>, id: FiberId.FiberId): boolean => {
  switch (cause._tag) {
    case "Interrupt":
      return cause.fiberId !== id
    case "Sequential":
    case "Parallel":
      return interruptedByOthers(cause.left, id) || interruptedByOthers(cause.right, id)
    default:
      return false
  }
}

/**
 * The failures and then the defects in `cause`, each as its own cause, in the order `Cause.failures`
 * and `Cause.defects` give them (undefined when there are none: the usual case, which allocates nothing).
 */
const failuresAndDefects = <E>(cause: Cause.Cause<E>): Array<Cause.Cause<E>> | undefined => {
  const failures = collect(cause, "Fail", undefined)
  const defects = collect(cause, "Die", undefined)
  return failures === undefined ? defects : defects === undefined ? failures : failures.concat(defects)
}

const collect = <E>(
  cause: Cause.Cause<E>,
  tag: "Fail" | "Die",
  into: Array<Cause.Cause<E>> | undefined
): Array<Cause.Cause<E>> | undefined => {
  switch (cause._tag) {
    case "Fail":
      if (tag === "Fail") (into ??= []).push(Cause.fail(cause.error))
      return into
    case "Die":
      if (tag === "Die") (into ??= []).push(Cause.die(cause.defect))
      return into
    case "Sequential":
    case "Parallel":
      return collect(cause.right, tag, collect(cause.left, tag, into))
    default:
      return into
  }
}

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
  cleanup === "wait" ? runInline(self, () => deadline) : runWithin(self, deadline, cleanup)

const make_ = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  label: string,
  after: Duration.Duration
): DeadlineImpl => {
  const clock = clockOf(fiber)
  const now = clock.unsafeCurrentTimeMillis()
  return new DeadlineImpl(label, now, now + Duration.toMillis(after), clock, currentOf(fiber))
}

/** `self` under a new deadline of `after` from now. */
const runFresh = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  label: string,
  after: Duration.Duration,
  cleanup: Deadline.CleanupMode
): Effect.Effect<A, E | Deadline.TimeoutExceeded, R> =>
  cleanup === "wait" ?
    runInline(self, (fiber) => make_(fiber, label, after)) :
    Effect.withFiberRuntime((fiber) => runWithin(self, make_(fiber, label, after), cleanup))

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
  return runFresh(self, checked.label, checked.after, checked.cleanup)
})

/** A timeout whose arguments were checked by the caller (used by other modules). */
export const timeoutUnchecked = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  label: string,
  after: Duration.Duration,
  cleanup: Deadline.CleanupMode
): Effect.Effect<A, E | Deadline.TimeoutExceeded, R> => runFresh(self, label, after, cleanup)

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
