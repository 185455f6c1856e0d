import { assert, describe, it } from "@effect/vitest"
import { BackgroundTasks, InvalidArgument } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"

// Records every log line with its level and Cause, so tests can prove a failure was reported.
const captureLogs = () => {
  const logs: Array<{ level: string; message: string; cause: Cause.Cause<unknown> }> = []
  const logger = Logger.make(({ cause, logLevel, message }) => {
    logs.push({ level: logLevel.label, message: [message].flat().join(" "), cause })
  })
  return { logs, layer: Logger.replace(Logger.defaultLogger, logger) }
}

describe("BackgroundTasks", () => {
  it.effect("a failing task is logged with its Cause, counted and kept", () => {
    const { layer, logs } = captureLogs()
    return Effect.gen(function*() {
      const tasks = yield* BackgroundTasks.make({ gracePeriod: "1 second", label: "follow-ups" })
      yield* BackgroundTasks.fork(tasks, Effect.delay(Effect.fail("smtp down"), "10 millis"), { name: "email" })
      yield* BackgroundTasks.fork(tasks, Effect.delay(Effect.void, "10 millis"), { name: "audit" })
      yield* TestClock.adjust("10 millis")
      yield* BackgroundTasks.awaitEmpty(tasks)
      const errors = logs.filter((l) => l.level === "ERROR")
      assert.strictEqual(errors.length, 1)
      assert.match(errors[0]!.message, /background task "email" failed/)
      assert.deepStrictEqual(Cause.failureOption(errors[0]!.cause), Option.some("smtp down"))
      const stats = yield* BackgroundTasks.statistics(tasks)
      assert.deepStrictEqual([stats.started, stats.succeeded, stats.failed, stats.running], [2, 1, 1, 0])
      const failures = yield* BackgroundTasks.failures(tasks)
      assert.deepStrictEqual(failures.map((f) => f.name), ["email"])
    }).pipe(Effect.scoped, Effect.provide(layer))
  })

  it.effect("closing the scope waits for tasks that finish within the grace period", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const tasks = yield* BackgroundTasks.make({ gracePeriod: "100 millis" }).pipe(Scope.extend(scope))
      const done: Array<string> = []
      yield* BackgroundTasks.fork(tasks, Effect.delay(Effect.sync(() => done.push("receipt")), "50 millis"), {
        name: "receipt"
      })
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* Effect.yieldNow()
      assert.isTrue(Option.isNone(yield* Fiber.poll(closing)), "close waits")
      yield* TestClock.adjust("50 millis")
      yield* Fiber.join(closing)
      assert.deepStrictEqual(done, ["receipt"])
      const report = yield* BackgroundTasks.shutdown(tasks)
      assert.deepStrictEqual(report.finishedInGrace, ["receipt"])
      assert.deepStrictEqual(report.interrupted, [])
    }))

  it.effect("tasks still running after the grace period are interrupted, named and logged", () => {
    const { layer, logs } = captureLogs()
    return Effect.gen(function*() {
      const scope = yield* Scope.make()
      const tasks = yield* BackgroundTasks.make({ gracePeriod: "100 millis" }).pipe(Scope.extend(scope))
      const interrupted: Array<string> = []
      yield* BackgroundTasks.fork(
        tasks,
        Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => interrupted.push("reindex")))),
        { name: "reindex" }
      )
      yield* BackgroundTasks.fork(tasks, Effect.sleep("30 millis"), { name: "quick" })
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* TestClock.adjust("99 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(closing)), "still inside the grace period")
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(closing)
      assert.deepStrictEqual(interrupted, ["reindex"])
      const report = yield* BackgroundTasks.shutdown(tasks)
      assert.deepStrictEqual(report.interrupted, ["reindex"])
      assert.deepStrictEqual(report.finishedInGrace, ["quick"])
      assert.isTrue(logs.some((l) => l.level === "WARN" && /interrupted: reindex/.test(l.message)))
      const stats = yield* BackgroundTasks.statistics(tasks)
      assert.deepStrictEqual([stats.running, stats.interrupted, stats.succeeded], [0, 1, 1], "no fiber left")
    }).pipe(Effect.provide(layer))
  })

  it.scoped("no new task once shutdown has begun", () =>
    Effect.gen(function*() {
      const tasks = yield* BackgroundTasks.make({ gracePeriod: 0, label: "jobs" })
      yield* BackgroundTasks.shutdown(tasks)
      const error = yield* Effect.flip(BackgroundTasks.fork(tasks, Effect.void, { name: "late" }))
      assert.strictEqual(error._tag, "BackgroundTasksClosedError")
      assert.match(error.message, /cannot start background task "late": BackgroundTasks "jobs" is shutting down/)
    }))

  it.scoped("a bad grace period is an InvalidArgumentError", () =>
    Effect.gen(function*() {
      for (const gracePeriod of [-1, Number.NaN, "soon", Infinity]) {
        const error = yield* Effect.flip(BackgroundTasks.make({ gracePeriod: gracePeriod as never }))
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error))
        assert.match(error.message, /BackgroundTasks.make: gracePeriod must be a finite duration/)
      }
    }))

  it.effect("the broken way for contrast: a forkDaemon fiber outlives its scope", () =>
    Effect.gen(function*() {
      let leaked: Fiber.RuntimeFiber<never> | undefined
      yield* Effect.scoped(Effect.gen(function*() {
        leaked = yield* Effect.forkDaemon(Effect.never)
      }))
      assert.isTrue(Option.isNone(yield* Fiber.poll(leaked!)), "still running after its scope closed")
      yield* Fiber.interrupt(leaked!)
    }))
})
