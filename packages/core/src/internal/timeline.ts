import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import { dual } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as HashSet from "effect/HashSet"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import * as Supervisor from "effect/Supervisor"
import type * as Tracer from "effect/Tracer"
import { InvalidArgumentError } from "../InvalidArgument.js"
import type * as Timeline from "../Timeline.js"
import * as render from "./timelineRender.js"
import * as validate from "./validate.js"

/** @internal */
export const TypeId: Timeline.TypeId = Symbol.for("@fiberkit/core/Timeline") as Timeline.TypeId

/** @internal */
export const markKinds: ReadonlyArray<Timeline.MarkKind> = [
  "waiting",
  "queued",
  "backoff",
  "deadline",
  "interrupt",
  "note"
]

// Event codes, kept in packed integer arrays: a 100k-fiber run records ~400k events.
const START = 0
const RESUME = 1
const SUSPEND = 2
const END = 3
const MARK = 4

interface LaneState {
  readonly index: number
  readonly fiberId: number
  readonly parent: number | undefined
  readonly inheritedSpan: Tracer.AnySpan | undefined
  label: string | undefined
  fallback: string | undefined
  ended: boolean
}

interface MarkRecord {
  readonly label: string
  readonly kind: Timeline.MarkKind
  readonly phase: Timeline.MarkPhase
}

interface EndRecord {
  readonly outcome: Exclude<Timeline.Outcome, "running">
  readonly interruptedBy: ReadonlyArray<number>
  readonly error: string | undefined
}

/**
 * Every recorder that is currently recording. `mark` looks here first: when the set is
 * empty (recording off), a mark costs one size check.
 */
const active = globalValue(Symbol.for("@fiberkit/core/Timeline/active"), () => new Set<RecorderSupervisor>())

/**
 * The supervisor: Effect calls these hooks synchronously from the fiber runtime (onStart and
 * onEnd for each child fiber, onResume/onSuspend around each run of a fiber's loop), so they only
 * append numbers to arrays and never allocate per event beyond that.
 * @internal
 */
export class RecorderSupervisor extends Supervisor.AbstractSupervisor<void> {
  readonly lanes = new Map<Fiber.RuntimeFiber<any, any>, LaneState>()
  readonly laneList: Array<LaneState> = []
  // Parallel arrays: time (ms since origin), code, lane index, payload index (marks/ends).
  readonly times: Array<number> = []
  readonly codes: Array<number> = []
  readonly laneOf: Array<number> = []
  readonly payload: Array<number> = []
  readonly marks: Array<MarkRecord> = []
  readonly ends: Array<EndRecord> = []
  overflow = { fibers: 0, succeeded: 0, failed: 0, interrupted: 0 }
  // Start and end times of overflow fibers: two numbers each, enough for the live-fibers curve.
  readonly overflowStarts: Array<number> = []
  readonly overflowEnds: Array<number> = []
  recording = true
  stoppedAt: number | undefined = undefined
  private readonly origin: number
  private readonly read: () => number

  constructor(clock: Clock.Clock, readonly maxLanes: number, readonly label: string) {
    super()
    // The default live clock answers in BigInt nanoseconds; performance.now() gives the same time
    // for a fraction of the cost. Any other clock (TestClock) is read as it is.
    const perf = (globalThis as { performance?: { now(): number } }).performance
    this.read = clock.constructor === liveClockClass && perf !== undefined ?
      () => perf.now() :
      () => Number(clock.unsafeCurrentTimeNanos()) / 1_000_000
    this.origin = this.read()
  }

  get value(): Effect.Effect<void> {
    return Effect.void
  }

  now(): number {
    return this.read() - this.origin
  }

  push(code: number, lane: number, payload: number): void {
    this.times.push(this.now())
    this.codes.push(code)
    this.laneOf.push(lane)
    this.payload.push(payload)
  }

