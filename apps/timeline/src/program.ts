/**
 * Demo: see what a concurrent run did, fiber by fiber. Four runs against the
 * real loopback upstream, each recorded with `Timeline.record` and drawn in the
 * terminal, and written as HTML/SVG pages, a Chrome trace and a text chart:
 *   1. a TaskGroup where one request fails: its siblings are interrupted (and
 *      their HTTP requests aborted, which the upstream confirms);
 *   2. the herd: 20 workers miss an empty cache at once and all fetch the same
 *      item, versus `Effect.cached` (one request, 19 fibers suspended on it);
 *   3. the leak: a poller forked as a daemon outlives the request that started
 *      it, versus `forkScoped` (interrupted when the request's scope closes);
 *   4. the blocked loop: 80 ms of synchronous work starves a 10 ms ticker,
 *      versus the same work in 5 ms slices that give the event loop a turn.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { TaskGroup, Timeline } from "@fiberkit/core"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"

export interface Options {
  /** Where the pictures go; a new temp directory when absent. */
  readonly outDir?: string
  /** Terminal width for the charts. */
  readonly width?: number
}

/** What the demo observed; the test asserts on it. */
export interface Summary {
  readonly outDir: string
  readonly files: ReadonlyArray<string>
  readonly group: { readonly failure: string; readonly interrupted: ReadonlyArray<string>; readonly aborted: number }
  readonly herd: { readonly brokenRequests: number; readonly fixedRequests: number; readonly fixedSuspended: number }
  readonly leak: {
    readonly brokenPollerOutcome: Timeline.Outcome
    readonly brokenPollsAfterEnd: number
    readonly fixedPollerOutcome: Timeline.Outcome
    readonly fixedPollsAfterEnd: number
  }
  readonly blockedLoop: {
    readonly brokenWorkerRuns: number
    readonly fixedWorkerRuns: number
    readonly brokenMaxLateMs: number
    readonly fixedMaxLateMs: number
  }
}

const requestsTo = (route: string) =>
  Effect.map(Effect.flatMap(Upstream.Upstream, (u) => u.quiescentStats), (s) => s.routes[route]?.started ?? 0)

const abortedAt = (route: string) =>
  Effect.map(Effect.flatMap(Upstream.Upstream, (u) => u.quiescentStats), (s) => s.routes[route]?.aborted ?? 0)

const lane = (recording: Timeline.Recording, label: string) => recording.lanes.find((l) => l.label === label)

// ---------------------------------------------------------------------------
// 1. A TaskGroup with one failing child
// ---------------------------------------------------------------------------

const profile = TaskGroup.run((group) =>
  Effect.gen(function*() {
    yield* TaskGroup.spawn(group, UpstreamClient.get("/users/1?delay=2000").pipe(Effect.withSpan("user")))
    yield* TaskGroup.spawn(
      group,
      UpstreamClient.get("/users/1/orders?delay=50&fail=500").pipe(Effect.withSpan("orders"))
    )
    yield* TaskGroup.spawn(
      group,
      UpstreamClient.get("/users/1/preferences?delay=2000").pipe(Effect.withSpan("preferences"))
    )
  }).pipe(Timeline.named("group body")), { label: "profile" })

// ---------------------------------------------------------------------------
// 2. The herd
// ---------------------------------------------------------------------------

const workers = 20

const herdBroken = Effect.gen(function*() {
  const cache = yield* Ref.make(Option.none<unknown>())
  // Check, then fetch, then fill: every worker checks before the first fetch has answered.
  const config = Effect.gen(function*() {
    const hit = yield* Ref.get(cache)
    if (Option.isSome(hit)) return hit.value
    const value = yield* UpstreamClient.get("/items/7")
    yield* Ref.set(cache, Option.some(value))
    return value
  })
  return yield* TaskGroup.runAll(Array.from({ length: workers }, (_, i) => config.pipe(Effect.withSpan(`worker ${i}`))))
})

const herdFixed = Effect.gen(function*() {
  // One fetch, shared: the other workers suspend on it.
  const config = yield* Effect.cached(UpstreamClient.get("/items/7"))
  return yield* TaskGroup.runAll(
    Array.from(
      { length: workers },
      (_, i) => Effect.zipRight(Effect.yieldNow(), config).pipe(Effect.withSpan(`worker ${i}`))
    )
  )
})

// ---------------------------------------------------------------------------
// 3. The leak
// ---------------------------------------------------------------------------

const poller = (polls: Ref.Ref<number>) =>
  UpstreamClient.get("/slow?ms=5").pipe(
    Effect.zipRight(Ref.update(polls, (n) => n + 1)),
    Effect.zipRight(Effect.sleep("20 millis")),
    Effect.forever,
    Timeline.named("heartbeat poller")
  )

