import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "../src/program.js"

describe("demo-streams", () => {
  it.live("generators, pagination and file lines against real parts", () =>
    Effect.gen(function*() {
      const captured = CapturedConsole.make()
      const summary = yield* Effect.withConsole(program({ lines: 50_000 }), captured.console)
      assert.deepStrictEqual(summary.generators.taken, [10, 20, 30, 40, 50])
      assert.deepStrictEqual(summary.generators.log, [
        "generator finally ran",
        "stream finalizer ran",
        "loop moved on after break"
      ])
      assert.strictEqual(summary.pagination.items, 120)
      assert.deepStrictEqual(summary.pagination.firstNames, ["item-1", "item-2", "item-3"])
      // 120 items need pages 1-3; paging ahead is bounded by what mapBounded buffers
      assert.isAtMost(summary.pagination.pagesFetched, 4)
      assert.isAtLeast(summary.pagination.pagesFetched, 3)
      assert.isAtMost(summary.pagination.peakInFlight, 8)
      assert.isAtMost(summary.pagination.detailsFetched, 120 + 8)
      assert.strictEqual(summary.files.lines, 50_000)
      assert.strictEqual(summary.files.errors, Math.floor(50_000 / 97))
      // bounded memory: streaming holds about one chunk, reading whole holds the file (twice, as text and lines)
      assert.isBelow(summary.files.streamedHeapMb, summary.files.wholeHeapMb / 2)
      assert.isTrue(captured.lines.some((line) => line.includes("ERROR lines")))
    }).pipe(
      Effect.provide(
        Layer.mergeAll(Upstream.layer({ profile: { latencyMs: 10 } }), UpstreamClient.layer, NodeContext.layer)
      )
    ), 60_000)
})
