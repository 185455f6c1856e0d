import { WorkQueue } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import { type Check, check, type Workload } from "../Workload.js"

// One producer offers 0..n-1 into a queue of capacity 1000; four consumers add them up.
// The sum proves none was lost or seen twice; the per-consumer counts show how evenly the work was shared.
const consumers = 4
const capacity = 1000

const verify = (sum: number, perConsumer: ReadonlyArray<number>, n: number): Check => {
  const total = perConsumer.reduce((a, b) => a + b, 0)
  const shares = perConsumer.map((c) => (c / n) * consumers * 100) // 100 = exactly a fair share
  const minShare = Math.min(...shares)
  const maxShare = Math.max(...shares)
  return check(
    total === n && sum === (n * (n - 1)) / 2,
    `per consumer: ${perConsumer.join(" / ")}`,
    { "min share %": Math.round(minShare), "max share %": Math.round(maxShare) }
  )
}

function* range(n: number) {
  for (let i = 0; i < n; i++) yield i
}

const workQueue = (yieldInHandler: boolean, offerAll = false) => async (n: number) => {
  let sum = 0
  const handler = yieldInHandler ?
    (i: number) => {
      sum += i
      return Effect.yieldNow()
    } :
    (i: number) => {
      sum += i
      return Effect.void
    }
  const stats = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const queue = yield* WorkQueue.make({
      capacity,
      workers: consumers,
      handler,
      onFailure: "fail-fast",
      onClose: "drain"
    })
    if (offerAll) {
      yield* WorkQueue.offerAll(queue, range(n))
    } else {
      for (let i = 0; i < n; i++) yield* WorkQueue.offer(queue, i)
    }
    yield* WorkQueue.shutdown(queue, "drain")
    return yield* WorkQueue.statistics(queue)
  })))
  return verify(sum, stats.processedByWorker, n)
}

const rawQueue = (batched: boolean, yieldInHandler = false) => async (n: number) => {
  let sum = 0
  const counts = Array.from({ length: consumers }, () => 0)
  await Effect.runPromise(Effect.gen(function*() {
    const queue = yield* Queue.bounded<number>(capacity)
    // -1 is the sentinel: raw Queue has no end-of-input state. Whoever takes it puts it back for the others.
    const consume = (c: number) =>
      Effect.gen(function*() {
        while (true) {
          if (batched) {
            const chunk = yield* Queue.takeBetween(queue, 1, 64)
            for (const i of chunk) {
              if (i < 0) return yield* Queue.offer(queue, -1)
              sum += i
              counts[c]!++
            }
          } else {
            const i = yield* Queue.take(queue)
            if (i < 0) return yield* Queue.offer(queue, -1)
            sum += i
            counts[c]!++
            if (yieldInHandler) yield* Effect.yieldNow()
          }
        }
      })
    const fibers: Array<Fiber.RuntimeFiber<unknown>> = []
    for (let c = 0; c < consumers; c++) fibers.push(yield* Effect.fork(consume(c)))
    for (let i = 0; i < n; i++) yield* Queue.offer(queue, i)
    yield* Queue.offer(queue, -1)
    yield* Fiber.joinAll(fibers)
  }))
  return verify(sum, counts, n)
}

// The floor: a ring buffer with promise-based waiting on both sides, no library.
class PromiseQueue {
  private readonly items: Array<number>
  private head = 0
  private size = 0
  private readonly takers: Array<(n: number) => void> = []
  private readonly putters: Array<() => void> = []
  constructor(private readonly capacity: number) {
    this.items = new Array(capacity)
  }
  put(n: number): Promise<void> | undefined {
    const taker = this.takers.shift()
    if (taker !== undefined) {
      taker(n)
      return undefined
    }
    if (this.size === this.capacity) {
      return new Promise<void>((resolve) => this.putters.push(resolve)).then(() => this.put(n))
    }
    this.items[(this.head + this.size++) % this.capacity] = n
    return undefined
  }
  take(): Promise<number> | number {
    if (this.size === 0) return new Promise<number>((resolve) => this.takers.push(resolve))
    const n = this.items[this.head]!
    this.head = (this.head + 1) % this.capacity
    this.size--
    this.putters.shift()?.()
    return n
  }
}

const promiseQueue = async (n: number) => {
  const queue = new PromiseQueue(capacity)
  let sum = 0
  const counts = Array.from({ length: consumers }, () => 0)
  const consume = async (c: number) => {
    while (true) {
      const taken = queue.take()
      const i = typeof taken === "number" ? taken : await taken
      if (i < 0) return
      sum += i
      counts[c]!++
      await Promise.resolve() // the handler yields once, as the fair Effect variant does
    }
  }
  const done = Array.from({ length: consumers }, (_, c) => consume(c))
  for (let i = 0; i < n; i++) {
    const wait = queue.put(i)
    if (wait !== undefined) await wait
  }
  for (let c = 0; c < consumers; c++) {
    const wait = queue.put(-1)
    if (wait !== undefined) await wait
  }
  await Promise.all(done)
  return verify(sum, counts, n)
}

export const workload: Workload = {
  id: "W3",
  title: "queue: 1 producer, 4 consumers, capacity 1000",
  size: 1_000_000,
  unit: "messages",
  implementations: {
    "fiberkit WorkQueue": { kind: "fiberkit", run: workQueue(false) },
    "fiberkit WorkQueue (handler yields)": { kind: "fiberkit", run: workQueue(true) },
    "fiberkit WorkQueue.offerAll": { kind: "fiberkit", run: workQueue(false, true) },
    "Effect Queue.bounded take": { kind: "raw-effect", run: rawQueue(false) },
    "Effect Queue.bounded take (handler yields)": { kind: "raw-effect", run: rawQueue(false, true) },
    "Effect Queue.bounded takeBetween(1, 64)": { kind: "raw-effect", run: rawQueue(true) },
    "Promise ring buffer (handler yields)": { kind: "promise", run: promiseQueue }
  },
  python: { name: "asyncio.Queue", file: "w3_queue.py" },
  columns: ["min share %", "max share %"]
}
