import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "../src/program.js"

describe("demo-cancellation", () => {
  it.live("runs the three acts against the real upstream and file system", () =>
    Effect.gen(function*() {
      const captured = CapturedConsole.make()
      const summary = yield* Effect.withConsole(program, captured.console)
      assert.deepStrictEqual(summary.resource.events, [
        "acquire: lock file written",
        "use: GET /hang",
        "onCancel: cancellation written to the journal",
        "release: lock file removed (use ended interrupted)",
        "caller: job-1 did not finish within 300ms"
      ])
      assert.isTrue(summary.resource.timedOut)
      assert.isFalse(summary.resource.lockExistsAfter, "release removed the lock file")
      assert.strictEqual(summary.resource.journal, "job-1 cancelled before completion")
      assert.strictEqual(summary.resource.aborted, 1)
      const [broken, fixed] = summary.pollers
      assert.strictEqual(broken!.groupFailure, "payment service down")
      assert.strictEqual(fixed!.groupFailure, "payment service down")
      assert.isAbove(broken!.retriesAfterStop, 0, "the swallowing poller kept retrying after the interrupt")
      assert.strictEqual(fixed!.retriesAfterStop, 0, "the fixed poller stopped at the interrupt")
      assert.match(summary.verdicts[0]!.verdict, /still running/)
      assert.strictEqual(summary.verdicts[1]!.verdict, "propagates interruption")
      assert.isTrue(captured.lines.some((line) => line.includes("lock file gone")))
    }).pipe(
      Effect.provide(Layer.mergeAll(Upstream.layer(), UpstreamClient.layer, NodeFileSystem.layer))
    ), 30_000)
})
