import { assert, describe, it } from "@effect/vitest"
import { Bridge } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { EventEmitter } from "node:events"
import { loadLesson } from "../_shared/lesson.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

const tick = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

describe("lesson 10: bridges", () => {
  it.effect("getJson resolves, and a rejection keeps its cause", () =>
    Effect.gen(function*() {
      const ok = yield* lesson.getJson(async (url) => ({ url }), "/users/1")
      assert.deepStrictEqual(ok, { url: "/users/1" })
      const refused = new TypeError("fetch failed")
      const error = failureOf(yield* Effect.exit(lesson.getJson(() => Promise.reject(refused), "/down")))
      assert.instanceOf(error, Bridge.RejectedError, "the rejection must come out as Bridge.RejectedError")
      assert.strictEqual((error as Bridge.RejectedError).cause, refused)
    }))

  it.effect("interrupting getJson aborts the request", () =>
    Effect.gen(function*() {
      let signal: AbortSignal | undefined
      const fiber = yield* Effect.fork(lesson.getJson((_, init) => {
        signal = init.signal
        return new Promise(() => {})
      }, "/hang"))
      yield* tick
      assert.isDefined(signal, "get must be called with { signal }")
      yield* Fiber.interrupt(fiber)
      assert.isTrue(signal!.aborted, "the request's signal must be aborted on interruption")
    }))

  it.effect("waitForReady gets the event, or times out leaving no listener", () =>
    Effect.gen(function*() {
      const emitter = new EventEmitter()
      const waiting = yield* Effect.fork(lesson.waitForReady(emitter, 1000))
      yield* TestClock.adjust("10 millis")
      emitter.emit("ready", "warm")
      assert.strictEqual(yield* Fiber.join(waiting), "warm")
      const late = yield* Effect.fork(lesson.waitForReady(emitter, 1000))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(late), "timeout")
      assert.strictEqual(emitter.listenerCount("ready"), 0, "the listener must be removed on timeout")
    }))

  it.effect("readLegacy turns the callback's error into a CallbackError", () =>
    Effect.gen(function*() {
      const store: Record<string, string> = { a: "apple" }
      const legacyRead = (key: string, callback: (error: Error | null, value?: string) => void) =>
        setTimeout(() => key in store ? callback(null, store[key]) : callback(new Error(`no key ${key}`)), 1)
      const fiber = yield* Effect.fork(
        Effect.all([lesson.readLegacy(legacyRead, "a"), Effect.exit(lesson.readLegacy(legacyRead, "b"))])
      )
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
      const [value, missing] = yield* Fiber.join(fiber)
      assert.strictEqual(value, "apple")
      assert.instanceOf(failureOf(missing), Bridge.CallbackError)
    }))
})