  override onStart<A, E, R>(
    context: Context.Context<R>,
    _effect: Effect.Effect<A, E, R>,
    parent: Option.Option<Fiber.RuntimeFiber<any, any>>,
    fiber: Fiber.RuntimeFiber<A, E>
  ): void {
    if (!this.recording) return
    if (this.laneList.length >= this.maxLanes) {
      this.overflow.fibers++
      this.overflowStarts.push(this.now())
      return
    }
    const parentFiber = Option.getOrUndefined(parent)
    const parentLane = parentFiber === undefined ? undefined : this.lanes.get(parentFiber)
    const lane: LaneState = {
      index: this.laneList.length,
      fiberId: fiber.id().id,
      parent: parentLane?.index,
      inheritedSpan: context.unsafeMap.get(spanKey) as Tracer.AnySpan | undefined,
      label: undefined,
      fallback: undefined,
      ended: false
    }
    this.laneList.push(lane)
    this.lanes.set(fiber, lane)
    this.push(START, lane.index, parentLane === undefined ? -1 : parentLane.index)
  }

  override onResume<A, E>(fiber: Fiber.RuntimeFiber<A, E>): void {
    const lane = this.lanes.get(fiber)
    if (lane === undefined || !this.recording) return
    this.push(RESUME, lane.index, -1)
  }

  override onSuspend<A, E>(fiber: Fiber.RuntimeFiber<A, E>): void {
    const lane = this.lanes.get(fiber)
    // Effect calls onSuspend after onEnd for the final run of a fiber: nothing to record then.
    if (lane === undefined || lane.ended || !this.recording) return
    if (lane.label === undefined) this.labelFromSpan(lane, fiber)
    this.push(SUSPEND, lane.index, -1)
  }

  override onEnd<A, E>(exit: Exit.Exit<A, E>, fiber: Fiber.RuntimeFiber<A, E>): void {
    const lane = this.lanes.get(fiber)
    if (lane === undefined) {
      // Only fibers started under this supervisor reach here, so a lane-less one is an overflow fiber.
      if (this.recording && this.overflow.fibers > 0) {
        countOverflow(this.overflow, exit)
        this.overflowEnds.push(this.now())
      }
      return
    }
    this.lanes.delete(fiber)
    lane.ended = true
    if (!this.recording) return
    this.ends.push(describeExit(exit))
    this.push(END, lane.index, this.ends.length - 1)
  }

  // The outermost span a fiber opened itself names its lane: `worker 3`, not the `http.client GET`
  // it happens to be inside when it suspends, nor the span it inherited from its parent.
  labelFromSpan(lane: LaneState, fiber: Fiber.RuntimeFiber<any, any>): void {
    let span = (fiber as unknown as { currentSpan?: Tracer.AnySpan }).currentSpan
    if (span === undefined || span === lane.inheritedSpan) return
    for (let depth = 0; depth < 64; depth++) {
      const parent: Tracer.AnySpan | undefined = span._tag === "Span" ? Option.getOrUndefined(span.parent) : undefined
      if (parent === undefined || parent === lane.inheritedSpan) break
      span = parent
    }
    if (span._tag === "Span") lane.label = span.name
  }

  mark(fiber: Fiber.RuntimeFiber<any, any>, label: string, kind: Timeline.MarkKind, phase: Timeline.MarkPhase) {
    const lane = this.lanes.get(fiber)
    if (lane === undefined || !this.recording) return
    this.marks.push({ label, kind, phase })
    this.push(MARK, lane.index, this.marks.length - 1)
  }

  name(fiber: Fiber.RuntimeFiber<any, any>, label: string) {
    const lane = this.lanes.get(fiber)
    if (lane !== undefined) lane.label = label
  }

  stop(): void {
    if (!this.recording) return
    this.stoppedAt = this.now()
    this.recording = false
    active.delete(this)
  }

  snapshot(): Timeline.Recording {
    return buildRecording(this, this.stoppedAt ?? this.now())
  }
}

