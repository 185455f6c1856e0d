import * as NodeContext from "@effect/platform-node/NodeContext"
import { Demo, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Layer from "effect/Layer"
import { program } from "./program.js"

Demo.main(
  program,
  Layer.mergeAll(Upstream.layer({ profile: { latencyMs: 10 } }), UpstreamClient.layer, NodeContext.layer)
)
