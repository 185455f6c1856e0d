import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "../src/program.js"

describe("demo-queues", () => {
  it.live("crawls with backpressure, then accounts for every item after an interruption", () =>
    Effect.gen(function*() {
      const captured = CapturedConsole.make()
      const summary = yield* Effect.withConsole(program, captured.console)
      assert.deepStrictEqual(
        [summary.full.offered, summary.full.processed, summary.full.discarded, summary.full.pages],
        [200, 200, 0, 8]
      )
      assert.isAtMost(summary.full.peakQueued, 20, "the queue never held more than its capacity")
      assert.isAtMost(summary.full.peakInFlight, 8, "never more requests than workers")
      const { discarded, offered, processed } = summary.interrupted
      assert.strictEqual(processed + discarded, offered)
      assert.isAbove(processed, 0)
      assert.isBelow(offered, 1000, "interrupted before the producer finished")
      assert.isTrue(captured.lines.some((line) => line.includes("every item accounted for")))
      assert.isTrue(captured.lines.some((line) => line.includes("[crawl] offered")), "progress lines")
    }).pipe(Effect.provide(Layer.merge(Upstream.layer({ profile: { latencyMs: 20 } }), UpstreamClient.layer))), 60_000)
})
