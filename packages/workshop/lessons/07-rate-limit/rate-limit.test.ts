import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"
import { Geocoder, TooManyRequests } from "./api.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

// A fake geocoder that records the TestClock time of every call; `refuse` lists the call numbers it answers 429.
const fakeGeocoder = (refuse: ReadonlyArray<number> = []) => {
  const calls: Array<number> = []
  const layer = Layer.succeed(Geocoder, {
    lookup: (address) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        calls.push(now)
        return refuse.includes(calls.length) ?
          Effect.fail(new TooManyRequests({ retryAfter: Option.some(Duration.seconds(1)) })) :
          Effect.succeed({ lat: address.length, lon: -address.length })
      })
  })
  return { calls, layer }
}

const addresses = Array.from({ length: 12 }, (_, i) => `${i} Main Street`.padEnd(20 + i, "."))

describe("lesson 07: rate limits", () => {
  it.scoped("geocodeAll lets two through at once, then one every 100 ms", () => {
    const geocoder = fakeGeocoder()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.geocodeAll(addresses))
      yield* TestClock.adjust("999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "12 lookups at 10/s burst 2 finish at 1 s")
      yield* TestClock.adjust("1 millis")
      const results = yield* Fiber.join(fiber)
      assert.deepStrictEqual(results.map((r) => r.lat), addresses.map((a) => a.length))
      assert.deepStrictEqual(geocoder.calls, [0, 0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000])
    }).pipe(Effect.provide(geocoder.layer))
  })

  it.scoped("geocodePolitely pauses everyone for the Retry-After, then carries on from an empty bucket", () => {
    // The fourth call (at 200 ms) is refused with "retry after 1 s".
    const geocoder = fakeGeocoder([4])
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.geocodePolitely(addresses.slice(0, 6)))
      yield* TestClock.adjust("3 seconds")
      const results = yield* Fiber.join(fiber)
      assert.strictEqual(results.length, 6)
      const during = geocoder.calls.filter((t) => t > 200 && t < 1200)
      assert.deepStrictEqual(during, [], "nobody calls while the server asked to wait")
      // 0, 0, 100 succeed; 200 is refused; the pause ends at 1200 with an empty bucket, so one per 100 ms
      // from 1300: the two that were waiting, then the refused one, which queued again behind them.
      assert.deepStrictEqual(geocoder.calls, [0, 0, 100, 200, 1300, 1400, 1500])
    }).pipe(Effect.provide(geocoder.layer))
  })
})
