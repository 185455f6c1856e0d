import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "../src/program.js"

describe("demo-task-group", () => {
  it.live("runs all three acts against the real upstream", () =>
    Effect.gen(function*() {
      const captured = CapturedConsole.make()
      const summary = yield* Effect.withConsole(program, captured.console)
      assert.isTrue(captured.lines.some((line) => line.includes("2 aborted by the client")), captured.lines.join("\n"))
      assert.strictEqual(summary.allSucceed.orders, 3)
      assert.strictEqual(summary.allSucceed.peakInFlight, 3)
      assert.match(summary.failFast.failure, /answered 500/)
      // orders answered 500 at 50 ms; user and preferences (2 s each) were aborted by the client.
      assert.strictEqual(summary.failFast.aborted, 2)
      assert.strictEqual(summary.failFast.finished, 1)
      assert.deepStrictEqual(summary.settle.outcomes.map((o) => o.split(":")[0]), ["user", "orders", "preferences"])
      assert.match(summary.settle.outcomes[1]!, /failed/)
      assert.strictEqual(summary.settle.aborted, 0)
    }).pipe(
      Effect.provide(Layer.merge(Upstream.layer({ profile: { latencyMs: 100 } }), UpstreamClient.layer))
    ))
})
