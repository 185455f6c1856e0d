import { assert, describe, it } from "@effect/vitest"
import { LoopMonitor } from "@fiberkit/node"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "../src/program.js"

describe("demo-debugging", () => {
  it.live(
    "the instruments point at the blocking render; the cooperative version is quiet",
    () =>
      Effect.gen(function*() {
        const captured = CapturedConsole.make()
        const summary = yield* Effect.withConsole(program({ useSignal: false }), captured.console)
        assert.isAtLeast(summary.broken.blocking.length, 1)
        // The slice ends at the request's next await, so the path names the request that rendered.
        const reports = (e: { readonly span: string | undefined }) => /request-(6|12)\b/.test(e.span ?? "")
        assert.isTrue(summary.broken.blocking.some((e) => reports(e) && e.durationMs >= 100))
        // The event-loop delay perf_hooks reports for this act is printed but not asserted here: in about one
        // run in four its histogram records no stall for the 150 ms block (cause not found yet; LoopMonitor's
        // own tests cover its sampling). The fiber-level detector above is the deterministic witness.
        assert.deepStrictEqual(
          summary.fixed.blocking.filter((e) => e.span === "render-report"),
          [],
          "no long slice once the work yields"
        )
        assert.isTrue(summary.dump.some((f) => f.span?.startsWith("request-")), "the dump shows the request fibers")
        assert.isTrue(captured.lines.some((l) => l.includes("fiber dump")))
      }).pipe(
        Effect.provide(Layer.mergeAll(
          Upstream.layer({ profile: { latencyMs: 20 } }),
          UpstreamClient.layer,
          LoopMonitor.layer({ interval: "100 millis", warnAbove: "50 millis" })
        ))
      ),
    60_000
  )
})
