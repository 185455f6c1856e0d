/**
 * A timeline shows what a concurrent run actually did, fiber by fiber: when
 * each fiber started and under which parent, when it ran and when it was
 * suspended, what it was waiting for, and how it ended (ok, failed, or
 * interrupted, and by whom). asyncio has task lists (aiomonitor) and trio has
 * text instruments; Effect has spans. None of them draws the fork, the wait
 * and the interrupt on one picture. This module records a run and draws it
 * three ways: a Gantt chart for the terminal, a self-contained HTML/SVG page,
 * and Chrome trace-event JSON for Perfetto or `chrome://tracing`.
 *
 * How it records: `record` runs the effect in a child fiber with an Effect
 * `Supervisor` installed (the same hooks `Supervisor.track` uses), so every
 * fiber it forks, directly or not, gets a lane. Lanes are named by the first
 * span the fiber opens itself (`Effect.withSpan`) or by `Timeline.named`.
 *
 * Cost: off by default. Without a recorder nothing is installed, and
 * `mark`/`phase`/`named` cost one check of a global set. With a recorder, each
 * event is four numbers appended to arrays.
 *
 * Large runs: at most `maxLanes` fibers (default 10,000) get a lane; later
 * fibers are counted by outcome in `overflow`, not drawn. Renderers draw the
 * first lanes in tree order (terminal: 40, HTML: 2,000), summarise the rest
 * in one line, and the terminal chart's top row is a "live fibers" sparkline
 * over every lane, which is how a 100k-fiber fan-out reads.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as Inspectable from "effect/Inspectable"
import type * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import * as internal from "./internal/timeline.js"
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
 * What a fiber was doing: `"pending"` (forked, not yet run), `"running"`
 * (on the event loop) or `"suspended"` (waiting: on a sleep, a Deferred, I/O, a
 * child).
 *
 * @since 0.1.0
 * @category models
 */
export type State = "pending" | "running" | "suspended"

/**
 * How a lane ended; `"running"` if it had not ended when the recording stopped.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = "success" | "failure" | "interrupted" | "running"

/**
 * What a mark says: waiting for a permit or token, queued, in a retry backoff,
 * a deadline fired, an interrupt, or a free note.
 *
 * @since 0.1.0
 * @category models
 */
export type MarkKind = "waiting" | "queued" | "backoff" | "deadline" | "interrupt" | "note"

/**
 * A mark is a point in time, or the `begin`/`end` of a phase (a region).
 *
 * @since 0.1.0
 * @category models
 */
export type MarkPhase = "point" | "begin" | "end"

/**
 * @since 0.1.0
 * @category models
 */
