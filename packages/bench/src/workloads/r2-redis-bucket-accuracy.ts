/**
 * R2: the accuracy of a TokenBucket shared through Redis, W5's limit (1000/s, burst 10) with 3,000 takes
 * split over 1 and 4 processes (32 fibers each, all waiting at once). Each take's return is stamped with the
 * machine's clock (performance.timeOrigin + now, comparable across processes); correct means every take
 * went through and no one-second window held more than rate + burst = 1010. The bucket counts on the Redis
 * clock; a caller sees its admission one return trip later, so these windows include that jitter.
 * Skipped, with a line saying why, when redis-server is not installed.
 */
import { check, type Implementation, type Workload } from "../Workload.js"
import { busiestWindow, redisUnavailable, runShared, share } from "./redis/harness.js"

const rate = 1000
const burst = 10
const bound = rate + burst

const shared = (processes: number): Implementation => ({
  kind: "fiberkit",
  run: async (n) => {
    const { results } = await runShared(processes, (redisUrl, i) => ({
      kind: "bucket-accuracy",
      redisUrl,
      name: "bench-r2",
      ops: share(n, processes, i),
      concurrency: 32,
      rate,
      burst
    }))
    const times = results.flatMap((r) => r.admittedAt ?? [])
    const sorted = [...times].sort((a, b) => a - b)
    const maxWindow = busiestWindow(times, 1000)
    const span = sorted.length > burst ? (sorted[sorted.length - 1]! - sorted[0]!) / 1000 : 0
    const achieved = span > 0 ? Math.round((sorted.length - burst) / span) : 0
    const metrics = { "max window": maxWindow, "rate/s": achieved }
    if (times.length !== n) return check(false, `${times.length} of ${n} takes went through`, metrics)
    return maxWindow > bound ?
      check(false, `${maxWindow} admitted in one 1 s window (limit ${bound})`, metrics) :
      check(true, `max window ${maxWindow}, ${achieved}/s over ${processes} process(es)`, metrics)
  }
})

export const workload: Workload = {
  id: "R2",
  title: "TokenBucket shared through Redis: 1000/s burst 10, 3,000 takes over 1 and 4 processes (no 1 s window > 1010)",
  size: 3000,
  unit: "takes",
  fixedSize: true,
  needsTsx: true,
  unavailable: redisUnavailable,
  columns: ["max window", "rate/s"],
  implementations: {
    "RedisTokenBucket, 1 process": shared(1),
    "RedisTokenBucket, 4 processes": shared(4)
  }
}
