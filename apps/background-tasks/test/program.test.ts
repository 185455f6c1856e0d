import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "../src/program.js"

describe("demo-background-tasks", () => {
  it.live(
    "waits within the grace period, interrupts and names the rest, reports failures; shows the daemon leak",
    () =>
      Effect.gen(function*() {
        const captured = CapturedConsole.make()
        const summary = yield* Effect.withConsole(program, captured.console)
        assert.sameMembers([...summary.tracked.finishedInGrace], ["receipt-1", "receipt-2", "audit-3", "receipt-4"])
        assert.deepStrictEqual(summary.tracked.interrupted, ["reindex-5"])
        assert.deepStrictEqual(summary.tracked.failed, ["audit-3"])
        assert.strictEqual(summary.tracked.aborted, 1)
        assert.isTrue(captured.lines.some((l) => l.includes("ERROR") && l.includes(`background task "audit-3" failed`)))
        assert.isTrue(captured.lines.some((l) => l.includes("WARN") && l.includes("reindex-5")))
        assert.isTrue(summary.daemon.runningAfterScope)
        assert.strictEqual(summary.daemon.inFlightAfterScope, 1)
      }).pipe(Effect.provide(Layer.merge(Upstream.layer(), UpstreamClient.layer))),
    60_000
  )
})
