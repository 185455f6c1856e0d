/**
 * Demo: the asyncio token-bucket `RateLimiter` and "no rate limiting
 * overwhelms the server", against the real loopback upstream:
 *   1. 50 fibers fire 120 requests at once through one TokenBucket (25/s,
 *      burst 5); the upstream's own record of when each request arrived is
 *      drawn as a per-second histogram, and its busiest one-second window is
 *      checked against rate + burst;
 *   2. the server enforces 10 requests per second and answers 429 with
 *      Retry-After; a bucket set too fast (20/s) is run twice: once retrying
 *      blindly, once with `pauseOnRetryAfter`, which pauses every caller for
 *      the Retry-After. The server counts the 429s of each.
 */
import { TokenBucket } from "@fiberkit/core"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

const rate = 25
const burst = 5
const requests = 120
const callers = 50

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const value = yield* effect
    return { value, elapsedMs: (yield* Clock.currentTimeMillis) - start }
  })

/** The most arrivals in any half-open window [t, t + 1000 ms). */
const busiestSecond = (times: ReadonlyArray<number>): number => Upstream.busiestWindow(times, 1000)

const histogram = (times: ReadonlyArray<number>): Array<number> => {
  const first = Math.min(...times)
  const bins: Array<number> = []
  for (const t of times) {
    const bin = Math.floor((t - first) / 1000)
    bins[bin] = (bins[bin] ?? 0) + 1
  }
  return Array.from(bins, (n) => n ?? 0)
}

/** One run of act 2. */
export interface Outcome {
  readonly succeeded: number
  readonly elapsedMs: number
  readonly pauses: number
  /** 429 answers the server gave. */
  readonly rateLimited: number
  /** Requests the server received, retries included. */
  readonly sent: number
}

/** What the demo observed; the test asserts on it. */
export interface Summary {
  readonly hammer: {
    readonly requests: number
    readonly arrivedAtServer: number
    readonly perSecond: ReadonlyArray<number>
    /** At the server: the bucket's bound plus whatever the network bunched. */
    readonly busiestSecond: number
    /** As the bucket admitted them. */
    readonly busiestAdmitted: number
    readonly bound: number
    readonly elapsedMs: number
  }
  readonly naive: Outcome
  readonly polite: Outcome
}

export const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  yield* Console.log(`upstream on ${upstream.baseUrl}\n`)

  yield* Console.log(
    `1. ${callers} fibers send ${requests} requests at once through TokenBucket.make({ rate: ${rate}, burst: ${burst} })`
  )
  // Open the keep-alive connections first, so connection set-up does not delay (and bunch) the first requests.
  yield* Effect.forEach(Array.from({ length: 10 }), () => UpstreamClient.get("/items/0?delay=20"), {
    concurrency: "unbounded"
  })
  yield* upstream.clearStats
  const admitted: Array<number> = []
  const hammer = yield* Effect.scoped(Effect.gen(function*() {
    const bucket = yield* TokenBucket.make({ rate, per: "1 second", burst, label: "upstream" })
    let next = 0
    // Each caller keeps taking the next request number until all are sent.
    const caller = Effect.gen(function*() {
      while (next < requests) {
        const id = next++
        yield* Clock.currentTimeMillis.pipe(
          Effect.tap((now) => admitted.push(now)),
          Effect.zipRight(UpstreamClient.get(`/items/${id}?delay=5`)),
          TokenBucket.withTokens(bucket)
        )
      }
    })
    return yield* timed(Effect.all(Array.from({ length: callers }, () => caller), { concurrency: "unbounded" }))
  }))
  const hammerStats = yield* upstream.quiescentStats
  const arrivals = hammerStats.starts.map((s) => s.at)
  const perSecond = histogram(arrivals)
  const busiest = busiestSecond(arrivals)
  const busiestAdmitted = busiestSecond(admitted)
  yield* Console.log(`   request arrivals recorded by the server, per second:`)
  for (const [second, count] of perSecond.entries()) {
    yield* Console.log(`   ${String(second).padStart(3)}s ${"#".repeat(count).padEnd(rate + burst)} ${count}`)
  }
  yield* Console.log(
    `   ${arrivals.length} requests in ${hammer.elapsedMs} ms; busiest one-second window: ${busiestAdmitted} ` +
      `as the bucket let them go, ${busiest} as they reached the server ` +
      `(the bucket's bound is rate + burst = ${rate + burst}; the network can only add jitter)\n`
  )

  yield* Console.log("2. the server now allows 10 requests per second and answers 429 with Retry-After")
  yield* Console.log("   30 requests through a bucket set too fast (20/s), retrying each 429 up to 10 times")
  yield* upstream.setProfile({ rateLimit: { limit: 10, windowMs: 1000 } })
  const run = (respectRetryAfter: boolean) =>
    Effect.scoped(Effect.gen(function*() {
      yield* upstream.clearStats
      // Deliberately too fast: the server, not the configuration, has the last word.
      const bucket = yield* TokenBucket.make({ rate: 20, per: "1 second", burst: 5, label: "too fast" })
      const request = (id: number) => UpstreamClient.get(`/items/${id}?delay=5`)
      const fetchOne = (id: number) =>
        (respectRetryAfter ?
          request(id).pipe(
            TokenBucket.pauseOnRetryAfter(bucket, (error: UpstreamClient.UpstreamError) => error.retryAfter)
          ) :
          request(id)).pipe(
            TokenBucket.withTokens(bucket),
            Effect.retry({
              while: (error) => error._tag === "UpstreamError" && error.status === 429,
              schedule: Schedule.recurs(10)
            }),
            Effect.either
          )
      const result = yield* timed(
        Effect.forEach(Array.from({ length: 30 }, (_, i) => i), fetchOne, { concurrency: "unbounded" })
      )
      const bucketStats = yield* TokenBucket.statistics(bucket)
      const serverStats = yield* upstream.quiescentStats
      return {
        succeeded: result.value.filter((r) => r._tag === "Right").length,
        elapsedMs: result.elapsedMs,
        pauses: bucketStats.pauses,
        rateLimited: serverStats.total.rateLimited,
        sent: serverStats.total.started
      }
    }))
  const naive = yield* run(false)
  yield* Console.log(
    `   ignoring Retry-After:       ${naive.succeeded}/30 succeeded, ${naive.rateLimited} answers were 429 ` +
      `(${naive.sent} requests sent) in ${naive.elapsedMs} ms`
  )
  const polite = yield* run(true)
  yield* Console.log(
    `   pauseOnRetryAfter (bucket): ${polite.succeeded}/30 succeeded, ${polite.rateLimited} answers were 429 ` +
      `(${polite.sent} requests sent) in ${polite.elapsedMs} ms; the bucket paused ${polite.pauses} times`
  )
  yield* upstream.setProfile({ rateLimit: undefined })

  return {
    hammer: {
      requests,
      arrivedAtServer: arrivals.length,
      perSecond,
      busiestSecond: busiest,
      busiestAdmitted,
      bound: rate + burst,
      elapsedMs: hammer.elapsedMs
    },
    naive,
    polite
  } satisfies Summary
})
