import * as Deadline from "@fiberkit/core/Deadline"
import * as Effect from "effect/Effect"
import { check, type Workload } from "../Workload.js"

// N operations, each a 1 s sleep under a 10 ms timeout, run by 1000 workers pulling from a shared
// counter (the same driver in every implementation). Each operation records how long it took beyond
// its 10 ms budget; every one must end by its timeout, and its 1 s sleep must be cancelled.
const SLEEP_MS = 1000
const TIMEOUT_MS = 10
const CONCURRENCY = 1000

const summarize = (overshoots: Array<number>, timedOut: number, n: number, expectTimeouts = true) => {
  const sorted = Float64Array.from(overshoots).sort()
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? NaN
  const earliest = sorted[0] ?? NaN
  return check(
    timedOut === (expectTimeouts ? n : 0) && overshoots.length === n && earliest > -2,
    `${timedOut}/${n} timed out, earliest return ${earliest.toFixed(1)} ms after the 10 ms budget`,
    { "mean over ms": mean, "p99 over ms": p99 }
  )
}

const effectDriver = <E>(
  n: number,
  op: Effect.Effect<unknown, E>,
  isTimeout: (e: E) => boolean,
  expectTimeouts = true
) =>
  Effect.gen(function*() {
    const overshoots: Array<number> = []
    let next = 0
    let timedOut = 0
    const one = Effect.suspend(() => {
      const start = performance.now()
      return Effect.matchEffect(op, {
        onFailure: (e) =>
          Effect.sync(() => {
            overshoots.push(performance.now() - start - TIMEOUT_MS)
            if (isTimeout(e)) timedOut++
          }),
        onSuccess: () => Effect.sync(() => overshoots.push(performance.now() - start - TIMEOUT_MS))
      })
    })
    const worker = Effect.whileLoop({ while: () => next++ < n, body: () => one, step: () => {} })
    yield* Effect.all(Array.from({ length: Math.min(CONCURRENCY, n) }, () => worker), {
      concurrency: "unbounded",
      discard: true
    })
    return summarize(overshoots, timedOut, n, expectTimeouts)
  })

const promiseDriver = async (n: number, op: () => Promise<"timeout" | "done">) => {
  const overshoots: Array<number> = []
  let next = 0
  let timedOut = 0
  const worker = async () => {
    while (next++ < n) {
      const start = performance.now()
      const outcome = await op()
      overshoots.push(performance.now() - start - TIMEOUT_MS)
      if (outcome === "timeout") timedOut++
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, n) }, worker))
  return summarize(overshoots, timedOut, n)
}

const sleepOp = Effect.sleep(SLEEP_MS)

export const workload: Workload = {
  id: "W4",
  title: "1 s operations under a 10 ms timeout, 1000 at a time",
  size: 10_000,
  unit: "operations",
  columns: ["mean over ms", "p99 over ms"],
  implementations: {
    "fiberkit Deadline.timeout (wait)": {
      kind: "fiberkit",
      run: (n) =>
        Effect.runPromise(
          effectDriver(n, Deadline.timeout(sleepOp, { after: TIMEOUT_MS, label: "op" }), Deadline.isTimeoutExceeded)
        )
    },
    "fiberkit Deadline.timeout (detach)": {
      kind: "fiberkit",
      run: (n) =>
        Effect.runPromise(
          effectDriver(
            n,
            Deadline.timeout(sleepOp, { after: TIMEOUT_MS, label: "op", cleanup: "detach" }),
            Deadline.isTimeoutExceeded
          )
        )
    },
    "Effect.timeout": {
      kind: "raw-effect",
      run: (n) =>
        Effect.runPromise(
          effectDriver(n, Effect.timeout(sleepOp, TIMEOUT_MS), (e) => e._tag === "TimeoutException")
        )
    },
    // Not a timeout: the same driver with each operation replaced by a plain 10 ms sleep. No Effect-level
    // timeout can cost less than this (it needs the sleep, plus a timer and an interruption), so it
    // shows how much of the gap to Promise.race is the Effect driver itself.
    "reference: Effect.sleep(10 ms) alone, no timeout": {
      kind: "raw-effect",
      run: (n) => Effect.runPromise(effectDriver(n, Effect.sleep(TIMEOUT_MS), () => false, false))
    },
    "AbortSignal.timeout + Promise": {
      kind: "library",
      run: (n) =>
        promiseDriver(n, () =>
          new Promise((resolve) => {
            const signal = AbortSignal.timeout(TIMEOUT_MS)
            const timer = setTimeout(() => resolve("done"), SLEEP_MS)
            signal.addEventListener("abort", () => {
              clearTimeout(timer)
              resolve("timeout")
            }, { once: true })
          }))
    },
    "Promise.race (floor)": {
      kind: "promise",
      run: (n) =>
        promiseDriver(n, () => {
          let sleepTimer: ReturnType<typeof setTimeout> | undefined
          let budgetTimer: ReturnType<typeof setTimeout> | undefined
          return Promise.race([
            new Promise<"done">((resolve) => {
              sleepTimer = setTimeout(() => resolve("done"), SLEEP_MS)
            }),
            new Promise<"timeout">((resolve) => {
              budgetTimer = setTimeout(() => resolve("timeout"), TIMEOUT_MS)
            })
          ]).finally(() => {
            clearTimeout(sleepTimer)
            clearTimeout(budgetTimer)
          })
        })
    }
  },
  python: { name: "asyncio.timeout", file: "w4_timeout.py" }
}
