import { assert, describe, it } from "@effect/vitest"
import { Deadline, InvalidArgument, TaskGroup } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"

const failuresOf = (exit: Exit.Exit<unknown, unknown>): Array<unknown> =>
  Exit.isFailure(exit) ? Chunk.toArray(Cause.failures(exit.cause)) : []

const timeoutOf = (exit: Exit.Exit<unknown, unknown>) => {
  const error = failuresOf(exit).find(Deadline.isTimeoutExceeded)
  assert.isDefined(error, `expected a TimeoutExceeded, got ${String(exit)}`)
  return error!
}

const isOpen = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) => Effect.map(Fiber.poll(fiber), Option.isNone)

// Work that takes `ms` and writes to `log` when it ends, is interrupted, or has cleaned up.
const work = (log: Array<string>, name: string, ms: number, cleanupMs = 0) =>
  Effect.sleep(ms).pipe(
    Effect.as(name),
    Effect.onInterrupt(() =>
      Effect.sync(() => log.push(`${name} interrupted`)).pipe(
        Effect.zipRight(Effect.sleep(cleanupMs)),
        Effect.zipRight(Effect.sync(() => log.push(`${name} cleaned up`)))
      )
    )
  )

describe("Deadline.timeout", () => {
  it.effect("returns the value when the work finishes in time", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Deadline.timeout(Effect.as(Effect.sleep("50 millis"), 42), { after: "100 millis" })
      )
      yield* TestClock.adjust("50 millis")
      assert.strictEqual(yield* Fiber.join(fiber), 42)
    }))

  it.effect("fails with TimeoutExceeded naming the operation and its budget, at the deadline and not before", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const fiber = yield* Effect.fork(
        Effect.exit(Deadline.timeout(work(log, "GET /slow", 1000), { after: "100 millis", label: "GET /slow" }))
      )
      yield* TestClock.adjust("99 millis")
      assert.isTrue(yield* isOpen(fiber), "still running at 99 ms")
      yield* TestClock.adjust("1 millis")
      const exit = yield* Fiber.join(fiber)
      const error = timeoutOf(exit)
      assert.strictEqual(error._tag, "TimeoutExceeded")
      assert.strictEqual(error.label, "GET /slow")
      assert.isTrue(Duration.equals(error.after, Duration.millis(100)))
      assert.strictEqual(error.message, "GET /slow did not finish within 100ms")
      assert.deepStrictEqual(log, ["GET /slow interrupted", "GET /slow cleaned up"])
    }))

  it.effect("the work's own failures and defects pass through unchanged", () =>
    Effect.gen(function*() {
      const failed = yield* Effect.exit(Deadline.timeout(Effect.fail("boom" as const), { after: "1 second" }))
      assert.deepStrictEqual(failed, Exit.fail("boom"))
      const died = yield* Effect.exit(Deadline.timeout(Effect.die("bug"), { after: "1 second" }))
      assert.isTrue(Exit.isFailure(died) && Cause.isDie(died.cause))
    }))

  it.effect("an infinite budget never fires; a zero budget fails without starting the work", () =>
    Effect.gen(function*() {
      let started = false
      const zero = yield* Effect.exit(
        Deadline.timeout(Effect.sync(() => started = true), { after: 0, label: "instant" })
      )
      assert.strictEqual(timeoutOf(zero).label, "instant")
      assert.isFalse(started)
      const fiber = yield* Effect.fork(
        Deadline.timeout(Effect.as(Effect.sleep("1 hour"), "late"), { after: Infinity })
      )
      yield* TestClock.adjust("1 hour")
      assert.strictEqual(yield* Fiber.join(fiber), "late")
    }))

  it.effect("interrupting the caller interrupts the work and waits for its cleanup", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const fiber = yield* Effect.fork(Deadline.timeout(work(log, "job", 1000, 30), { after: "500 millis" }))
      yield* TestClock.adjust("10 millis")
      const interrupter = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust("29 millis")
      assert.isTrue(yield* isOpen(interrupter), "the caller waits for the 30 ms cleanup")
      yield* TestClock.adjust("1 millis")
      const exit = yield* Fiber.join(interrupter)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.deepStrictEqual(log, ["job interrupted", "job cleaned up"])
      // The timer was disarmed with the region: nothing fires at 500 ms.
      yield* TestClock.adjust("1 second")
      assert.strictEqual(log.length, 2)
    }))
})

