/**
 * Demo: retrying against the real loopback upstream, in three acts.
 *   1. "Retry without delay hammers the server": ten clients hit a route
 *      limited to 5 requests per 2 s. The broken loop retries at once, up
 *      to 20 times; `Retry` waits as each 429's Retry-After says. The upstream's
 *      request counter tells the difference.
 *   2. One flaky call, every attempt printed with its delay: the upstream
 *      answers 503 three times, then 429 with Retry-After (its rate limit),
 *      then 200. Exponential backoff with seeded additive jitter, and the
 *      Retry-After honoured when it asks for longer.
 *   3. Thirty requests under the upstream's seeded fault profile (500s,
 *      503s, connection resets, a rate limit): 503, 429 and resets are
 *      retried, a 500 is final, and those that run out of attempts give up
 *      with the last error and the attempt count.
 */
import { Batch, ErrorGroup, Retry } from "@fiberkit/core"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"

type UpstreamError = UpstreamClient.UpstreamError

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const value = yield* effect
    return { value, elapsedMs: (yield* Clock.currentTimeMillis) - start }
  })

/** 5xx, 429 and a connection that died are worth another try; any other 4xx is final, and so is a 500 here. */
const retryable = (e: UpstreamError) => e.status === undefined || e.status === 429 || e.status === 503

/** What the demo observed; the test asserts on it. */
export interface Summary {
  readonly hammer: {
    readonly naive: { readonly succeeded: number; readonly requests: number; readonly rateLimited: number }
    readonly polite: { readonly succeeded: number; readonly requests: number; readonly rateLimited: number }
  }
  readonly flaky: {
    readonly attempts: number
    readonly delays: ReadonlyArray<number>
    readonly retryAfterUsed: ReadonlyArray<boolean>
    readonly statuses: ReadonlyArray<number | undefined>
    readonly serverRequests: number
  }
  readonly faults: {
    readonly succeeded: number
    readonly gaveUp: number
    readonly notRetryable: number
    readonly attemptsMade: number
    readonly serverRequests: number
    readonly serverFailed: number
    readonly serverReset: number
    readonly serverRateLimited: number
  }
}

