import { InvalidArgumentError } from "@fiberkit/core/InvalidArgument"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { monitorEventLoopDelay } from "node:perf_hooks"
import type * as LoopMonitor from "../LoopMonitor.js"

/** @internal */
export class LoopMonitorTag
  extends Context.Tag("@fiberkit/node/LoopMonitor")<LoopMonitorTag, LoopMonitor.LoopMonitor>()
{}

/** @internal */
export const lagHistogram = Metric.histogram(
  "fiberkit_event_loop_lag_ms",
  MetricBoundaries.fromIterable([1, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]),
  "Event-loop delay per sampling interval (the interval's max), in ms"
)

/** @internal */
export const lagMax = Metric.gauge("fiberkit_event_loop_lag_max_ms", {
  description: "The largest event-loop delay seen since the monitor started, in ms"
})

/** @internal */
export const lagP99 = Metric.gauge("fiberkit_event_loop_lag_p99_ms", {
  description: "p99 event-loop delay over the last sampling interval, in ms"
})

const duration = (
  argument: string,
  input: unknown,
  fallback: Duration.DurationInput
): Duration.Duration | InvalidArgumentError => {
  const value = input ?? fallback
  const decoded = typeof value === "number" && !(Number.isFinite(value) && value > 0) ?
    Option.none() :
    Duration.decodeUnknown(value)
  return Option.isSome(decoded) && Duration.isFinite(decoded.value) && Duration.toMillis(decoded.value) > 0 ?
    decoded.value :
    new InvalidArgumentError({
      operation: "LoopMonitor.layer",
      argument,
      expected: "a finite duration greater than 0",
      actual: input
    })
}

/** @internal */
export const make = (options?: LoopMonitor.Options) =>
  Effect.gen(function*() {
    const interval = duration("interval", options?.interval, "1 second")
    const warnAbove = duration("warnAbove", options?.warnAbove, "100 millis")
    if (interval instanceof InvalidArgumentError) return yield* interval
    if (warnAbove instanceof InvalidArgumentError) return yield* warnAbove
    const warnMs = Duration.toMillis(warnAbove)
    // perf_hooks samples the loop every `resolution` ms from libuv's side and keeps a histogram (in ns).
    const histogram = monitorEventLoopDelay({ resolution: 10 })
    yield* Effect.acquireRelease(Effect.sync(() => histogram.enable()), () => Effect.sync(() => histogram.disable()))
    const samples: Array<LoopMonitor.Sample> = []
    let warnings = 0
    let overallMax = 0
    const sample = Effect.gen(function*() {
      // A histogram with no sample yet reports NaN/1e308-ish numbers: skip until it has data.
      if (histogram.count === 0) return
      const max = histogram.max / 1e6
      const p99 = histogram.percentile(99) / 1e6
      const mean = histogram.mean / 1e6
      histogram.reset()
      overallMax = Math.max(overallMax, max)
      const entry: LoopMonitor.Sample = { maxMs: round(max), p99Ms: round(p99), meanMs: round(mean) }
      samples.push(entry)
      if (samples.length > 1000) samples.shift()
      yield* Metric.update(lagHistogram, max)
      yield* Metric.set(lagMax, overallMax)
      yield* Metric.set(lagP99, p99)
      if (max >= warnMs) {
        warnings++
        yield* Effect.logWarning(
          `event loop blocked: delay up to ${round(max)} ms in the last ${Duration.toMillis(interval)} ms (p99 ${
            round(p99)
          } ms, warn above ${warnMs} ms)`
        ).pipe(Effect.annotateLogs({ eventLoopLagMs: round(max) }))
      }
    })
    yield* Effect.forkScoped(Effect.repeat(sample, Schedule.spaced(interval)))
    return LoopMonitorTag.of({
      interval,
      warnAbove,
      samples: Effect.sync(() => samples.slice()),
      sampleNow: sample,
      statistics: Effect.sync(() => ({ samples: samples.length, warnings, maxMs: round(overallMax) }))
    })
  })

const round = (ms: number) => Math.round(ms * 10) / 10

/** @internal */
export const layer = (options?: LoopMonitor.Options) => Layer.scoped(LoopMonitorTag, make(options))
