/**
 * A child process of the multi-process Redis workloads (`node --import tsx child.ts <job json>`): it opens
 * the shared RedisTokenBucket or RedisLimiter, says it is ready, waits for "go" on stdin (so start-up is
 * not timed), performs its share of the operations with `concurrency` fibers and prints its result.
 */
import { Limiter, TokenBucket } from "@fiberkit/core"
import { RedisConnection, RedisLimiter, RedisTokenBucket } from "@fiberkit/redis"
import * as Effect from "effect/Effect"
import * as readline from "node:readline"
// The accuracy run needs the Redis time of each admission: the bucket's test seam (internal) reports it.
import * as redisTokenBucketInternal from "../../../../redis/src/internal/redisTokenBucket.js"
import { type ChildResult, type Job, readyLine, resultPrefix } from "./job.js"

const job = JSON.parse(process.argv[2] ?? "null") as Job

const go = Effect.async<void>((resume) => {
  const lines = readline.createInterface({ input: process.stdin })
  lines.on("line", (line) => {
    if (line.trim() === "go") resume(Effect.void)
  })
  return Effect.sync(() => lines.close())
})

/** Runs `op` `job.ops` times in all, from `job.concurrency` fibers. */
const spread = <E, R>(op: Effect.Effect<void, E, R>) => {
  let remaining = job.ops
  const loop: Effect.Effect<void, E, R> = Effect.suspend(() => {
    if (remaining <= 0) return Effect.void
    remaining--
    return Effect.zipRight(op, loop)
  })
  return Effect.forEach(Array.from({ length: job.concurrency }), () => loop, {
    concurrency: "unbounded",
    discard: true
  })
}

const program = Effect.gen(function*() {
  const redis = yield* RedisConnection.RedisConnection
  const admittedAt: Array<number> = []
  const returnedAt: Array<number> = []
  let peakHolders = 0
  let op: Effect.Effect<void, unknown>
  const options = { name: job.name, rate: job.rate!, per: "1 second", burst: job.burst! } as const
  if (job.kind === "bucket-throughput") {
    const bucket = yield* RedisTokenBucket.make(options)
    op = TokenBucket.take(bucket)
  } else if (job.kind === "bucket-accuracy") {
    const bucket = yield* redisTokenBucketInternal.make(options, { onAdmit: (at) => void admittedAt.push(at) })
    op = Effect.zipRight(TokenBucket.take(bucket), Effect.sync(() => void returnedAt.push(Date.now())))
  } else {
    const limiter = yield* RedisLimiter.make({ name: job.name, permits: job.permits! })
    const holders = `${job.name}:holders`
    // The accuracy run counts holders in Redis itself, inside the permit: an observer independent of the
    // limiter's own bookkeeping.
    op = job.kind === "limiter-accuracy" ?
      Limiter.withPermit(limiter)(
        Effect.zipRight(
          Effect.flatMap(redis.use("holders+1", (client) => client.incr(holders)), (n) =>
            Effect.sync(() => {
              peakHolders = Math.max(peakHolders, n)
            })),
          redis.use("holders-1", (client) => client.decr(holders))
        )
      ) :
      Limiter.withPermit(limiter)(Effect.void)
  }
  process.stdout.write(`${readyLine}\n`)
  yield* go
  const start = performance.now()
  yield* spread(op)
  const result: ChildResult = {
    ops: job.ops,
    elapsedMs: performance.now() - start,
    ...(job.kind === "bucket-accuracy" ? { admittedAt, returnedAt } : {}),
    ...(job.kind === "limiter-accuracy" ? { peakHolders } : {})
  }
  process.stdout.write(`${resultPrefix}${JSON.stringify(result)}\n`)
})

Effect.runPromise(
  program.pipe(
    Effect.scoped,
    Effect.provide(RedisConnection.layer({ url: job.redisUrl, commandTimeout: "10 seconds" }))
  )
).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`redis bench child failed: ${String(error)}\n`)
    process.exit(1)
  }
)