export const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  yield* Console.log(`upstream on ${upstream.baseUrl}\n`)

  // Act 1 ---------------------------------------------------------------------------------------
  yield* Console.log("1. ten clients, a route limited to 5 requests per 2 seconds")
  yield* upstream.setProfile({ latencyMs: 20, rateLimit: { limit: 5, windowMs: 2000 } })
  yield* upstream.clearStats
  // The broken way: retry at once, as the seed's first loop does, up to 20 times.
  const naiveRun = yield* timed(Effect.forEach(
    Array.from({ length: 10 }, (_, i) => i + 1),
    (id) => UpstreamClient.get(`/users/${id}`).pipe(Effect.retry({ times: 20 }), Effect.either),
    { concurrency: "unbounded" }
  ))
  const naive = naiveRun.value
  const naiveStats = yield* upstream.quiescentStats
  const naiveOk = naive.filter((r) => r._tag === "Right").length
  yield* Console.log(
    `   retry without delay: ${naiveOk}/10 succeeded in ${naiveRun.elapsedMs} ms, the server got ${naiveStats.total.started} requests, ` +
      `${naiveStats.total.rateLimited} of them answered 429`
  )
  // Wait out the window so the second run starts from the same state.
  yield* Effect.sleep(Duration.millis(2100))
  yield* upstream.clearStats
  const polite = yield* timed(Effect.forEach(
    Array.from({ length: 10 }, (_, i) => i + 1),
    (id) =>
      UpstreamClient.get(`/users/${id}`).pipe(
        Retry.retry({ base: "50 millis", maxAttempts: 5, retryable, jitter: "full" }),
        Effect.either
      ),
    { concurrency: "unbounded" }
  ))
  const politeStats = yield* upstream.quiescentStats
  const politeOk = polite.value.filter((r) => r._tag === "Right").length
  yield* Console.log(
    `   Retry honouring Retry-After: ${politeOk}/10 succeeded in ${polite.elapsedMs} ms, the server got ` +
      `${politeStats.total.started} requests, ${politeStats.total.rateLimited} of them answered 429\n`
  )

  // Act 2 ---------------------------------------------------------------------------------------
  yield* Console.log("2. one flaky call: 503, 503, 503 (staged with ?fail=503), then 429 from the rate limit, then 200")
  yield* upstream.setProfile({ latencyMs: 10, rateLimit: { limit: 3, windowMs: 3000 } })
  yield* upstream.clearStats
  const statuses: Array<number | undefined> = []
  const delays: Array<number> = []
  const retryAfterUsed: Array<boolean> = []
  let calls = 0
  const flakyCall = Effect.suspend(() => {
    calls++
    // The first three calls are told to fail; they also fill the window of 3, so the fourth gets a 429.
    return UpstreamClient.get(calls <= 3 ? "/items/42?fail=503" : "/items/42")
  }).pipe(Effect.tapError((e) => Effect.sync(() => statuses.push(e.status))))
  const start = yield* Clock.currentTimeMillis
  const item = yield* flakyCall.pipe(
    Retry.retry({
      base: "100 millis",
      factor: 2,
      cap: "2 seconds",
      maxAttempts: 6,
      jitter: { additive: "50 millis" },
      retryable,
      onRetry: (r) =>
        Effect.gen(function*() {
          delays.push(Duration.toMillis(r.delay))
          retryAfterUsed.push(r.retryAfter)
          const at = (yield* Clock.currentTimeMillis) - start
          yield* Console.log(
            `   t=${String(at).padStart(5)} ms  attempt ${r.attempts} failed: ${r.error.message}; ` +
              `next in ${Duration.toMillis(r.delay)} ms${r.retryAfter ? " (the server's Retry-After)" : " (backoff)"}`
          )
        })
    }),
    // A seeded Random makes the jitter, and so this printout, the same on every run.
    Effect.withRandom(Random.make(2024))
  )
  const flakyStats = yield* upstream.quiescentStats
  const total = (yield* Clock.currentTimeMillis) - start
  yield* Console.log(`   t=${String(total).padStart(5)} ms  attempt ${calls} succeeded: ${JSON.stringify(item)}`)
  yield* Console.log(`   the server saw ${flakyStats.total.started} requests for it\n`)

  // Act 3 ---------------------------------------------------------------------------------------
  yield* Console.log(
    "3. thirty requests under the seeded fault profile: 25% 500/503, 10% resets, 20 requests per 500 ms"
  )
  yield* upstream.setProfile({
    latencyMs: 20,
    failureRate: 0.25,
    failureStatuses: [500, 503],
    resetRate: 0.1,
    rateLimit: { limit: 20, windowMs: 500 },
    seed: 7
  })
  yield* upstream.clearStats
  const attemptsById = new Map<number, number>()
  const result = yield* Batch.process(
    Array.from({ length: 30 }, (_, i) => i + 1),
    (id) =>
      Effect.suspend(() => {
        attemptsById.set(id, (attemptsById.get(id) ?? 0) + 1)
        return UpstreamClient.get(`/items/${id}`)
      }).pipe(
        Retry.retry({ base: "50 millis", cap: "1 second", maxAttempts: 3, retryable, jitter: "full" })
      ),
    { concurrency: 10, label: "fault profile", itemLabel: (id) => `item ${id}` }
  ).pipe(Effect.withRandom(Random.make(7)))
  const faultStats = yield* upstream.quiescentStats
  let gaveUp = 0
  let notRetryable = 0
  for (const failure of result.failures) {
    const error = failure.errors[0]
    if (error?._tag === "RetryExhaustedError") gaveUp++
    else notRetryable++
  }
  const attemptsMade = Array.from(attemptsById.values()).reduce((a, b) => a + b, 0)
  const retried = Array.from(attemptsById.entries()).filter(([, n]) => n > 1)
  yield* Console.log(
    `   ${result.statistics.succeeded} succeeded, ${gaveUp} gave up after their attempts, ` +
      `${notRetryable} failed with an error not worth retrying`
  )
  yield* Console.log(
    `   ${retried.length} requests needed retries: ` +
      retried.map(([id, n]) => `#${id}×${n}`).join(" ")
  )
  if (result.failures.length > 0) {
    yield* Console.log(
      ErrorGroup.format(Batch.toErrorGroup(result)).split("\n").map((l) => `   ${l}`).join("\n")
    )
  }
  yield* Console.log(
    `   ${attemptsMade} attempts made; the server saw ${faultStats.total.started} requests: ` +
      `${faultStats.total.failed} injected failures, ${faultStats.total.reset} resets, ` +
      `${faultStats.total.rateLimited} answered 429`
  )
  yield* upstream.setProfile({ failureRate: 0, resetRate: 0, rateLimit: undefined })

  return {
    hammer: {
      naive: { succeeded: naiveOk, requests: naiveStats.total.started, rateLimited: naiveStats.total.rateLimited },
      polite: { succeeded: politeOk, requests: politeStats.total.started, rateLimited: politeStats.total.rateLimited }
    },
    flaky: { attempts: calls, delays, retryAfterUsed, statuses, serverRequests: flakyStats.total.started },
    faults: {
      succeeded: result.statistics.succeeded,
      gaveUp,
      notRetryable,
      attemptsMade,
      serverRequests: faultStats.total.started,
      serverFailed: faultStats.total.failed,
      serverReset: faultStats.total.reset,
      serverRateLimited: faultStats.total.rateLimited
    }
  } satisfies Summary
})
