/**
 * Demo: a small service (12 concurrent requests against the loopback upstream) with one
 * accidental blocking call: two "report" requests render a checksum synchronously, 150 ms of
 * CPU with nothing else able to run. Three instruments watch it:
 *   - LoopMonitor (perf_hooks): event-loop delay as metrics, a warning over 50 ms;
 *   - Diagnostics monitor: names the fiber and span of every run slice over 50 ms;
 *   - Diagnostics.warnIfSlow: warns about requests slower than 400 ms.
 * A fiber dump is printed on demand (SIGUSR2 in `pnpm demo debugging`; called directly in the test).
 * Then the fixed version renders in 3 ms slices and gives the event loop a turn between them
 * (setImmediate; `Effect.yieldNow()` alone would let fibers run but not socket callbacks): quiet.
 */
import { Diagnostics } from "@fiberkit/core"
import { LoopMonitor } from "@fiberkit/node"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Logger from "effect/Logger"
import * as Runtime from "effect/Runtime"

// CPU work that cannot be interrupted or interleaved: the accidental blocking call.
const checksum = (ms: number) => {
  const end = performance.now() + ms
  let x = 0
  while (performance.now() < end) x = (x * 31 + 7) % 1_000_003
  return x
}

const renderBlocking = Effect.sync(() => checksum(150))

// Back to the event loop, so I/O callbacks run too. Effect.yieldNow() lets other *fibers* run, but
// its scheduler uses microtasks for up to 2048 turns before a timer: sockets would still wait.
const yieldToEventLoop = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

// The fix: the same 150 ms of work in 3 ms slices, giving the event loop a turn between them.
const renderCooperative = Effect.gen(function*() {
  let x = 0
  for (let i = 0; i < 50; i++) {
    x ^= checksum(3)
    yield* yieldToEventLoop
  }
  return x
})

const request = (i: number, render: Effect.Effect<number>) =>
  Effect.gen(function*() {
    yield* UpstreamClient.get(`/items/${i}`)
    if (i % 6 === 0) yield* render.pipe(Effect.withSpan("render-report"))
    yield* UpstreamClient.get(`/items/${i}`) // the next await: the slice above ends here
  }).pipe(Effect.withSpan(`request-${i}`), Diagnostics.warnIfSlow({ threshold: "400 millis", name: `request ${i}` }))

// Route the library's warnings (Effect logs) to the current Console, alone, so the demo and its test show them.
const withConsoleLogs = (onLine: (line: string) => void) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.console, (console) => {
    const logger = Logger.make(({ logLevel, message }) => {
      const line = `   log ${logLevel.label}: ${[message].flat().join(" ")}`
      onLine(line)
      console.unsafe.log(line)
    })
    return Effect.locally(effect, FiberRef.currentLoggers, HashSet.make(logger))
  })

export interface Options {
  /** Install a SIGUSR2 handler and signal ourselves to print the dump (only in a real process). */
  readonly useSignal: boolean
}

/** What each run measured; the test asserts on it. */
export interface Measured {
  readonly blocking: ReadonlyArray<Diagnostics.BlockingEvent>
  readonly loopMaxMs: number
  readonly loopWarnings: number
  readonly slowWarnings: number
  readonly elapsedMs: number
}

export interface Summary {
  readonly broken: Measured
  readonly fixed: Measured
  readonly dump: ReadonlyArray<Diagnostics.FiberInfo>
}

const run = (
  label: string,
  render: Effect.Effect<number>,
  dumpDuring: (monitor: Diagnostics.Monitor) => Effect.Effect<void>
) =>
  Effect.scoped(Effect.gen(function*() {
    yield* Console.log(`\n${label}`)
    const blocking: Array<Diagnostics.BlockingEvent> = []
    const monitor = yield* Diagnostics.makeMonitor({
      blockingThreshold: "50 millis",
      onBlocking: (e) => blocking.push(e)
    })
    const loop = yield* LoopMonitor.LoopMonitor
    yield* loop.sampleNow
    const before = yield* loop.statistics
    let slowWarnings = 0
    const start = yield* Clock.currentTimeMillis
    const serve = Effect.forEach(Array.from({ length: 12 }, (_, i) => i + 1), (i) => request(i, render), {
      concurrency: "unbounded",
      discard: true
    })
    yield* Effect.zipRight(Effect.fork(Effect.delay(dumpDuring(monitor), "40 millis")), serve).pipe(
      Diagnostics.supervise(monitor),
      withConsoleLogs((line) => {
        if (line.includes("slow operation")) slowWarnings++
      })
    )
    const elapsedMs = (yield* Clock.currentTimeMillis) - start
    yield* Effect.sleep("250 millis") // let the loop monitor take its sample
    yield* loop.sampleNow
    const after = yield* loop.statistics
    const samples = (yield* loop.samples).slice(before.samples)
    const loopMaxMs = Math.max(0, ...samples.map((s) => s.maxMs))
    for (const e of blocking) {
      yield* Console.log(
        `   blocking: fiber ${e.fiber} ran ${e.durationMs} ms without yielding, in span ${e.span ?? "(none)"}`
      )
    }
    yield* Console.log(
      `   measured: ${blocking.length} blocking slice(s) over 50 ms, event-loop delay up to ${loopMaxMs} ms ` +
        `(${after.warnings - before.warnings} lag warning(s)), ${slowWarnings} slow-request warning(s), ` +
        `12 requests in ${elapsedMs} ms`
    )
    return { blocking, loopMaxMs, loopWarnings: after.warnings - before.warnings, slowWarnings, elapsedMs }
  }))

export const program = (options: Options) =>
  Effect.gen(function*() {
    const upstream = yield* Upstream.Upstream
    yield* Console.log(`upstream on ${upstream.baseUrl}; two of twelve requests render a report`)
    let dump: ReadonlyArray<Diagnostics.FiberInfo> = []
    const printDump = (monitor: Diagnostics.Monitor) =>
      Effect.gen(function*() {
        dump = yield* Diagnostics.fiberDump(monitor)
        yield* Console.log(`   fiber dump (on demand):\n${Diagnostics.formatDump(dump).replace(/^/gm, "     ")}`)
      })
    const runtime = yield* Effect.runtime<never>()
    const dumpDuring = (monitor: Diagnostics.Monitor) =>
      options.useSignal ?
        Effect.async<void>((resume) => {
          const onSignal = () => {
            process.off("SIGUSR2", onSignal)
            Runtime.runFork(runtime)(Effect.ensuring(printDump(monitor), Effect.sync(() => resume(Effect.void))))
          }
          process.on("SIGUSR2", onSignal)
          process.kill(process.pid, "SIGUSR2")
        }) :
        printDump(monitor)
    const broken = yield* run("1. broken: the report is rendered in one synchronous block", renderBlocking, dumpDuring)
    const fixed = yield* run(
      "2. fixed: the same work in 3 ms slices, the event loop gets a turn between them",
      renderCooperative,
      () => Effect.void
    )
    return { broken, fixed, dump } satisfies Summary
  })
