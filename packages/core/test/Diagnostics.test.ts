import { assert, describe, it } from "@effect/vitest"
import { Diagnostics, InvalidArgument } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as TestClock from "effect/TestClock"

const captureLogs = () => {
  const lines: Array<{ level: string; message: string }> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push({ level: logLevel.label, message: [message].flat().join(" ") })
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

// Real synchronous work: the thread can do nothing else meanwhile.
const busy = (ms: number) =>
  Effect.sync(() => {
    const end = performance.now() + ms
    let spins = 0
    while (performance.now() < end) spins++
    return spins
  })

describe("Diagnostics.warnIfSlow", () => {
  it.effect("warns while a slow operation runs and when it ends, keeping its result", () => {
    const { layer, lines } = captureLogs()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Effect.sleep("250 millis").pipe(
          Effect.as(42),
          Diagnostics.warnIfSlow({ threshold: "100 millis", name: "orders query" })
        )
      )
      yield* TestClock.adjust("99 millis")
      assert.deepStrictEqual(lines, [])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(lines.map((l) => l.level), ["WARN"])
      assert.match(lines[0]!.message, /slow operation "orders query": still running after 100 ms/)
      yield* TestClock.adjust("150 millis")
      assert.strictEqual(yield* Fiber.join(fiber), 42)
      assert.match(lines[1]!.message, /slow operation "orders query" took 250 ms \(threshold 100 ms\)/)
    }).pipe(Effect.provide(layer))
  })

  it.effect("is silent under the threshold, names the span by default, and keeps failures", () => {
    const { layer, lines } = captureLogs()
    return Effect.gen(function*() {
      const quick = yield* Effect.fork(
        Effect.sleep("50 millis").pipe(Diagnostics.warnIfSlow({ threshold: "100 millis" }))
      )
      yield* TestClock.adjust("200 millis")
      yield* Fiber.join(quick)
      assert.deepStrictEqual(lines, [], "no warning, and the watcher was stopped")

      const failing = yield* Effect.fork(
        Effect.delay(Effect.fail("timeout from db"), "150 millis").pipe(
          Diagnostics.warnIfSlow({ threshold: "100 millis" }),
          Effect.withSpan("db.load"),
          Effect.flip
        )
      )
      yield* TestClock.adjust("150 millis")
      assert.strictEqual(yield* Fiber.join(failing), "timeout from db")
      assert.match(lines[0]!.message, /slow operation "db.load"/)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a bad threshold is an InvalidArgumentError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.void.pipe(Diagnostics.warnIfSlow({ threshold: -5 })))
      assert.isTrue(InvalidArgument.isInvalidArgumentError(error))
      assert.match(error.message, /Diagnostics.warnIfSlow: threshold must be a finite duration/)
    }))
})

describe("Diagnostics.Monitor", () => {
  it.live("catches a blocking call, with its fiber and span; cooperative work is quiet", () =>
    Effect.gen(function*() {
      const seen: Array<Diagnostics.BlockingEvent> = []
      const monitor = yield* Diagnostics.makeMonitor({
        blockingThreshold: "40 millis",
        onBlocking: (e) => seen.push(e)
      })
      // 60 ms of work in 10 ms pieces with a yield between: never one long slice.
      yield* Effect.forEach([1, 2, 3, 4, 5, 6], () => Effect.zipRight(busy(10), Effect.yieldNow())).pipe(
        Diagnostics.supervise(monitor)
      )
      assert.deepStrictEqual(yield* Diagnostics.blockingEvents(monitor), [])
      // Blocks inside its span, then waits (as a handler would on its next I/O): the slice ends in the span.
      yield* Effect.fork(busy(60).pipe(Effect.zipRight(Effect.sleep("1 millis")), Effect.withSpan("parse-report")))
        .pipe(
          Effect.flatMap(Fiber.join),
          Diagnostics.supervise(monitor)
        )
      const events = yield* Diagnostics.blockingEvents(monitor)
      assert.isAtLeast(events.length, 1)
      assert.isTrue(events.some((e) => e.span === "parse-report" && e.durationMs >= 40))
      assert.deepStrictEqual(seen, events, "onBlocking saw the same events")
    }))

  it.effect("the fiber dump lists live fibers with parent, status and span; ended ones leave", () =>
    Effect.gen(function*() {
      const monitor = yield* Diagnostics.makeMonitor()
      const poller = yield* Effect.fork(Effect.never.pipe(Effect.withSpan("poller"))).pipe(
        Diagnostics.supervise(monitor)
      )
      yield* Effect.yieldNow()
      const dump = yield* Diagnostics.fiberDump(monitor)
      const line = dump.find((f) => f.id === `#${poller.id().id}`)
      assert.isDefined(line)
      assert.strictEqual(line!.status, "suspended")
      assert.strictEqual(line!.span, "poller")
      assert.match(Diagnostics.formatDump(dump), /live fiber\(s\)\n.*poller/)
      yield* Fiber.interrupt(poller)
      const after = yield* Diagnostics.fiberDump(monitor)
      assert.isUndefined(after.find((f) => f.id === `#${poller.id().id}`), "an ended fiber is not listed")
      const stats = yield* Diagnostics.statistics(monitor)
      assert.isAtLeast(stats.ended, 1)
    }))

  it.effect("bad monitor options are an InvalidArgumentError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Diagnostics.makeMonitor({ blockingThreshold: "often" as never }))
      assert.match(error.message, /Diagnostics.makeMonitor: blockingThreshold must be a finite duration/)
      const callback = yield* Effect.flip(Diagnostics.makeMonitor({ onBlocking: 1 as never }))
      assert.match(callback.message, /onBlocking must be a function/)
    }))
})
