import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "../src/program.js"

describe("demo-shared-state", () => {
  it.live("the racy balance is wrong; all four fixes are right", () =>
    Effect.gen(function*() {
      const captured = CapturedConsole.make()
      const summary = yield* Effect.withConsole(program, captured.console)
      assert.isBelow(summary.racy, summary.expected, "lost updates")
      assert.strictEqual(summary.refUpdate, 500)
      assert.strictEqual(summary.mutex, 500)
      assert.strictEqual(summary.mutexContended, 49)
      assert.strictEqual(summary.synchronizedRef, 500)
      assert.strictEqual(summary.messagePassing, 500)
      assert.isTrue(captured.lines.some((l) => l.includes("lost updates")))
    }).pipe(Effect.provide(Layer.merge(Upstream.layer({ profile: { latencyMs: 20 } }), UpstreamClient.layer))), 60_000)
})
