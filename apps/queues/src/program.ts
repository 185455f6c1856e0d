/**
 * Demo: a crawler-style pipeline on a WorkQueue, against the real loopback upstream.
 *   1. A producer pages through `/items?page=N`, offering each item id; 8 workers fetch
 *      `/items/:id`. The queue holds at most 20 ids, so the producer is held back
 *      (backpressure) instead of racing ahead. The input ends as a state (no sentinel)
 *      and a drain shutdown processes everything.
 *   2. The same crawl over 1,000 items is interrupted after 0.6 s, as Ctrl-C would:
 *      the queue's scope closes with `onClose: "discard"`, and the report accounts for
 *      every item (processed + discarded = offered); the upstream counts the requests
 *      that were aborted mid-flight.
 */
import { WorkQueue } from "@fiberkit/core"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"

interface Page {
  readonly page: number
  readonly items: ReadonlyArray<{ readonly id: number }>
  readonly nextPage: number | null
}

interface Detail {
  readonly id: number
  readonly price: number
}

const progressLine = (label: string, s: WorkQueue.Statistics) =>
  `   [${label}] offered ${s.offered}  processed ${s.processed}  queued ${s.queued}  in flight ${s.inFlight}  waiting producers ${s.waitingOffers}`

/** Runs the crawl; `onQueue` hands the queue out so the caller can read the report after an interruption. */
const crawl = (total: number, label: string, onQueue: (queue: WorkQueue.WorkQueue<number, unknown>) => void) =>
  Effect.scoped(Effect.gen(function*() {
    let revenue = 0
    const queue = yield* WorkQueue.make({
      capacity: 20,
      workers: 8,
      handler: (id: number) =>
        Effect.map(UpstreamClient.get(`/items/${id}`), (body) => {
          revenue += (body as Detail).price
        }),
      onFailure: "collect",
      onClose: "discard",
      label
    })
    onQueue(queue)
    yield* Effect.forkScoped(
      Effect.flatMap(WorkQueue.statistics(queue), (s) => Console.log(progressLine(label, s))).pipe(
        Effect.repeat(Schedule.spaced("200 millis"))
      )
    )
    // The producer: page after page until nextPage is null, each id offered with backpressure.
    let page: number | null = 1
    let pages = 0
    while (page !== null) {
      const body = (yield* UpstreamClient.get(`/items?page=${page}&size=25&total=${total}`)) as Page
      pages++
      yield* WorkQueue.offerAll(queue, body.items.map((item) => item.id))
      page = body.nextPage
    }
    yield* WorkQueue.end(queue) // end of input: a state, not a sentinel per worker
    const report = yield* WorkQueue.shutdown(queue, "drain")
    const stats = yield* WorkQueue.statistics(queue)
    return { report, stats, pages, revenue }
  }))

/** What the demo observed; the test asserts on it. */
export interface Summary {
  readonly full: {
    readonly offered: number
    readonly processed: number
    readonly discarded: number
    readonly pages: number
    readonly peakQueued: number
    readonly peakInFlight: number
    readonly elapsedMs: number
  }
  readonly interrupted: {
    readonly offered: number
    readonly processed: number
    readonly discarded: number
    readonly aborted: number
  }
}

export const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  yield* Console.log(`upstream on ${upstream.baseUrl}; every item answers in 20 ms\n`)

  yield* Console.log("1. crawl 200 items: 8 workers, queue capacity 20, drain at the end")
  const start = yield* Clock.currentTimeMillis
  const full = yield* crawl(200, "crawl", () => {})
  const elapsedMs = (yield* Clock.currentTimeMillis) - start
  const fullStats = yield* upstream.quiescentStats
  const detailRoute = fullStats.routes["/items/:id"]
  yield* Console.log(
    `   done in ${elapsedMs} ms: ${full.pages} pages, ${full.report.processed}/${full.report.offered} items processed, ` +
      `${full.report.discarded} discarded, total price ${full.revenue}`
  )
  yield* Console.log(
    `   backpressure: never more than ${full.stats.peakQueued} ids waiting (capacity 20); ` +
      `the upstream saw at most ${detailRoute?.peakInFlight ?? 0} detail requests at once (8 workers)\n`
  )

  yield* Console.log("2. crawl 1,000 items and press Ctrl-C after 0.6 s (the demo interrupts itself)")
  yield* upstream.clearStats
  let queue: WorkQueue.WorkQueue<number, unknown> | undefined
  const fiber = yield* Effect.fork(crawl(1000, "big crawl", (q) => {
    queue = q
  }))
  yield* Effect.sleep("600 millis")
  yield* Console.log("   ^C: interrupting the crawl")
  yield* Fiber.interrupt(fiber)
  // The scope closed with onClose "discard"; asking again returns that same report.
  const report = yield* WorkQueue.shutdown(queue!, "discard")
  const stats = yield* upstream.quiescentStats
  yield* Console.log(
    `   shutdown report: offered ${report.offered} = processed ${report.processed} + discarded ${report.discarded}` +
      ` (${report.processed + report.discarded === report.offered ? "every item accounted for" : "MISMATCH"})`
  )
  yield* Console.log(
    `   the upstream saw ${stats.total.aborted} requests aborted mid-flight (the workers were interrupted, not abandoned)`
  )
  yield* Console.log(`   first discarded ids: ${report.discardedItems.slice(0, 8).join(", ")} …`)

  return {
    full: {
      offered: full.report.offered,
      processed: full.report.processed,
      discarded: full.report.discarded,
      pages: full.pages,
      peakQueued: full.stats.peakQueued,
      peakInFlight: detailRoute?.peakInFlight ?? 0,
      elapsedMs
    },
    interrupted: {
      offered: report.offered,
      processed: report.processed,
      discarded: report.discarded,
      aborted: stats.total.aborted
    }
  } satisfies Summary
})
