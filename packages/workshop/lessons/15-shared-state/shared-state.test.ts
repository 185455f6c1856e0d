import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

// Each approval takes 10 ms of TestClock time; the peak shows whether approvals overlapped.
const approvals = () => {
  let running = 0
  let peak = 0
  const approve = (_: number) =>
    Effect.sync(() => {
      running++
      peak = Math.max(peak, running)
    }).pipe(Effect.zipRight(Effect.sleep("10 millis")), Effect.ensuring(Effect.sync(() => running--)))
  return { approve, peak: () => peak }
}

describe("lesson 15: shared state", () => {
  it.effect("depositAll: the right balance, approvals concurrent", () => {
    const api = approvals()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.depositAll(20, 5, api.approve))
      yield* TestClock.adjust("10 millis")
      const balance = yield* Fiber.join(fiber)
      assert.strictEqual(balance, 100, "no update lost")
      assert.strictEqual(api.peak(), 20, "no lock: all twenty approvals at once")
    })
  })

  it.effect("depositAllLocked: read-approve-write made exclusive", () => {
    const api = approvals()
    return Effect.gen(function*() {
      const account = { balance: 0 }
      const fiber = yield* Effect.fork(lesson.depositAllLocked(account, 20, 5, api.approve))
      yield* TestClock.adjust("190 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "one at a time: twenty approvals take 200 ms")
      yield* TestClock.adjust("10 millis")
      assert.strictEqual(yield* Fiber.join(fiber), 100)
      assert.strictEqual(account.balance, 100)
      assert.strictEqual(api.peak(), 1)
    })
  })
})
