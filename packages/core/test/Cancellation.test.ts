import { assert, describe, it } from "@effect/vitest"
import { Cancellation, Deadline, InvalidArgument, TaskGroup } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"

const failuresOf = (exit: Exit.Exit<unknown, unknown>): Array<unknown> =>
  Exit.isFailure(exit) ? Chunk.toArray(Cause.failures(exit.cause)) : []

// acquire 10 ms, use 100 ms, onCancel 5 ms, release 20 ms: each step logs when it starts and ends.
const operation = (log: Array<string>) =>
  Cancellation.acquireUseRelease({
    acquire: Effect.sync(() => log.push("acquire start")).pipe(
      Effect.zipRight(Effect.sleep("10 millis")),
      Effect.zipRight(Effect.sync(() => log.push("acquire end"))),
      Effect.as("conn")
    ),
    use: (conn) =>
      Effect.sync(() => log.push(`use ${conn}`)).pipe(Effect.zipRight(Effect.sleep("100 millis")), Effect.as("result")),
    onCancel: (conn) => Effect.sleep("5 millis").pipe(Effect.zipRight(Effect.sync(() => log.push(`onCancel ${conn}`)))),
    release: (conn, exit) =>
      Effect.sync(() => log.push(`release start ${conn} (${exit._tag})`)).pipe(
        Effect.zipRight(Effect.sleep("20 millis")),
        Effect.zipRight(Effect.sync(() => log.push(`release end ${conn}`)))
      )
  })

describe("Cancellation.acquireUseRelease", () => {
  it.effect("without interruption: acquire, use, release; onCancel does not run", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const fiber = yield* Effect.fork(operation(log))
      yield* TestClock.adjust("130 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "result")
      assert.deepStrictEqual(log, [
        "acquire start",
        "acquire end",
        "use conn",
        "release start conn (Success)",
        "release end conn"
      ])
    }))

  // Interrupt at each point of the timeline; every finalizer runs exactly once, onCancel before release.
  const interruptAt = (ms: number) =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const fiber = yield* Effect.fork(operation(log))
      yield* TestClock.adjust(ms)
      const interrupter = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust("200 millis")
      const exit = yield* Fiber.join(interrupter)
      return { exit, log }
    })

  it.effect("interrupted during acquire: acquire completes, use never starts, release runs once", () =>
    Effect.gen(function*() {
      const { exit, log } = yield* interruptAt(5)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.deepStrictEqual(log, ["acquire start", "acquire end", "release start conn (Failure)", "release end conn"])
    }))

  it.effect("interrupted during use: onCancel, then release, each once, then the interruption goes on", () =>
    Effect.gen(function*() {
      const { exit, log } = yield* interruptAt(50)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.deepStrictEqual(log, [
        "acquire start",
        "acquire end",
        "use conn",
        "onCancel conn",
        "release start conn (Failure)",
        "release end conn"
      ])
    }))

  it.effect("interrupted during release: release is not cut half-way", () =>
    Effect.gen(function*() {
      const { exit, log } = yield* interruptAt(115)
      // use finished at 110; release (110..130) completes although the interrupt came at 115.
      assert.isTrue(Exit.isInterrupted(exit) || Exit.isSuccess(exit))
      assert.deepStrictEqual(log.slice(-2), ["release start conn (Success)", "release end conn"])
      assert.strictEqual(log.filter((l) => l.startsWith("release end")).length, 1)
    }))

  it.effect("nested resources are released in reverse order of acquisition", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const resource = (name: string, inner: Effect.Effect<void, InvalidArgument.InvalidArgumentError>) =>
        Cancellation.acquireUseRelease({
          acquire: Effect.sync(() => log.push(`open ${name}`)),
          use: () => inner,
          onCancel: () => Effect.sync(() => log.push(`cancel ${name}`)),
          release: () => Effect.sync(() => log.push(`close ${name}`))
        })
      const fiber = yield* Effect.fork(resource("db", resource("file", resource("socket", Effect.never))))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(log, [
        "open db",
        "open file",
        "open socket",
        "cancel socket",
        "close socket",
        "cancel file",
        "close file",
        "cancel db",
        "close db"
      ])
    }))

  it.effect("interruption inside a TaskGroup child releases the child's resource", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const fiber = yield* Effect.fork(Effect.exit(TaskGroup.runAll([
        operation(log),
        Effect.delay(Effect.fail("sibling failed" as const), "50 millis") as Effect.Effect<
          string,
          "sibling failed" | InvalidArgument.InvalidArgumentError
        >
      ])))
      yield* TestClock.adjust("50 millis")
      yield* TestClock.adjust("25 millis") // onCancel 5 ms + release 20 ms
      const exit = yield* Fiber.join(fiber)
      assert.deepStrictEqual(failuresOf(exit), ["sibling failed"])
      assert.deepStrictEqual(log.slice(-3), ["onCancel conn", "release start conn (Failure)", "release end conn"])
    }))

  it.effect("a timeout over the operation waits for its cleanup (wait) or returns at once (detach)", () =>
    Effect.gen(function*() {
      const waitLog: Array<string> = []
      const waited = yield* Effect.fork(
        Effect.exit(Deadline.timeout(operation(waitLog), { after: "50 millis", label: "op" }))
      )
      yield* TestClock.adjust("50 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(waited)), "wait: cleanup (25 ms) still running")
      yield* TestClock.adjust("25 millis")
      assert.strictEqual(failuresOf(yield* Fiber.join(waited)).length, 1)
      assert.strictEqual(waitLog.at(-1), "release end conn")

      const detachLog: Array<string> = []
      const detached = yield* Effect.fork(
        Effect.exit(Deadline.timeout(operation(detachLog), { after: "50 millis", label: "op", cleanup: "detach" }))
      )
      yield* TestClock.adjust("50 millis")
      const exit = yield* Fiber.join(detached)
      assert.isTrue(Deadline.isTimeoutExceeded(failuresOf(exit)[0]))
      assert.notInclude(detachLog, "release end conn", "detach: returned before the cleanup ended")
      yield* TestClock.adjust("25 millis")
      assert.strictEqual(detachLog.at(-1), "release end conn", "…and the cleanup still finished")
    }))
})

