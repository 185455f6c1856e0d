import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

// A fake fetch: 100 ms of TestClock time per id, recording how many run at once.
const fakeFetch = () => {
  let running = 0
  let peak = 0
  const fetch = (id: number) =>
    Effect.sync(() => {
      running++
      peak = Math.max(peak, running)
    }).pipe(
      Effect.zipRight(Effect.sleep("100 millis")),
      Effect.as(`item-${id}`),
      Effect.ensuring(Effect.sync(() => running--))
    )
  return { fetch, peak: () => peak }
}

describe("lesson 13: queues", () => {
  it.effect("processAll: 9 ids, 3 workers, 300 ms, every result", () => {
    const api = fakeFetch()
    return Effect.gen(function*() {
      const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9]
      const fiber = yield* Effect.fork(lesson.processAll(ids, api.fetch))
      yield* TestClock.adjust("299 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "three workers need three rounds of 100 ms")
      yield* TestClock.adjust("1 millis")
      const results = yield* Fiber.join(fiber)
      assert.deepStrictEqual([...results.keys()].sort((a, b) => a - b), ids)
      assert.strictEqual(results.get(7), "item-7")
      assert.strictEqual(api.peak(), 3, "exactly three workers")
    })
  })

  it.effect("stopEarly: discards what is left and accounts for every item", () => {
    const api = fakeFetch()
    return Effect.gen(function*() {
      const ids = Array.from({ length: 30 }, (_, i) => i + 1)
      const fiber = yield* Effect.fork(lesson.stopEarly(ids, api.fetch, "250 millis"))
      yield* TestClock.adjust("250 millis")
      const report = yield* Fiber.join(fiber)
      assert.strictEqual(report.mode, "discard")
      assert.strictEqual(report.processed, 6, "two full rounds of three finished before the stop")
      assert.strictEqual(report.processed + report.discarded, report.offered)
      assert.isAbove(report.discarded, 0)
      assert.isAtMost(report.offered, 3 + 5 + 6, "backpressure: the producer could not run ahead of the workers")
    })
  })
})
