import { Demo, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Layer from "effect/Layer"
import { program } from "./program.js"

// `--timeline run.html` (or .svg, .json for Perfetto, .txt) records the run and writes its picture.
Demo.main(program, Layer.merge(Upstream.layer(), UpstreamClient.layer))