describe("Cancellation.onCancel and critical", () => {
  it.effect("onCancel runs only on interruption, and the interruption goes on", () =>
    Effect.gen(function*() {
      const cleaned = yield* Ref.make(0)
      const ok = yield* Cancellation.onCancel(Effect.succeed(1), Ref.update(cleaned, (n) => n + 1))
      assert.strictEqual(ok, 1)
      const failed = yield* Effect.exit(Cancellation.onCancel(Effect.fail("no"), Ref.update(cleaned, (n) => n + 1)))
      assert.deepStrictEqual(failed, Exit.fail("no"))
      assert.strictEqual(yield* Ref.get(cleaned), 0)
      const exit = yield* Cancellation.checkPropagates(
        Cancellation.onCancel(Effect.never, Ref.update(cleaned, (n) => n + 1))
      )
      assert.isTrue(Exit.isInterrupted(exit))
      assert.strictEqual(yield* Ref.get(cleaned), 1)
    }))

  it.effect("a critical section finishes; the interruption takes effect right after it", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const step = (name: string) => Effect.sleep("10 millis").pipe(Effect.zipRight(Effect.sync(() => log.push(name))))
      const fiber = yield* Effect.fork(Effect.gen(function*() {
        yield* Cancellation.critical(Effect.zipRight(step("debit"), step("credit")))
        yield* step("notify")
      }))
      yield* TestClock.adjust("5 millis")
      const interrupter = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust("30 millis")
      assert.isTrue(Exit.isInterrupted(yield* Fiber.join(interrupter)))
      assert.deepStrictEqual(log, ["debit", "credit"], "both halves ran, notify never did")
    }))
})

describe("Cancellation.catchAllCause", () => {
  it.effect("recovers failures and defects but re-raises interruption", () =>
    Effect.gen(function*() {
      assert.strictEqual(
        yield* Cancellation.catchAllCause(Effect.fail("x"), () => Effect.succeed("recovered")),
        "recovered"
      )
      assert.strictEqual(
        yield* Cancellation.catchAllCause(Effect.die("bug"), () => Effect.succeed("recovered")),
        "recovered"
      )
      const exit = yield* Effect.exit(Cancellation.catchAllCause(Effect.interrupt, () => Effect.succeed("swallowed")))
      assert.isTrue(Exit.isInterrupted(exit))
    }))
})

// A poller made "robust" with an uninterruptible loop: it backs off 1 s after any cause and retries.
const poller = (
  handler: (
    self: Effect.Effect<void>,
    onCause: (cause: Cause.Cause<never>) => Effect.Effect<void>
  ) => Effect.Effect<void>
) =>
  Effect.uninterruptibleMask((restore) =>
    handler(restore(Effect.sleep("100 millis")), () => Effect.sleep("1 second")).pipe(Effect.forever)
  )

