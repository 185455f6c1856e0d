/**
 * What asyncio's debug mode gives you, for Effect programs, without a platform
 * dependency (the event-loop lag monitor, which needs `perf_hooks`, lives in
 * `@fiberkit/node`'s `LoopMonitor`):
 *
 * - **slow operations**: `warnIfSlow` logs a warning, with the operation's
 *   name or span, when an effect is still running after a threshold and again
 *   with its duration when it ends; the result is untouched. It reads the
 *   Effect `Clock`, so it is tested with `TestClock`.
 * - **blocking calls**: a `Monitor` is a `Supervisor` that times every run
 *   slice of every fiber it supervises (the time a fiber runs before it waits
 *   or yields). A slice over the threshold is synchronous work hogging the
 *   thread: asyncio's "Executing <Task> took 0.2 seconds" (slow callback).
 * - **fiber dump**: the same monitor lists the live fibers with their id,
 *   parent, status, span and age, printable on demand (`formatDump`).
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as internal from "./internal/diagnostics.js"
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
 * A blocking-call detector and fiber registry, installed with `supervise`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Monitor {
  readonly [TypeId]: TypeId
  readonly blockingThreshold: Duration.Duration
}

/**
 * @since 0.1.0
 * @category models
 */
export interface MonitorOptions {
  /** A run slice at least this long is reported (default 100 ms, asyncio's `slow_callback_duration`). */
  readonly blockingThreshold?: Duration.DurationInput | undefined
  /** Called synchronously for each event, e.g. to print it at once. */
  readonly onBlocking?: ((event: BlockingEvent) => void) | undefined
}

/**
 * One run slice that kept the thread busy longer than the threshold.
 *
 * @since 0.1.0
 * @category models
 */
export interface BlockingEvent {
  readonly fiber: string
  /** The fiber's span path when the slice ended, outermost first (`"request-6 > http.client GET"`), if any. */
  readonly span: string | undefined
  readonly durationMs: number
  readonly thresholdMs: number
}

/**
 * One line of a fiber dump.
 *
 * @since 0.1.0
 * @category models
 */
export interface FiberInfo {
  readonly id: string
  readonly parent: string | undefined
  readonly status: "running" | "suspended"
  /** The current span path, outermost first. */
  readonly span: string | undefined
  /** Since the fiber started (real time). */
  readonly ageMs: number
  /** How many times it has run so far. */
  readonly slices: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Statistics {
  readonly started: number
  readonly ended: number
  readonly live: number
  readonly blockingEvents: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SlowOptions {
  /** Warn when the effect runs at least this long. */
  readonly threshold: Duration.DurationInput
  /** Shown in the warning; defaults to the current span's name, then "operation". */
  readonly name?: string | undefined
}

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Diagnostics } from "@fiberkit/core"
 *
 * const program = Effect.map(Diagnostics.makeMonitor(), Diagnostics.isMonitor) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isMonitor: (u: unknown) => u is Monitor = internal.isMonitor

/**
 * Creates a monitor. Bad options fail with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Diagnostics } from "@fiberkit/core"
 *
 * const program = Diagnostics.makeMonitor({
 *   blockingThreshold: "50 millis",
 *   onBlocking: (event) => console.warn(`fiber ${event.fiber} blocked for ${event.durationMs} ms`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMonitor: (options?: MonitorOptions) => Effect.Effect<Monitor, InvalidArgumentError> =
  internal.makeMonitor

/**
 * Runs `effect` (and every fiber it forks) under the monitor.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Diagnostics } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const monitor = yield* Diagnostics.makeMonitor({ blockingThreshold: "20 millis" })
 *   yield* Effect.sync(() => {
 *     const end = Date.now() + 30
 *     while (Date.now() < end) {} // a blocking call
 *   }).pipe(Effect.withSpan("parse-report"), Diagnostics.supervise(monitor))
 *   return yield* Diagnostics.blockingEvents(monitor) // one event, span "parse-report"
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const supervise: {
  (monitor: Monitor): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(effect: Effect.Effect<A, E, R>, monitor: Monitor): Effect.Effect<A, E, R>
} = internal.supervise

/**
 * The live fibers seen by the monitor, in id order.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Diagnostics } from "@fiberkit/core"
 *
 * const program = Effect.gen(function*() {
 *   const monitor = yield* Diagnostics.makeMonitor()
 *   yield* Effect.fork(Effect.never.pipe(Effect.withSpan("poller"))).pipe(Diagnostics.supervise(monitor))
 *   yield* Console.log(Diagnostics.formatDump(yield* Diagnostics.fiberDump(monitor)))
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const fiberDump: (monitor: Monitor) => Effect.Effect<ReadonlyArray<FiberInfo>> = internal.fiberDump

/**
 * A fiber dump as printable text, one fiber per line.
 *
 * @example
 * ```ts
 * import { Diagnostics } from "@fiberkit/core"
 *
 * console.log(Diagnostics.formatDump([
 *   { id: "#4", parent: "#1", status: "suspended", span: "poller", ageMs: 1200, slices: 3 }
 * ]))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const formatDump: (fibers: ReadonlyArray<FiberInfo>) => string = internal.formatDump

/**
 * Every blocking slice seen so far.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Diagnostics } from "@fiberkit/core"
 *
 * const program = Effect.flatMap(Diagnostics.makeMonitor(), Diagnostics.blockingEvents)
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const blockingEvents: (monitor: Monitor) => Effect.Effect<ReadonlyArray<BlockingEvent>> = internal.blockingEvents

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Diagnostics } from "@fiberkit/core"
 *
 * const program = Effect.flatMap(Diagnostics.makeMonitor(), Diagnostics.statistics)
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const statistics: (monitor: Monitor) => Effect.Effect<Statistics> = internal.statistics

/**
 * Logs a warning when `effect` is still running after `threshold`, and
 * another with the duration when it ends late; the result is unchanged. The
 * Effect meaning of asyncio debug mode's slow-callback warning, per operation.
 * A bad threshold fails with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Diagnostics } from "@fiberkit/core"
 *
 * const query = Effect.sleep("300 millis").pipe(
 *   Effect.as(42),
 *   Diagnostics.warnIfSlow({ threshold: "100 millis", name: "orders query" })
 * )
 * // logs: slow operation "orders query": still running after 100 millis
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const warnIfSlow: {
  (options: SlowOptions): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidArgumentError, R>
  <A, E, R>(effect: Effect.Effect<A, E, R>, options: SlowOptions): Effect.Effect<A, E | InvalidArgumentError, R>
} = internal.warnIfSlow