describe("cleanup: wait vs detach", () => {
  // The work needs 50 ms to clean up after being interrupted at the 100 ms deadline.
  const scenario = (cleanup: Deadline.CleanupMode) =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const fiber = yield* Effect.fork(
        Effect.exit(Deadline.timeout(work(log, "upload", 1000, 50), { after: "100 millis", label: "upload", cleanup }))
      )
      yield* TestClock.adjust("100 millis")
      const atDeadline = yield* Fiber.poll(fiber)
      yield* TestClock.adjust("50 millis")
      const exit = yield* Fiber.join(fiber)
      return { atDeadline, exit, log }
    })

  it.effect("wait: the caller fails only once the cleanup has finished", () =>
    Effect.gen(function*() {
      const { atDeadline, exit, log } = yield* scenario("wait")
      assert.isTrue(Option.isNone(atDeadline), "at 100 ms the caller is still waiting for the cleanup")
      assert.strictEqual(timeoutOf(exit).label, "upload")
      assert.deepStrictEqual(log, ["upload interrupted", "upload cleaned up"])
    }))

  it.effect("detach: the caller fails at the deadline while the cleanup finishes in the background", () =>
    Effect.gen(function*() {
      const { atDeadline, exit, log } = yield* scenario("detach")
      assert.isTrue(Option.isSome(atDeadline), "at 100 ms the caller has already failed")
      assert.strictEqual(timeoutOf(Exit.flatten(Option.getOrThrow(atDeadline))).label, "upload")
      assert.strictEqual(timeoutOf(exit).label, "upload")
      // The detached cleanup still ran to its end.
      assert.deepStrictEqual(log, ["upload interrupted", "upload cleaned up"])
    }))

  it.effect("uninterruptible work is not cut short: with wait, the timeout is reported when it ends", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Effect.exit(Deadline.timeout(Effect.uninterruptible(Effect.sleep("300 millis")), { after: "100 millis" }))
      )
      yield* TestClock.adjust("299 millis")
      assert.isTrue(yield* isOpen(fiber))
      yield* TestClock.adjust("1 millis")
      timeoutOf(yield* Fiber.join(fiber))
    }))
})

describe("Deadline with TaskGroup", () => {
  it.effect("an overall deadline interrupts every task of the group", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const fiber = yield* Effect.fork(Effect.exit(
        TaskGroup.runAll([work(log, "a", 50), work(log, "b", 500), work(log, "c", 800)]).pipe(
          Deadline.timeout({ after: "200 millis", label: "fetch all" })
        )
      ))
      yield* TestClock.adjust("200 millis")
      const exit = yield* Fiber.join(fiber)
      assert.strictEqual(timeoutOf(exit).label, "fetch all")
      assert.sameMembers(log, ["b interrupted", "b cleaned up", "c interrupted", "c cleaned up"])
    }))

  it.effect("per-task deadlines: a task over its budget fails the group with its own label", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const perTask = (name: string, ms: number) =>
        Deadline.timeout(work(log, name, ms), { after: "100 millis", label: `task ${name}` })
      const fiber = yield* Effect.fork(Effect.exit(TaskGroup.runAll([perTask("a", 50), perTask("b", 150)])))
      yield* TestClock.adjust("100 millis")
      const exit = yield* Fiber.join(fiber)
      assert.strictEqual(timeoutOf(exit).label, "task b")
      assert.deepStrictEqual(log, ["b interrupted", "b cleaned up"])
      // In settle mode the late task's Exit carries the error and the others keep their values.
      const settled = yield* Effect.fork(TaskGroup.runAll([perTask("c", 50), perTask("d", 150)], { mode: "settle" }))
      yield* TestClock.adjust("100 millis")
      const exits = yield* Fiber.join(settled)
      assert.deepStrictEqual(exits[0], Exit.succeed("c"))
      assert.strictEqual(timeoutOf(exits[1]!).label, "task d")
    }))
})

