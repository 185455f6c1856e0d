import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as crypto from "node:crypto"
import { loadLesson } from "../_shared/lesson.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

describe("lesson 11: offload", () => {
  it.live("hashPasswords gives the right keys and leaves the event loop free", () =>
    Effect.gen(function*() {
      const passwords = ["hunter2", "correct horse", "battery staple", "tr0ub4dor"]
      const expected = passwords.map((p) =>
        crypto.pbkdf2Sync(p, "lesson-11", lesson.ITERATIONS, 32, "sha256").toString("hex")
      )
      // A timer that can only tick when the event loop is free.
      let ticks = 0
      const timer = setInterval(() => ticks++, 1)
      const before = ticks
      const keys = yield* lesson.hashPasswords(passwords).pipe(Effect.ensuring(Effect.sync(() => clearInterval(timer))))
      assert.deepStrictEqual(keys, expected)
      assert.isAbove(ticks - before, 0, "the timer never ticked: the hashing blocked the event loop")
    }))

  it.effect("countPrimesCooperatively is right and lets another fiber run between chunks", () =>
    Effect.gen(function*() {
      let ticks = 0
      const ticker = yield* Effect.fork(Effect.forever(Effect.zipRight(Effect.sync(() => ticks++), Effect.yieldNow())))
      const before = ticks
      const count = yield* lesson.countPrimesCooperatively(20_000, 1_000)
      const during = ticks - before
      yield* Fiber.interrupt(ticker)
      assert.strictEqual(count, 2262)
      assert.isAtLeast(during, 10, "another fiber should get a turn after each of the 20 chunks")
    }))
})
