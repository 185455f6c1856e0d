import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Upstream } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import { program } from "./program.js"

NodeRuntime.runMain(
  program.pipe(Effect.provide(Upstream.layer()))
)