describe("movable deadlines", () => {
  it.effect("remaining counts down and extend moves the deadline while the work runs", () =>
    Effect.gen(function*() {
      const deadline = yield* Deadline.make({ after: "100 millis", label: "job" })
      const fiber = yield* Effect.fork(Deadline.within(Effect.as(Effect.sleep("150 millis"), "done"), deadline))
      yield* TestClock.adjust("60 millis")
      assert.isTrue(Duration.equals(yield* Deadline.remaining(deadline), Duration.millis(40)))
      assert.isTrue(yield* Deadline.extend(deadline, "100 millis"))
      assert.isTrue(Duration.equals(yield* Deadline.remaining(deadline), Duration.millis(140)))
      yield* TestClock.adjust("50 millis") // 110 ms: past the first deadline, within the moved one
      assert.isTrue(yield* isOpen(fiber))
      yield* TestClock.adjust("40 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "done")
      const stats = yield* Deadline.statistics(deadline)
      assert.deepStrictEqual({ moves: stats.moves, expired: stats.expired, budgetMs: stats.budgetMs }, {
        moves: 1,
        expired: false,
        budgetMs: 200
      })
    }))

  it.effect("shorten fires earlier, and into the past fires at once", () =>
    Effect.gen(function*() {
      const deadline = yield* Deadline.make({ after: "1 second", label: "job" })
      const fiber = yield* Effect.fork(Effect.exit(Deadline.within(Effect.never, deadline)))
      yield* TestClock.adjust("100 millis")
      yield* Deadline.shorten(deadline, "850 millis") // now due at 150 ms
      yield* TestClock.adjust("49 millis")
      assert.isTrue(yield* isOpen(fiber))
      yield* TestClock.adjust("1 millis")
      const error = timeoutOf(yield* Fiber.join(fiber))
      assert.isTrue(Duration.equals(error.after, Duration.millis(150)))

      const other = yield* Deadline.make({ after: "1 second" })
      const second = yield* Effect.fork(Effect.exit(Deadline.within(Effect.never, other)))
      yield* TestClock.adjust("10 millis")
      yield* Deadline.shorten(other, "2 seconds")
      timeoutOf(yield* Fiber.join(second))
    }))

  it.effect("reschedule sets an unset deadline; an expired deadline cannot be moved or reused", () =>
    Effect.gen(function*() {
      const deadline = yield* Deadline.make({ after: Infinity, label: "later" })
      assert.isTrue(Duration.equals(yield* Deadline.remaining(deadline), Duration.infinity))
      const fiber = yield* Effect.fork(Effect.exit(Deadline.within(Effect.never, deadline)))
      yield* TestClock.adjust("1 hour")
      assert.isTrue(yield* isOpen(fiber))
      assert.isTrue(yield* Deadline.reschedule(deadline, "10 millis"))
      yield* TestClock.adjust("10 millis")
      timeoutOf(yield* Fiber.join(fiber))
      assert.isFalse(yield* Deadline.extend(deadline, "1 second"))
      assert.isTrue(Duration.equals(yield* Deadline.remaining(deadline), Duration.zero))
      let ran = false
      const again = yield* Effect.exit(Deadline.within(Effect.sync(() => ran = true), deadline))
      assert.isFalse(ran)
      assert.strictEqual(timeoutOf(again).label, "later")
    }))

  it.effect("a deadline shared by two regions stops both", () =>
    Effect.gen(function*() {
      const deadline = yield* Deadline.make({ after: "100 millis", label: "shared" })
      const a = yield* Effect.fork(Effect.exit(Deadline.within(Effect.never, deadline)))
      const b = yield* Effect.fork(Effect.exit(Deadline.within(Effect.never, deadline, { cleanup: "detach" })))
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Deadline.statistics(deadline)).activeRegions, 2)
      yield* TestClock.adjust("99 millis")
      timeoutOf(yield* Fiber.join(a))
      timeoutOf(yield* Fiber.join(b))
      assert.strictEqual((yield* Deadline.statistics(deadline)).activeRegions, 0)
    }))
})

