import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Upstream from "./Upstream.js"

// pnpm --filter @fiberkit/upstream start -- --port 8080 [--latency 100] [--failure-rate 0.1]
const flag = (name: string): number | undefined => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? undefined : Number(process.argv[at + 1])
}

const latencyMs = flag("latency")
const failureRate = flag("failure-rate")
const layer = Upstream.layer({
  port: flag("port") ?? 8080,
  profile: {
    ...(latencyMs === undefined ? {} : { latencyMs }),
    ...(failureRate === undefined ? {} : { failureRate })
  }
})

const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  yield* Effect.log(`upstream listening on ${upstream.baseUrl} (GET /stats for counters; Ctrl-C to stop)`)
  return yield* Effect.never
})

NodeRuntime.runMain(program.pipe(Effect.provide(Layer.orDie(layer))))
