import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) =>
    void lines.push(`${logLevel.label} ${[message].flat().join(" ")}`)
  )
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

// Synchronous work: nothing else can run on the thread meanwhile.
const busy = (ms: number) =>
  Effect.sync(() => {
    const end = performance.now() + ms
    while (performance.now() < end) {
      // spin
    }
  })

describe("lesson 16: debugging", () => {
  it.effect("watchedFetch warns at 200 ms and keeps the result", () => {
    const { layer, lines } = captureLogs()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.watchedFetch(Effect.as(Effect.sleep("300 millis"), { name: "Ada" })))
      yield* TestClock.adjust("199 millis")
      assert.deepStrictEqual(lines, [])
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(lines.length, 1)
      assert.match(lines[0]!, /^WARN slow operation "profile fetch": still running after 200 ms/)
      yield* TestClock.adjust("100 millis")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { name: "Ada" })
    }).pipe(Effect.provide(layer))
  })

  it.live("findBlocking names the span of the blocking call, not the cooperative one", () =>
    Effect.gen(function*() {
      const events = yield* lesson.findBlocking(
        Effect.all([
          busy(80).pipe(Effect.zipRight(Effect.sleep("1 millis")), Effect.withSpan("resize-image")),
          Effect.forEach([1, 2, 3, 4], () => Effect.zipRight(busy(5), Effect.sleep("1 millis"))).pipe(
            Effect.withSpan("polite-loop")
          )
        ], { concurrency: "unbounded" })
      )
      assert.isTrue(events.some((e) => e.span === "resize-image" && e.durationMs >= 30))
      assert.isFalse(events.some((e) => e.span === "polite-loop"))
    }))
})
