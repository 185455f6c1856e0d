import { LoopMonitor } from "@fiberkit/node"
import { Demo, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Layer from "effect/Layer"
import { program } from "./program.js"

Demo.main(
  program({ useSignal: true }),
  Layer.mergeAll(
    Upstream.layer({ profile: { latencyMs: 20 } }),
    UpstreamClient.layer,
    LoopMonitor.layer({ interval: "100 millis", warnAbove: "50 millis" })
  )
)
