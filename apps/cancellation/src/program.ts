/**
 * Demo: cancellation that cleans up and propagates, against real parts (a lock
 * file in a temp dir, the loopback upstream), in three acts:
 *   1. a resource held across an interrupted operation: a lock file is taken, a
 *      request hangs, a 300 ms deadline interrupts it; `onCancel` records the
 *      cancellation in the file, `release` removes the lock. The order of events
 *      is printed, the file system and the upstream confirm the result;
 *   2. the broken/fixed pair side by side: a "never dies" poller (an
 *      uninterruptible loop that catches every cause and retries) in a TaskGroup
 *      whose other task fails at 200 ms. With `Effect.catchAllCause` it swallows
 *      the interrupt: the group cannot stop and waits for it; with
 *      `Cancellation.catchAllCause` it stops at once;
 *   3. `Cancellation.checkPropagates` gives its verdict on both pollers.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Cancellation, Deadline, TaskGroup } from "@fiberkit/core"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"

class PaymentError extends Data.TaggedError("PaymentError") {
  override get message() {
    return "payment service down"
  }
}

/** What the demo observed; the test asserts on it. */
export interface Summary {
  readonly resource: {
    readonly events: ReadonlyArray<string>
    readonly timedOut: boolean
    readonly lockExistsAfter: boolean
    readonly journal: string
    readonly aborted: number
  }
  readonly pollers: ReadonlyArray<{
    readonly handler: "Effect.catchAllCause" | "Cancellation.catchAllCause"
    readonly groupFailure: string
    readonly groupReturnedAfterMs: number
    readonly retriesAfterStop: number
  }>
  readonly verdicts: ReadonlyArray<{ readonly handler: string; readonly verdict: string }>
}

const firstFailure = (exit: Exit.Exit<unknown, unknown>): string =>
  Exit.isSuccess(exit) ?
    "none" :
    Option.match(Cause.failureOption(exit.cause), {
      onNone: () => (Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "defect"),
      onSome: (e) => (e instanceof Error ? e.message : String(e))
    })

/**
 * Polls `/slow?ms=40` at most `maxPolls` times. Its loop runs uninterruptibly and only each
 * poll is interruptible (`restore`), so that a failed poll "cannot kill it": the handler
 * decides what a failure, *including an interruption*, does.
 */
const poller = (
  handler: "Effect.catchAllCause" | "Cancellation.catchAllCause",
  counters: { polls: number; retriesAfterStop: number },
  maxPolls: number,
  done?: Deferred.Deferred<number>
) =>
  Effect.uninterruptibleMask((restore) => {
    const poll = restore(UpstreamClient.get("/slow?ms=40")).pipe(Effect.tap(() => Effect.sync(() => counters.polls++)))
    // Back off 50 ms after a failed poll. An interruption counts as a failed poll here: that is the bug.
    const backOff = (cause: Cause.Cause<unknown>) =>
      Effect.sync(() => {
        if (Cause.isInterrupted(cause)) counters.retriesAfterStop++
      }).pipe(Effect.zipRight(Effect.sleep("50 millis")))
    const guarded = handler === "Effect.catchAllCause" ?
      Effect.catchAllCause(poll, backOff) :
      Cancellation.catchAllCause(poll, backOff)
    return guarded.pipe(
      Effect.repeatN(maxPolls - 1),
      Effect.ensuring(done === undefined ? Effect.void : Deferred.succeed(done, counters.polls))
    )
  })

