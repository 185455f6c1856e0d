import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "../src/program.js"

describe("demo-rate-limit", () => {
  it.live("keeps the upstream under rate + burst and obeys Retry-After", () =>
    Effect.gen(function*() {
      const captured = CapturedConsole.make()
      const summary = yield* Effect.withConsole(program, captured.console)
      // As the bucket let them go: no one-second window above rate + burst.
      assert.strictEqual(summary.hammer.arrivedAtServer, summary.hammer.requests)
      assert.isAtMost(summary.hammer.busiestAdmitted, summary.hammer.bound)
      // At the server, loopback jitter on a busy machine may bunch a few arrivals; never a flood.
      assert.isAtMost(summary.hammer.busiestSecond, summary.hammer.bound + 5)
      assert.isAtLeast(summary.hammer.perSecond.length, 4, "120 requests at 25/s take more than 4 seconds")
      assert.strictEqual(summary.hammer.perSecond.reduce((a, b) => a + b, 0), 120)
      assert.isTrue(captured.lines.some((line) => line.includes("busiest one-second window")))
      // Both runs end; the polite one gets everything through with fewer 429s than the blind one.
      assert.strictEqual(summary.polite.succeeded, 30)
      assert.isAtLeast(summary.polite.pauses, 1)
      assert.isAbove(summary.polite.rateLimited, 0)
      assert.isBelow(summary.polite.rateLimited, summary.naive.rateLimited)
    }).pipe(Effect.provide(Layer.merge(Upstream.layer({ profile: { latencyMs: 5 } }), UpstreamClient.layer))), {
    timeout: 60_000
  })
})
