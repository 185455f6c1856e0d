import { assert, describe, it } from "@effect/vitest"
import { Deadline } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"
import { Api } from "./api.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

// A fake API on the TestClock: report "<n>ms" answers after n ms, "hang" never does.
const fakeApi = () => {
  const interrupted: Array<string> = []
  const call = <A>(name: string, ms: number, value: A) =>
    (ms === Infinity ? Effect.never : Effect.as(Effect.sleep(ms), value)).pipe(
      Effect.onInterrupt(() => Effect.sync(() => interrupted.push(name)))
    )
  const layer = Layer.succeed(Api, {
    report: (id) => call(id, id === "hang" ? Infinity : Number.parseInt(id), { id, pages: 3 }),
    exportStart: call("exportStart", 250, "job-1"),
    exportFinish: (jobId) => call("exportFinish", 250, `${jobId} exported`)
  })
  return { interrupted, layer }
}

const timeoutLabel = (exit: Exit.Exit<unknown, unknown>) => {
  const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
  assert.isTrue(Deadline.isTimeoutExceeded(error), `expected a TimeoutExceeded, got ${String(exit)}`)
  return (error as Deadline.TimeoutExceeded).label
}

describe("lesson 03: timeouts", () => {
  it.effect("fetchReport returns a report that answers in time", () => {
    const api = fakeApi()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.fetchReport("150ms"))
      yield* TestClock.adjust("150 millis")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { id: "150ms", pages: 3 })
    }).pipe(Effect.provide(api.layer))
  })

  it.effect("fetchReport gives up on a hanging call at 200 ms with a labelled TimeoutExceeded", () => {
    const api = fakeApi()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.exit(lesson.fetchReport("hang")))
      yield* TestClock.adjust("199 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "not before 200 ms")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(timeoutLabel(yield* Fiber.join(fiber)), "report hang")
      assert.deepStrictEqual(api.interrupted, ["hang"], "the hanging call was interrupted")
    }).pipe(Effect.provide(api.layer))
  })

  it.effect("fetchAllReports: one deadline for the group; every fetch still running is interrupted", () => {
    const api = fakeApi()
    return Effect.gen(function*() {
      // Alone, each of these fits in 500 ms... except together they must also finish by 500 ms.
      const fiber = yield* Effect.fork(Effect.exit(lesson.fetchAllReports(["100ms", "400ms", "800ms", "hang"])))
      yield* TestClock.adjust("500 millis")
      assert.strictEqual(timeoutLabel(yield* Fiber.join(fiber)), "all reports")
      assert.sameMembers(api.interrupted, ["800ms", "hang"])
    }).pipe(Effect.provide(api.layer))
  })

  it.effect("fetchAllReports returns every report when the group fits the budget", () => {
    const api = fakeApi()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.fetchAllReports(["300ms", "450ms"]))
      yield* TestClock.adjust("450 millis")
      assert.deepStrictEqual((yield* Fiber.join(fiber)).map((r) => r.id), ["300ms", "450ms"])
    }).pipe(Effect.provide(api.layer))
  })

  it.effect("runExport finishes at 500 ms thanks to the extension (300 ms alone would not do)", () => {
    const api = fakeApi()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.runExport)
      yield* TestClock.adjust("300 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "still running past the first 300 ms")
      yield* TestClock.adjust("200 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "job-1 exported")
    }).pipe(Effect.provide(api.layer))
  })
})