export const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "fiberkit-cancellation-" })
  const start = yield* Clock.currentTimeMillis
  const events: Array<string> = []
  const log = (event: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.sync(() => events.push(event)).pipe(
        Effect.zipRight(Console.log(`   +${String(now - start).padStart(4)} ms  ${event}`))
      ))

  // 1. A resource held across an interrupted operation.
  yield* Console.log(`1. take a lock file, call /hang, give up after 300 ms (files in ${dir})`)
  const lock = `${dir}/job.lock`
  const journal = `${dir}/journal.txt`
  const operation = Cancellation.acquireUseRelease({
    acquire: fs.writeFileString(lock, "locked by job-1").pipe(Effect.zipRight(log("acquire: lock file written"))),
    use: () => log("use: GET /hang").pipe(Effect.zipRight(UpstreamClient.get("/hang"))),
    onCancel: () =>
      fs.writeFileString(journal, "job-1 cancelled before completion\n").pipe(
        Effect.orDie,
        Effect.zipRight(log("onCancel: cancellation written to the journal"))
      ),
    release: (_, exit) =>
      fs.remove(lock).pipe(
        Effect.orDie,
        Effect.zipRight(log(`release: lock file removed (use ended ${exit._tag === "Success" ? "ok" : "interrupted"})`))
      )
  })
  const first = yield* Effect.exit(Deadline.timeout(operation, { after: "300 millis", label: "job-1" }))
  yield* log(`caller: ${firstFailure(first)}`)
  const lockExistsAfter = yield* fs.exists(lock)
  const journalText = yield* fs.readFileString(journal)
  const firstStats = yield* upstream.quiescentStats
  yield* Console.log(
    `   file system: lock file ${lockExistsAfter ? "STILL THERE" : "gone"}; journal says "${journalText.trim()}"`
  )
  yield* Console.log(`   upstream: /hang aborted ${firstStats.routes["/hang"]?.aborted ?? 0} time(s)\n`)

  // 2. Broken vs fixed, in a TaskGroup whose other task fails at 200 ms.
  yield* Console.log("2. a poller that \"never dies\" beside a task that fails at 200 ms, in one TaskGroup")
  const pollers: Array<Summary["pollers"][number]> = []
  for (const handler of ["Effect.catchAllCause", "Cancellation.catchAllCause"] as const) {
    const counters = { polls: 0, retriesAfterStop: 0 }
    const groupStart = yield* Clock.currentTimeMillis
    const exit = yield* Effect.exit(TaskGroup.runAll([
      poller(handler, counters, 12),
      Effect.delay(Effect.fail(new PaymentError()), "200 millis")
    ]))
    const elapsed = (yield* Clock.currentTimeMillis) - groupStart
    pollers.push({
      handler,
      groupFailure: firstFailure(exit),
      groupReturnedAfterMs: elapsed,
      retriesAfterStop: counters.retriesAfterStop
    })
    yield* Console.log(
      `   ${handler.padEnd(26)} group failed with "${firstFailure(exit)}" after ${elapsed} ms; ` +
        `the poller retried ${counters.retriesAfterStop} time(s) after it was told to stop`
    )
  }
  yield* Console.log(
    "   Effect.catchAllCause sees the interrupt inside the uninterruptible loop and retries:\n" +
      "   the group cannot finish failing until the poller gives up on its own.\n"
  )

  // 3. The test helper's verdicts.
  yield* Console.log("3. Cancellation.checkPropagates on both pollers")
  const verdicts: Array<Summary["verdicts"][number]> = []
  for (const handler of ["Effect.catchAllCause", "Cancellation.catchAllCause"] as const) {
    const finished = yield* Deferred.make<number>()
    const counters = { polls: 0, retriesAfterStop: 0 }
    const result = yield* Effect.either(
      Cancellation.checkPropagates(poller(handler, counters, 4, finished), {
        label: `poller with ${handler}`,
        before: Effect.sleep("60 millis")
      })
    )
    const verdict = result._tag === "Right" ? "propagates interruption" : result.left.message
    verdicts.push({ handler, verdict })
    yield* Console.log(`   ${handler}: ${verdict}`)
    // The broken poller is still running; wait for it to give up so the demo ends clean.
    yield* Deferred.await(finished)
  }
  yield* upstream.quiescentStats

  return {
    resource: {
      events,
      timedOut: Exit.isFailure(first) &&
        Deadline.isTimeoutExceeded(Option.getOrUndefined(Cause.failureOption(first.cause))),
      lockExistsAfter,
      journal: journalText.trim(),
      aborted: firstStats.routes["/hang"]?.aborted ?? 0
    },
    pollers,
    verdicts
  } satisfies Summary
}).pipe(Effect.scoped)
