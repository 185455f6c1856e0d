import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "../src/program.js"

describe("demo-timeouts", () => {
  it.live("runs the four acts against the real upstream", () =>
    Effect.gen(function*() {
      const captured = CapturedConsole.make()
      const summary = yield* Effect.withConsole(program, captured.console)
      assert.match(summary.perRequest.fast, /^ok/)
      assert.isTrue(summary.perRequest.hangTimedOut)
      assert.match(summary.perRequest.hang, /GET \/hang did not finish within 250ms/)
      assert.strictEqual(summary.perRequest.aborted, 1, "the upstream saw the /hang request aborted")
      // 100, 200 and 300 ms answered; 800 and 1500 ms were interrupted by the 500 ms deadline.
      assert.strictEqual(summary.overall.label, "fetch all")
      // Under a loaded machine the 300 ms fetch may miss too; the two long ones never make it.
      assert.strictEqual(summary.overall.finished + summary.overall.aborted, 5)
      assert.isAtLeast(summary.overall.aborted, 2)
      assert.match(summary.extended.outcome, /^ok/)
      assert.strictEqual(summary.extended.moves, 1)
      assert.strictEqual(summary.extended.budgetMs, 900)
      const [wait, detach] = summary.cleanup
      assert.strictEqual(wait!.label, "hang (wait)")
      assert.isTrue(wait!.cleanupFinishedBeforeReturn, "wait returns after the cleanup")
      assert.strictEqual(detach!.label, "hang (detach)")
      assert.isFalse(detach!.cleanupFinishedBeforeReturn, "detach returns before the cleanup ends")
      assert.isTrue(captured.lines.some((line) => line.includes("cleanup was still running at the return")))
    }).pipe(Effect.provide(Layer.merge(Upstream.layer(), UpstreamClient.layer))), 30_000)
})
