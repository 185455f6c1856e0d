import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "../src/program.js"

describe("demo-error-groups", () => {
  it.live(
    "settles, handles by kind, re-raises the rest and fails fast, against the real upstream",
    () =>
      Effect.gen(function*() {
        const captured = CapturedConsole.make()
        const summary = yield* Effect.withConsole(program, captured.console)
        // Act 1: every item accounted for, failures grouped by kind and attributed to their item.
        assert.strictEqual(summary.settle.succeeded, 6)
        assert.deepStrictEqual(
          Object.fromEntries(
            Object.entries(summary.settle.failedByTag).map(([k, v]) => [k, [...v].sort((a, b) => a - b)])
          ),
          { NotFound: [3, 8], ServerError: [5, 10, 11], TimedOut: [7] }
        )
        assert.isAtMost(summary.settle.peakInFlight, 4)
        assert.match(summary.settle.tree, /^ErrorGroup "items" \(settle\): 6 failures/)
        assert.include(summary.settle.tree, "[#2 item 3] NotFound: item 3 does not exist (404)")
        assert.include(summary.settle.tree, "[#6 item 7] TimedOut: item 7: no answer within 1000 ms")
        // Act 2: each handler saw all of its kind; ServerError was re-raised, all three of them.
        assert.sameMembers([...summary.exceptStar.handled.NotFound!], [3, 8])
        assert.sameMembers([...summary.exceptStar.handled.TimedOut!], [7])
        assert.sameMembers([...summary.exceptStar.reraised], [
          "item 5: the server answered 500",
          "item 10: the server answered 503",
          "item 11: the server answered 500"
        ])
        assert.match(summary.exceptStar.reraisedTree, /^ErrorGroup "re-raised": 3 failures/)
        // Act 3: item 3 fails at ~20 ms while items 1, 2 and 4 wait 1.5 s: they are cut short, 5..12 never start.
        assert.strictEqual(summary.failFast.firstFailure, "item 3 does not exist (404)")
        assert.strictEqual(summary.failFast.cutShort, 3)
        assert.strictEqual(summary.failFast.neverStarted, 8)
        assert.strictEqual(summary.failFast.serverStarted, 4)
        assert.strictEqual(summary.failFast.serverAborted, 3)
        assert.isTrue(captured.lines.some((l) => l.includes("NotFound: 2 items gone")))
        assert.isTrue(captured.lines.some((l) => l.includes("upstream saw 4 requests, 3 aborted by the client")))
      }).pipe(
        Effect.provide(Layer.merge(Upstream.layer({ profile: { latencyMs: 50 } }), UpstreamClient.layer))
      ),
    30_000
  )
})
