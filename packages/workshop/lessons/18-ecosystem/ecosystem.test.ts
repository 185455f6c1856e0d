import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { loadLesson } from "../_shared/lesson.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

const live = Layer.mergeAll(Upstream.layer({ profile: { latencyMs: 5 } }), UpstreamClient.layer, NodeFileSystem.layer)

describe("lesson 18: the ecosystem", () => {
  it.live("fetchUser gets and decodes a user from the real upstream, and fails on a 500", () =>
    Effect.gen(function*() {
      const user = yield* lesson.fetchUser("7")
      assert.deepStrictEqual(user, { id: "7", name: "User 7" })
      const failed = yield* Effect.exit(lesson.fetchUser("7?fail=500"))
      assert.isTrue(Exit.isFailure(failed), "a 500 must be a failure, not a decoded body")
    }).pipe(Effect.provide(live)))

  it.live("saveUser and loadUser round-trip through a real temp dir", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const path = yield* lesson.saveUser({ id: "9", name: "Nine" }, dir)
      assert.strictEqual(path, `${dir}/user-9.json`)
      assert.deepStrictEqual(JSON.parse(yield* fs.readFileString(path)), { id: "9", name: "Nine" })
      assert.deepStrictEqual(yield* lesson.loadUser(path), { id: "9", name: "Nine" })
      yield* fs.writeFileString(`${dir}/bad.json`, JSON.stringify({ id: 9 }))
      assert.isTrue(Exit.isFailure(yield* Effect.exit(lesson.loadUser(`${dir}/bad.json`))), "bad data must not decode")
    }).pipe(Effect.scoped, Effect.provide(live)))
})
