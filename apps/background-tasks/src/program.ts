/**
 * Demo: a request handler that answers at once and leaves follow-up work in the background.
 *   1. Tracked (BackgroundTasks): five requests each schedule a follow-up call to the upstream;
 *      one follow-up fails (reported with its Cause, counted), one is a 3 s re-index. The
 *      service shuts down mid-flight: it waits up to the 400 ms grace period, the quick
 *      follow-ups finish, the re-index is interrupted and named, and the upstream confirms
 *      its request was aborted.
 *   2. Broken (Effect.forkDaemon): the same follow-up outlives the scope that started it;
 *      the upstream still sees its request in flight after "shutdown".
 */
import { BackgroundTasks } from "@fiberkit/core"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"

// The library logs failures with Effect's logger; route it (alone) to the current Console so the
// demo and its test show them.
const withConsoleLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.console, (console) => {
    const logger = Logger.make(({ cause, logLevel, message }) => {
      const text = [message].flat().join(" ")
      const reason = Cause.isEmpty(cause) ? "" : ` | cause: ${Cause.pretty(cause).split("\n")[0]}`
      console.unsafe.log(`   log ${logLevel.label}: ${text}${reason}`)
    })
    return Effect.locally(effect, FiberRef.currentLoggers, HashSet.make(logger))
  })

const followUps = [
  { name: "receipt-1", path: "/users/1/orders" },
  { name: "receipt-2", path: "/users/2/orders" },
  { name: "audit-3", path: "/users/3/preferences?fail=503" },
  { name: "receipt-4", path: "/users/4/orders" },
  { name: "reindex-5", path: "/slow?ms=3000" }
]

/** What the demo observed; the test asserts on it. */
export interface Summary {
  readonly tracked: {
    readonly finishedInGrace: ReadonlyArray<string>
    readonly interrupted: ReadonlyArray<string>
    readonly failed: ReadonlyArray<string>
    readonly aborted: number
  }
  readonly daemon: { readonly runningAfterScope: boolean; readonly inFlightAfterScope: number }
}

export const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  yield* Console.log(`upstream on ${upstream.baseUrl}; data routes answer in 100 ms\n`)

  yield* Console.log("1. tracked background tasks, grace period 400 ms")
  let tasks: BackgroundTasks.BackgroundTasks | undefined
  yield* Effect.scoped(Effect.gen(function*() {
    tasks = yield* BackgroundTasks.make({ gracePeriod: "400 millis", label: "follow-ups" })
    for (const [i, followUp] of followUps.entries()) {
      // The "request handler": answer now, leave the follow-up to the background set.
      yield* BackgroundTasks.fork(tasks, UpstreamClient.get(followUp.path), { name: followUp.name })
      yield* Console.log(`   request ${i + 1}: answered 200, follow-up "${followUp.name}" scheduled`)
    }
    yield* Effect.sleep("20 millis")
    yield* Console.log(`   shutting down with ${(yield* BackgroundTasks.running(tasks)).length} follow-ups in flight`)
  })).pipe(withConsoleLogs)
  const report = yield* BackgroundTasks.shutdown(tasks!) // the report of the close that just happened
  const stats = yield* upstream.quiescentStats
  const failed = report.failures.map((f) => f.name)
  yield* Console.log(`   finished within the grace period: ${report.finishedInGrace.join(", ")}`)
  yield* Console.log(`   interrupted after the grace period: ${report.interrupted.join(", ")}`)
  yield* Console.log(`   failures reported (logged with their Cause, counted): ${failed.join(", ")}`)
  yield* Console.log(`   the upstream saw ${stats.total.aborted} request aborted (the re-index), none left running\n`)

  yield* Console.log("2. the broken version: Effect.forkDaemon inside the handler")
  yield* upstream.clearStats
  let daemon: Fiber.RuntimeFiber<unknown, unknown> | undefined
  yield* Effect.scoped(Effect.gen(function*() {
    daemon = yield* Effect.forkDaemon(UpstreamClient.get("/slow?ms=700"))
    yield* Console.log("   request answered, follow-up forked as a daemon; the scope closes now")
  }))
  yield* Effect.sleep("100 millis")
  const running = Option.isNone(yield* Fiber.poll(daemon!))
  const inFlight = (yield* upstream.stats).total.inFlight
  yield* Console.log(
    `   100 ms after "shutdown": daemon still running = ${running}, requests in flight at the upstream = ${inFlight}`
  )
  yield* Console.log("   nothing owns it: no grace period, no interruption, and a failure would go unseen")
  yield* Fiber.interrupt(daemon!) // clean up the leak so the demo exits promptly
  return {
    tracked: {
      finishedInGrace: report.finishedInGrace,
      interrupted: report.interrupted,
      failed,
      aborted: stats.total.aborted
    },
    daemon: { runningAfterScope: running, inFlightAfterScope: inFlight }
  } satisfies Summary
})
