import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as FileSystem from "@effect/platform/FileSystem"
import { Timeline } from "@fiberkit/core"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { makeProgram } from "./program.js"

// `--out <dir>` keeps the pictures there (default: a new temp directory).
const outAt = process.argv.indexOf("--out")
const outDir = outAt >= 0 ? process.argv[outAt + 1] : undefined

NodeRuntime.runMain(
  makeProgram({ width: process.stdout.columns ?? 100, ...(outDir === undefined ? {} : { outDir }) }).pipe(
    Timeline.fromArgv(
      process.argv,
      (path, contents) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.writeFileString(path, contents))
    ),
    Effect.provide(Layer.mergeAll(Upstream.layer(), UpstreamClient.layer, NodeContext.layer))
  )
)
