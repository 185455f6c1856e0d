import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { loadLesson } from "../_shared/lesson.js"
import { greet } from "./app.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

// Short timeouts: a solution that waits for real time instead of moving the TestClock fails here.
describe("lesson 02: testing effects", () => {
  it.effect("beatsAfter moves the TestClock: 10 beats in 10 (virtual) seconds", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* lesson.beatsAfter(10), 10)
      assert.strictEqual(yield* lesson.beatsAfter(0), 0)
    }), 2_000)

  it.effect("userRepoFixture is a Layer used as a fixture", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* greet("1"), "Hello, Ada!")
      const missing = yield* Effect.flip(greet("2"))
      assert.strictEqual(missing._tag, "UserNotFound")
    }).pipe(Effect.provide(lesson.userRepoFixture({ "1": "Ada" }))), 2_000)

  it.effect("provesTimeout shows the 5 s timeout firing in no real time", () =>
    Effect.gen(function*() {
      assert.isTrue(yield* lesson.provesTimeout)
    }), 2_000)
})
