import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"
import { Api, ApiError } from "./api.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

// A fake API: each call takes `ms` of TestClock time and records when it is interrupted.
const fakeApi = (options: { readonly failOrders?: boolean; readonly delays?: Record<string, number> } = {}) => {
  const interrupted: Array<string> = []
  const call = <A>(route: string, ms: number, value: A, fail = false) =>
    Effect.sleep(ms).pipe(
      Effect.zipRight(fail ? Effect.fail(new ApiError({ route, status: 500 })) : Effect.succeed(value)),
      Effect.onInterrupt(() => Effect.sync(() => interrupted.push(route)))
    )
  const delay = (id: string) => options.delays?.[id] ?? 0
  const layer = Layer.succeed(Api, {
    user: (id) => call("user", 100 + delay(id), { id, name: `User ${id}` }),
    orders: (id) =>
      call("orders", options.failOrders ? 50 : 100 + delay(id), [{ id: `${id}-1`, total: 10 }], options.failOrders),
    preferences: () => call("preferences", 100, { theme: "dark" })
  })
  return { interrupted, layer }
}

describe("lesson 01: task groups", () => {
  it.effect("fetchDashboard runs the three calls concurrently", () => {
    const api = fakeApi()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.fetchDashboard("7"))
      yield* TestClock.adjust("99 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "not done before 100 ms")
      yield* TestClock.adjust("1 millis")
      const dashboard = yield* Fiber.join(fiber)
      assert.deepStrictEqual(dashboard.user, { id: "7", name: "User 7" })
      assert.strictEqual(dashboard.orders.length, 1)
      assert.strictEqual(dashboard.preferences.theme, "dark")
    }).pipe(Effect.provide(api.layer))
  })

  it.effect("a failing call interrupts the other two and the error comes out typed", () => {
    const api = fakeApi({ failOrders: true })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.exit(lesson.fetchDashboard("7")))
      yield* TestClock.adjust("50 millis")
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit), "fetchDashboard must fail when orders fails")
      assert.deepStrictEqual(exit, Exit.fail(new ApiError({ route: "orders", status: 500 })))
      assert.sameMembers(api.interrupted, ["user", "preferences"], "siblings must be interrupted, not left running")
    }).pipe(Effect.provide(api.layer))
  })

  it.effect("fetchDashboards keeps the order of the ids, not the order they finish", () => {
    const api = fakeApi({ delays: { a: 30, b: 0, c: 10 } })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.fetchDashboards(["a", "b", "c"]))
      yield* TestClock.adjust("130 millis")
      const dashboards = yield* Fiber.join(fiber)
      assert.deepStrictEqual(dashboards.map((d) => d.user.id), ["a", "b", "c"])
    }).pipe(Effect.provide(api.layer))
  })
})
