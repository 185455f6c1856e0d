import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"
import { Catalog, type CatalogError, Invalid, type Item, NotFound, Unavailable } from "./api.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

// A fake catalogue: every fetch takes 100 ms of TestClock time; the outcome of each id is scripted.
const fakeCatalog = (script: Readonly<Record<number, "missing" | "invalid" | "down" | "bug">>) => {
  const calls: Array<number> = []
  const layer = Layer.succeed(Catalog, {
    fetch: (id) =>
      Effect.sync(() => calls.push(id)).pipe(
        Effect.zipRight(Effect.sleep(100)),
        Effect.zipRight<Item, CatalogError, never>(
          script[id] === "missing" ?
            Effect.fail(new NotFound({ id })) :
            script[id] === "invalid" ?
            Effect.fail(new Invalid({ id, reason: "no price" })) :
            script[id] === "down" ?
            Effect.fail(new Unavailable({ id })) :
            script[id] === "bug" ?
            Effect.die(new Error(`bug on ${id}`)) :
            Effect.succeed({ id, name: `item ${id}` })
        )
      )
  })
  return { calls, layer }
}

describe("lesson 08: error groups", () => {
  it.effect("processBatch runs every fetch at once and keeps each outcome beside its id", () => {
    const catalog = fakeCatalog({ 2: "missing", 4: "invalid", 5: "down" })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.processBatch([1, 2, 3, 4, 5]))
      yield* TestClock.adjust(99)
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "not done before 100 ms")
      yield* TestClock.adjust(1)
      const report = yield* Fiber.join(fiber)
      assert.deepStrictEqual(report.ok.map((o) => o.id), [1, 3])
      assert.deepStrictEqual(report.ok[1]!.item, { id: 3, name: "item 3" })
      assert.sameDeepMembers([...report.failed], [
        { id: 2, tag: "NotFound" },
        { id: 4, tag: "Invalid" },
        { id: 5, tag: "Unavailable" }
      ])
    }).pipe(Effect.provide(catalog.layer))
  })

  it.effect("syncCatalog hands every NotFound and every Invalid to its handler", () => {
    const catalog = fakeCatalog({ 2: "missing", 4: "invalid", 6: "missing", 7: "invalid" })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.syncCatalog([1, 2, 3, 4, 5, 6, 7]))
      yield* TestClock.adjust(100)
      const report = yield* Fiber.join(fiber)
      assert.sameMembers([...report.removed], [2, 6])
      assert.sameMembers([...report.quarantined], [4, 7])
      assert.strictEqual(catalog.calls.length, 7, "every id was fetched")
    }).pipe(Effect.provide(catalog.layer))
  })

  it.effect("syncCatalog re-raises every Unavailable and nothing it handled", () => {
    const catalog = fakeCatalog({ 1: "down", 2: "missing", 3: "down", 4: "invalid" })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.exit(lesson.syncCatalog([1, 2, 3, 4, 5])))
      yield* TestClock.adjust(100)
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit), "Unavailable must fail the call")
      const failures = Exit.isFailure(exit) ? Array.from(Cause.failures(exit.cause)) : []
      assert.sameDeepMembers(
        failures,
        [new Unavailable({ id: 1 }), new Unavailable({ id: 3 })],
        "both, not the first only"
      )
    }).pipe(Effect.provide(catalog.layer))
  })

  it.effect("a defect is never swallowed by a failure handler", () => {
    const catalog = fakeCatalog({ 1: "bug", 2: "missing" })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.exit(lesson.syncCatalog([1, 2])))
      yield* TestClock.adjust(100)
      const exit = yield* Fiber.join(fiber)
      const defects = Exit.isFailure(exit) ? Array.from(Cause.defects(exit.cause)) : []
      assert.deepStrictEqual(defects.map((d) => (d as Error).message), ["bug on 1"], "the bug comes out")
    }).pipe(Effect.provide(catalog.layer))
  })
})
