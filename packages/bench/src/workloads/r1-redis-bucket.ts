/**
 * R1: a TokenBucket shared through Redis (`@fiberkit/redis` RedisTokenBucket), take() throughput with 1, 2
 * and 4 processes on one Redis. The rate is set far above what can be reached, so every figure is the cost
 * of the shared bookkeeping (one Lua script per batch of waiting callers, Redis TIME inside), not the limit.
 * 64 fibers per process call take() in a loop. The `ops/s` column counts from the moment every process was
 * ready to the last one's end (start-up excluded); the harness's own throughput column includes starting
 * redis-server and the TypeScript loader of each child. The in-process TokenBucket is the floor.
 * Skipped, with a line saying why, when redis-server is not installed.
 */
import { TokenBucket } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import { check, type Implementation, type Workload } from "../Workload.js"
import { redisUnavailable, runShared, share } from "./redis/harness.js"

const rate = 100_000_000
const burst = 1_000_000
const concurrency = 64

const shared = (processes: number): Implementation => ({
  kind: "fiberkit",
  run: async (n) => {
    const { results, wallMs } = await runShared(processes, (redisUrl, i) => ({
      kind: "bucket-throughput",
      redisUrl,
      name: "bench-r1",
      ops: share(n, processes, i),
      concurrency,
      rate,
      burst
    }))
    const done = results.reduce((total, r) => total + r.ops, 0)
    const opsPerSec = Math.round(done / (wallMs / 1000))
    return done === n ?
      check(true, `${opsPerSec} takes/s over ${processes} process(es)`, { "ops/s": opsPerSec }) :
      check(false, `${done} of ${n} takes`)
  }
})

export const workload: Workload = {
  id: "R1",
  title: "TokenBucket shared through Redis: take() throughput, 1/2/4 processes (rate not binding)",
  size: 20_000,
  unit: "takes",
  needsTsx: true,
  unavailable: redisUnavailable,
  columns: ["ops/s"],
  implementations: {
    "RedisTokenBucket, 1 process": shared(1),
    "RedisTokenBucket, 2 processes": shared(2),
    "RedisTokenBucket, 4 processes": shared(4),
    "in-process TokenBucket (floor)": {
      kind: "fiberkit",
      run: async (n) => {
        const start = performance.now()
        let taken = 0
        await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
          const bucket = yield* TokenBucket.make({ rate, per: "1 second", burst })
          let remaining = n
          const loop: Effect.Effect<void, unknown> = Effect.suspend(() => {
            if (remaining <= 0) return Effect.void
            remaining--
            return TokenBucket.take(bucket).pipe(Effect.zipRight(Effect.sync(() => taken++)), Effect.zipRight(loop))
          })
          yield* Effect.forEach(Array.from({ length: concurrency }), () => loop, {
            concurrency: "unbounded",
            discard: true
          })
        })))
        const opsPerSec = Math.round(taken / ((performance.now() - start) / 1000))
        return taken === n ? check(true, undefined, { "ops/s": opsPerSec }) : check(false, `${taken} of ${n} takes`)
      }
    }
  }
}
