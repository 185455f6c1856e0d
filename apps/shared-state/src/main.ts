import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { program } from "./program.js"

NodeRuntime.runMain(
  program.pipe(Effect.provide(Layer.merge(Upstream.layer({ profile: { latencyMs: 20 } }), UpstreamClient.layer)))
)