export interface Segment {
  readonly state: State
  readonly fromMs: number
  readonly toMs: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Mark {
  readonly atMs: number
  readonly label: string
  readonly kind: MarkKind
  readonly phase: MarkPhase
}

/**
 * One fiber's row. Times are milliseconds since the recording started.
 * `parent` is the fiber id of the forking fiber when it is recorded too;
 * `interruptedBy` lists the interrupting fiber ids Effect reports.
 *
 * @since 0.1.0
 * @category models
 */
export interface Lane {
  readonly fiber: number
  readonly parent: number | undefined
  readonly depth: number
  readonly label: string
  readonly startMs: number
  readonly endMs: number | undefined
  readonly outcome: Outcome
  readonly interruptedBy: ReadonlyArray<number>
  readonly error?: string
  readonly segments: ReadonlyArray<Segment>
  readonly marks: ReadonlyArray<Mark>
}

/**
 * The raw events, in the order they happened.
 *
 * @since 0.1.0
 * @category models
 */
export type Event =
  | { readonly _tag: "Start"; readonly atMs: number; readonly fiber: number; readonly parent: number | undefined }
  | { readonly _tag: "Resume"; readonly atMs: number; readonly fiber: number }
  | { readonly _tag: "Suspend"; readonly atMs: number; readonly fiber: number }
  | {
    readonly _tag: "End"
    readonly atMs: number
    readonly fiber: number
    readonly outcome: Exclude<Outcome, "running">
    readonly interruptedBy: ReadonlyArray<number>
    readonly error?: string
  }
  | {
    readonly _tag: "Mark"
    readonly atMs: number
    readonly fiber: number
    readonly label: string
    readonly kind: MarkKind
    readonly phase: MarkPhase
  }

/**
 * Fibers started after `maxLanes` lanes were taken: counted, not drawn.
 *
 * @since 0.1.0
 * @category models
 */
export interface Overflow {
  readonly fibers: number
  readonly succeeded: number
  readonly failed: number
  readonly interrupted: number
  /** When each overflow fiber started and (for those that ended) ended: the live-fibers curve counts them. */
  readonly startsMs: ReadonlyArray<number>
  readonly endsMs: ReadonlyArray<number>
}

/**
 * An immutable snapshot of a run. `lanes` are in tree order: each fiber right
 * below its parent, siblings by start time.
 *
 * @since 0.1.0
 * @category models
 */
export interface Recording extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: TypeId
  readonly label: string
  readonly durationMs: number
  readonly lanes: ReadonlyArray<Lane>
  readonly events: ReadonlyArray<Event>
  readonly overflow: Overflow
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Fibers that get a lane; later ones are only counted. Default 10,000. */
  readonly maxLanes?: number
  /** The recording's title. Default `"timeline"`. */
  readonly label?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TextOptions {
  /** Characters per line, e.g. `process.stdout.columns`. Default 100, at least 40. */
  readonly width?: number
  /** Lanes drawn; the rest are summarised in one line. Default 40. */
  readonly maxLanes?: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface HtmlOptions {
  /** Lanes drawn; the rest are summarised. Default 2,000. */
  readonly maxLanes?: number
  /** The page title. Default: the recording's label. */
  readonly title?: string
}

/**
 * `"text"` (terminal chart), `"html"` (HTML/SVG page), `"svg"` (a standalone
 * SVG picture), `"chrome"` (trace-event JSON).
 *
 * @since 0.1.0
 * @category models
 */
export type Format = "text" | "html" | "svg" | "chrome"

/**
 * Where `--timeline <file>` asked for a picture; the format follows the
 * extension (`.html`, `.svg`, `.json`, `.txt`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Target {
  readonly path: string
  readonly format: Format
}

/**
 * The service the layer form provides: a snapshot of everything recorded so far.
 *
 * @since 0.1.0
 * @category models
 */
export interface Recorder {
  readonly snapshot: Effect.Effect<Recording>
  /** Stops recording (the layer's scope also stops it). */
  readonly stop: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category tags
 */
export const Recorder: Context.Tag<Recorder, Recorder> = internal.Recorder

/**
 * Runs `self` in a recorded child fiber and returns its value with the
 * recording. Fails as `self` fails (the recording is then lost: use
 * `recordExit` to keep it).
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.all([
 *   Effect.sleep("20 millis").pipe(Effect.withSpan("a")),
 *   Effect.sleep("10 millis").pipe(Effect.withSpan("b"))
 * ], { concurrency: "unbounded" })
 *
 * Effect.runPromise(Timeline.record(program)).then(([, recording]) => {
 *   console.log(Timeline.toText(recording, { width: 80 }))
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const record: {
  (
    options?: Options
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<readonly [A, Recording], E | InvalidArgumentError, R>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    options?: Options
  ): Effect.Effect<readonly [A, Recording], E | InvalidArgumentError, R>
} = internal.record

/**
 * Like `record`, but never fails because `self` failed: returns its `Exit`
 * beside the recording, which is what you want when the failure is the point.
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 * import { Effect, Exit } from "effect"
 *
 * const program = Effect.fail("boom").pipe(Effect.delay("5 millis"))
 * Effect.runPromise(Timeline.recordExit(program)).then(([exit, recording]) => {
 *   console.log(Exit.isFailure(exit), recording.lanes[0]?.outcome) // true "failure"
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const recordExit: {
  (
    options?: Options
  ): <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<readonly [Exit.Exit<A, E>, Recording], InvalidArgumentError, R>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    options?: Options
  ): Effect.Effect<readonly [Exit.Exit<A, E>, Recording], InvalidArgumentError, R>
} = internal.recordExit

/**
 * The layer form: installs the recording supervisor for every fiber forked by
 * the program the layer is provided to, and provides `Recorder` to take
 * snapshots. Recording stops when the layer's scope closes.
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 * import { Effect, Fiber } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const fiber = yield* Effect.fork(Effect.sleep("5 millis"))
 *   yield* Fiber.join(fiber)
 *   const recorder = yield* Timeline.Recorder
 *   return yield* recorder.snapshot
 * })
 *
 * Effect.runPromise(Effect.provide(program, Timeline.layer())).then((recording) =>
 *   console.log(recording.lanes.length)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options?: Options) => Layer.Layer<Recorder, InvalidArgumentError> = internal.layer

/**
 * Adds a point mark to the current fiber's lane in every active recording.
 * With no recording active it does nothing (one set-size check). For
 * primitives: "deadline fired", "interrupted by group".
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 * import { Effect } from "effect"
 *
 * const step = Effect.zipRight(Timeline.mark("cache miss", "note"), Effect.sleep("1 millis"))
 * ```
 *
 * @since 0.1.0
 * @category marks
 */
export const mark: (label: string, kind?: MarkKind) => Effect.Effect<void, InvalidArgumentError> = internal.mark

/**
 * `mark` for synchronous code that holds a fiber (callbacks, observers).
 * Throws `InvalidArgumentError` on a bad label or kind.
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.withFiberRuntime((fiber) => {
 *   Timeline.unsafeMark(fiber, "callback fired")
 *   return Effect.void
 * })
 * ```
 *
 * @since 0.1.0
 * @category marks
 */
export const unsafeMark: (fiber: Fiber.RuntimeFiber<any, any>, label: string, kind?: MarkKind) => void =
  internal.unsafeMark

/**
 * Draws `self` as a region on the current fiber's lane (begin and end marks,
 * the end also on failure or interruption): "waiting for a permit", "queued",
 * "retry backoff".
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 * import { Effect } from "effect"
 *
 * const backoff = Effect.sleep("100 millis").pipe(Timeline.phase("retry backoff", "backoff"))
 * ```
 *
 * @since 0.1.0
 * @category marks
 */
export const phase: {
  (
    label: string,
    kind: MarkKind
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidArgumentError, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, label: string, kind: MarkKind): Effect.Effect<A, E | InvalidArgumentError, R>
} = internal.phase

/**
 * Names the lane of the fiber that runs `self` (a span name is used otherwise).
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 * import { Effect } from "effect"
 *
 * const worker = Effect.fork(Effect.sleep("1 second").pipe(Timeline.named("heartbeat")))
 * ```
 *
 * @since 0.1.0
 * @category marks
 */
export const named: {
  (label: string): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidArgumentError, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, label: string): Effect.Effect<A, E | InvalidArgumentError, R>
} = internal.named

/**
 * True while at least one recording is active: lets a primitive skip building
 * a mark's label when nobody records.
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 *
 * console.log(Timeline.isActive()) // false
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const isActive: () => boolean = internal.isRecording

/**
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 *
 * console.log(Timeline.isRecording({})) // false
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isRecording: (u: unknown) => u is Recording = internal.isRecording_

/**
 * The terminal Gantt chart: one lane per fiber, nested under its parent, a
 * glyph per state (`█` running, `─` suspended, `·` not yet run, `▒` waiting,
 * `░` queued, `≈` backoff, `!` deadline, `↯` interrupt, `◆` mark; `✓` `✗` `⊘`
 * for the outcome), fitted to `width`. Throws `InvalidArgumentError` on bad options.
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 * import { Effect } from "effect"
 *
 * Effect.runPromise(Timeline.record(Effect.sleep("5 millis"))).then(([, recording]) =>
 *   console.log(Timeline.toText(recording, { width: 60 }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category renderers
 */
export const toText: (recording: Recording, options?: TextOptions) => string = internal.toText

/**
 * A self-contained HTML page with an SVG chart (no script, no network): lanes
 * nested under their parents with fork connectors, a colour per state, a time
 * axis in ms, and hover details (label, times, outcome) on every lane and bar.
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 * import { Effect } from "effect"
 *
 * Effect.runPromise(Timeline.record(Effect.sleep("5 millis"))).then(([, recording]) =>
 *   console.log(Timeline.toHtml(recording).startsWith("<!doctype html>")) // true
 * )
 * ```
 *
 * @since 0.1.0
 * @category renderers
 */
export const toHtml: (recording: Recording, options?: HtmlOptions) => string = internal.toHtml

/**
 * The chart of `toHtml` as a standalone SVG file (styles inside, title and
 * summary on top): for a README or a slide. Hover titles work where the
 * viewer shows SVG titles.
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 * import { Effect } from "effect"
 *
 * Effect.runPromise(Timeline.record(Effect.sleep("5 millis"))).then(([, recording]) =>
 *   console.log(Timeline.toSvg(recording).startsWith("<svg")) // true
 * )
 * ```
 *
 * @since 0.1.0
 * @category renderers
 */
export const toSvg: (recording: Recording, options?: HtmlOptions) => string = internal.toSvg

/**
 * Chrome trace-event JSON: one thread per fiber (sorted in tree order), a
 * complete event per state, flow arrows for forks, instant events for marks
 * and ends. Open it in https://ui.perfetto.dev or `chrome://tracing`.
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 * import { Effect } from "effect"
 *
 * Effect.runPromise(Timeline.record(Effect.sleep("5 millis"))).then(([, recording]) =>
 *   console.log(JSON.parse(Timeline.toChromeTrace(recording)).traceEvents.length > 0) // true
 * )
 * ```
 *
 * @since 0.1.0
 * @category renderers
 */
export const toChromeTrace: (recording: Recording) => string = internal.toChromeTrace

/**
 * Renders in the given format, failing with `InvalidArgumentError` on bad input.
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 * import { Effect } from "effect"
 *
 * const program = Timeline.record(Effect.sleep("5 millis")).pipe(
 *   Effect.flatMap(([, recording]) => Timeline.render(recording, "html"))
 * )
 * ```
 *
 * @since 0.1.0
 * @category renderers
 */
export const render: (
  recording: Recording,
  format: Format,
  options?: TextOptions & HtmlOptions
) => Effect.Effect<string, InvalidArgumentError> = internal.render_

/**
 * Reads `--timeline <file>` (or `--timeline=<file>`) from command-line
 * arguments. `Right(None)` when absent; `Left` when the flag has no path or an
 * extension other than `.html`, `.svg`, `.json` or `.txt`.
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 *
 * console.log(Timeline.targetFromArgv(["node", "main.js", "--timeline", "run.html"]))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const targetFromArgv: (
  argv: ReadonlyArray<string>
) => Either.Either<Option.Option<Target>, InvalidArgumentError> = internal.targetFromArgv

/**
 * Honours `--timeline <file>` for a program: without the flag it returns the
 * program unchanged (nothing recorded, nothing installed); with it, it records
 * the run, renders it in the format the extension names, hands it to `write`
 * (core has no file system: pass `FileSystem.writeFileString` or `node:fs`),
 * prints where it went, and then ends as the program did.
 *
 * @example
 * ```ts
 * import { Timeline } from "@fiberkit/core"
 * import { Effect } from "effect"
 *
 * const written: Array<string> = []
 * const program = Effect.sleep("5 millis").pipe(
 *   Timeline.fromArgv(["--timeline", "run.json"], (path, contents) => Effect.sync(() => { written.push(path) }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const fromArgv: <E2, R2>(
  argv: ReadonlyArray<string>,
  write: (path: string, contents: string) => Effect.Effect<void, E2, R2>,
  options?: Options
) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | E2 | InvalidArgumentError, R | R2> =
  internal.fromArgv