const liveClockClass = Clock.make().constructor

// The key Effect's tracer stores the current span under (Tracer.ParentSpan).
const spanKey = "effect/ParentSpan"

const countOverflow = (overflow: RecorderSupervisor["overflow"], exit: Exit.Exit<unknown, unknown>) => {
  if (Exit.isSuccess(exit)) overflow.succeeded++
  else if (Cause.isInterruptedOnly(exit.cause)) overflow.interrupted++
  else overflow.failed++
}

const describeExit = (exit: Exit.Exit<unknown, unknown>): EndRecord => {
  if (Exit.isSuccess(exit)) return { outcome: "success", interruptedBy: [], error: undefined }
  if (Cause.isInterruptedOnly(exit.cause)) {
    const ids: Array<number> = []
    for (const id of HashSet.values(Cause.interruptors(exit.cause))) {
      for (const n of HashSet.values(FiberId.ids(id))) ids.push(n)
    }
    return { outcome: "interrupted", interruptedBy: ids.sort((a, b) => a - b), error: undefined }
  }
  return { outcome: "failure", interruptedBy: [], error: firstLine(Cause.pretty(exit.cause)) }
}

const firstLine = (text: string): string => {
  const line = text.split("\n", 1)[0] ?? ""
  return line.length > 200 ? line.slice(0, 197) + "..." : line
}

// ---------------------------------------------------------------------------
// Recording (the immutable snapshot renderers read)
// ---------------------------------------------------------------------------

