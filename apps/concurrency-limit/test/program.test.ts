import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "../src/program.js"

describe("demo-concurrency-limit", () => {
  it.live("bounds the upstream's in-flight requests and processes a million items", () =>
    Effect.gen(function*() {
      const captured = CapturedConsole.make()
      const summary = yield* Effect.withConsole(program, captured.console)
      // The server's own counter: everything at once without a limit, exactly 10 with one.
      assert.isAbove(summary.unbounded.peakInFlight, 10)
      assert.strictEqual(summary.bounded.peakInFlight, 10)
      assert.strictEqual(summary.bounded.limiterPeak, 10)
      assert.strictEqual(summary.bounded.totalAcquired, 200)
      assert.match(summary.impossible, /permits must be at most the limiter's capacity of 10, got 11/)
      assert.strictEqual(summary.million.items, 1_000_000)
      assert.isTrue(summary.million.sumOk)
      assert.strictEqual(summary.million.progressLines, 4)
      assert.isTrue(captured.lines.some((line) => line.includes("peak in flight at the server: 10")))
      assert.isTrue(captured.lines.some((line) => line.includes("1,000,000 items processed")))
    }).pipe(Effect.provide(Layer.merge(Upstream.layer({ profile: { latencyMs: 50 } }), UpstreamClient.layer))), {
    timeout: 60_000
  })
})
