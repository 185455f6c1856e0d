/**
 * Demo: asyncio.TaskGroup's "fetch a user, their orders and preferences
 * concurrently", against the real loopback upstream, in three acts:
 *   1. all succeed: three 100 ms requests finish together in about 100 ms;
 *   2. one fails (a 500) while the others would take 2 s: its siblings are
 *      interrupted and their HTTP requests aborted, which the upstream confirms;
 *   3. the same failure in settle mode: every request finishes and each
 *      result is reported on its own.
 */
import { TaskGroup } from "@fiberkit/core"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const exit = yield* Effect.exit(effect)
    return { exit, elapsedMs: (yield* Clock.currentTimeMillis) - start }
  })

const fetchProfile = (userId: string, query: { user?: string; orders?: string; preferences?: string } = {}) =>
  TaskGroup.run((group) =>
    Effect.gen(function*() {
      const user = yield* TaskGroup.spawn(group, UpstreamClient.get(`/users/${userId}${query.user ?? ""}`), {
        label: "user"
      })
      const orders = yield* TaskGroup.spawn(group, UpstreamClient.get(`/users/${userId}/orders${query.orders ?? ""}`), {
        label: "orders"
      })
      const preferences = yield* TaskGroup.spawn(
        group,
        UpstreamClient.get(`/users/${userId}/preferences${query.preferences ?? ""}`),
        { label: "preferences" }
      )
      return {
        user: yield* TaskGroup.join(user),
        orders: yield* TaskGroup.join(orders),
        preferences: yield* TaskGroup.join(preferences)
      }
    }), { label: `profile ${userId}` })

/** What the demo observed; the test asserts on it. */
export interface Summary {
  readonly allSucceed: { readonly elapsedMs: number; readonly orders: number; readonly peakInFlight: number }
  readonly failFast: {
    readonly elapsedMs: number
    readonly failure: string
    readonly aborted: number
    readonly finished: number
  }
  readonly settle: { readonly outcomes: ReadonlyArray<string>; readonly aborted: number }
}

export const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  yield* Console.log(`upstream on ${upstream.baseUrl}, every data route answers in 100 ms\n`)

  yield* Console.log("1. TaskGroup.run: user, orders and preferences at once")
  const first = yield* timed(fetchProfile("1"))
  if (Exit.isFailure(first.exit)) return yield* Effect.failCause(first.exit.cause)
  const firstStats = yield* upstream.stats
  yield* Console.log(
    `   3 requests of 100 ms each finished in ${first.elapsedMs} ms (sequential would be ~300 ms); ` +
      `peak in flight at the server: ${firstStats.total.peakInFlight}`
  )
  yield* Console.log(`   user: ${JSON.stringify(first.exit.value.user)}\n`)

  yield* Console.log("2. orders answers 500 after 50 ms while user and preferences would take 2 s")
  yield* upstream.clearStats
  const second = yield* timed(
    fetchProfile("2", { user: "?delay=2000", orders: "?fail=500&delay=50", preferences: "?delay=2000" })
  )
  const secondStats = yield* upstream.quiescentStats
  const failure = Exit.isFailure(second.exit) ?
    Cause.failures(second.exit.cause).pipe((chunk) => Array.from(chunk).map((e) => e.message).join("; ")) :
    "no failure"
  yield* Console.log(`   the group failed after ${second.elapsedMs} ms with: ${failure}`)
  yield* Console.log(
    `   upstream saw: ${secondStats.total.started} started, ${secondStats.total.finished} answered, ` +
      `${secondStats.total.aborted} aborted by the client (the siblings were interrupted, not awaited)\n`
  )

  yield* Console.log("3. the same failure in settle mode: nobody is interrupted")
  yield* upstream.clearStats
  const settled = yield* TaskGroup.runAll(
    [
      UpstreamClient.get("/users/3"),
      UpstreamClient.get("/users/3/orders?fail=500&delay=50"),
      UpstreamClient.get("/users/3/preferences?delay=200")
    ],
    { mode: "settle" }
  )
  const labels = ["user", "orders", "preferences"]
  const outcomes = settled.map((exit, i) =>
    Exit.match(exit, {
      onSuccess: () => `${labels[i]}: ok`,
      onFailure: (cause) =>
        `${labels[i]}: failed (${Cause.squash(cause) instanceof Error ? (Cause.squash(cause) as Error).message : "?"})`
    })
  )
  for (const line of outcomes) yield* Console.log(`   ${line}`)
  const thirdStats = yield* upstream.quiescentStats
  yield* Console.log(`   upstream saw ${thirdStats.total.aborted} aborted requests`)

  return {
    allSucceed: {
      elapsedMs: first.elapsedMs,
      orders: (first.exit.value.orders as ReadonlyArray<unknown>).length,
      peakInFlight: firstStats.total.peakInFlight
    },
    failFast: {
      elapsedMs: second.elapsedMs,
      failure,
      aborted: secondStats.total.aborted,
      finished: secondStats.total.finished
    },
    settle: { outcomes, aborted: thirdStats.total.aborted }
  } satisfies Summary
})