/** @internal */
export class RecordingImpl implements Timeline.Recording {
  readonly [TypeId]: Timeline.TypeId = TypeId
  constructor(
    readonly label: string,
    readonly durationMs: number,
    readonly lanes: ReadonlyArray<Timeline.Lane>,
    readonly events: ReadonlyArray<Timeline.Event>,
    readonly overflow: Timeline.Overflow
  ) {}
  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return {
      _id: "Timeline.Recording",
      label: this.label,
      durationMs: this.durationMs,
      lanes: this.lanes.length,
      events: this.events.length,
      overflow: this.overflow
    }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

const buildRecording = (rec: RecorderSupervisor, endMs: number): Timeline.Recording => {
  const n = rec.laneList.length
  const fiberIdOf = (index: number) => rec.laneList[index]!.fiberId
  const segments: Array<Array<Timeline.Segment>> = Array.from({ length: n }, () => [])
  const marks: Array<Array<Timeline.Mark>> = Array.from({ length: n }, () => [])
  const startAt = new Array<number>(n).fill(0)
  const stateSince = new Array<number>(n).fill(0)
  const state = new Array<Timeline.State | undefined>(n).fill(undefined)
  const ends: Array<{ at: number; end: EndRecord } | undefined> = new Array(n).fill(undefined)
  const events: Array<Timeline.Event> = []
  const close = (lane: number, at: number) => {
    const current = state[lane]
    if (current !== undefined && at > stateSince[lane]!) {
      const list = segments[lane]!
      const last = list[list.length - 1]
      // A zero-length run between two waits (a wake-up that went straight back to sleep) is one wait.
      if (last !== undefined && last.state === current && last.toMs === stateSince[lane]) {
        list[list.length - 1] = { state: current, fromMs: last.fromMs, toMs: at }
      } else {
        list.push({ state: current, fromMs: stateSince[lane]!, toMs: at })
      }
    }
  }
  const enter = (lane: number, at: number, next: Timeline.State | undefined) => {
    close(lane, at)
    state[lane] = next
    stateSince[lane] = at
  }
  for (let i = 0; i < rec.codes.length; i++) {
    const at = rec.times[i]!
    const lane = rec.laneOf[i]!
    const fiber = fiberIdOf(lane)
    switch (rec.codes[i]) {
      case START: {
        const parentIndex = rec.payload[i]!
        startAt[lane] = at
        enter(lane, at, "pending")
        events.push({ _tag: "Start", atMs: at, fiber, parent: parentIndex < 0 ? undefined : fiberIdOf(parentIndex) })
        break
      }
      case RESUME:
        enter(lane, at, "running")
        events.push({ _tag: "Resume", atMs: at, fiber })
        break
      case SUSPEND:
        enter(lane, at, "suspended")
        events.push({ _tag: "Suspend", atMs: at, fiber })
        break
      case END: {
        const end = rec.ends[rec.payload[i]!]!
        enter(lane, at, undefined)
        ends[lane] = { at, end }
        events.push({
          _tag: "End",
          atMs: at,
          fiber,
          outcome: end.outcome,
          interruptedBy: end.interruptedBy,
          ...(end.error === undefined ? {} : { error: end.error })
        })
        break
      }
      case MARK: {
        const mark = rec.marks[rec.payload[i]!]!
        marks[lane]!.push({ atMs: at, label: mark.label, kind: mark.kind, phase: mark.phase })
        events.push({ _tag: "Mark", atMs: at, fiber, label: mark.label, kind: mark.kind, phase: mark.phase })
        break
      }
    }
  }
  for (let lane = 0; lane < n; lane++) if (ends[lane] === undefined) close(lane, endMs)

  // Lanes in tree order: each fiber right under its parent, siblings by start time.
  const children: Array<Array<number>> = Array.from({ length: n }, () => [])
  const roots: Array<number> = []
  for (const lane of rec.laneList) {
    if (lane.parent === undefined) roots.push(lane.index)
    else children[lane.parent]!.push(lane.index)
  }
  const lanes: Array<Timeline.Lane> = []
  // An explicit stack keeps a deep chain of forks from overflowing the JS stack.
  const stack: Array<[number, number]> = roots.reverse().map((root) => [root, 0])
  while (stack.length > 0) {
    const [index, depth] = stack.pop()!
    const lane = rec.laneList[index]!
    const end = ends[index]
    lanes.push({
      fiber: lane.fiberId,
      parent: lane.parent === undefined ? undefined : fiberIdOf(lane.parent),
      depth,
      label: lane.label ?? lane.fallback ?? `fiber #${lane.fiberId}`,
      startMs: startAt[index]!,
      endMs: end?.at,
      outcome: end?.end.outcome ?? "running",
      interruptedBy: end?.end.interruptedBy ?? [],
      ...(end?.end.error === undefined ? {} : { error: end.end.error }),
      segments: segments[index]!,
      marks: marks[index]!
    })
    const kids = children[index]!
    for (let k = kids.length - 1; k >= 0; k--) stack.push([kids[k]!, depth + 1])
  }
  return new RecordingImpl(rec.label, endMs, lanes, events, {
    ...rec.overflow,
    startsMs: rec.overflowStarts.slice(),
    endsMs: rec.overflowEnds.slice()
  })
}

// ---------------------------------------------------------------------------
// Installing a recorder
// ---------------------------------------------------------------------------

const defaultMaxLanes = 10_000

const checkOptions = (operation: string, options: Timeline.Options | undefined) =>
  validate.firstProblem(
    options?.maxLanes === undefined ? Either.void : validate.positiveInteger(operation, "maxLanes", options.maxLanes),
    options?.label === undefined || typeof options.label === "string" ?
      Either.void :
      validate.invalid(operation, "label", "a string", options.label)
  )

const makeRecorder = (clock: Clock.Clock, options: Timeline.Options | undefined): RecorderSupervisor => {
  const recorder = new RecorderSupervisor(clock, options?.maxLanes ?? defaultMaxLanes, options?.label ?? "timeline")
  active.add(recorder)
  return recorder
}

const isOptionsArgs = (args: IArguments) => Effect.isEffect(args[0])

/** @internal */
export const recordExit = dual<
  (
    options?: Timeline.Options
  ) => <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<readonly [Exit.Exit<A, E>, Timeline.Recording], InvalidArgumentError, R>,
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    options?: Timeline.Options
  ) => Effect.Effect<readonly [Exit.Exit<A, E>, Timeline.Recording], InvalidArgumentError, R>
