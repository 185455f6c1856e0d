import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Metric from "effect/Metric"
import { LoopMonitor } from "../src/index.js"

const captureLogs = () => {
  const lines: Array<{ level: string; message: string }> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push({ level: logLevel.label, message: [message].flat().join(" ") })
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

// Real synchronous work on the main thread: the event loop cannot turn meanwhile.
const block = (ms: number) =>
  Effect.sync(() => {
    const end = performance.now() + ms
    while (performance.now() < end) {
      // spin
    }
  })

describe("LoopMonitor", () => {
  it.live("a blocked loop shows up as lag: metrics, samples and a warning", () => {
    const { layer, lines } = captureLogs()
    return Effect.gen(function*() {
      const monitor = yield* LoopMonitor.LoopMonitor
      yield* Effect.sleep("120 millis")
      yield* block(300)
      yield* Effect.sleep("150 millis")
      yield* monitor.sampleNow
      const stats = yield* monitor.statistics
      assert.isAtLeast(stats.maxMs, 100, "the 300 ms block is seen as delay over the threshold")
      assert.isAtLeast(stats.warnings, 1)
      assert.isTrue(lines.some((l) => l.level === "WARN" && /event loop blocked: delay up to \d+/.test(l.message)))
      const max = yield* Metric.value(LoopMonitor.lagMax)
      assert.isAtLeast(max.value, 100)
      const histogram = yield* Metric.value(LoopMonitor.lagHistogram)
      assert.isAtLeast(histogram.count, 1)
    }).pipe(
      Effect.provide(
        LoopMonitor.layer({ interval: "100 millis", warnAbove: "100 millis" }).pipe(Layer.provideMerge(layer))
      )
    )
  })

  it.live("an idle loop stays under the threshold: no warning", () => {
    const { layer, lines } = captureLogs()
    return Effect.gen(function*() {
      const monitor = yield* LoopMonitor.LoopMonitor
      yield* Effect.sleep("300 millis")
      const samples = yield* monitor.samples
      assert.isAtLeast(samples.length, 1)
      assert.deepStrictEqual(lines.filter((l) => l.level === "WARN"), [])
    }).pipe(
      Effect.provide(
        LoopMonitor.layer({ interval: "50 millis", warnAbove: "1 second" }).pipe(Layer.provideMerge(layer))
      )
    )
  })

  it.effect("bad options fail the layer with InvalidArgumentError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(LoopMonitor.layer({ interval: 0 })).pipe(Effect.scoped))
      assert.isTrue(InvalidArgument.isInvalidArgumentError(error))
      assert.match(error.message, /LoopMonitor.layer: interval must be a finite duration greater than 0, got 0/)
    }))
})
