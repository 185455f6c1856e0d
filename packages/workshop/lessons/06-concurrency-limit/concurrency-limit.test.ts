import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"
import { Catalog } from "./api.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

// A fake catalogue: each call takes `ms` of TestClock time and counts how many run at once.
const fakeCatalog = (ms: number) => {
  const state = { running: 0, peak: 0, calls: 0 }
  const layer = Layer.succeed(Catalog, {
    product: (id) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          state.calls++
          state.running++
          state.peak = Math.max(state.peak, state.running)
        }),
        () => Effect.as(ms > 0 ? Effect.sleep(ms) : Effect.yieldNow(), { id, price: id % 10 }),
        () =>
          Effect.sync(() => {
            state.running--
          })
      )
  })
  return { state, layer }
}

describe("lesson 06: concurrency limits", () => {
  it.effect("fetchProducts never has more than `limit` calls in flight, and keeps the order", () => {
    const catalog = fakeCatalog(100)
    return Effect.gen(function*() {
      const ids = Array.from({ length: 25 }, (_, i) => i)
      const fiber = yield* Effect.fork(lesson.fetchProducts(ids, 5))
      yield* TestClock.adjust("499 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "25 calls of 100 ms, 5 at a time: 500 ms")
      yield* TestClock.adjust("1 millis")
      const products = yield* Fiber.join(fiber)
      assert.deepStrictEqual(products.map((p) => p.id), ids)
      assert.strictEqual(catalog.state.peak, 5, "exactly `limit` at once: not more, and not fewer")
    }).pipe(Effect.provide(catalog.layer))
  })

  it.effect("fetchProducts rejects an impossible limit with a typed error instead of hanging", () => {
    const catalog = fakeCatalog(100)
    return Effect.gen(function*() {
      for (const limit of [0, -1, 2.5]) {
        const error = yield* Effect.flip(lesson.fetchProducts([1, 2], limit))
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error), `limit ${limit}`)
      }
      assert.strictEqual(catalog.state.calls, 0)
    }).pipe(Effect.provide(catalog.layer))
  })

  it.effect("totalPrice streams 200,000 products through 20 workers", () => {
    const catalog = fakeCatalog(0)
    return Effect.gen(function*() {
      const total = yield* lesson.totalPrice(200_000)
      // Prices are id % 10: every block of ten adds 45.
      assert.strictEqual(total, 900_000)
      assert.strictEqual(catalog.state.calls, 200_000)
      assert.isAtMost(catalog.state.peak, 20)
    }).pipe(Effect.provide(catalog.layer))
  }, { timeout: 60_000 })
})
