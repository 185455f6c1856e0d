import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

describe("lesson 17: when async", () => {
  it("cartTotal is a plain function returning a number", () => {
    const total = lesson.cartTotal([{ price: 3, quantity: 2 }, { price: 10, quantity: 1 }])
    assert.strictEqual(total, 16)
    assert.strictEqual(lesson.cartTotal([]), 0)
  })

  it.effect("loadTotals runs 4 calls at a time and keeps the order", () =>
    Effect.gen(function*() {
      let running = 0
      let peak = 0
      const layer = Layer.succeed(lesson.Carts, {
        load: (id) =>
          Effect.acquireUseRelease(
            Effect.sync(() => (peak = Math.max(peak, ++running))),
            () => Effect.as(Effect.sleep("100 millis"), [{ price: Number(id), quantity: 1 }]),
            () => Effect.sync(() => running--)
          )
      })
      const ids = Array.from({ length: 10 }, (_, i) => String(i + 1))
      const fiber = yield* Effect.fork(lesson.loadTotals(ids).pipe(Effect.provide(layer)))
      yield* TestClock.adjust("299 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "10 calls, 4 at a time: 3 rounds of 100 ms")
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* Fiber.join(fiber), ids.map(Number))
      assert.strictEqual(peak, 4)
    }))

  it("chooseTool follows the decision tree", () => {
    const cases: Array<[Parameters<typeof lesson.chooseTool>[0], string]> = [
      [{ kind: "compute", cpuMs: 2 }, "plain function"],
      [{ kind: "compute", cpuMs: 800 }, "worker pool"],
      [{ kind: "network", calls: 20 }, "concurrent effects"],
      [{ kind: "files", files: 200 }, "FileSystem"],
      [{ kind: "blocking-library", hasCallbackTwin: true }, "callback twin"],
      [{ kind: "blocking-library", hasCallbackTwin: false }, "worker pool"]
    ]
    for (const [task, tool] of cases) assert.strictEqual(lesson.chooseTool(task), tool, JSON.stringify(task))
  })
})