>(isOptionsArgs, <A, E, R>(self: Effect.Effect<A, E, R>, options?: Timeline.Options) => {
  const problem = checkOptions("Timeline.record", options)
  if (problem !== undefined) return Effect.fail(problem)
  return Effect.flatMap(Effect.clock, (clock) =>
    Effect.suspend(() => {
      const recorder = makeRecorder(clock, options)
      // The effect runs in a child fiber started under the supervisor, so it gets a lane of its own.
      return Effect.supervised(Effect.fork(self), recorder).pipe(
        Effect.flatMap((fiber) => {
          // A span the effect opens still names it; "main" is the fallback.
          const lane = recorder.lanes.get(fiber)
          if (lane !== undefined) lane.fallback = "main"
          return Effect.onInterrupt(Fiber.await(fiber), () => Fiber.interrupt(fiber))
        }),
        Effect.ensuring(Effect.sync(() => recorder.stop())),
        Effect.map((exit) => [exit, recorder.snapshot()] as const)
      )
    }))
})

/** @internal */
export const record = dual<
  (
    options?: Timeline.Options
  ) => <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<readonly [A, Timeline.Recording], E | InvalidArgumentError, R>,
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    options?: Timeline.Options
  ) => Effect.Effect<readonly [A, Timeline.Recording], E | InvalidArgumentError, R>
>(isOptionsArgs, <A, E, R>(self: Effect.Effect<A, E, R>, options?: Timeline.Options) =>
  Effect.flatMap(
    recordExit(self, options),
    ([exit, recording]): Effect.Effect<readonly [A, Timeline.Recording], E> =>
      Exit.isSuccess(exit) ? Effect.succeed([exit.value, recording] as const) : Effect.failCause(exit.cause)
  ))

/** @internal */
export const Recorder = Context.GenericTag<Timeline.Recorder>("@fiberkit/core/Timeline/Recorder")

/** @internal */
export const layer = (options?: Timeline.Options): Layer.Layer<Timeline.Recorder, InvalidArgumentError> =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const problem = checkOptions("Timeline.layer", options)
    if (problem !== undefined) return yield* problem
    const clock = yield* Effect.clock
    const recorder = yield* Effect.acquireRelease(
      Effect.sync(() => makeRecorder(clock, options)),
      (recorder) => Effect.sync(() => recorder.stop())
    )
    const service: Timeline.Recorder = {
      snapshot: Effect.sync(() => recorder.snapshot()),
      stop: Effect.sync(() => recorder.stop())
    }
    return Layer.merge(Supervisor.addSupervisor(recorder), Layer.succeed(Recorder, service))
  }))

// ---------------------------------------------------------------------------
// Marks and names: a size check when nothing records
// ---------------------------------------------------------------------------

/** @internal */
export const isRecording = (): boolean => active.size > 0

/**
 * For fiberkit's own primitives (trusted input, no validation): marks `fiber`'s lane in every
 * recording that has one.
 * @internal
 */
export const unsafeMarkFiber = (
  fiber: Fiber.RuntimeFiber<any, any>,
  label: string,
  kind: Timeline.MarkKind,
  phase: Timeline.MarkPhase = "point"
): void => {
  if (active.size === 0) return
  for (const recorder of active) recorder.mark(fiber, label, kind, phase)
}

const checkMark = (operation: string, label: unknown, kind: unknown): InvalidArgumentError | undefined =>
  validate.firstProblem(
    typeof label === "string" && label.length > 0 ?
      Either.void :
      validate.invalid(operation, "label", "a non-empty string", label),
    validate.oneOf(operation, "kind", markKinds, kind)
  )

