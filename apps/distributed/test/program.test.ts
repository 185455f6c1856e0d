import { assert, describe, it } from "@effect/vitest"
import { Limiter, TokenBucket } from "@fiberkit/core"
import { RedisConnection, RedisServer } from "@fiberkit/redis"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { busiestWindow, defaults, program } from "../src/program.js"
import { handler, keys, priceOf, type RunConfig, UpstreamRate, UpstreamSlots } from "../src/shared.js"

const layer = Layer.mergeAll(
  RedisConnection.layerFromServer.pipe(Layer.provideMerge(RedisServer.layer())),
  Upstream.layer(),
  UpstreamClient.layer
)

describe("demo-distributed", () => {
  it("busiestWindow counts the starts inside the fullest window", () => {
    assert.strictEqual(busiestWindow([], 1000), 0)
    assert.strictEqual(busiestWindow([0, 999, 1000, 1999], 1000), 2)
    assert.strictEqual(busiestWindow([5, 0, 10, 3000, 3001], 1000), 3)
  })

  it.live("the handler's Limiter and TokenBucket tags take the local layers too (one process, no lease)", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.RedisServer
      const upstream = yield* Upstream.Upstream
      const config: RunConfig = { ...defaults, redisUrl: server.url, upstreamUrl: upstream.baseUrl, processes: 1 }
      const handle = handler(config, "local")
      // Two deliveries of item 7 and one of item 8: the second delivery of 7 finds the mark.
      const outcomes = yield* Effect.forEach([{ id: 7 }, { id: 8 }, { id: 7 }], handle)
      assert.deepStrictEqual(outcomes, ["applied", "applied", "skipped"])
      const redis = yield* RedisConnection.RedisConnection
      const revenue = yield* redis.use("revenue", (client) => client.get(keys.revenue))
      assert.strictEqual(Number(revenue), priceOf(7) + priceOf(8))
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          Limiter.layer(UpstreamSlots, { permits: defaults.permits }),
          TokenBucket.layer(UpstreamRate, { rate: defaults.rate, burst: defaults.burst }),
          layer
        )
      )
    ))

  it.live(
    "three processes, one killed: every item exactly once, the upstream within both limits",
    () =>
      Effect.gen(function*() {
        const captured = CapturedConsole.make()
        const summary = yield* Effect.withConsole(program, captured.console)
        const output = captured.lines.join("\n")

        // Exactly once: every id applied, one application each, the revenue is the sum of every price once.
        assert.strictEqual(summary.appliedItems, defaults.items, output)
        assert.deepStrictEqual(summary.missing, [])
        assert.strictEqual(summary.totals.applied, defaults.items, "one application per item, none twice")
        assert.strictEqual(summary.revenue, summary.expectedRevenue)
        // At least once underneath: the queue saw every item through, and the kill cost redeliveries.
        assert.strictEqual(summary.queue.offered, defaults.items)
        assert.strictEqual(summary.queue.succeeded, defaults.items)
        assert.strictEqual(summary.queue.failed, 0)
        assert.isAtLeast(summary.queue.redelivered, 1, "the killed worker's claims were redelivered")
        assert.isAtLeast(summary.killed.inFlight, 1, "it was killed in the middle of an item")
        assert.isAtLeast(summary.totals.redeliveries, 1, "a handler recognised a redelivered item")
        assert.strictEqual(
          summary.totals.deliveries,
          summary.totals.applied + summary.totals.duplicates + summary.totals.skipped + summary.totals.inFlight,
          "every delivery is accounted for: applied, duplicate, skipped, or cut off by the kill"
        )
        // Three workers, one killed; the two survivors finished on their own and did work.
        assert.strictEqual(summary.workers.length, 3)
        assert.deepStrictEqual(summary.workers.map((w) => w.killed), [false, true, false])
        for (const w of summary.workers.filter((w) => !w.killed)) {
          assert.isAbove(w.applied, 0)
          assert.strictEqual(w.inFlight, 0, `${w.name} left nothing half done`)
        }

        // The upstream's own records: never more than the permits in flight, no 1 s window over rate + burst.
        assert.isAtMost(summary.upstream.peakInFlight, defaults.permits, output)
        assert.isAtMost(summary.upstream.busiestWindow, defaults.rate + defaults.burst, output)
        // A call is counted just before it is sent: only the killed worker can have counted one it never sent.
        assert.isAtMost(summary.upstream.requests, summary.totals.upstream)
        const cutOff = summary.workers.find((w) => w.killed)!.inFlight
        assert.isAtLeast(summary.upstream.requests, summary.totals.upstream - cutOff)

        assert.include(output, "every item exactly once")
        assert.match(output, /kill -9 worker-2 \(pid \d+\)/)
        assert.match(output, /applied +\d+\/250/, "progress lines were printed")
      }).pipe(Effect.provide(layer)),
    120_000
  )
})
