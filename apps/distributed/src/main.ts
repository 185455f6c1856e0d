import { RedisConnection, RedisServer } from "@fiberkit/redis"
import { Demo, Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Layer from "effect/Layer"
import { program } from "./program.js"

// `--timeline run.html` (or .svg, .json for Perfetto, .txt) records the coordinator's run and writes its picture.
Demo.main(
  program,
  Layer.mergeAll(
    RedisConnection.layerFromServer.pipe(Layer.provideMerge(RedisServer.layer())),
    Upstream.layer(),
    UpstreamClient.layer
  )
)