const request = UpstreamClient.get("/users/1?delay=100")

// Runs a handler, then watches for 200 ms more: polls made after the handler returned are the leak.
const watchLeak = <E, R>(handler: (polls: Ref.Ref<number>) => Effect.Effect<void, E, R>) =>
  Effect.gen(function*() {
    const polls = yield* Ref.make(0)
    yield* handler(polls).pipe(Timeline.named("request handler"))
    const atEnd = yield* Ref.get(polls)
    yield* Effect.sleep("200 millis")
    return (yield* Ref.get(polls)) - atEnd
  })

// ---------------------------------------------------------------------------
// 4. The blocked loop
// ---------------------------------------------------------------------------

// Spins for `ms` of wall time: a stand-in for parsing, hashing, compressing.
const burn = (ms: number) =>
  Effect.sync(() => {
    const end = performance.now() + ms
    let x = 0
    while (performance.now() < end) x = Math.sqrt(x + 1)
    return x
  })

const ticker = Effect.gen(function*() {
  let maxLate = 0
  for (let i = 0; i < 8; i++) {
    const before = performance.now()
    yield* Effect.sleep("10 millis")
    maxLate = Math.max(maxLate, performance.now() - before - 10)
  }
  return maxLate
}).pipe(Timeline.named("ticker"))

const blockedLoop = <E>(worker: Effect.Effect<unknown, E>) =>
  Effect.gen(function*() {
    const tick = yield* Effect.fork(ticker)
    yield* Effect.sleep("5 millis")
    yield* worker
    return yield* Fiber.join(tick)
  })

// 80 ms in one go: nothing else runs, timers included.
const brokenWorker = Effect.fork(burn(80).pipe(Timeline.named("worker"))).pipe(Effect.flatMap(Fiber.join))
// The same 80 ms in 5 ms slices; `sleep(0)` is a real timer turn, so due timers fire in between
// (`yieldNow` alone would resume on the microtask queue, before timers).
const fixedWorker = Effect.fork(
  Effect.forEach(Array.from({ length: 16 }), () => Effect.zipRight(burn(5), Effect.sleep(0)), { discard: true }).pipe(
    Timeline.named("worker")
  )
).pipe(Effect.flatMap(Fiber.join))

// ---------------------------------------------------------------------------