/** @internal */
export const mark = (label: string, kind: Timeline.MarkKind = "note"): Effect.Effect<void, InvalidArgumentError> => {
  const problem = checkMark("Timeline.mark", label, kind)
  if (problem !== undefined) return Effect.fail(problem)
  return Effect.withFiberRuntime<void>((fiber) => {
    unsafeMarkFiber(fiber, label, kind, "point")
    return Effect.void
  })
}

/** @internal */
export const unsafeMark = (fiber: Fiber.RuntimeFiber<any, any>, label: string, kind: Timeline.MarkKind = "note") => {
  const problem = checkMark("Timeline.unsafeMark", label, kind)
  if (problem !== undefined) throw problem
  unsafeMarkFiber(fiber, label, kind, "point")
}

/** @internal */
export const unsafePhase = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  label: string,
  kind: Timeline.MarkKind
): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime<A, E, R>((fiber) => {
    if (active.size === 0) return self
    unsafeMarkFiber(fiber, label, kind, "begin")
    return Effect.ensuring(self, Effect.sync(() => unsafeMarkFiber(fiber, label, kind, "end")))
  })

/** @internal */
export const phase = dual<
  (
    label: string,
    kind: Timeline.MarkKind
  ) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidArgumentError, R>,
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    label: string,
    kind: Timeline.MarkKind
  ) => Effect.Effect<A, E | InvalidArgumentError, R>
>(3, (self, label, kind) => {
  const problem = checkMark("Timeline.phase", label, kind)
  return problem !== undefined ? Effect.fail(problem) : unsafePhase(self, label, kind)
})

/** @internal */
export const named = dual<
  (label: string) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidArgumentError, R>,
  <A, E, R>(self: Effect.Effect<A, E, R>, label: string) => Effect.Effect<A, E | InvalidArgumentError, R>
>(2, (self, label) => {
  if (typeof label !== "string" || label.length === 0) {
    return Effect.fail(
      new InvalidArgumentError({
        operation: "Timeline.named",
        argument: "label",
        expected: "a non-empty string",
        actual: label
      })
    )
  }
  return Effect.withFiberRuntime((fiber) => {
    if (active.size !== 0) { for (const recorder of active) recorder.name(fiber, label) }
    return self
  })
})

/** @internal */
export const isRecording_ = (u: unknown): u is Timeline.Recording => Predicate.hasProperty(u, TypeId)

// ---------------------------------------------------------------------------
// Rendering and the `--timeline <file>` flag
// ---------------------------------------------------------------------------

const formats: ReadonlyArray<Timeline.Format> = ["text", "html", "svg", "chrome"]

const checkRender = (operation: string, recording: unknown, options: Timeline.TextOptions | undefined) =>
  validate.firstProblem(
    isRecording_(recording) ? Either.void : validate.invalid(operation, "recording", "a Timeline.Recording", recording),
    options?.width === undefined ? Either.void : validate.positiveInteger(operation, "width", options.width),
    options?.maxLanes === undefined ? Either.void : validate.positiveInteger(operation, "maxLanes", options.maxLanes)
  )

const orThrow = (problem: InvalidArgumentError | undefined) => {
  if (problem !== undefined) throw problem
}

/** @internal */
export const toText = (recording: Timeline.Recording, options?: Timeline.TextOptions): string => {
  orThrow(checkRender("Timeline.toText", recording, options))
  return render.toText(recording, options)
}

/** @internal */
export const toHtml = (recording: Timeline.Recording, options?: Timeline.HtmlOptions): string => {
  orThrow(checkRender("Timeline.toHtml", recording, options))
  return render.toHtml(recording, options)
}

/** @internal */
export const toSvg = (recording: Timeline.Recording, options?: Timeline.HtmlOptions): string => {
  orThrow(checkRender("Timeline.toSvg", recording, options))
  return render.toSvg(recording, options)
}

/** @internal */
export const toChromeTrace = (recording: Timeline.Recording): string => {
  orThrow(checkRender("Timeline.toChromeTrace", recording, undefined))
  return render.toChromeTrace(recording)
}

