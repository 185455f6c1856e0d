/**
 * W7: CPU-bound jobs offloaded to worker threads. Throughput of N prime-sieve
 * jobs on the main thread, on an Offload pool of 1 and 2 workers (the cores of
 * the reference machine) and on hand-written worker_threads (the floor of
 * message passing), plus the overhead of one round trip per job (a trivial
 * function, called sequentially). Pool start-up is excluded from the figures.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { Worker } from "node:worker_threads"
import { check, type Workload } from "../Workload.js"

// The bench package does not depend on @fiberkit/node (see the report): load it by path.
interface OffloadModule {
  readonly makeFunctionPool: (options: { readonly size: number }) => Effect.Effect<unknown, unknown, Scope.Scope>
  readonly call: (
    pool: unknown,
    fn: (...args: Array<any>) => unknown,
    ...args: Array<unknown>
  ) => Effect.Effect<any, unknown>
}
const loadOffload = async (): Promise<OffloadModule> =>
  await import(pathToFileURL(path.resolve(import.meta.dirname, "../../../node/src/Offload.ts")).href)

const LIMIT = 300_000
const sieve = (limit: number) => {
  const composite = new Uint8Array(limit + 1)
  let count = 0
  for (let i = 2; i <= limit; i++) {
    if (composite[i]) continue
    count++
    for (let j = i * i; j <= limit; j += i) composite[j] = 1
  }
  return count
}
const PRIMES = 25_997
const TRIVIAL_CALLS = 300

const verify = (counts: ReadonlyArray<number>, n: number, jobsMs: number, overheadUs: number) =>
  check(
    counts.length === n && counts.every((c) => c === PRIMES),
    `${counts.filter((c) => c === PRIMES).length}/${n} right`,
    { "jobs/s": Math.round(n / (jobsMs / 1000)), "µs/round trip": Math.round(overheadUs) }
  )

const offloaded = (size: number) => async (n: number) => {
  const Offload = await loadOffload()
  return Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const pool = yield* Offload.makeFunctionPool({ size })
    yield* Offload.call(pool, (x: number) => x, 0) // warm: every worker compiled and ready
    const start = performance.now()
    const counts = yield* Effect.forEach(
      Array.from({ length: n }),
      () => Offload.call(pool, sieve, LIMIT) as Effect.Effect<number, unknown>,
      { concurrency: size * 2 }
    )
    const jobsMs = performance.now() - start
    const t0 = performance.now()
    for (let i = 0; i < TRIVIAL_CALLS; i++) yield* Offload.call(pool, (x: number) => x + 1, i)
    const overheadUs = ((performance.now() - t0) * 1000) / TRIVIAL_CALLS
    return verify(counts, n, jobsMs, overheadUs)
  })))
}

// The floor: two raw worker threads, messages by hand, no schema, no cancellation, no replacement.
const byHand = async (n: number) => {
  const source = `
    const { parentPort } = require("node:worker_threads")
    const sieve = ${sieve.toString()}
    parentPort.on("message", ([id, kind, arg]) => parentPort.postMessage([id, kind === 0 ? sieve(arg) : arg + 1]))`
  const workers = [0, 1].map(() => new Worker(source, { eval: true }))
  const pending = new Map<number, (value: number) => void>()
  for (const w of workers) w.on("message", ([id, value]: [number, number]) => pending.get(id)!(value))
  let nextId = 0
  const send = (kind: 0 | 1, arg: number) =>
    new Promise<number>((resolve) => {
      const id = nextId++
      pending.set(id, resolve)
      workers[id % workers.length]!.postMessage([id, kind, arg])
    })
  await send(1, 0)
  await send(1, 0)
  const start = performance.now()
  const counts = await Promise.all(Array.from({ length: n }, () => send(0, LIMIT)))
  const jobsMs = performance.now() - start
  const t0 = performance.now()
  for (let i = 0; i < TRIVIAL_CALLS; i++) await send(1, i)
  const overheadUs = ((performance.now() - t0) * 1000) / TRIVIAL_CALLS
  await Promise.all(workers.map((w) => w.terminate()))
  return verify(counts, n, jobsMs, overheadUs)
}

export const workload: Workload = {
  id: "W7",
  // Worker threads load their TypeScript entry files through tsx, so the parent runs under tsx too.
  needsTsx: true,
  title: "CPU jobs (sieve of 300,000) on the main thread vs worker threads",
  size: 400,
  unit: "jobs",
  columns: ["jobs/s", "µs/round trip"],
  python: { name: "asyncio run_in_executor, 2 processes", file: "w7_offload.py" },
  implementations: {
    "fiberkit Offload.call, 1 worker": { kind: "fiberkit", run: offloaded(1) },
    "fiberkit Offload.call, 2 workers": { kind: "fiberkit", run: offloaded(2) },
    "direct call on the main thread": {
      kind: "promise",
      run: async (n) => {
        const start = performance.now()
        const counts = Array.from({ length: n }, () => sieve(LIMIT))
        const jobsMs = performance.now() - start
        const t0 = performance.now()
        let sink = 0
        for (let i = 0; i < TRIVIAL_CALLS; i++) sink += ((x: number) => x + 1)(i)
        const overheadUs = ((performance.now() - t0) * 1000) / TRIVIAL_CALLS
        return verify(sink > 0 ? counts : [], n, jobsMs, overheadUs)
      }
    },
    "worker_threads by hand, 2 workers": { kind: "promise", run: byHand }
  }
}
