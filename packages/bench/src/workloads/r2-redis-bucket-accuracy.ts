/**
 * R2: the accuracy of a TokenBucket shared through Redis, W5's limit (1000/s, burst 10) with 3,000 takes
 * split over 1 and 4 processes (32 fibers each, all waiting at once). Correct means every take went through
 * and no one-second window held more than rate + burst = 1010 on the clock the guarantee is stated on: the
 * Redis time of each admission (reported by the bucket's internal test seam). Beside it, the same windows
 * on the callers' side (when each take returned, host clock): a caller hears of its admission one return
 * trip later, so there the bound is rate + burst + rate × the largest admission-to-return delay measured.
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
    const admitted = results.flatMap((r) => r.admittedAt ?? [])
    const returned = results.flatMap((r) => r.returnedAt ?? [])
    // Per process, the k-th return comes after the k-th admission (Date.now() truncates to the ms: + 1).
    let delay = 0
    for (const r of results) {
      const a = [...(r.admittedAt ?? [])].sort((x, y) => x - y)
      const b = [...(r.returnedAt ?? [])].sort((x, y) => x - y)
      for (let k = 0; k < Math.min(a.length, b.length); k++) delay = Math.max(delay, b[k]! + 1 - a[k]!)
    }
    const sorted = [...admitted].sort((a, b) => a - b)
    const maxWindow = busiestWindow(admitted, 1000)
    const callersWindow = busiestWindow(returned, 1000)
    const callersBound = bound + Math.ceil((rate * delay) / 1000)
    const span = sorted.length > burst ? (sorted[sorted.length - 1]! - sorted[0]!) / 1000 : 0
    const achieved = span > 0 ? Math.round((sorted.length - burst) / span) : 0
    const metrics = { "max window": maxWindow, "callers' window": callersWindow, "delay ms": delay, "rate/s": achieved }
    if (admitted.length !== n || returned.length !== n) {
      return check(false, `${admitted.length} admitted, ${returned.length} returned, of ${n} takes`, metrics)
    }
    if (maxWindow > bound) {
      return check(false, `${maxWindow} admitted in one 1 s window of Redis time (limit ${bound})`, metrics)
    }
    if (callersWindow > callersBound) {
      return check(
        false,
        `${callersWindow} returned in one 1 s window (limit ${callersBound} with a ${delay} ms delay)`,
        metrics
      )
    }
    return check(
      true,
      `max window ${maxWindow} (callers ${callersWindow}), ${achieved}/s over ${processes} process(es)`,
      metrics
    )
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
  columns: ["max window", "callers' window", "delay ms", "rate/s"],
  implementations: {
    "RedisTokenBucket, 1 process": shared(1),
    "RedisTokenBucket, 4 processes": shared(4)
  }
}
