import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { LoopMonitor } from "@fiberkit/node"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "./program.js"

NodeRuntime.runMain(
  program({ useSignal: true }).pipe(
    Effect.provide(Layer.mergeAll(
      Upstream.layer({ profile: { latencyMs: 20 } }),
      UpstreamClient.layer,
      LoopMonitor.layer({ interval: "100 millis", warnAbove: "50 millis" })
    ))
  )
)