describe("nested deadlines", () => {
  it.effect("the inner deadline never outlives the outer one", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const inner = Effect.gen(function*() {
        seen.push(Duration.toMillis(yield* Deadline.currentRemaining))
        return yield* Effect.never
      }).pipe(Deadline.timeout({ after: "1 second", label: "inner" }))
      const fiber = yield* Effect.fork(
        Effect.exit(inner.pipe(Deadline.timeout({ after: "100 millis", label: "outer" })))
      )
      yield* TestClock.adjust("100 millis")
      const exit = yield* Fiber.join(fiber)
      assert.strictEqual(timeoutOf(exit).label, "outer")
      assert.deepStrictEqual(seen, [100], "inside the inner region, 100 ms remain, not 1 s")
    }))

  it.effect("a shorter inner deadline fires first and the outer one goes on", () =>
    Effect.gen(function*() {
      const program = Effect.gen(function*() {
        const first = yield* Effect.exit(Deadline.timeout(Effect.never, { after: "50 millis", label: "inner" }))
        const outer = yield* Deadline.current
        return { first, outer: Option.map(outer, (d) => d.label) }
      }).pipe(Deadline.timeout({ after: "1 second", label: "outer" }))
      const fiber = yield* Effect.fork(program)
      yield* TestClock.adjust("50 millis")
      const { first, outer } = yield* Fiber.join(fiber)
      assert.strictEqual(timeoutOf(first).label, "inner")
      assert.deepStrictEqual(outer, Option.some("outer"))
      assert.deepStrictEqual(yield* Deadline.current, Option.none())
      assert.isTrue(Duration.equals(yield* Deadline.currentRemaining, Duration.infinity))
    }))
})

describe("bad input", () => {
  const invalid = (exit: Exit.Exit<unknown, unknown>, argument: string) => {
    const error = failuresOf(exit).find(InvalidArgument.isInvalidArgumentError)
    assert.isDefined(error, `expected InvalidArgumentError, got ${String(exit)}`)
    assert.strictEqual(error!.argument, argument)
    return error!
  }

  it.effect("is a typed InvalidArgumentError at the call", () =>
    Effect.gen(function*() {
      const e = invalid(yield* Effect.exit(Deadline.timeout(Effect.void, { after: -1 })), "after")
      assert.match(e.message, /Deadline.timeout: after must be a duration of at least 0/)
      invalid(yield* Effect.exit(Deadline.timeout(Effect.void, { after: Number.NaN })), "after")
      invalid(yield* Effect.exit(Deadline.timeout(Effect.void, { after: "soon" as any })), "after")
      invalid(yield* Effect.exit(Deadline.timeout(Effect.void, undefined as any)), "options")
      invalid(yield* Effect.exit(Deadline.timeout(Effect.void, { after: 1, label: "" })), "label")
      invalid(yield* Effect.exit(Deadline.timeout(Effect.void, { after: 1, cleanup: "never" as any })), "cleanup")
      invalid(yield* Effect.exit(Deadline.make({ after: "-5 millis" as any })), "after")
      const deadline = yield* Deadline.make({ after: "1 second" })
      invalid(yield* Effect.exit(Deadline.extend(deadline, -1)), "by")
      invalid(yield* Effect.exit(Deadline.extend(deadline, Infinity)), "by")
      invalid(yield* Effect.exit(Deadline.reschedule(deadline, "x" as any)), "after")
      invalid(yield* Effect.exit(Deadline.within(Effect.void, deadline, { cleanup: "x" as any })), "cleanup")
      invalid(yield* Effect.exit(Deadline.within(Effect.void, {} as any)), "deadline")
      invalid(yield* Effect.exit(Deadline.remaining({} as any)), "deadline")
      invalid(yield* Effect.exit(Deadline.statistics(null as any)), "deadline")
    }))
})

describe("fiber refs", () => {
  it.scoped("changes made by work that finishes in time reach the caller, as with Effect.timeout", () =>
    Effect.gen(function*() {
      const ref = yield* FiberRef.make(0)
      yield* Deadline.timeout(FiberRef.set(ref, 7), { after: "1 second" })
      assert.strictEqual(yield* FiberRef.get(ref), 7)
    }))
})

