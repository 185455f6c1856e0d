import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import { makeProgram } from "../src/program.js"

describe("demo-timeline", () => {
  it.live("records four runs against the real upstream and writes their pictures", () =>
    Effect.gen(function*() {
      const captured = CapturedConsole.make()
      const summary = yield* Effect.withConsole(makeProgram({ width: 100 }), captured.console)
      const out = captured.lines.join("\n")
      try {
        // 1. one failure interrupts the two slow siblings, and the upstream saw both requests aborted.
        assert.match(summary.group.failure, /500/)
        assert.deepStrictEqual([...summary.group.interrupted].sort(), ["preferences", "user"])
        assert.strictEqual(summary.group.aborted, 2)
        // The lanes show it: the group's interrupt mark, then the interrupted end.
        assert.match(out, /^ +user +│[^│]*↯[^│]*⊘ *│ interrupted by main/m)
        assert.match(out, /^ +orders +│[^│]*✗ *│ failed: UpstreamError/m)
        // 2. the herd: one request per worker, versus one request in all.
        assert.strictEqual(summary.herd.brokenRequests, 20)
        assert.strictEqual(summary.herd.fixedRequests, 1)
        assert.isAtLeast(summary.herd.fixedSuspended, 1)
        // 3. the leak: the daemon poller is still running when the recording ends; the scoped one was interrupted.
        assert.strictEqual(summary.leak.brokenPollerOutcome, "running")
        assert.isAtLeast(summary.leak.brokenPollsAfterEnd, 1)
        assert.strictEqual(summary.leak.fixedPollerOutcome, "interrupted")
        assert.strictEqual(summary.leak.fixedPollsAfterEnd, 0)
        // 4. the blocked loop: one uninterrupted run versus sixteen slices.
        assert.strictEqual(summary.blockedLoop.brokenWorkerRuns, 1)
        assert.isAtLeast(summary.blockedLoop.fixedWorkerRuns, 16)
        // Every picture exists: 7 runs × (html, trace, text).
        assert.strictEqual(summary.files.length, 21)
        for (const file of summary.files) assert.isTrue(fs.statSync(file).size > 0, file)
        const html = fs.readFileSync(summary.files[0]!, "utf8")
        assert.include(html, "<svg")
        assert.include(out, `wrote 21 files to ${summary.outDir}`)
      } finally {
        fs.rmSync(summary.outDir, { recursive: true, force: true })
      }
    }).pipe(
      Effect.provide(Layer.mergeAll(Upstream.layer(), UpstreamClient.layer, NodeContext.layer))
    ), 60_000)
})
