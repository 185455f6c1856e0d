import { Limiter } from "@fiberkit/core"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { check, type Workload } from "../Workload.js"

// A holder takes the single permit; N fibers then queue behind it, each wanting the permit across one
// yield. The clock starts when the holder lets go and stops when all N have had their turn. The run times
// N/2 and N waiters in the same process: with a direct hand-off the cost is linear (ratio about 2); a
// semaphore that wakes every waiter on each release pays for the whole queue at every turn (ratio about 4).
type Guard = (effect: Effect.Effect<void>) => Effect.Effect<void, unknown>

const timeWaiters = (n: number, guard: Guard) =>
  Effect.runPromise(Effect.gen(function*() {
    const order: Array<number> = []
    let entered = 0
    const gate = yield* Deferred.make<void>()
    const holder = yield* Effect.fork(guard(Deferred.await(gate)))
    const waiters: Array<Fiber.RuntimeFiber<void, unknown>> = []
    for (let i = 0; i < n; i++) {
      const turn = Effect.zipLeft(Effect.sync(() => order.push(i)), Effect.yieldNow())
      waiters.push(yield* Effect.fork(Effect.zipRight(Effect.sync(() => entered++), guard(turn))))
    }
    // Not timed: let every waiter reach the queue.
    while (entered < n) yield* Effect.sleep("5 millis")
    yield* Effect.sleep("5 millis")
    const start = performance.now()
    yield* Deferred.succeed(gate, undefined)
    yield* Fiber.join(holder)
    for (const waiter of waiters) yield* Fiber.join(waiter)
    const inOrder = order.every((v, i) => v === i)
    return { ms: performance.now() - start, served: order.length, inOrder }
  }))

const compare = (makeGuard: () => Promise<Guard>, scale = 1) => async (size: number) => {
  const n = Math.max(2, Math.round(size * scale))
  const half = Math.max(1, Math.floor(n / 2))
  // Not timed: a first round so that neither measured round pays for JIT warm-up.
  await timeWaiters(Math.min(500, half), await makeGuard())
  const small = await timeWaiters(half, await makeGuard())
  const large = await timeWaiters(n, await makeGuard())
  const ratio = large.ms / small.ms
  const metrics = { [`ms ${half}`]: small.ms, [`ms ${n}`]: large.ms, ratio }
  return small.served === half && large.served === n ?
    check(
      true,
      `${half} waiters ${small.ms.toFixed(0)} ms, ${n} waiters ${large.ms.toFixed(0)} ms: ×${ratio.toFixed(2)}, ` +
        `served in arrival order: ${large.inOrder ? "yes" : "no"}`,
      { "half ms": small.ms, "full ms": large.ms, ratio, "fifo": large.inOrder ? 1 : 0 }
    ) :
    check(false, `served ${small.served}/${half} and ${large.served}/${n}`, metrics)
}

export const workload: Workload = {
  id: "L1",
  title: "limiter with 1 permit: cost of N waiters vs N/2 (linear means ratio about 2)",
  size: 8000,
  unit: "waiters",
  columns: ["half ms", "full ms", "ratio", "fifo"],
  implementations: {
    "fiberkit Limiter (direct hand-off)": {
      kind: "fiberkit",
      run: compare(async () => {
        const limiter = await Effect.runPromise(Limiter.make({ permits: 1 }))
        const guard: Guard = Limiter.withPermit(limiter)
        return guard
      })
    },
    // An eighth of the waiters: its herd made 2,000 waiters take 43 s and 3.4 GB here; 8,000 would take many minutes.
    "Effect Semaphore, 1/8 of the waiters (wakes every waiter)": {
      kind: "raw-effect",
      run: compare(async () => {
        const semaphore = await Effect.runPromise(Effect.makeSemaphore(1))
        const guard: Guard = semaphore.withPermits(1)
        return guard
      }, 1 / 8)
    }
  }
}
