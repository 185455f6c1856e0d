import { assert, describe, it } from "@effect/vitest"
import { Deadline } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"
import { Driver } from "./api.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

// A fake driver: a query takes as many ms as the number in it ("sleep 30" takes 30 ms); "hang" never answers.
const fakeDriver = () => {
  const state = { next: 0, open: new Set<number>(), peakOpen: 0, inQuery: 0, peakInQuery: 0 }
  const layer = Layer.succeed(Driver, {
    connect: Effect.sync(() => {
      const id = ++state.next
      state.open.add(id)
      state.peakOpen = Math.max(state.peakOpen, state.open.size)
      return { id }
    }),
    close: (conn) => Effect.sync(() => void state.open.delete(conn.id)),
    query: (_conn, sql) =>
      Effect.acquireUseRelease(
        Effect.sync(() => state.peakInQuery = Math.max(state.peakInQuery, ++state.inQuery)),
        () => sql === "hang" ? Effect.never : Effect.as(Effect.sleep(Number(sql.split(" ")[1] ?? 0)), `rows of ${sql}`),
        () => Effect.sync(() => state.inQuery--)
      )
  })
  return { state, layer }
}

describe("lesson 05: resources", () => {
  it.effect("runQuery opens a connection, queries, and closes it, also when interrupted", () => {
    const driver = fakeDriver()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.runQuery("sleep 10"))
      yield* TestClock.adjust("10 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "rows of sleep 10")
      assert.strictEqual(driver.state.open.size, 0)
      const hanging = yield* Effect.fork(lesson.runQuery("hang"))
      yield* TestClock.adjust("10 millis")
      assert.strictEqual(driver.state.open.size, 1)
      yield* Fiber.interrupt(hanging)
      assert.strictEqual(driver.state.open.size, 0, "the connection was closed on interruption")
    }).pipe(Effect.provide(driver.layer))
  })

  it.effect("runAll uses at most 2 connections, keeps the order, and closes them all", () => {
    const driver = fakeDriver()
    return Effect.gen(function*() {
      const queries = ["sleep 30", "sleep 10", "sleep 20", "sleep 10", "sleep 10"]
      const fiber = yield* Effect.fork(lesson.runAll(queries))
      yield* TestClock.adjust("100 millis")
      const rows = yield* Fiber.join(fiber)
      assert.deepStrictEqual(rows, queries.map((q) => `rows of ${q}`))
      assert.strictEqual(driver.state.peakOpen, 2, "never more than 2 connections")
      assert.strictEqual(driver.state.peakInQuery, 2, "and they were used concurrently")
      assert.strictEqual(driver.state.open.size, 0, "all closed")
    }).pipe(Effect.provide(driver.layer))
  })

  it.effect("results: a slow consumer does not eat the producer's budget", () => {
    const driver = fakeDriver()
    return Effect.gen(function*() {
      const seen: Array<string> = []
      // Each query takes 60 ms (< 100); the consumer spends 500 ms on each element.
      const fiber = yield* Effect.fork(
        lesson.results(["sleep 60", "sleep 60", "sleep 60"]).pipe(
          Stream.runForEach((row) => Effect.zipRight(Effect.sleep("500 millis"), Effect.sync(() => seen.push(row))))
        )
      )
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(fiber)
      assert.strictEqual(seen.length, 3)
    }).pipe(Effect.provide(driver.layer))
  })

  it.effect("results: a query over its 100 ms fails the stream with its own label", () => {
    const driver = fakeDriver()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.exit(Stream.runCollect(lesson.results(["sleep 10", "hang", "sleep 10"]))))
      yield* TestClock.adjust("110 millis")
      const exit = yield* Fiber.join(fiber)
      const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
      assert.isTrue(Deadline.isTimeoutExceeded(error), String(exit))
      assert.strictEqual((error as Deadline.TimeoutExceeded).label, "query hang")
      assert.strictEqual(driver.state.open.size, 0, "the hanging query's connection was closed")
    }).pipe(Effect.provide(driver.layer))
  })
})
