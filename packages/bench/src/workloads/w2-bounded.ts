import { Limiter } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import pLimit from "p-limit"
import pMap from "p-map"
import PQueue from "p-queue"
import { check, type Workload } from "../Workload.js"

// N items come from a generator (never an array up front). Processing item i yields once to the
// scheduler and produces i * 2; the results are summed, so the sum proves none was lost or repeated.
const concurrency = 100

function* items(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i
}

const verify = (sum: number, n: number, extra?: Readonly<Record<string, number>>) =>
  check(sum === n * (n - 1), `sum ${sum}, expected ${n * (n - 1)}`, extra)

const effectItem = (i: number) => Effect.as(Effect.yieldNow(), i * 2)

const promiseItem = async (i: number): Promise<number> => {
  await Promise.resolve()
  return i * 2
}

/** Counts the items in flight, so that each implementation proves it respected the limit. */
const tracker = () => {
  let running = 0
  let peak = 0
  return {
    enter: () => {
      running++
      if (running > peak) peak = running
    },
    exit: () => {
      running--
    },
    get peak() {
      return peak
    }
  }
}

const withPeak = (sum: number, n: number, peak: number) => {
  const result = verify(sum, n, { "peak in flight": peak })
  return result.ok && peak > concurrency ? check(false, `peak in flight ${peak} > ${concurrency}`) : result
}

export const workload: Workload = {
  id: "W2",
  title: "bounded processing, concurrency 100",
  size: 1_000_000,
  unit: "items",
  columns: ["peak in flight"],
  implementations: {
    "fiberkit Limiter.forEach": {
      kind: "fiberkit",
      run: async (n) => {
        let sum = 0
        const t = tracker()
        await Effect.runPromise(
          Limiter.forEach(items(n), (i) =>
            Effect.suspend(() => {
              t.enter()
              return Effect.map(effectItem(i), (v) => {
                t.exit()
                sum += v
              })
            }), { concurrency, discard: true })
        )
        return withPeak(sum, n, t.peak)
      }
    },
    "fiberkit Limiter.forEachBatch (1000)": {
      kind: "fiberkit",
      run: async (n) => {
        let sum = 0
        const t = tracker()
        // Batches of 1000 items, each batch processed by a pool of 100: asyncio's "gather in batches".
        await Effect.runPromise(
          Limiter.forEachBatch(items(n), (batch) =>
            Limiter.forEach(batch, (i) =>
              Effect.suspend(() => {
                t.enter()
                return Effect.map(effectItem(i), (v) => {
                  t.exit()
                  sum += v
                })
              }), { concurrency, discard: true }), { size: 1000 })
        )
        return withPeak(sum, n, t.peak)
      }
    },
    "Effect.forEach concurrency 100": {
      kind: "raw-effect",
      run: async (n) => {
        let sum = 0
        const t = tracker()
        await Effect.runPromise(
          Effect.forEach(items(n), (i) =>
            Effect.suspend(() => {
              t.enter()
              return Effect.map(effectItem(i), (v) => {
                t.exit()
                sum += v
              })
            }), { concurrency, discard: true })
        )
        return withPeak(sum, n, t.peak)
      }
    },
    "Promise worker pool": {
      kind: "promise",
      run: async (n) => {
        let sum = 0
        const t = tracker()
        const iterator = items(n)
        const worker = async () => {
          for (let next = iterator.next(); next.done !== true; next = iterator.next()) {
            t.enter()
            const v = await promiseItem(next.value)
            t.exit()
            sum += v
          }
        }
        await Promise.all(Array.from({ length: concurrency }, worker))
        return withPeak(sum, n, t.peak)
      }
    },
    "p-map 7.1.1": {
      kind: "library",
      run: async (n) => {
        let sum = 0
        const t = tracker()
        await pMap(items(n), async (i) => {
          t.enter()
          const v = await promiseItem(i)
          t.exit()
          sum += v
        }, { concurrency })
        return withPeak(sum, n, t.peak)
      }
    },
    "p-limit 7.3.3 (a promise per item)": {
      kind: "library",
      run: async (n) => {
        let sum = 0
        const t = tracker()
        const limit = pLimit(concurrency)
        await Promise.all(Array.from(items(n), (i) =>
          limit(async () => {
            t.enter()
            const v = await promiseItem(i)
            t.exit()
            sum += v
          })))
        return withPeak(sum, n, t.peak)
      }
    },
    "p-queue 9.3.5 (every item queued)": {
      kind: "library",
      run: async (n) => {
        let sum = 0
        const t = tracker()
        const queue = new PQueue({ concurrency })
        for (const i of items(n)) {
          void queue.add(async () => {
            t.enter()
            const v = await promiseItem(i)
            t.exit()
            sum += v
          })
        }
        await queue.onIdle()
        return withPeak(sum, n, t.peak)
      }
    }
  },
  python: { name: "asyncio worker pool", file: "w2_bounded.py" }
}
