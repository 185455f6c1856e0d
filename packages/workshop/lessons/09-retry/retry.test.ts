import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"
import { Busy, Inventory, SoldOut } from "./api.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

type Answer = "busy" | "sold-out" | "ok" | { readonly retryAfterMs: number }

// A fake inventory: each sku answers as scripted, call after call; the TestClock time of every call is recorded.
const fakeInventory = (script: Readonly<Record<string, ReadonlyArray<Answer>>>) => {
  const calls: Record<string, Array<number>> = {}
  const inFlight = { now: 0, peak: 0 }
  const layer = Layer.succeed(Inventory, {
    reserve: (sku) =>
      Effect.gen(function*() {
        const times = (calls[sku] ??= [])
        times.push(yield* Clock.currentTimeMillis)
        const answer = script[sku]?.[times.length - 1] ?? "ok"
        inFlight.peak = Math.max(inFlight.peak, ++inFlight.now)
        yield* Effect.sleep(10).pipe(Effect.ensuring(Effect.sync(() => inFlight.now--)))
        if (answer === "busy") return yield* new Busy({ sku, retryAfter: Option.none() })
        if (answer === "sold-out") return yield* new SoldOut({ sku })
        if (typeof answer === "object") {
          return yield* new Busy({ sku, retryAfter: Option.some(Duration.millis(answer.retryAfterMs)) })
        }
        return { sku, id: `r-${sku}` }
      })
  })
  return { calls, inFlight, layer }
}

describe("lesson 09: retry", () => {
  it.effect("reserveWithRetry backs off 100, 200, 400 ms between attempts", () => {
    const inventory = fakeInventory({ a: ["busy", "busy", "busy"] })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.reserveWithRetry("a"))
      yield* TestClock.adjust(10_000)
      assert.deepStrictEqual(yield* Fiber.join(fiber), { sku: "a", id: "r-a" })
      // Each call takes 10 ms, then the backoff: calls at 0, 10+100, 120+200, 330+400.
      assert.deepStrictEqual(inventory.calls.a, [0, 110, 320, 730])
    }).pipe(Effect.provide(inventory.layer))
  })

  it.effect("after 4 attempts it gives up with the last error and the attempt count", () => {
    const inventory = fakeInventory({ b: ["busy", "busy", "busy", "busy", "busy"] })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.flip(lesson.reserveWithRetry("b")))
      yield* TestClock.adjust(10_000)
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "RetryExhaustedError")
      if (error._tag === "RetryExhaustedError") {
        assert.strictEqual(error.attempts, 4)
        assert.deepStrictEqual(error.lastError, new Busy({ sku: "b", retryAfter: Option.none() }))
      }
      assert.strictEqual(inventory.calls.b!.length, 4)
    }).pipe(Effect.provide(inventory.layer))
  })

  it.effect("SoldOut is not retried", () => {
    const inventory = fakeInventory({ c: ["busy", "sold-out"] })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.exit(lesson.reserveWithRetry("c")))
      yield* TestClock.adjust(10_000)
      assert.deepStrictEqual(yield* Fiber.join(fiber), Exit.fail(new SoldOut({ sku: "c" })))
      assert.strictEqual(inventory.calls.c!.length, 2)
    }).pipe(Effect.provide(inventory.layer))
  })

  it.effect("a Retry-After longer than the backoff is honoured", () => {
    const inventory = fakeInventory({ d: [{ retryAfterMs: 1500 }] })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.reserveWithRetry("d"))
      yield* TestClock.adjust(10_000)
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(inventory.calls.d, [0, 1510])
    }).pipe(Effect.provide(inventory.layer))
  })

  it.effect("reserveMany sorts every sku, at most 3 in flight", () => {
    const inventory = fakeInventory({
      s1: ["busy"],
      s2: ["sold-out"],
      s3: ["busy", "busy", "busy", "busy"],
      s5: ["sold-out"]
    })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.reserveMany(["s1", "s2", "s3", "s4", "s5", "s6"]))
      yield* TestClock.adjust(10_000)
      const report = yield* Fiber.join(fiber)
      assert.deepStrictEqual(report, { reserved: ["s1", "s4", "s6"], soldOut: ["s2", "s5"], gaveUp: ["s3"] })
      assert.strictEqual(inventory.inFlight.peak, 3)
    }).pipe(Effect.provide(inventory.layer))
  })
})
