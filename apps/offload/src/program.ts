/**
 * Demo: "never block the event loop", measured. The same CPU-heavy jobs (prime
 * sieves) run three ways while the process also serves HTTP (the loopback
 * upstream lives in this process) and a client pings it every 20 ms:
 *   1. on the main thread (what a plain `Effect.sync` or an `async` function does);
 *   2. on an Offload pool of 1 worker thread;
 *   3. on an Offload pool of 2 worker threads (the cores of this machine).
 * For each: wall time, the event-loop delay seen meanwhile (perf_hooks), and how
 * many pings were answered and how slowly. Then a job that runs too long is
 * interrupted by a timeout: its worker is terminated and replaced.
 */
import { Offload } from "@fiberkit/node"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as os from "node:os"
import { CountPrimes, countPrimes } from "./jobs.js"

const workerEntry = new URL("./worker.ts", import.meta.url)

export interface Way {
  readonly name: string
  readonly wallMs: number
  readonly primes: ReadonlyArray<number>
  readonly loopMeanMs: number
  readonly loopP99Ms: number
  readonly loopMaxMs: number
  readonly pings: number
  readonly slowestPingMs: number
}

export interface Summary {
  readonly jobs: number
  readonly limit: number
  readonly ways: ReadonlyArray<Way>
  readonly timeout: { readonly interrupted: number; readonly replaced: number; readonly afterwards: number }
}

export interface Options {
  readonly jobs?: number
  readonly limit?: number
}

const now = Clock.currentTimeMillis

// Pings the upstream every 20 ms until told to stop; records each round trip. It is
// stopped by a flag, not interrupted, so a ping held up by a blocked loop is counted.
const pinger = (latencies: Array<number>, running: { value: boolean }) =>
  Effect.gen(function*() {
    while (running.value) {
      const start = yield* now
      yield* UpstreamClient.get("/users/1?delay=0")
      latencies.push((yield* now) - start)
      yield* Effect.sleep("20 millis")
    }
  })

const measure = <E, R>(name: string, run: Effect.Effect<ReadonlyArray<number>, E, R>) =>
  Effect.gen(function*() {
    const latencies: Array<number> = []
    const running = { value: true }
    const pings = yield* Effect.fork(pinger(latencies, running))
    yield* Effect.sleep("100 millis") // let the pinger settle before the work starts
    const before = latencies.length
    const start = yield* now
    const [primes, delay] = yield* Offload.measureEventLoop(run)
    const wallMs = (yield* now) - start
    running.value = false
    yield* Fiber.join(pings)
    const during = latencies.slice(before)
    const way: Way = {
      name,
      wallMs,
      primes,
      loopMeanMs: delay.meanMs,
      loopP99Ms: delay.p99Ms,
      loopMaxMs: delay.maxMs,
      pings: during.length,
      slowestPingMs: during.length === 0 ? wallMs : Math.max(...during)
    }
    yield* Console.log(
      `   ${name.padEnd(22)} wall ${String(wallMs).padStart(5)} ms | event-loop delay p99 ${
        String(way.loopP99Ms).padStart(7)
      } ms, max ${String(way.loopMaxMs).padStart(7)} ms | pings answered ${
        String(way.pings).padStart(3)
      }, slowest ${way.slowestPingMs} ms`
    )
    return way
  })

export const program = (options: Options = {}) =>
  Effect.gen(function*() {
    const jobs = options.jobs ?? 4
    const limit = options.limit ?? 20_000_000
    const upstream = yield* Upstream.Upstream
    yield* Console.log(`upstream on ${upstream.baseUrl}; a client pings it every 20 ms during each run`)
    yield* Console.log(
      `${jobs} jobs, each counting the primes below ${
        limit.toLocaleString("en-US")
      }; ${os.availableParallelism()} cores\n`
    )

    const ways: Array<Way> = []
    yield* Console.log("1. on the main thread (Effect.sync): the fibers take turns, the thread does not")
    ways.push(
      yield* measure(
        "main thread",
        Effect.forEach(Array.from({ length: jobs }), () => Effect.sync(() => countPrimes(limit)), {
          concurrency: "unbounded"
        })
      )
    )

    for (const size of [1, 2]) {
      yield* Console.log(`${size + 1}. on an Offload pool of ${size} worker thread${size > 1 ? "s" : ""}`)
      const way = yield* Effect.scoped(
        Effect.gen(function*() {
          const pool = yield* Offload.makePool<CountPrimes>({ entry: workerEntry, size, name: `primes×${size}` })
          return yield* measure(
            `pool of ${size}`,
            Effect.forEach(Array.from({ length: jobs }), () => Offload.run(pool, new CountPrimes({ limit })), {
              concurrency: "unbounded"
            })
          )
        })
      )
      ways.push(way)
    }

    const [main, , two] = ways
    yield* Console.log(
      `\n   the main thread blocked the loop for up to ${main!.loopMaxMs} ms; with the pool of 2 the worst delay was ${
        two!.loopMaxMs
      } ms (${(main!.loopMaxMs / Math.max(two!.loopMaxMs, 0.01)).toFixed(0)}× less)`
    )
    yield* Console.log(
      `   pings answered while the work ran: ${ways.map((w) => `${w.name} ${w.pings}`).join(", ")}\n`
    )

    yield* Console.log("4. a job that runs too long, under Effect.timeout(\"200 millis\")")
    const timeout = yield* Effect.scoped(
      Effect.gen(function*() {
        const pool = yield* Offload.makePool<CountPrimes>({ entry: workerEntry, size: 1, name: "timeout-demo" })
        const outcome = yield* Offload.run(pool, new CountPrimes({ limit: 2_000_000_000 })).pipe(
          Effect.timeout("200 millis"),
          Effect.match({ onFailure: (e) => e._tag, onSuccess: () => "finished" })
        )
        // The pool answers again once the fresh worker is up.
        const afterwards = yield* Offload.run(pool, new CountPrimes({ limit: 1000 }))
        const stats = yield* pool.statistics
        yield* Console.log(
          `   outcome: ${outcome}; the stuck worker was terminated (interrupted ${stats.interrupted}, replaced ${stats.replaced}); ` +
            `next job on the fresh worker: ${afterwards} primes below 1,000`
        )
        return { interrupted: stats.interrupted, replaced: stats.replaced, afterwards }
      })
    )
    return { jobs, limit, ways, timeout } satisfies Summary
  })
