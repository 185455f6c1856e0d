import { TaskGroup, TokenBucket } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as RateLimiter from "effect/RateLimiter"
import PQueue from "p-queue"
import { check, type Workload } from "../Workload.js"

// N requests against a limit of 1000 per second with a burst of 10. Each implementation records the
// moment every request was let through (performance.now). Correct means: every request went through
// and no one-second window admitted more than rate + burst = 1010. Reported beside the time: the
// largest window and the achieved rate after the initial burst.
const rate = 1000
const burst = 10
const bound = rate + burst

const evaluate = (starts: ReadonlyArray<number>, n: number) => {
  const sorted = [...starts].sort((a, b) => a - b)
  let maxWindow = 0
  let lo = 0
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= 1000) lo++
    maxWindow = Math.max(maxWindow, hi - lo + 1)
  }
  const span = sorted.length > burst ? (sorted[sorted.length - 1]! - sorted[0]!) / 1000 : 0
  const achieved = span > 0 ? (sorted.length - burst) / span : 0
  const metrics = { "max window": maxWindow, "rate/s": Math.round(achieved) }
  if (starts.length !== n) return check(false, `${starts.length} of ${n} requests went through`, metrics)
  return maxWindow > bound ?
    check(false, `${maxWindow} admitted in one 1 s window (limit ${bound})`, metrics) :
    check(true, `max window ${maxWindow}, ${Math.round(achieved)}/s`, metrics)
}

/** Effect's RateLimiter: callers at a concurrency of 100 (3,000 simultaneous callers take 87 s and 3 GB). */
const effectRateLimiter = (limit: number, interval: string) => async (n: number) => {
  const starts: Array<number> = []
  await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const limiter = yield* RateLimiter.make({ limit, interval: interval as `${number} millis` })
    yield* Effect.forEach(
      Array.from({ length: n }),
      () => limiter(Effect.sync(() => starts.push(performance.now()))),
      { concurrency: 100, discard: true }
    )
  })))
  return evaluate(starts, n)
}

const pQueue = (intervalCap: number, interval: number) => async (n: number) => {
  const starts: Array<number> = []
  const queue = new PQueue({ intervalCap, interval })
  for (let i = 0; i < n; i++) void queue.add(() => starts.push(performance.now()))
  await queue.onIdle()
  return evaluate(starts, n)
}

/** The fiberkit rows differ only in how their n callers are started. */
const fiberkitBucket =
  (startCallers: (call: Effect.Effect<number, unknown>, n: number) => Effect.Effect<unknown, unknown>) =>
  async (n: number) => {
    const starts: Array<number> = []
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ rate, per: "1 second", burst })
      const call = Effect.sync(() => starts.push(performance.now())).pipe(TokenBucket.withTokens(bucket))
      yield* startCallers(call, n)
    })))
    return evaluate(starts, n)
  }

export const workload: Workload = {
  id: "W5",
  title: "token bucket 1000/s burst 10 (no 1 s window may admit > 1010)",
  size: 3000,
  unit: "requests",
  columns: ["max window", "rate/s"],
  implementations: {
    "fiberkit TokenBucket, callers started by TaskGroup.runAll": {
      kind: "fiberkit",
      // fiberkit's own fan-out: every caller waits at once, and the spawning loop yields every 64 forks,
      // so the bucket's turns are not held up behind a long fork loop.
      run: fiberkitBucket((call, n) => TaskGroup.runAll(Array.from({ length: n }, () => call)))
    },
    "fiberkit TokenBucket, callers started by a plain fork loop": {
      kind: "fiberkit",
      // Plain fork + join: the cheapest way to have n callers waiting at once, in one long loop.
      run: fiberkitBucket((call, n) =>
        Effect.gen(function*() {
          const callers: Array<Fiber.RuntimeFiber<number, unknown>> = []
          for (let i = 0; i < n; i++) callers.push(yield* Effect.fork(call))
          for (const caller of callers) yield* Fiber.join(caller)
        })
      )
    },
    "Effect RateLimiter 1000 per 1 s": { kind: "raw-effect", run: effectRateLimiter(1000, "1000 millis") },
    "Effect RateLimiter 10 per 10 ms": { kind: "raw-effect", run: effectRateLimiter(10, "10 millis") },
    "hand-written Promise bucket": {
      kind: "promise",
      run: async (n) => {
        // Continuous refill, FIFO through a promise chain: the floor a careful hand-written version reaches.
        const starts: Array<number> = []
        let tokens = burst
        let last = performance.now()
        let tail: Promise<void> = Promise.resolve()
        const acquire = () => {
          const turn = tail.then(async () => {
            for (;;) {
              const now = performance.now()
              tokens = Math.min(burst, tokens + ((now - last) * rate) / 1000)
              last = now
              if (tokens >= 1) {
                tokens -= 1
                return
              }
              await new Promise((resolve) => setTimeout(resolve, Math.ceil(((1 - tokens) * 1000) / rate)))
            }
          })
          tail = turn
          return turn
        }
        await Promise.all(Array.from({ length: n }, () => acquire().then(() => starts.push(performance.now()))))
        return evaluate(starts, n)
      }
    },
    "p-queue 9.3.5 10 per 10 ms": { kind: "library", run: pQueue(10, 10) },
    "p-queue 9.3.5 1000 per 1 s": { kind: "library", run: pQueue(1000, 1000) }
  },
  python: { name: "asyncio bucket + Lock", file: "w5_token_bucket.py" }
}
