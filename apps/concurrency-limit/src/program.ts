/**
 * Demo: the asyncio "RateLimitedClient" (a semaphore around every request)
 * and the "creating too many tasks" anti-pattern, against the real loopback
 * upstream:
 *   1. 200 requests with no limit: the server sees all of them at once;
 *   2. the same 200 through a Limiter of 10 permits: the server's own
 *      peak-in-flight counter says 10;
 *   3. asking the limiter for more permits than it has: a typed error at once,
 *      where Effect's Semaphore would wait forever;
 *   4. a million items through `Limiter.forEach` with 100 workers: progress,
 *      throughput and the memory it took.
 */
import { Limiter } from "@fiberkit/core"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

const requests = 200
const permits = 10
const latencyMs = 50
const millionItems = 1_000_000

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const value = yield* effect
    return { value, elapsedMs: (yield* Clock.currentTimeMillis) - start }
  })

const rssMb = () => Math.round(process.memoryUsage().rss / 1024 / 1024)

/** What the demo observed; the test asserts on it. */
export interface Summary {
  readonly unbounded: { readonly peakInFlight: number; readonly elapsedMs: number }
  readonly bounded: {
    readonly peakInFlight: number
    readonly limiterPeak: number
    readonly totalAcquired: number
    readonly elapsedMs: number
  }
  readonly impossible: string
  readonly million: {
    readonly items: number
    readonly sumOk: boolean
    readonly elapsedMs: number
    readonly itemsPerSecond: number
    readonly rssBeforeMb: number
    readonly rssPeakMb: number
    readonly progressLines: number
  }
}

export const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  const paths = Array.from({ length: requests }, (_, i) => `/items/${i}?delay=${latencyMs}`)
  yield* Console.log(`upstream on ${upstream.baseUrl}; each /items/:id answers in ${latencyMs} ms\n`)

  yield* Console.log(`1. ${requests} requests with no limit (Effect.forEach, concurrency "unbounded")`)
  yield* upstream.clearStats
  const unbounded = yield* timed(Effect.forEach(paths, UpstreamClient.get, { concurrency: "unbounded" }))
  const unboundedStats = yield* upstream.quiescentStats
  yield* Console.log(
    `   done in ${unbounded.elapsedMs} ms; the server saw ${unboundedStats.total.peakInFlight} requests in flight at once\n`
  )

  yield* Console.log(`2. the same ${requests} requests through Limiter.make({ permits: ${permits} })`)
  yield* upstream.clearStats
  const limiter = yield* Limiter.make({ permits, label: "upstream" })
  const bounded = yield* timed(
    Effect.forEach(paths, (path) => UpstreamClient.get(path).pipe(Limiter.withPermit(limiter)), {
      concurrency: "unbounded"
    })
  )
  const boundedStats = yield* upstream.quiescentStats
  const limiterStats = yield* Limiter.statistics(limiter)
  yield* Console.log(
    `   done in ${bounded.elapsedMs} ms (${requests} / ${permits} × ${latencyMs} ms = ${
      (requests / permits) * latencyMs
    } ms at best)`
  )
  yield* Console.log(
    `   peak in flight at the server: ${boundedStats.total.peakInFlight} (unbounded run: ${unboundedStats.total.peakInFlight})`
  )
  yield* Console.log(
    `   limiter statistics: peak ${limiterStats.peakInFlight}, acquired ${limiterStats.totalAcquired}, ` +
      `in flight now ${limiterStats.inFlight}, waiting ${limiterStats.waiting}\n`
  )

  yield* Console.log(`3. asking for ${permits + 1} permits from a limiter of ${permits}`)
  const impossible = yield* Effect.flip(UpstreamClient.get("/items/1").pipe(Limiter.withPermits(limiter, permits + 1)))
  const impossibleMessage = impossible.message
  yield* Console.log(`   failed at once with ${impossible._tag}: ${impossibleMessage}\n`)

  yield* Console.log(`4. ${millionItems.toLocaleString("en-US")} items, 100 workers, one yield per item`)
  function* items() {
    for (let i = 0; i < millionItems; i++) yield i
  }
  const rssBeforeMb = rssMb()
  let rssPeakMb = rssBeforeMb
  let sum = 0
  let done = 0
  let progressLines = 0
  const million = yield* timed(
    Limiter.forEach(items(), (i) =>
      Effect.flatMap(Effect.yieldNow(), () => {
        sum += i
        done++
        if (done % 250_000 === 0) {
          const rss = rssMb()
          if (rss > rssPeakMb) rssPeakMb = rss
          progressLines++
          return Console.log(`   ${done.toLocaleString("en-US")} items processed, RSS ${rss} MB`)
        }
        return Effect.void
      }), { concurrency: 100, discard: true })
  )
  const sumOk = sum === (millionItems * (millionItems - 1)) / 2
  const itemsPerSecond = Math.round(millionItems / (million.elapsedMs / 1000))
  yield* Console.log(
    `   ${millionItems.toLocaleString("en-US")} items in ${million.elapsedMs} ms ` +
      `(${itemsPerSecond.toLocaleString("en-US")} items/s), sum ${sumOk ? "correct" : "WRONG"}; ` +
      `RSS ${rssBeforeMb} MB before, at most ${rssPeakMb} MB during: no fiber or promise per item`
  )

  return {
    unbounded: { peakInFlight: unboundedStats.total.peakInFlight, elapsedMs: unbounded.elapsedMs },
    bounded: {
      peakInFlight: boundedStats.total.peakInFlight,
      limiterPeak: limiterStats.peakInFlight,
      totalAcquired: limiterStats.totalAcquired,
      elapsedMs: bounded.elapsedMs
    },
    impossible: impossibleMessage,
    million: {
      items: done,
      sumOk,
      elapsedMs: million.elapsedMs,
      itemsPerSecond,
      rssBeforeMb,
      rssPeakMb,
      progressLines
    }
  } satisfies Summary
})
