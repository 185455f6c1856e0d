import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"
import type { FetchPage } from "./solution.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

// 5 pages of 10 items (1..50); each fetch takes 10 ms of TestClock time and is recorded.
const fakeCatalogue = () => {
  const fetched: Array<number> = []
  const fetchPage: FetchPage = (page) =>
    Effect.sync(() => {
      fetched.push(page)
      return {
        items: Array.from({ length: 10 }, (_, i) => (page - 1) * 10 + i + 1),
        nextPage: page < 5 ? page + 1 : null
      }
    }).pipe(Effect.delay("10 millis"))
  return { fetched, fetchPage }
}

describe("lesson 12: streams", () => {
  it.effect("catalogue reads every page in order", () =>
    Effect.gen(function*() {
      const api = fakeCatalogue()
      const fiber = yield* Effect.fork(Stream.runCollect(lesson.catalogue(api.fetchPage)))
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(Chunk.toArray(yield* Fiber.join(fiber)), Array.from({ length: 50 }, (_, i) => i + 1))
      assert.deepStrictEqual(api.fetched, [1, 2, 3, 4, 5])
    }))

  it.effect("describeFirst stops early and bounds the lookups", () =>
    Effect.gen(function*() {
      const api = fakeCatalogue()
      let running = 0
      let peak = 0
      const describe = (item: number) =>
        Effect.acquireUseRelease(
          Effect.sync(() => (peak = Math.max(peak, ++running))),
          () => Effect.as(Effect.sleep(`${(item % 4) * 5 + 5} millis`), `item #${item}`),
          () => Effect.sync(() => running--)
        )
      const fiber = yield* Effect.fork(lesson.describeFirst(api.fetchPage, describe, 15, 3))
      yield* TestClock.adjust("1 second")
      const described = yield* Fiber.join(fiber)
      assert.deepStrictEqual(described, Array.from({ length: 15 }, (_, i) => `item #${i + 1}`))
      assert.deepStrictEqual(api.fetched, [1, 2], "15 items live on pages 1 and 2: page 3 must not be fetched")
      assert.strictEqual(peak, 3, "at most 3 lookups at once, and use all 3")
    }))

  it.effect("firstValues closes the generator", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      async function* endless() {
        try {
          for (let i = 0;; i++) yield i
        } finally {
          log.push("closed")
        }
      }
      assert.deepStrictEqual(yield* lesson.firstValues(endless(), 4), [0, 1, 2, 3])
      assert.deepStrictEqual(log, ["closed"], "the generator's finally must run")
    }))
})