describe("the caller's fiber after a timeout", () => {
  it.effect("is not left interrupted: it carries on after handling TimeoutExceeded", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.gen(function*() {
        const first = yield* Effect.exit(Deadline.timeout(Effect.never, { after: "10 millis", label: "first" }))
        yield* Effect.sleep("10 millis") // an interruptible step: a leftover interruption would stop here
        const second = yield* Deadline.timeout(Effect.as(Effect.sleep("5 millis"), "second"), { after: "10 millis" })
        return [timeoutOf(first).label, second]
      }))
      yield* TestClock.adjust("10 millis")
      yield* TestClock.adjust("10 millis")
      yield* TestClock.adjust("5 millis")
      assert.deepStrictEqual(yield* Fiber.join(fiber), ["first", "second"])
    }))

  it.effect("an outside interruption that arrives with the deadline is not swallowed", () =>
    Effect.gen(function*() {
      // The work cannot be interrupted for 200 ms; the deadline (100 ms) and an outside
      // interrupt (150 ms) both wait for it. The outside one must win.
      const fiber = yield* Effect.fork(
        Deadline.timeout(Effect.uninterruptible(Effect.sleep("200 millis")), { after: "100 millis" }).pipe(
          Effect.exit,
          Effect.zipRight(Effect.succeed("carried on"))
        )
      )
      yield* TestClock.adjust("150 millis")
      yield* Fiber.interruptFork(fiber)
      yield* TestClock.adjust("50 millis")
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isInterrupted(exit), String(exit))
    }))
})

describe("on the live clock (one shared host timer)", () => {
  it.live("many deadlines in the same milliseconds each fire once; those whose work ended never fire", () =>
    Effect.gen(function*() {
      // Each fiber makes its deadline and enters its region in one step; half of the regions finish
      // at once (their deadlines leave the wheel), half never do.
      const results = yield* Effect.forEach(
        Array.from({ length: 300 }, (_, i) => i),
        (i) =>
          Effect.flatMap(
            Deadline.make({ after: Duration.millis(20 + (i % 4)), label: `op ${i}` }),
            (deadline) =>
              Effect.map(
                Effect.exit(Deadline.within(i % 2 === 0 ? Effect.never : Effect.succeed(i), deadline)),
                (exit) => ({ deadline, exit })
              )
          ),
        { concurrency: "unbounded" }
      )
      for (const [i, { exit }] of results.entries()) {
        if (i % 2 === 0) assert.strictEqual(timeoutOf(exit).label, `op ${i}`)
        else assert.deepStrictEqual(exit, Exit.succeed(i))
      }
      const made = results.map((r) => r.deadline)
      const expired = yield* Effect.forEach(made, (d) => Effect.map(Deadline.statistics(d), (s) => s.expired))
      assert.deepStrictEqual(expired, made.map((_, i) => i % 2 === 0))
    }))

  it.live("deadlines whose work ended leave no host timer behind (the process can exit)", () =>
    Effect.gen(function*() {
      const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === "Timeout").length
      const before = timers()
      assert.strictEqual(yield* Deadline.timeout(Effect.succeed(1), { after: "1 hour" }), 1)
      const deadlines = yield* Effect.forEach([1, 2, 3], (h) => Deadline.make({ after: Duration.hours(h) }))
      yield* Effect.forEach(deadlines, (d) => Deadline.within(Effect.void, d), { concurrency: "unbounded" })
      assert.strictEqual(timers(), before)
    }))

  it.live("a deadline moved earlier than every other one re-arms the timer", () =>
    Effect.gen(function*() {
      const late = yield* Deadline.make({ after: "1 hour", label: "late" })
      const moved = yield* Deadline.make({ after: "1 hour", label: "moved" })
      const waiting = yield* Effect.fork(Deadline.within(Effect.never, late))
      const fiber = yield* Effect.fork(Deadline.within(Effect.never, moved))
      yield* Effect.yieldNow()
      assert.isTrue(yield* Deadline.reschedule(moved, "5 millis"))
      // Without re-arming, this would wait for the hour-long timer.
      assert.strictEqual(timeoutOf(yield* Fiber.await(fiber)).label, "moved")
      assert.isTrue(yield* isOpen(waiting))
      yield* Fiber.interrupt(waiting)
      assert.isFalse((yield* Deadline.statistics(late)).expired)
    }))
})
