import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import { CapturedConsole, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawnSync } from "node:child_process"
import { program } from "../src/program.js"

const redisInstalled = spawnSync("redis-server", ["--version"]).status === 0

describe("demo-ecosystem", () => {
  it.live("HttpClient, FileSystem, @effect/sql and Redis (or a clear skip), for real", () =>
    Effect.gen(function*() {
      const captured = CapturedConsole.make()
      const summary = yield* Effect.withConsole(program, captured.console)
      assert.deepStrictEqual(summary.http, { user: "User 42", orders: 3, retriedStatus: 503 })
      assert.deepStrictEqual(summary.files, { lines: 4, bytes: 61 })
      // items 3, 14, 15, 92, 65, 35 have price id % 97
      assert.deepStrictEqual(summary.sql, {
        rows: 6,
        total: 3 + 14 + 15 + 92 + 65 + 35,
        cheapest: "item-3",
        rolledBack: true,
        rowsAfterRollback: 6
      })
      if (redisInstalled) {
        assert.deepStrictEqual(summary.redis, { skipped: false, value: { user: "42", cart: [3, 14] }, missing: true })
      } else {
        assert.isTrue(summary.redis.skipped)
        assert.isTrue(captured.lines.some((line) => line.includes("skipped: redis-server is not installed")))
      }
    }).pipe(
      Effect.provide(
        Layer.mergeAll(Upstream.layer({ profile: { latencyMs: 10 } }), UpstreamClient.layer, NodeContext.layer)
      )
    ), 60_000)
})
