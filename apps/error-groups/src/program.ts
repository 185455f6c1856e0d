/**
 * Demo: the asyncio playbook's `process_batch` and `except*`, against the
 * real loopback upstream, in three acts:
 *   1. settle: twelve item requests, some answered 404, some 500/503, one too
 *      slow for its 1 s timeout; every item's outcome printed beside the item,
 *      then the failures as an ErrorGroup tree;
 *   2. except*: NotFound and TimedOut are each handled once, with all of their
 *      failures; the server errors no handler matched are re-raised with the
 *      same structure and printed;
 *   3. fail-fast: the same batch stops at its first failure; the requests in
 *      flight are interrupted (the upstream counts them as aborted) and the
 *      items not started never reach the server.
 */
import { Batch, ErrorGroup } from "@fiberkit/core"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import type * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

export class NotFound extends Data.TaggedError("NotFound")<{ readonly id: number }> {
  override get message() {
    return `item ${this.id} does not exist (404)`
  }
}

export class ServerError extends Data.TaggedError("ServerError")<{ readonly id: number; readonly status: number }> {
  override get message() {
    return `item ${this.id}: the server answered ${this.status}`
  }
}

export class TimedOut extends Data.TaggedError("TimedOut")<{ readonly id: number; readonly afterMs: number }> {
  override get message() {
    return `item ${this.id}: no answer within ${this.afterMs} ms`
  }
}

export type ItemError = NotFound | ServerError | TimedOut

const timeoutMs = 1000

/** How the upstream is told to treat each item (`?fail=` and `?delay=` are its staging knobs). */
const staging: Readonly<Record<number, string>> = {
  3: "fail=404&delay=20",
  5: "fail=500&delay=30",
  7: "delay=5000",
  8: "fail=404&delay=20",
  10: "fail=503&delay=30",
  11: "fail=500&delay=30"
}

const ids = Array.from({ length: 12 }, (_, i) => i + 1)

/** One request, its failures turned into the three kinds the batch cares about. */
const fetchItem = (id: number, normalDelayMs?: number) => {
  const query = staging[id] ?? (normalDelayMs === undefined ? "" : `delay=${normalDelayMs}`)
  return UpstreamClient.get(`/items/${id}${query === "" ? "" : `?${query}`}`).pipe(
    Effect.timeoutFail({ duration: timeoutMs, onTimeout: () => new TimedOut({ id, afterMs: timeoutMs }) }),
    Effect.catchTag("UpstreamError", (e): Effect.Effect<never, ItemError> =>
      e.status === 404 ?
        Effect.fail(new NotFound({ id })) :
        Effect.fail(new ServerError({ id, status: e.status ?? 0 })))
  )
}

const options = { concurrency: 4, label: "items", itemLabel: (id: number) => `item ${id}` } as const

const indent = (text: string) => text.split("\n").map((line) => `   ${line}`).join("\n")

/** What the demo observed; the test asserts on it. */
export interface Summary {
  readonly settle: {
    readonly succeeded: number
    readonly failedByTag: Readonly<Record<string, ReadonlyArray<number>>>
    readonly peakInFlight: number
    readonly tree: string
  }
  readonly exceptStar: {
    readonly handled: Readonly<Record<string, ReadonlyArray<number>>>
    readonly reraised: ReadonlyArray<string>
    readonly reraisedTree: string
  }
  readonly failFast: {
    readonly firstFailure: string
    readonly cutShort: number
    readonly neverStarted: number
    readonly serverStarted: number
    readonly serverAborted: number
    readonly elapsedMs: number
  }
}

