import * as NodeContext from "@effect/platform-node/NodeContext"
import { Demo, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Layer from "effect/Layer"
import { makeProgram } from "./program.js"

// `--out <dir>` keeps the pictures there (default: a new temp directory).
const outAt = process.argv.indexOf("--out")
const outDir = outAt >= 0 ? process.argv[outAt + 1] : undefined

Demo.main(
  makeProgram({ width: process.stdout.columns ?? 100, ...(outDir === undefined ? {} : { outDir }) }),
  Layer.mergeAll(Upstream.layer(), UpstreamClient.layer, NodeContext.layer)
)
