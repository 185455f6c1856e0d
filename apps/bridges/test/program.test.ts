import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "../src/program.js"

describe("demo-bridges", () => {
  it.live("runs the five bridges against the real upstream", () =>
    Effect.gen(function*() {
      const captured = CapturedConsole.make()
      const summary = yield* Effect.withConsole(program, captured.console)
      // 1. the signal really aborts; without it the server finishes the work for nobody
      assert.deepStrictEqual(summary.promise.withSignal, { outcome: "TimeoutException", aborted: 1 })
      assert.deepStrictEqual(summary.promise.withoutSignal, { outcome: "TimeoutException", aborted: 0, finished: 1 })
      assert.match(summary.promise.rejection, /^RejectedError: GET closed port rejected with TypeError/)
      // 2. callbacks: value delivered, cleanup on interruption, no listener left
      assert.deepStrictEqual(summary.callbacks, { fileBytes: 28, timerCleared: true, listenersLeft: 0 })
      // 3. the edge: three answers, one client disconnect interrupted its effect and aborted its upstream call
      assert.strictEqual(summary.edge.answers.length, 3)
      assert.deepStrictEqual(JSON.parse(summary.edge.answers[2]!), { id: 7, name: "item-7", price: 7 })
      assert.include(summary.edge.statistics, { succeeded: 3, interrupted: 1, running: 0, closed: true })
      assert.strictEqual(summary.edge.upstreamAborted, 1)
      assert.isTrue(summary.edge.released)
      // 4. the nested runPromise detached, the runner did not
      assert.deepStrictEqual(summary.nested, { detachedKeptRunning: true, runnerInterrupted: true })
      // 5. prices of items 1, 2, 3, 50, 96 (price = id % 97) fetched by the main thread for the worker
      assert.strictEqual(summary.threads.total, 1 + 2 + 3 + 50 + 96)
      assert.strictEqual(summary.threads.mainCalls, 5)
      assert.isTrue(captured.lines.some((line) => line.includes("upstream /hang: 1 started, 1 aborted")))
    }).pipe(Effect.provide(Layer.merge(Upstream.layer({ profile: { latencyMs: 20 } }), UpstreamClient.layer))), 60_000)
})