export const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  yield* Console.log(`upstream on ${upstream.baseUrl}; 12 items, 4 requests at a time, ${timeoutMs} ms timeout each\n`)

  // Act 1 ---------------------------------------------------------------------------------------
  yield* Console.log(`1. Batch.process(..., { mode: "settle" }): every item runs, each outcome keyed by its item`)
  const settled = yield* Batch.process(ids, (id) => fetchItem(id), { ...options, mode: "settle" })
  const settleStats = yield* upstream.quiescentStats
  const lines = Batch.match(settled, {
    onSuccess: (value, id) => `item ${String(id).padStart(2)}  ok      ${JSON.stringify(value)}`,
    onFailure: (f) => `item ${String(f.item).padStart(2)}  FAILED  ${f.errors.map((e) => e.message).join("; ")}`,
    onInterrupted: (o) => `item ${String(o.item).padStart(2)}  interrupted`
  })
  for (const line of lines) yield* Console.log(`   ${line}`)
  const group = Batch.toErrorGroup(settled)
  const tree = ErrorGroup.format(group)
  yield* Console.log(`\n   the failures as a group (in the order they happened):\n${indent(tree)}`)
  const failedByTag = Object.fromEntries(
    Array.from(ErrorGroup.groupByTag(group), ([tag, failures]) => [tag, failures.map((f) => (f.error as ItemError).id)])
  )
  yield* Console.log(
    `   ${settled.statistics.succeeded} ok, ${settled.statistics.failed} failed; ` +
      `peak in flight at the server: ${settleStats.total.peakInFlight}\n`
  )

  // Act 2 ---------------------------------------------------------------------------------------
  yield* Console.log("2. except*: one handler per kind, each with every failure of its kind; the rest re-raised")
  const handled: Record<string, ReadonlyArray<number>> = {}
  let reraised: ReadonlyArray<string> = []
  let reraisedTree = ""
  yield* Batch.values(settled).pipe(
    ErrorGroup.catchTags({
      NotFound: (errors) =>
        Effect.sync(() => {
          handled.NotFound = errors.map((e) => e.id)
        }).pipe(
          Effect.zipRight(
            Console.log(`   NotFound: ${errors.length} items gone, removed from the catalogue: ${
              errors.map((e) => e.id).join(", ")
            }`)
          )
        ),
      TimedOut: (errors) =>
        Effect.sync(() => {
          handled.TimedOut = errors.map((e) => e.id)
        }).pipe(
          Effect.zipRight(
            Console.log(
              `   TimedOut: ${errors.length} items queued for a slower retry: ${errors.map((e) => e.id).join(", ")}`
            )
          )
        )
    }),
    // Only ServerError can be left in the error channel here: the type says so.
    Effect.catchAllCause((cause: Cause.Cause<ServerError>) =>
      Effect.gen(function*() {
        const rest = ErrorGroup.fromCause(cause, { label: "re-raised" })
        reraised = ErrorGroup.allFailures(rest).map((f) => f.error.message)
        reraisedTree = ErrorGroup.format(rest)
        yield* Console.log(`   not handled, re-raised with its structure:\n${indent(indent(reraisedTree))}`)
        return Option.none()
      })
    )
  )
  yield* Console.log("")

  // Act 3 ---------------------------------------------------------------------------------------
  yield* Console.log(`3. the same batch with mode "fail-fast" (healthy items now take 1.5 s)`)
  yield* upstream.clearStats
  const start = yield* Clock.currentTimeMillis
  const fast = yield* Batch.process(ids, (id) => fetchItem(id, 1500), { ...options, mode: "fail-fast" })
  const elapsedMs = (yield* Clock.currentTimeMillis) - start
  const fastStats = yield* upstream.quiescentStats
  const fastTree = ErrorGroup.format(Batch.toErrorGroup(fast))
  yield* Console.log(indent(fastTree))
  const s = fast.statistics
  const firstFailure = fast.failures[0]?.errors[0]?.message ?? "none"
  yield* Console.log(
    `   stopped after ${elapsedMs} ms: ${s.failed} failed, ${s.interrupted - s.notStarted} cut short, ` +
      `${s.notStarted} never started`
  )
  yield* Console.log(
    `   upstream saw ${fastStats.total.started} requests, ${fastStats.total.aborted} aborted by the client ` +
      `(the interrupted ones), none for the items never started`
  )

  return {
    settle: {
      succeeded: settled.statistics.succeeded,
      failedByTag,
      peakInFlight: settleStats.total.peakInFlight,
      tree
    },
    exceptStar: { handled, reraised, reraisedTree },
    failFast: {
      firstFailure,
      cutShort: s.interrupted - s.notStarted,
      neverStarted: s.notStarted,
      serverStarted: fastStats.total.started,
      serverAborted: fastStats.total.aborted,
      elapsedMs
    }
  } satisfies Summary
})
