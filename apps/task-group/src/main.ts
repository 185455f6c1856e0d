import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as FileSystem from "@effect/platform/FileSystem"
import { Timeline } from "@fiberkit/core"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "./program.js"

NodeRuntime.runMain(
  program.pipe(
    // `--timeline run.html` (or .json for Perfetto, .txt) records the run and writes its picture.
    Timeline.fromArgv(
      process.argv,
      (path, text) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.writeFileString(path, text))
    ),
    Effect.provide(Layer.mergeAll(Upstream.layer(), UpstreamClient.layer, NodeFileSystem.layer))
  )
)
