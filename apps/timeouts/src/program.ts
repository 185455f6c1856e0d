/**
 * Demo: deadlines against the real loopback upstream, in four acts:
 *   1. per-request timeouts: a fast `/slow` call makes it, a `/hang` call is cut
 *      off with a `TimeoutExceeded` naming it, and the upstream sees the abort;
 *   2. one overall deadline over a TaskGroup of fetches: when it passes, every
 *      fetch still running is interrupted (the upstream counts the aborts);
 *   3. a deadline extended mid-flight, after the first half of a job made progress;
 *   4. the two cleanup modes: a request whose cleanup (a real "cancel job" call,
 *      100 ms) runs after the interrupt. `wait` returns after the cleanup,
 *      `detach` returns at the deadline; the gap is measured and printed.
 */
import { Deadline, TaskGroup } from "@fiberkit/core"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"

const describeExit = (exit: Exit.Exit<unknown, unknown>): string =>
  Exit.match(exit, {
    onSuccess: (value) => `ok ${JSON.stringify(value)}`,
    onFailure: (cause) => {
      const error = Option.getOrUndefined(Cause.failureOption(cause))
      return Deadline.isTimeoutExceeded(error) ?
        `TimeoutExceeded: ${error.message}` :
        `failed: ${Cause.pretty(cause).split("\n")[0]}`
    }
  })

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const exit = yield* Effect.exit(effect)
    return { exit, elapsedMs: (yield* Clock.currentTimeMillis) - start }
  })

/** What the demo observed; the test asserts on it. */
export interface Summary {
  readonly perRequest: {
    readonly fast: string
    readonly hang: string
    readonly hangTimedOut: boolean
    readonly aborted: number
  }
  readonly overall: {
    readonly outcome: string
    readonly label: string | undefined
    readonly finished: number
    readonly aborted: number
  }
  readonly extended: { readonly outcome: string; readonly moves: number; readonly budgetMs: number }
  readonly cleanup: ReadonlyArray<{
    readonly mode: Deadline.CleanupMode
    readonly label: string | undefined
    readonly gapMs: number
    readonly cleanupFinishedBeforeReturn: boolean
  }>
}

