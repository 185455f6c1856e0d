import { assert, describe, it } from "@effect/vitest"
import { TaskGroup, Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

const recorded = <A, E>(self: Effect.Effect<A, E>, ms: number) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(Timeline.record(self))
    yield* TestClock.adjust(ms)
    return yield* Fiber.join(fiber)
  })

describe("lesson 19: reading a timeline", () => {
  it.effect("stillRunning finds the fiber that outlived its caller", () =>
    Effect.gen(function*() {
      const program = Effect.gen(function*() {
        yield* Effect.forkDaemon(Effect.never.pipe(Timeline.named("forgotten")))
        const done = yield* Effect.fork(Effect.sleep("10 millis").pipe(Timeline.named("finished")))
        yield* Fiber.join(done)
      })
      const [, recording] = yield* recorded(program, 20)
      assert.deepStrictEqual(lesson.stillRunning(recording), ["forgotten"])
    }))

  it.effect("loadOnce: ten workers, one fetch, every worker suspended until it answers", () =>
    Effect.gen(function*() {
      const fetches = yield* Ref.make(0)
      const fetch = Effect.as(Effect.zipRight(Ref.update(fetches, (n) => n + 1), Effect.sleep("100 millis")), "config")
      const program = Effect.gen(function*() {
        const config = yield* lesson.loadOnce(fetch)
        return yield* TaskGroup.runAll(
          Array.from({ length: 10 }, (_, i) => config.pipe(Timeline.named(`worker ${i}`)))
        )
      })
      const [values, recording] = yield* recorded(program, 200)
      assert.deepStrictEqual(values, Array.from({ length: 10 }, () => "config"))
      assert.strictEqual(yield* Ref.get(fetches), 1)
      const workers = recording.lanes.filter((lane) => lane.label.startsWith("worker "))
      assert.strictEqual(workers.length, 10)
      for (const lane of workers) assert.deepStrictEqual([lane.endMs, lane.outcome], [100, "success"])
    }))

  it.effect("withPoller: the poller's lane ends, interrupted, when the work ends", () =>
    Effect.gen(function*() {
      const polls = yield* Ref.make(0)
      const poller = Effect.forever(Effect.zipRight(Ref.update(polls, (n) => n + 1), Effect.sleep("10 millis")))
      const work = Effect.sleep("35 millis").pipe(Effect.as("done"))
      const program = Effect.gen(function*() {
        const result = yield* lesson.withPoller(poller.pipe(Timeline.named("poller"), Effect.orDie), work)
        const atEnd = yield* Ref.get(polls)
        yield* Effect.sleep("50 millis")
        return { result, atEnd, later: yield* Ref.get(polls) }
      })
      const [{ atEnd, later, result }, recording] = yield* recorded(program, 200)
      assert.strictEqual(result, "done")
      assert.strictEqual(atEnd, 4) // at 0, 10, 20 and 30 ms
      assert.strictEqual(later, atEnd, "no poll after the work ended")
      const poller_ = recording.lanes.find((lane) => lane.label === "poller")
      assert.deepStrictEqual([poller_?.endMs, poller_?.outcome], [35, "interrupted"])
      assert.deepStrictEqual(recording.lanes.filter((l) => l.outcome === "running").map((l) => l.label), [])
    }))

  it.effect("withPoller stops the poller when the work fails too", () =>
    Effect.gen(function*() {
      const program = lesson.withPoller(
        Effect.never.pipe(Timeline.named("poller"), Effect.orDie),
        Effect.fail("boom").pipe(Effect.delay("5 millis"))
      )
      const [exit, recording] = yield* Effect.gen(function*() {
        const fiber = yield* Effect.fork(Timeline.recordExit(program))
        yield* TestClock.adjust(10)
        return yield* Fiber.join(fiber)
      })
      assert.deepStrictEqual(exit, Exit.fail("boom"))
      assert.strictEqual(recording.lanes.find((lane) => lane.label === "poller")?.outcome, "interrupted")
    }))

  // Live on purpose: starving the real event loop is the point, and only the order of events is asserted.
  it.live("processInSlices lets a ticker run between slices", () =>
    Effect.gen(function*() {
      const items = Array.from({ length: 400 }, (_, i) => i)
      // About 0.1 ms of real CPU per item: 40 ms in all.
      const step = (n: number) => {
        const end = performance.now() + 0.1
        let x = n
        while (performance.now() < end) x = Math.sqrt(x + 1)
        return n * 2
      }
      const program = Effect.gen(function*() {
        const ticker = yield* Effect.fork(Effect.forever(Effect.sleep("2 millis")).pipe(Timeline.named("ticker")))
        yield* Effect.sleep("3 millis")
        const worker = yield* Effect.fork(lesson.processInSlices(items, step, 20).pipe(Timeline.named("worker")))
        const out = yield* Fiber.join(worker)
        yield* Fiber.interrupt(ticker)
        return out
      })
      const [out, recording] = yield* Timeline.record(program)
      assert.deepStrictEqual(out, items.map((n) => n * 2))
      const id = (label: string) => recording.lanes.find((lane) => lane.label === label)!.fiber
      const [worker, ticker] = [id("worker"), id("ticker")]
      const workerEvents = recording.events.filter((e) => e.fiber === worker)
      const from = recording.events.indexOf(workerEvents[0]!)
      const to = recording.events.indexOf(workerEvents[workerEvents.length - 1]!)
      const tickerRuns = recording.events.slice(from, to).filter((e) => e.fiber === ticker && e._tag === "Resume")
      assert.isAtLeast(workerEvents.filter((e) => e._tag === "Suspend").length, 19, "the worker gave way per slice")
      assert.isAtLeast(tickerRuns.length, 1, "the ticker ran while the worker was busy")
    }))
})