export const makeProgram = (options: Options = {}) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const upstream = yield* Upstream.Upstream
    const width = options.width ?? 100
    const outDir = options.outDir ?? (yield* fs.makeTempDirectory({ prefix: "fiberkit-timeline-" }))
    yield* fs.makeDirectory(outDir, { recursive: true })
    const files: Array<string> = []

    const show = (title: string, name: string, recording: Timeline.Recording) =>
      Effect.gen(function*() {
        yield* Console.log(Timeline.toText(recording, { width }))
        const html = path.join(outDir, `${name}.html`)
        yield* fs.writeFileString(html, Timeline.toHtml(recording, { title }))
        const trace = path.join(outDir, `${name}.trace.json`)
        yield* fs.writeFileString(trace, Timeline.toChromeTrace(recording))
        const text = path.join(outDir, `${name}.txt`)
        yield* fs.writeFileString(text, Timeline.toText(recording, { width: 120 }) + "\n")
        files.push(html, trace, text)
      })

    yield* Console.log(`upstream on ${upstream.baseUrl}; pictures go to ${outDir}\n`)

    // 1.
    yield* Console.log("1. TaskGroup: orders fails after 50 ms, user and preferences (2 s each) are interrupted")
    const [groupExit, groupRec] = yield* Timeline.recordExit(profile, { label: "task group, one failure" })
    const aborted = (yield* abortedAt("/users/:id")) + (yield* abortedAt("/users/:id/preferences"))
    yield* show("TaskGroup with one failing child", "1-task-group", groupRec)
    const failure = Exit.isFailure(groupExit) ? Cause.pretty(groupExit.cause).split("\n")[0]! : "no failure"
    const interrupted = groupRec.lanes.filter((l) =>
      l.outcome === "interrupted" && ["user", "preferences"].includes(l.label)
    )
      .map((l) => l.label)
    yield* Console.log(
      `   → ${failure}; interrupted: ${interrupted.join(", ")}; the upstream saw ${aborted} requests aborted\n`
    )

    // 2.
    yield* Console.log(`2. The herd: ${workers} workers need the same item and the cache is empty`)
    const before = yield* requestsTo("/items/:id")
    const [, herdBrokenRec] = yield* Timeline.record(herdBroken, { label: "herd (broken): check-then-fetch" })
    const afterBroken = yield* requestsTo("/items/:id")
    const [, herdFixedRec] = yield* Timeline.record(herdFixed, { label: "herd (fixed): Effect.cached" })
    const afterFixed = yield* requestsTo("/items/:id")
    yield* show("The herd, broken: every worker fetches", "2-herd-broken", herdBrokenRec)
    yield* show("The herd, fixed: one fetch, shared", "2-herd-fixed", herdFixedRec)
    const brokenRequests = afterBroken - before
    const fixedRequests = afterFixed - afterBroken
    const fixedSuspended = herdFixedRec.lanes.filter((l) =>
      l.label.startsWith("worker ") && l.segments.some((s) => s.state === "suspended")
    ).length
    yield* Console.log(
      `   → broken: ${brokenRequests} requests for one item; fixed: ${fixedRequests} request, ` +
        `${fixedSuspended} workers suspended on it\n`
    )

    // 3.
    yield* Console.log("3. The leak: a request handler starts a heartbeat poller and returns after 100 ms")
    const leaked = yield* Ref.make<Option.Option<Fiber.RuntimeFiber<unknown, unknown>>>(Option.none())
    const [brokenPollsAfterEnd, leakBrokenRec] = yield* Timeline.record(
      watchLeak((polls) =>
        Effect.gen(function*() {
          // forkDaemon: nothing owns the poller, so nothing stops it.
          const fiber = yield* Effect.forkDaemon(poller(polls))
          yield* Ref.set(leaked, Option.some(fiber))
          yield* request
        })
      ),
      { label: "leak (broken): forkDaemon" }
    )
    // The demo kept a handle only to stop the leaked poller now; a real program has none.
    const leakedFiber = yield* Ref.get(leaked)
    if (Option.isSome(leakedFiber)) yield* Fiber.interrupt(leakedFiber.value)
    const [fixedPollsAfterEnd, leakFixedRec] = yield* Timeline.record(
      watchLeak((polls) =>
        Effect.scoped(Effect.gen(function*() {
          yield* Effect.forkScoped(poller(polls))
          yield* request
        }))
      ),
      { label: "leak (fixed): forkScoped" }
    )
    yield* show("The leak, broken: the poller outlives its request", "3-leak-broken", leakBrokenRec)
    yield* show("The leak, fixed: the poller ends with its request", "3-leak-fixed", leakFixedRec)
    const brokenPollerOutcome = lane(leakBrokenRec, "heartbeat poller")?.outcome ?? "running"
    const fixedPollerOutcome = lane(leakFixedRec, "heartbeat poller")?.outcome ?? "running"
    yield* Console.log(
      `   → broken: the poller is ${brokenPollerOutcome} when the recording ends and polled ${brokenPollsAfterEnd} ` +
        `times after its request finished; fixed: ${fixedPollerOutcome}, ${fixedPollsAfterEnd} polls after\n`
    )

    // 4.
    yield* Console.log("4. The blocked loop: 80 ms of synchronous work next to a 10 ms ticker")
    const [brokenMaxLateMs, loopBrokenRec] = yield* Timeline.record(blockedLoop(brokenWorker), {
      label: "blocked loop (broken): one 80 ms slice"
    })
    const [fixedMaxLateMs, loopFixedRec] = yield* Timeline.record(blockedLoop(fixedWorker), {
      label: "blocked loop (fixed): 5 ms slices"
    })
    yield* show("The blocked loop, broken", "4-blocked-loop-broken", loopBrokenRec)
    yield* show("The blocked loop, fixed", "4-blocked-loop-fixed", loopFixedRec)
    const runsOf = (recording: Timeline.Recording) =>
      lane(recording, "worker")?.segments.filter((s) => s.state === "running").length ?? 0
    const brokenWorkerRuns = runsOf(loopBrokenRec)
    const fixedWorkerRuns = runsOf(loopFixedRec)
    yield* Console.log(
      `   → broken: the worker ran in ${brokenWorkerRuns} slice(s), the ticker was up to ${
        Math.round(brokenMaxLateMs)
      } ms late; fixed: ${fixedWorkerRuns} slices, ticker up to ${Math.round(fixedMaxLateMs)} ms late\n`
    )

    yield* Console.log(`wrote ${files.length} files to ${outDir}:`)
    for (const file of files.filter((f) => f.endsWith(".html"))) yield* Console.log(`  ${file}`)
    yield* Console.log(
      "open the .html files in a browser (hover for details), or load a .trace.json in ui.perfetto.dev"
    )

    const summary: Summary = {
      outDir,
      files,
      group: { failure, interrupted, aborted },
      herd: { brokenRequests, fixedRequests, fixedSuspended },
      leak: { brokenPollerOutcome, brokenPollsAfterEnd, fixedPollerOutcome, fixedPollsAfterEnd },
      blockedLoop: { brokenWorkerRuns, fixedWorkerRuns, brokenMaxLateMs, fixedMaxLateMs }
    }
    return summary
  })

export const program = makeProgram()
