/**
 * R3: a Limiter (8 permits) shared through Redis (`@fiberkit/redis` RedisLimiter): withPermit throughput
 * with 1, 2 and 4 processes of 16 fibers each, so there are always waiters (FIFO queue in Redis, wake-ups
 * over pub/sub). One acquire and one release script per operation. The accuracy run has every holder count
 * itself in a Redis counter (INCR inside the permit, DECR before leaving it): the highest count any holder
 * saw is the global peak, which must not exceed the permits. `ops/s` counts from the moment every process
 * was ready. Skipped, with a line saying why, when redis-server is not installed.
 */
import { check, type Implementation, type Workload } from "../Workload.js"
import { redisUnavailable, runShared, share } from "./redis/harness.js"

const permits = 8
const concurrency = 16

const shared = (processes: number, counted: boolean): Implementation => ({
  kind: "fiberkit",
  run: async (n) => {
    const { results, wallMs } = await runShared(processes, (redisUrl, i) => ({
      kind: counted ? "limiter-accuracy" : "limiter-throughput",
      redisUrl,
      name: "bench-r3",
      ops: share(n, processes, i),
      concurrency,
      permits
    }))
    const done = results.reduce((total, r) => total + r.ops, 0)
    const opsPerSec = Math.round(done / (wallMs / 1000))
    const metrics: Record<string, number> = { "ops/s": opsPerSec }
    if (done !== n) return check(false, `${done} of ${n} operations`, metrics)
    if (!counted) return check(true, `${opsPerSec} acquire+release/s over ${processes} process(es)`, metrics)
    const peak = Math.max(...results.map((r) => r.peakHolders ?? 0))
    metrics["global peak"] = peak
    return peak > permits ?
      check(false, `${peak} holders at once (permits ${permits})`, metrics) :
      check(true, `global peak ${peak} of ${permits} permits`, metrics)
  }
})

export const workload: Workload = {
  id: "R3",
  title: "Limiter (8 permits) shared through Redis: withPermit throughput, 1/2/4 processes × 16 fibers; global peak",
  size: 4_000,
  unit: "operations",
  needsTsx: true,
  unavailable: redisUnavailable,
  columns: ["ops/s", "global peak"],
  implementations: {
    "RedisLimiter, 1 process": shared(1, false),
    "RedisLimiter, 2 processes": shared(2, false),
    "RedisLimiter, 4 processes": shared(4, false),
    "RedisLimiter, 4 processes, holders counted": shared(4, true)
  }
}
