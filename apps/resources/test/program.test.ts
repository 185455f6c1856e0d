import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import { program } from "../src/program.js"

describe("demo-resources", () => {
  it.live("pools real keep-alive connections to the upstream and closes them all", () =>
    Effect.gen(function*() {
      const captured = CapturedConsole.make()
      const summary = yield* Effect.withConsole(program, captured.console)
      assert.strictEqual(summary.burst.ok, 40)
      assert.isAtMost(summary.burst.peakSize, 5, "the pool never exceeds max")
      assert.strictEqual(summary.burst.peakInUse, 5)
      assert.isAtMost(summary.burst.serverPeakInFlight, 5, "the server never sees more than max requests at once")
      const perConnection = Object.values(summary.burst.requestsPerConnection)
      assert.strictEqual(perConnection.reduce((a, b) => a + b, 0), 40, "every request went over a pooled connection")
      assert.isAtMost(perConnection.length, 5)
      assert.isTrue(summary.broken.timedOut)
      // Retired by the health check or, if the idle sweep ran first, by the sweep: never reused either way.
      assert.isAtMost(summary.broken.unhealthy, 1)
      assert.notInclude(summary.broken.servedBy, summary.broken.cutConnection)
      assert.strictEqual(summary.idle.sizeAfter, 2, "idle connections above min expired")
      assert.strictEqual(summary.closed.destroyed, summary.closed.created, "closing the pool closed every connection")
      if (summary.closed.serverSideBefore !== undefined) assert.strictEqual(summary.closed.serverSideAfter, 0)
      assert.isTrue(captured.lines.some((line) => line.startsWith("   … size")), "progress is printed")
    }).pipe(Effect.provide(Upstream.layer())), 30_000)
})
