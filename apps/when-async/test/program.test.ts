import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "../src/program.js"

describe("demo-when-async", () => {
  it.live("measures each branch of the decision tree", () =>
    Effect.gen(function*() {
      const captured = CapturedConsole.make()
      const summary = yield* Effect.withConsole(program, captured.console)
      assert.isTrue(summary.pure.sameResult)
      // network: the server saw one request at a time, then ten
      assert.strictEqual(summary.network.sequentialPeak, 1)
      assert.strictEqual(summary.network.concurrentPeak, 10)
      assert.strictEqual(summary.files.bytes, 200 * 64 * 1024)
      assert.isTrue(summary.cpu.sameResult)
      assert.isAbove(summary.cpu.mainLoopMaxMs, summary.cpu.offloadedLoopMaxMs)
      assert.isTrue(summary.blocking.sameResult)
      assert.isAbove(summary.blocking.syncLoopMaxMs, summary.blocking.callbackLoopMaxMs)
      assert.strictEqual(captured.lines.filter((line) => line.startsWith("   ")).length, 5)
    }).pipe(
      Effect.provide(
        Layer.mergeAll(Upstream.layer({ profile: { latencyMs: 50 } }), UpstreamClient.layer, NodeContext.layer)
      )
    ), 60_000)
})
