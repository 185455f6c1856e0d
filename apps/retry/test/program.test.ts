import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "../src/program.js"

describe("demo-retry", () => {
  it.live(
    "hammering vs Retry-After, a flaky call attempt by attempt, and the seeded fault profile",
    () =>
      Effect.gen(function*() {
        const captured = CapturedConsole.make()
        const summary = yield* Effect.withConsole(program, captured.console)
        // Act 1: waiting as told gets everyone through with far fewer requests than retrying at once.
        const { naive, polite } = summary.hammer
        assert.strictEqual(polite.succeeded, 10)
        // 15 when all ten start in one window (5 pass, 5 wait once); a little more if a slow machine splits them.
        assert.isAtMost(polite.requests, 20)
        assert.isAbove(naive.requests, polite.requests)
        assert.isAbove(naive.rateLimited, polite.rateLimited)
        // Act 2: three 503s, one 429, then success; the 429's Retry-After set the last delay.
        assert.strictEqual(summary.flaky.attempts, 5)
        assert.deepStrictEqual(summary.flaky.statuses, [503, 503, 503, 429])
        assert.deepStrictEqual(summary.flaky.retryAfterUsed, [false, false, false, true])
        // Seeded additive jitter: 100, 200, 400 ms plus up to 50 ms each.
        summary.flaky.delays.slice(0, 3).forEach((d, i) => {
          assert.isAtLeast(d, 100 * 2 ** i)
          assert.isAtMost(d, 100 * 2 ** i + 50)
        })
        assert.isAbove(summary.flaky.delays[3]!, 800, "Retry-After asked for longer than the backoff")
        assert.strictEqual(summary.flaky.serverRequests, 5)
        // Act 3: every item accounted for, and every attempt reached the server.
        const f = summary.faults
        assert.strictEqual(f.succeeded + f.gaveUp + f.notRetryable, 30)
        assert.strictEqual(f.attemptsMade, f.serverRequests)
        assert.isAtMost(f.attemptsMade, 30 * 3)
        assert.isAbove(f.serverFailed + f.serverReset + f.serverRateLimited, 0)
        assert.isTrue(captured.lines.some((l) => l.includes("(the server's Retry-After)")))
        assert.isTrue(captured.lines.some((l) => l.includes("attempt 5 succeeded")))
      }).pipe(
        Effect.provide(Layer.merge(Upstream.layer(), UpstreamClient.layer))
      ),
    30_000
  )
})