/** @internal */
export const render_ = (
  recording: Timeline.Recording,
  format: Timeline.Format,
  options?: Timeline.TextOptions & Timeline.HtmlOptions
): Effect.Effect<string, InvalidArgumentError> => {
  const problem = validate.firstProblem(validate.oneOf("Timeline.render", "format", formats, format)) ??
    checkRender("Timeline.render", recording, options)
  if (problem !== undefined) return Effect.fail(problem)
  return Effect.sync(() =>
    format === "text" ?
      render.toText(recording, options) :
      format === "html" ?
      render.toHtml(recording, options) :
      format === "svg" ?
      render.toSvg(recording, options) :
      render.toChromeTrace(recording)
  )
}

const formatOfPath = (path: string): Timeline.Format | undefined => {
  const lower = path.toLowerCase()
  if (lower.endsWith(".html") || lower.endsWith(".htm")) return "html"
  if (lower.endsWith(".svg")) return "svg"
  if (lower.endsWith(".json")) return "chrome"
  if (lower.endsWith(".txt") || lower.endsWith(".log")) return "text"
  return undefined
}

/** @internal */
export const targetFromArgv = (
  argv: ReadonlyArray<string>
): Either.Either<Option.Option<Timeline.Target>, InvalidArgumentError> => {
  const bad = (actual: unknown, expected: string) =>
    Either.left(
      new InvalidArgumentError({ operation: "Timeline.fromArgv", argument: "--timeline", expected, actual })
    )
  if (!Array.isArray(argv) || argv.some((arg) => typeof arg !== "string")) {
    return Either.left(
      new InvalidArgumentError({
        operation: "Timeline.fromArgv",
        argument: "argv",
        expected: "an array of strings",
        actual: argv
      })
    )
  }
  let path: string | undefined = undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--timeline") {
      const next = argv[i + 1]
      if (next === undefined || next.startsWith("--")) return bad(next, "a file path after it")
      path = next
      i++
    } else if (arg.startsWith("--timeline=")) {
      path = arg.slice("--timeline=".length)
    }
  }
  if (path === undefined) return Either.right(Option.none())
  const format = formatOfPath(path)
  if (path.length === 0 || format === undefined) {
    return bad(path, "a file path ending in .html, .svg, .json (Chrome trace) or .txt")
  }
  return Either.right(Option.some({ path, format }))
}

/** @internal */
export const fromArgv = <E2, R2>(
  argv: ReadonlyArray<string>,
  write: (path: string, contents: string) => Effect.Effect<void, E2, R2>,
  options?: Timeline.Options
) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | E2 | InvalidArgumentError, R | R2> => {
  const target = targetFromArgv(argv)
  if (Either.isLeft(target)) return Effect.fail(target.left)
  // Without the flag the program runs exactly as written: no supervisor, no recorder.
  if (Option.isNone(target.right)) return self
  const { format, path } = target.right.value
  return Effect.flatMap(recordExit(self, options), ([exit, recording]) =>
    Effect.zipRight(
      render_(recording, format).pipe(
        Effect.flatMap((contents) => write(path, contents)),
        Effect.zipRight(Console.log(
          `\ntimeline: ${recording.lanes.length} fibers over ${
            Math.round(recording.durationMs)
          } ms written to ${path} (${format})`
        ))
      ),
      exit
    ))
}

/**
 * Used by TaskGroup when it interrupts a task (fail-fast, a failed body, its scope closing), so
 * the lane shows who stopped it.
 * @internal
 */
export const markInterruptedByGroup = (fiber: Fiber.RuntimeFiber<any, any>, group: string | undefined): void => {
  if (active.size === 0) return
  unsafeMarkFiber(
    fiber,
    group === undefined ? "interrupted by its TaskGroup" : `interrupted by TaskGroup "${group}"`,
    "interrupt"
  )
}
