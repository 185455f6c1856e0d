import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { countPrimes } from "../src/jobs.js"
import { program } from "../src/program.js"

describe("demo-offload", () => {
  it.live("runs the jobs three ways and measures the event loop", () =>
    Effect.gen(function*() {
      const captured = CapturedConsole.make()
      const summary = yield* Effect.withConsole(program({ jobs: 2, limit: 8_000_000 }), captured.console)
      const expected = countPrimes(8_000_000)
      assert.deepStrictEqual(summary.ways.map((w) => w.name), ["main thread", "pool of 1", "pool of 2"])
      for (const way of summary.ways) assert.deepStrictEqual(way.primes, [expected, expected])
      const [main, one, two] = summary.ways
      // On the main thread the loop waits for a whole sieve; offloaded it only waits for messages.
      assert.isAbove(main!.loopMaxMs, one!.loopMaxMs)
      assert.isAbove(main!.loopMaxMs, two!.loopMaxMs)
      assert.deepStrictEqual(summary.timeout, { interrupted: 1, replaced: 1, afterwards: 168 })
      assert.isTrue(captured.lines.some((line) => line.includes("outcome: TimeoutException")))
      assert.isTrue(captured.lines.some((line) => line.startsWith("   main thread")))
    }).pipe(Effect.provide(Layer.merge(Upstream.layer({ profile: { latencyMs: 0 } }), UpstreamClient.layer))), 60_000)
})
