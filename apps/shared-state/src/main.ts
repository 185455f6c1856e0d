import { Demo, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Layer from "effect/Layer"
import { program } from "./program.js"

Demo.main(program, Layer.merge(Upstream.layer({ profile: { latencyMs: 20 } }), UpstreamClient.layer))
