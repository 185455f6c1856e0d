/**
 * An event-loop lag monitor: the Node counterpart of asyncio's "the loop was
 * blocked" warnings, built on `perf_hooks.monitorEventLoopDelay` (libuv measures
 * how late its timers fire; no polling fiber of ours has to be scheduled to
 * notice a block). As a scoped service it:
 *
 * - samples the delay histogram every `interval` and resets it;
 * - records Effect `Metric`s: `fiberkit_event_loop_lag_ms` (histogram of each
 *   interval's max), `fiberkit_event_loop_lag_max_ms` and
 *   `fiberkit_event_loop_lag_p99_ms` (gauges);
 * - logs a warning when an interval's max delay reaches `warnAbove`.
 *
 * Pair it with `Diagnostics` from `@fiberkit/core`, whose monitor names the
 * fiber and span that blocked.
 *
 * @since 0.1.0
 */
import type { InvalidArgumentError } from "@fiberkit/core/InvalidArgument"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Metric from "effect/Metric"
import type * as MetricKeyType from "effect/MetricKeyType"
import type * as MetricState from "effect/MetricState"
import * as internal from "./internal/loopMonitor.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How often the histogram is read and reset (default 1 second). */
  readonly interval?: Duration.DurationInput | undefined
  /** Warn when an interval's max delay reaches this (default 100 ms, asyncio's slow-callback threshold). */
  readonly warnAbove?: Duration.DurationInput | undefined
}

/**
 * One interval's delay figures, in ms.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sample {
  readonly maxMs: number
  readonly p99Ms: number
  readonly meanMs: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Statistics {
  readonly samples: number
  readonly warnings: number
  readonly maxMs: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LoopMonitor {
  readonly interval: Duration.Duration
  readonly warnAbove: Duration.Duration
  /** The last (up to 1000) samples, oldest first. */
  readonly samples: Effect.Effect<ReadonlyArray<Sample>>
  /** Take a sample now instead of waiting for the interval (e.g. before printing a summary). */
  readonly sampleNow: Effect.Effect<void>
  readonly statistics: Effect.Effect<Statistics>
}

/**
 * @since 0.1.0
 * @category tags
 */
export const LoopMonitor: typeof internal.LoopMonitorTag = internal.LoopMonitorTag

/**
 * Starts the monitor for the lifetime of the layer. Bad options fail the
 * layer with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { LoopMonitor } from "@fiberkit/node"
 *
 * const program = Effect.gen(function*() {
 *   const monitor = yield* LoopMonitor.LoopMonitor
 *   yield* Effect.sleep("2 seconds")
 *   return yield* monitor.statistics
 * }).pipe(Effect.provide(LoopMonitor.layer({ interval: "500 millis", warnAbove: "50 millis" })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options?: Options) => Layer.Layer<internal.LoopMonitorTag, InvalidArgumentError> = internal.layer

/**
 * Histogram of each interval's max delay, in ms.
 *
 * @since 0.1.0
 * @category metrics
 */
export const lagHistogram: Metric.Metric<
  MetricKeyType.MetricKeyType.Histogram,
  number,
  MetricState.MetricState.Histogram
> = internal.lagHistogram

/**
 * The largest delay since the monitor started, in ms.
 *
 * @since 0.1.0
 * @category metrics
 */
export const lagMax: Metric.Metric.Gauge<number> = internal.lagMax

/**
 * The p99 delay of the last interval, in ms.
 *
 * @since 0.1.0
 * @category metrics
 */
export const lagP99: Metric.Metric.Gauge<number> = internal.lagP99