export const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  yield* Console.log(`upstream on ${upstream.baseUrl}\n`)

  // 1. Per-request timeouts.
  yield* Console.log("1. per-request timeouts (250 ms each)")
  const fast = yield* timed(
    UpstreamClient.get("/slow?ms=50").pipe(Deadline.timeout({ after: "250 millis", label: "GET /slow?ms=50" }))
  )
  const hang = yield* timed(
    UpstreamClient.get("/hang").pipe(Deadline.timeout({ after: "250 millis", label: "GET /hang" }))
  )
  const firstStats = yield* upstream.quiescentStats
  yield* Console.log(`   GET /slow?ms=50 -> ${describeExit(fast.exit)} after ${fast.elapsedMs} ms`)
  yield* Console.log(`   GET /hang       -> ${describeExit(hang.exit)} after ${hang.elapsedMs} ms`)
  yield* Console.log(`   upstream: /hang aborted by the client ${firstStats.routes["/hang"]?.aborted ?? 0} time(s)\n`)

  // 2. One deadline over a whole group.
  yield* Console.log("2. one 500 ms deadline over a TaskGroup of five fetches (100, 200, 300, 800, 1500 ms)")
  yield* upstream.clearStats
  const overall = yield* timed(
    TaskGroup.runAll([100, 200, 300, 800, 1500].map((ms) => UpstreamClient.get(`/slow?ms=${ms}`))).pipe(
      Deadline.timeout({ after: "500 millis", label: "fetch all" })
    )
  )
  const secondStats = yield* upstream.quiescentStats
  const overallError = Exit.isFailure(overall.exit) ?
    Option.getOrUndefined(Cause.failureOption(overall.exit.cause)) :
    undefined
  yield* Console.log(`   -> ${describeExit(overall.exit)} after ${overall.elapsedMs} ms`)
  yield* Console.log(
    `   upstream: ${secondStats.total.finished} answered, ${secondStats.total.aborted} aborted ` +
      `(the deadline interrupted every task still running)\n`
  )

  // 3. A deadline moved while the work runs.
  yield* Console.log("3. a 300 ms deadline, extended by 600 ms once the first half of the job is done")
  const deadline = yield* Deadline.make({ after: "300 millis", label: "two-step job" })
  const job = Effect.gen(function*() {
    yield* UpstreamClient.get("/slow?ms=200")
    const left = yield* Deadline.remaining(deadline)
    yield* Console.log(`   step 1 done, ${Math.round(Duration.toMillis(left))} ms left: extending by 600 ms`)
    yield* Deadline.extend(deadline, "600 millis")
    return yield* UpstreamClient.get("/slow?ms=250")
  })
  const extended = yield* timed(Deadline.within(job, deadline))
  const deadlineStats = yield* Deadline.statistics(deadline)
  yield* Console.log(
    `   -> ${describeExit(extended.exit)} after ${extended.elapsedMs} ms ` +
      `(over the first 300 ms budget, within the moved one: ${deadlineStats.budgetMs} ms)\n`
  )

  // 4. wait vs detach: the cleanup is a real 100 ms "cancel job" call to the upstream.
  yield* Console.log("4. a /hang request with a 100 ms cleanup, under a 200 ms deadline, in both cleanup modes")
  const cleanup: Array<Summary["cleanup"][number]> = []
  for (const mode of ["wait", "detach"] as const) {
    let cleanupDoneAt = Number.NaN
    const work = UpstreamClient.get("/hang").pipe(
      Effect.onInterrupt(() =>
        UpstreamClient.get("/slow?ms=100").pipe(
          Effect.ignore,
          Effect.zipRight(Clock.currentTimeMillis),
          Effect.map((now) => {
            cleanupDoneAt = now
          })
        )
      )
    )
    const start = yield* Clock.currentTimeMillis
    const exit = yield* Effect.exit(
      Deadline.timeout(work, { after: "200 millis", label: `hang (${mode})`, cleanup: mode })
    )
    const returnedAt = yield* Clock.currentTimeMillis
    const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
    const cleanupFinishedBeforeReturn = !Number.isNaN(cleanupDoneAt) && cleanupDoneAt <= returnedAt
    const gapMs = returnedAt - (start + 200)
    yield* Console.log(
      `   ${mode.padEnd(6)}: returned ${gapMs} ms after the deadline; cleanup ` +
        (cleanupFinishedBeforeReturn ? "had finished before the return" : "was still running at the return")
    )
    // Let a detached cleanup finish before the next act so the upstream's counts are complete.
    yield* upstream.quiescentStats
    cleanup.push({
      mode,
      label: Deadline.isTimeoutExceeded(error) ? error.label : undefined,
      gapMs,
      cleanupFinishedBeforeReturn
    })
  }
  const lastStats = yield* upstream.quiescentStats
  yield* Console.log(`   upstream: /hang aborted ${lastStats.routes["/hang"]?.aborted ?? 0} time(s) in total`)

  return {
    perRequest: {
      fast: describeExit(fast.exit),
      hang: describeExit(hang.exit),
      hangTimedOut: Exit.isFailure(hang.exit) &&
        Deadline.isTimeoutExceeded(Option.getOrUndefined(Cause.failureOption(hang.exit.cause))),
      aborted: firstStats.routes["/hang"]?.aborted ?? 0
    },
    overall: {
      outcome: describeExit(overall.exit),
      label: Deadline.isTimeoutExceeded(overallError) ? overallError.label : undefined,
      finished: secondStats.total.finished,
      aborted: secondStats.total.aborted
    },
    extended: { outcome: describeExit(extended.exit), moves: deadlineStats.moves, budgetMs: deadlineStats.budgetMs },
    cleanup
  } satisfies Summary
})