describe("Cancellation.checkPropagates", () => {
  it.effect("passes for an effect that ends interrupted, and returns its Exit", () =>
    Effect.gen(function*() {
      const exit = yield* Cancellation.checkPropagates(Effect.sleep("1 second"), { label: "sleep" })
      assert.isTrue(Exit.isInterrupted(exit))
      const log: Array<string> = []
      yield* Cancellation.checkPropagates(operation(log), {
        before: TestClock.adjust("50 millis"),
        after: TestClock.adjust("25 millis")
      })
      assert.deepStrictEqual(log.slice(-2), ["release start conn (Failure)", "release end conn"])
    }))

  it.effect("broken: Effect.catchAllCause in an uninterruptible loop swallows the interrupt and keeps going", () =>
    Effect.gen(function*() {
      const broken = poller((self, onCause) => Effect.catchAllCause(self, onCause))
      const error = yield* Effect.flip(Cancellation.checkPropagates(broken, { label: "poller" }))
      assert.isTrue(Cancellation.isInterruptionSwallowed(error))
      assert.strictEqual(error._tag, "InterruptionSwallowed")
      if (error._tag === "InterruptionSwallowed") {
        assert.strictEqual(error.outcome, "still-running")
        assert.match(error.message, /poller was interrupted and is still running/)
      }
    }))

  it.effect("fixed: Cancellation.catchAllCause re-raises the interrupt and the poller stops", () =>
    Effect.gen(function*() {
      const fixed = poller((self, onCause) => Cancellation.catchAllCause(self, onCause))
      const exit = yield* Cancellation.checkPropagates(fixed, { label: "poller" })
      assert.isTrue(Exit.isInterrupted(exit))
    }))

  it.effect("an uninterruptible stretch is reported as still running unless `after` lets it end", () =>
    Effect.gen(function*() {
      const slow = Effect.uninterruptible(Effect.sleep("1 second"))
      const error = yield* Effect.flip(Cancellation.checkPropagates(slow, { label: "slow section" }))
      assert.strictEqual(error._tag === "InterruptionSwallowed" && error.outcome, "still-running")
      // Given the clock time it needs, it ends and the interruption is delivered after it.
      const exit = yield* Cancellation.checkPropagates(slow, { after: TestClock.adjust("1 second") })
      assert.isTrue(Exit.isInterrupted(exit))
    }))

  it.effect("an effect that ends before the interrupt proves nothing, and says so", () =>
    Effect.gen(function*() {
      const early = yield* Effect.flip(Cancellation.checkPropagates(Effect.succeed(1), { label: "instant" }))
      assert.strictEqual(early._tag === "InterruptionSwallowed" && early.outcome, "finished-early")
      assert.match(early.message, /instant finished before it could be interrupted/)
    }))
})

describe("bad input", () => {
  it.effect("is a typed InvalidArgumentError at the call", () =>
    Effect.gen(function*() {
      const check = (effect: Effect.Effect<unknown, unknown>, argument: string) =>
        Effect.map(Effect.flip(effect), (error) => {
          assert.isTrue(InvalidArgument.isInvalidArgumentError(error), String(error))
          assert.strictEqual((error as InvalidArgument.InvalidArgumentError).argument, argument)
        })
      yield* check(Cancellation.acquireUseRelease(null as any), "options")
      yield* check(
        Cancellation.acquireUseRelease({ acquire: 1 as any, use: () => Effect.void, release: () => Effect.void }),
        "acquire"
      )
      yield* check(
        Cancellation.acquireUseRelease({ acquire: Effect.void, use: "x" as any, release: () => Effect.void }),
        "use"
      )
      yield* check(
        Cancellation.acquireUseRelease({ acquire: Effect.void, use: () => Effect.void, release: undefined as any }),
        "release"
      )
      yield* check(
        Cancellation.acquireUseRelease({
          acquire: Effect.void,
          use: () => Effect.void,
          release: () => Effect.void,
          onCancel: 3 as any
        }),
        "onCancel"
      )
      yield* check(Cancellation.onCancel(Effect.void, "cleanup" as any), "cleanup")
      yield* check(Cancellation.critical(42 as any), "self")
      yield* check(Cancellation.checkPropagates(Effect.never, { maxYields: 0 }), "maxYields")
      yield* check(Cancellation.checkPropagates(Effect.never, { label: "" }), "label")
      yield* check(Cancellation.checkPropagates(Effect.never, { before: "x" as any }), "before")
      yield* check(Cancellation.checkPropagates("x" as any), "self")
    }))
})
