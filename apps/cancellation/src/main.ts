import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Demo, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Layer from "effect/Layer"
import { program } from "./program.js"

Demo.main(program, Layer.mergeAll(Upstream.layer(), UpstreamClient.layer, NodeFileSystem.layer))
