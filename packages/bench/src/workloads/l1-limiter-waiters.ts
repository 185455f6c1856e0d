import { Limiter } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import { check, type Workload } from "../Workload.js"

// N fibers queue at once on a limiter of 1 permit; each holds it across one yield. The run times
// N/2 and N waiters in the same process: with a direct hand-off the cost is linear (ratio about 2),
// with a wake-everyone semaphore it grows with the square of the waiters (ratio about 4).
type Guard = (effect: Effect.Effect<void>) => Effect.Effect<void, unknown>

const timeWaiters = async (n: number, guard: Guard) => {
  const order: Array<number> = []
  const start = performance.now()
  await Effect.runPromise(
    Effect.forEach(
      Array.from({ length: n }, (_, i) => i),
      (i) => guard(Effect.zipLeft(Effect.sync(() => order.push(i)), Effect.yieldNow())),
      { concurrency: "unbounded", discard: true }
    )
  )
  return { ms: performance.now() - start, served: order.length }
}

const compare = (makeGuard: () => Promise<Guard>) => async (n: number) => {
  const half = Math.max(1, Math.floor(n / 2))
  const small = await timeWaiters(half, await makeGuard())
  const large = await timeWaiters(n, await makeGuard())
  const ratio = large.ms / small.ms
  const metrics = { [`ms ${half}`]: small.ms, [`ms ${n}`]: large.ms, ratio }
  return small.served === half && large.served === n ?
    check(
      true,
      `${half} waiters ${small.ms.toFixed(0)} ms, ${n} waiters ${large.ms.toFixed(0)} ms: ×${ratio.toFixed(2)}`,
      {
        "half ms": small.ms,
        "full ms": large.ms,
        ratio
      }
    ) :
    check(false, `served ${small.served}/${half} and ${large.served}/${n}`, metrics)
}

export const workload: Workload = {
  id: "L1",
  title: "limiter with 1 permit: cost of N waiters vs N/2 (linear means ratio about 2)",
  size: 8000,
  unit: "waiters",
  columns: ["half ms", "full ms", "ratio"],
  implementations: {
    "fiberkit Limiter (direct hand-off)": {
      kind: "fiberkit",
      run: compare(async () => {
        const limiter = await Effect.runPromise(Limiter.make({ permits: 1 }))
        const guard: Guard = Limiter.withPermit(limiter)
        return guard
      })
    },
    "Effect Semaphore (wakes every waiter)": {
      kind: "raw-effect",
      run: compare(async () => {
        const semaphore = await Effect.runPromise(Effect.makeSemaphore(1))
        const guard: Guard = semaphore.withPermits(1)
        return guard
      })
    }
  }
}
