import { assert, describe, it } from "@effect/vitest"
import { TaskGroup } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"

const failuresOf = <E>(exit: Exit.Exit<unknown, E>): Array<E> =>
  Exit.isFailure(exit) ? Chunk.toArray(Cause.failures(exit.cause)) : []

// A task that records that it was interrupted, so tests can prove siblings were cancelled.
const interruptible = (log: Ref.Ref<Array<string>>, name: string, ms: number) =>
  Effect.sleep(ms).pipe(
    Effect.as(name),
    Effect.onInterrupt(() => Ref.update(log, (l) => [...l, `${name} interrupted`]))
  )

describe("TaskGroup", () => {
  it.effect("waits for every task and returns the body's value", () =>
    Effect.gen(function*() {
      const fiber = yield* TaskGroup.run((group) =>
        Effect.gen(function*() {
          const a = yield* TaskGroup.spawn(group, Effect.as(Effect.sleep("100 millis"), "user"))
          const b = yield* TaskGroup.spawn(group, Effect.as(Effect.sleep("100 millis"), "orders"))
          const c = yield* TaskGroup.spawn(group, Effect.as(Effect.sleep("100 millis"), "preferences"))
          return [a, b, c] as const
        })
      ).pipe(Effect.fork)
      yield* TestClock.adjust("99 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "tasks run concurrently, not before 100 ms")
      yield* TestClock.adjust("1 millis")
      const tasks = yield* Fiber.join(fiber)
      const values = yield* Effect.forEach(tasks, TaskGroup.result)
      assert.deepStrictEqual(values, ["user", "orders", "preferences"])
    }))

  it.effect("a task handle can be joined directly", () =>
    Effect.gen(function*() {
      const total = yield* TaskGroup.run((group) =>
        Effect.gen(function*() {
          const one = yield* TaskGroup.spawn(group, Effect.succeed(1))
          const two = yield* TaskGroup.spawn(group, Effect.succeed(2))
          return (yield* TaskGroup.join(one)) + (yield* TaskGroup.join(two))
        })
      )
      assert.strictEqual(total, 3)
    }))

  it.effect("the first failure interrupts siblings and the body", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<Array<string>>([])
      const fiber = yield* TaskGroup.run((group) =>
        Effect.gen(function*() {
          yield* TaskGroup.spawn(group, interruptible(log, "slow", 1000))
          yield* TaskGroup.spawn(group, Effect.delay(Effect.fail("orders 500" as const), "10 millis"))
          yield* Effect.sleep("5 seconds").pipe(
            Effect.onInterrupt(() => Ref.update(log, (l) => [...l, "body interrupted"]))
          )
          return "unreachable"
        })
      ).pipe(Effect.exit, Effect.fork)
      yield* TestClock.adjust("10 millis")
      const exit = yield* Fiber.join(fiber)
      assert.deepStrictEqual(failuresOf(exit), ["orders 500"])
      assert.sameMembers(yield* Ref.get(log), ["slow interrupted", "body interrupted"])
    }))

  it.effect("every failure that happened is kept, not only the first", () =>
    Effect.gen(function*() {
      // b and c cannot be interrupted, so they still fail after a has failed: all three are reported.
      const fiber = yield* TaskGroup.run((group) =>
        Effect.gen(function*() {
          yield* TaskGroup.spawn(group, Effect.delay(Effect.fail("a"), "10 millis"))
          yield* TaskGroup.spawn(group, Effect.uninterruptible(Effect.delay(Effect.fail("b"), "20 millis")))
          yield* TaskGroup.spawn(group, Effect.uninterruptible(Effect.delay(Effect.die("c"), "15 millis")))
        })
      ).pipe(Effect.exit, Effect.fork)
      yield* TestClock.adjust("20 millis")
      const exit = yield* Fiber.join(fiber)
      assert.deepStrictEqual(failuresOf(exit), ["a", "b"])
      assert.isTrue(Exit.isFailure(exit) && Chunk.size(Cause.defects(exit.cause)) === 1)
    }))

  it.effect("a failure during cleanup of an interrupted sibling is kept too", () =>
    Effect.gen(function*() {
      const exit = yield* TaskGroup.run((group) =>
        Effect.gen(function*() {
          yield* TaskGroup.spawn(
            group,
            Effect.never.pipe(Effect.onInterrupt(() => Effect.die("cleanup broke")))
          )
          yield* TaskGroup.spawn(group, Effect.delay(Effect.fail("first"), "1 millis"))
        })
      ).pipe(Effect.exit, Effect.fork)
      yield* TestClock.adjust("1 millis")
      const result = yield* Fiber.join(exit)
      assert.deepStrictEqual(failuresOf(result), ["first"])
      assert.isTrue(Exit.isFailure(result) && Chunk.size(Cause.defects(result.cause)) === 1)
    }))

  it.effect("a failing body cancels its tasks and keeps the body's error", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<Array<string>>([])
      const exit = yield* TaskGroup.run((group) =>
        Effect.gen(function*() {
          yield* TaskGroup.spawn(group, interruptible(log, "task", 1000))
          return yield* Effect.fail("body" as const)
        })
      ).pipe(Effect.exit)
      assert.deepStrictEqual(failuresOf(exit), ["body"])
      assert.deepStrictEqual(yield* Ref.get(log), ["task interrupted"])
    }))

  it.effect("settle mode runs everything and keeps results in spawn order", () =>
    Effect.gen(function*() {
      const fiber = yield* TaskGroup.runAll(
        [
          Effect.as(Effect.sleep("30 millis"), 1),
          Effect.delay(Effect.fail("two"), "10 millis"),
          Effect.as(Effect.sleep("20 millis"), 3)
        ],
        { mode: "settle" }
      ).pipe(Effect.fork)
      yield* TestClock.adjust("30 millis")
      const exits = yield* Fiber.join(fiber)
      assert.deepStrictEqual(exits, [Exit.succeed(1), Exit.fail("two"), Exit.succeed(3)])
    }))

  it.effect("runAll in fail-fast mode returns values in input order, not completion order", () =>
    Effect.gen(function*() {
      const fiber = yield* TaskGroup.runAll([30, 10, 20].map((ms) => Effect.as(Effect.sleep(ms), ms))).pipe(Effect.fork)
      yield* TestClock.adjust("30 millis")
      assert.deepStrictEqual(yield* Fiber.join(fiber), [30, 10, 20])
    }))

  it.effect("settle mode reports failures with labels through failures()", () =>
    Effect.gen(function*() {
      const failures = yield* Effect.scoped(Effect.gen(function*() {
        const group = yield* TaskGroup.make({ mode: "settle" })
        yield* TaskGroup.spawn(group, Effect.fail("x"), { label: "first" })
        yield* TaskGroup.spawn(group, Effect.succeed(1))
        yield* TaskGroup.spawn(group, Effect.fail("y"), { label: "third" })
        yield* TaskGroup.join(group)
        return yield* TaskGroup.failures(group)
      }))
      assert.deepStrictEqual(failures.map((f) => [f.index, f.label]), [[0, "first"], [2, "third"]])
    }))

  it.effect("interrupting the parent interrupts every child", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<Array<string>>([])
      const started = yield* Deferred.make<void>()
      const fiber = yield* TaskGroup.run((group) =>
        Effect.gen(function*() {
          yield* TaskGroup.spawn(group, interruptible(log, "a", 1000))
          yield* TaskGroup.spawn(group, interruptible(log, "b", 1000))
          yield* Deferred.succeed(started, undefined)
          yield* interruptible(log, "body", 1000)
        })
      ).pipe(Effect.fork)
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      // Everything is interrupted by the time the owner's interruption returns.
      assert.sameMembers(yield* Ref.get(log), ["a interrupted", "b interrupted", "body interrupted"])
    }))

  it.effect("no fiber is left running after the scope closes", () =>
    Effect.gen(function*() {
      const tasks: Array<TaskGroup.Task<never>> = []
      yield* Effect.scoped(Effect.gen(function*() {
        const group = yield* TaskGroup.make()
        for (let i = 0; i < 50; i++) tasks.push(yield* TaskGroup.spawn(group, Effect.never))
        assert.strictEqual((yield* TaskGroup.statistics(group)).running, 50)
      }))
      for (const task of tasks) {
        const exit = TaskGroup.poll(task)
        assert.isTrue(Option.isSome(exit) && Exit.isInterrupted(exit.value))
      }
    }))

  it.effect("tasks may spawn tasks; the group waits for all of them", () =>
    Effect.gen(function*() {
      const count = yield* Ref.make(0)
      const fiber = yield* TaskGroup.run((group) => {
        const node = (depth: number): Effect.Effect<void, TaskGroup.TaskGroupClosedError> =>
          Effect.gen(function*() {
            yield* Effect.sleep("1 millis")
            yield* Ref.update(count, (n) => n + 1)
            if (depth < 3) {
              yield* TaskGroup.spawn(group, node(depth + 1))
              yield* TaskGroup.spawn(group, node(depth + 1))
            }
          })
        return TaskGroup.spawn(group, node(0))
      }).pipe(Effect.fork)
      yield* TestClock.adjust("10 millis")
      yield* Fiber.join(fiber)
      assert.strictEqual(yield* Ref.get(count), 15)
    }))

  it.effect("nested groups: an inner failure fails the outer group with both causes kept", () =>
    Effect.gen(function*() {
      const fiber = yield* TaskGroup.run((outer) =>
        TaskGroup.spawn(
          outer,
          TaskGroup.run((inner) =>
            Effect.gen(function*() {
              yield* TaskGroup.spawn(inner, Effect.uninterruptible(Effect.delay(Effect.fail("inner-2"), "1 millis")))
              yield* TaskGroup.spawn(inner, Effect.fail("inner-1"))
            })
          )
        )
      ).pipe(Effect.exit, Effect.fork)
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(failuresOf(yield* Fiber.join(fiber)), ["inner-1", "inner-2"])
    }))

  it.effect("spawning into a closed group is a typed error", () =>
    Effect.gen(function*() {
      const group = yield* Effect.scoped(TaskGroup.make({ label: "gone" }))
      const error = yield* Effect.flip(TaskGroup.spawn(group, Effect.void))
      assert.strictEqual(error._tag, "TaskGroupClosedError")
      assert.strictEqual(error.reason, "closed")
      assert.match(error.message, /TaskGroup "gone".*closed/)
    }))

  it.effect("spawning while the group shuts down after a failure is a typed error", () =>
    Effect.gen(function*() {
      const exit = yield* TaskGroup.run((group) =>
        Effect.gen(function*() {
          yield* TaskGroup.spawn(group, Effect.fail("boom"))
          yield* Effect.yieldNow()
          // The body is interrupted by now; an uninterruptible section still sees the refusal.
          return "not reached"
        }).pipe(
          Effect.zipRight(Effect.never),
          Effect.onInterrupt(() =>
            TaskGroup.spawn(group, Effect.void).pipe(
              Effect.flip,
              Effect.tap((e) => Effect.sync(() => assert.strictEqual(e.reason, "failing"))),
              Effect.orDie
            )
          )
        )
      ).pipe(Effect.exit)
      assert.deepStrictEqual(failuresOf(exit), ["boom"])
    }))

  it.effect("result before completion is a typed error; poll is none", () =>
    Effect.gen(function*() {
      yield* TaskGroup.run((group) =>
        Effect.gen(function*() {
          const task = yield* TaskGroup.spawn(group, Effect.sleep("1 second"), { label: "slow" })
          const error = yield* Effect.flip(TaskGroup.result(task))
          assert.strictEqual(error._tag, "TaskNotDoneError")
          assert.match(error.message, /"slow"/)
          assert.isTrue(Option.isNone(TaskGroup.poll(task)))
          yield* TaskGroup.cancel(task)
        })
      )
    }))

  it.effect("a cancelled task does not fail the group and is counted as interrupted", () =>
    Effect.gen(function*() {
      const stats = yield* TaskGroup.run((group) =>
        Effect.gen(function*() {
          const task = yield* TaskGroup.spawn(group, Effect.never)
          yield* TaskGroup.spawn(group, Effect.succeed(1))
          yield* TaskGroup.cancel(task)
          yield* Effect.yieldNow()
          return group
        })
      ).pipe(Effect.flatMap(TaskGroup.statistics))
      assert.deepStrictEqual(stats, { spawned: 2, running: 0, succeeded: 1, failed: 0, interrupted: 1, peakRunning: 2 })
    }))

  it.effect("statistics count failures in settle mode without interrupting anyone", () =>
    Effect.gen(function*() {
      const group = yield* TaskGroup.run(
        (group) =>
          Effect.gen(function*() {
            for (let i = 0; i < 10; i++) {
              yield* TaskGroup.spawn(group, i % 3 === 0 ? Effect.fail(i) : Effect.delay(Effect.succeed(i), "1 millis"))
            }
            return group
          }),
        { mode: "settle" }
      ).pipe(Effect.fork)
      yield* TestClock.adjust("1 millis")
      const stats = yield* TaskGroup.statistics(yield* Fiber.join(group))
      assert.deepStrictEqual(stats, {
        spawned: 10,
        running: 0,
        succeeded: 6,
        failed: 4,
        interrupted: 0,
        peakRunning: 10
      })
    }))

  it.effect("a bad mode from an untyped caller is rejected with a clear message", () =>
    Effect.gen(function*() {
      const exit = yield* TaskGroup.run(() => Effect.void, { mode: "sometimes" as any }).pipe(Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      assert.match(
        Cause.pretty((exit as Exit.Failure<void, never>).cause),
        /TaskGroup: mode must be "fail-fast" or "settle", got "sometimes"/
      )
    }))

  it.effect("guards recognise groups and tasks", () =>
    TaskGroup.run((group) =>
      Effect.gen(function*() {
        const task = yield* TaskGroup.spawn(group, Effect.void)
        assert.isTrue(TaskGroup.isTaskGroup(group))
        assert.isTrue(TaskGroup.isTask(task))
        assert.isFalse(TaskGroup.isTask(group))
        assert.isFalse(TaskGroup.isTaskGroup({}))
      })
    ))
})
