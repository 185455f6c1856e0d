/**
 * One worker process of the demo (started by the coordinator with `node --import tsx src/worker.ts <name>`).
 * It connects to the coordinator's Redis, joins the shared Limiter, TokenBucket and WorkQueue, runs its
 * handler fibers until the queue's input has ended and every item is processed, and says so on stdout.
 * Its stdin is the coordinator: when it closes (the coordinator ended or died), the worker stops too.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { WorkQueue } from "@fiberkit/core"
import { RedisConnection, RedisWorkQueue } from "@fiberkit/redis"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { configVariable, joinQueue, messagePrefix, type RunConfig, sharedLimits, type WorkerMessage } from "./shared.js"

const say = (message: WorkerMessage) =>
  Effect.sync(() => process.stdout.write(`${messagePrefix}${JSON.stringify(message)}\n`))

const stdinClosed = Effect.async<void>((resume) => {
  const done = () => resume(Effect.void)
  process.stdin.on("end", done)
  process.stdin.on("close", done)
  process.stdin.resume()
  return Effect.sync(() => {
    process.stdin.off("end", done)
    process.stdin.off("close", done)
    process.stdin.pause()
  })
})

const name = process.argv[2] ?? "worker"
const config = JSON.parse(process.env[configVariable] ?? "null") as RunConfig | null

const program = (config: RunConfig) =>
  Effect.scoped(Effect.gen(function*() {
    const queue = yield* joinQueue(config, name, config.fibersPerProcess)
    yield* say({ type: "ready", pid: process.pid })
    // The queue's end is global: awaitEnd returns once the coordinator has ended the input and nothing
    // is pending or in flight anywhere (items of a dead worker included, once redelivered and processed).
    yield* Effect.raceFirst(RedisWorkQueue.awaitEnd(queue), stdinClosed)
    const stats = yield* WorkQueue.statistics(queue)
    const mine = stats.processedByWorker.reduce((a, b) => a + b, 0)
    const failures = yield* WorkQueue.failures(queue)
    yield* say({
      type: "done",
      pid: process.pid,
      processed: mine,
      failed: failures.length,
      firstFailure: failures.length === 0 ?
        undefined :
        `item ${JSON.stringify(failures[0]!.item)}: ${Cause.pretty(failures[0]!.cause)}`
    })
  }))

if (config === null) {
  process.stderr.write(
    `worker ${name}: ${configVariable} is not set; the coordinator (src/program.ts) starts workers\n`
  )
  process.exit(2)
}

NodeRuntime.runMain(
  program(config).pipe(
    Effect.provide(
      sharedLimits(config).pipe(
        Layer.provideMerge(RedisConnection.layer({ url: config.redisUrl })),
        Layer.merge(NodeHttpClient.layerUndici)
      )
    )
  )
)
