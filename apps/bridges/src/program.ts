/**
 * Demo: the bridges between Effect and the code around it, against the real
 * loopback upstream:
 *   1. a Promise API (fetch) with the AbortSignal wired through: a timeout
 *      really aborts the request, which the server records; without the
 *      signal, the request runs on after the caller gave up;
 *   2. a callback API and an event emitter, cleaned up on interruption;
 *   3. a plain node:http server (not an Effect program) calling effects
 *      through one Bridge.Edge runtime, a client disconnect interrupting its
 *      effect, and the runtime disposed once on shutdown;
 *   4. a nested Effect.runPromise detaching from its caller, and the fix;
 *   5. a worker thread calling into the main thread's runtime (ThreadBridge)
 *      while the main thread calls the worker (Offload).
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { Bridge } from "@fiberkit/core"
import { Offload, ThreadBridge } from "@fiberkit/node"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { EventEmitter } from "node:events"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { ItemPrice, PriceBasket } from "./requests.js"

export interface Summary {
  readonly promise: {
    readonly withSignal: { readonly outcome: string; readonly aborted: number }
    readonly withoutSignal: { readonly outcome: string; readonly aborted: number; readonly finished: number }
    readonly rejection: string
  }
  readonly callbacks: { readonly fileBytes: number; readonly timerCleared: boolean; readonly listenersLeft: number }
  readonly edge: {
    readonly answers: ReadonlyArray<string>
    readonly statistics: Bridge.EdgeStatistics
    readonly upstreamAborted: number
    readonly released: boolean
  }
  readonly nested: { readonly detachedKeptRunning: boolean; readonly runnerInterrupted: boolean }
  readonly threads: { readonly total: number; readonly workerThread: number; readonly mainCalls: number }
}

const sleepReal = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

const actPromise = (upstream: Upstream.Upstream["Type"]) =>
  Effect.gen(function*() {
    yield* Console.log("1. fetch through Bridge.promise, under Effect.timeout(\"100 millis\")")
    yield* upstream.clearStats
    const withSignal = yield* Bridge.promise("GET /hang", (signal) => fetch(upstream.url("/hang"), { signal })).pipe(
      Effect.timeout("100 millis"),
      Effect.match({ onFailure: (e) => e._tag, onSuccess: () => "answered" })
    )
    const hang = (yield* upstream.quiescentStats).routes["/hang"]
    yield* Console.log(
      `   with the signal: ${withSignal}; upstream /hang: ${hang?.started ?? 0} started, ${hang?.aborted ?? 0} aborted`
    )

    yield* upstream.clearStats
    // The same call with the signal ignored, as `Effect.promise(() => fetch(url))` would.
    const withoutSignal = yield* Bridge.promise("GET /slow", () => fetch(upstream.url("/slow?ms=400"))).pipe(
      Effect.timeout("100 millis"),
      Effect.match({ onFailure: (e) => e._tag, onSuccess: () => "answered" })
    )
    const slow = (yield* upstream.quiescentStats).routes["/slow"]
    yield* Console.log(
      `   signal ignored: ${withoutSignal} for the caller, yet upstream /slow: ${slow?.finished ?? 0} finished, ${
        slow?.aborted ?? 0
      } aborted (the work ran on for nobody)`
    )

    const rejection = yield* Bridge.promise("GET closed port", (signal) => fetch("http://127.0.0.1:1/", { signal }))
      .pipe(Effect.flip)
    const cause = rejection._tag === "RejectedError" ? rejection.cause : rejection
    yield* Console.log(
      `   a rejection arrives typed: ${rejection._tag}, cause kept: ${
        cause instanceof Error ? cause.constructor.name : typeof cause
      }\n`
    )
    return {
      withSignal: { outcome: withSignal, aborted: hang?.aborted ?? 0 },
      withoutSignal: { outcome: withoutSignal, aborted: slow?.aborted ?? 0, finished: slow?.finished ?? 0 },
      rejection: `${rejection._tag}: ${rejection.message}`
    }
  })

const actCallbacks = Effect.gen(function*() {
  yield* Console.log("2. callback and event APIs through Bridge.callback and Bridge.once")
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fiberkit-bridges-"))
  const file = path.join(dir, "note.txt")
  fs.writeFileSync(file, "written by the bridges demo\n")
  const contents = yield* Bridge.callback<Buffer>("fs.readFile", (done) => fs.readFile(file, done))
  fs.rmSync(dir, { recursive: true, force: true })
  yield* Console.log(`   fs.readFile(callback) gave ${contents.length} bytes`)

  let timerCleared = false
  const slowTimer = Bridge.callback<string>("setTimeout 10 s", (done) => {
    const timer = setTimeout(() => done(null, "late"), 10_000)
    return () => {
      clearTimeout(timer)
      timerCleared = true
    }
  })
  const timed = yield* slowTimer.pipe(
    Effect.timeoutTo({ duration: "50 millis", onTimeout: () => "timed out", onSuccess: (s) => s })
  )
  yield* Console.log(`   a 10 s callback under a 50 ms timeout: ${timed}; its timer was cleared: ${timerCleared}`)

  const emitter = new EventEmitter()
  const waiting = yield* Effect.fork(Bridge.once(emitter, "ready").pipe(Effect.timeout("50 millis"), Effect.exit))
  yield* Fiber.join(waiting)
  const listenersLeft = emitter.listenerCount("ready") + emitter.listenerCount("error")
  yield* Console.log(
    `   waiting for an event that never came, then timing out: ${listenersLeft} listeners left behind\n`
  )
  return { fileBytes: contents.length, timerCleared, listenersLeft }
})

const actEdge = (upstream: Upstream.Upstream["Type"]) =>
  Effect.gen(function*() {
    yield* Console.log("3. a plain node:http server calling effects through one Bridge.Edge runtime")
    let released = false
    const layer = Layer.mergeAll(
      Layer.succeed(Upstream.Upstream, upstream),
      UpstreamClient.layer,
      Layer.scopedDiscard(Effect.addFinalizer(() => Effect.sync(() => (released = true))))
    )
    const edge = Bridge.makeEdge(layer, { label: "http-edge" })
    // Everything below is ordinary callback code: no Effect in sight except through `edge`.
    const server = http.createServer((req, res) => {
      const disconnected = new AbortController()
      res.on("close", () => disconnected.abort())
      edge.runPromise(UpstreamClient.get(req.url ?? "/"), { signal: disconnected.signal }).then(
        (body) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body)),
        (error: unknown) => {
          if (!res.headersSent && !res.destroyed) res.writeHead(502).end(String(error))
        }
      )
    })
    yield* Bridge.callback<void>("server.listen", (done) => {
      server.listen(0, "127.0.0.1", () => done(null))
    })
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    yield* upstream.clearStats
    const answers = yield* Effect.forEach(["/users/1", "/users/2/orders", "/items/7"], (route) =>
      Bridge.promise(`GET ${route}`, (signal) => fetch(`${base}${route}`, { signal }).then((r) => r.text())), {
      concurrency: "unbounded"
    })
    // A client that gives up: the host's abort interrupts the effect, which aborts its upstream call.
    yield* Bridge.promise("GET /hang via edge", (signal) =>
      fetch(`${base}/hang`, { signal })).pipe(
        Effect.timeout("150 millis"),
        Effect.ignore
      )
    const stats = yield* upstream.quiescentStats
    yield* sleepReal(20)
    const statistics = edge.statistics
    yield* Console.log(
      `   3 answers through the edge (${
        answers.map((a) => a.length).join(", ")
      } bytes); ` +
        `edge: ${statistics.succeeded} succeeded, ${statistics.interrupted} interrupted by a client disconnect; ` +
        `upstream saw ${stats.total.aborted} aborted`
    )
    yield* Bridge.callback<void>("server.close", (done) => {
      server.close(() => done(null))
      // fetch keeps connections alive: without this, close waits for their idle timeout.
      server.closeAllConnections()
    })
    yield* Effect.promise(() => edge.dispose())
    yield* Console.log(`   server closed, edge disposed once: layer released = ${released}\n`)
    return { answers, statistics: edge.statistics, upstreamAborted: stats.total.aborted, released }
  })

const actNested = Effect.gen(function*() {
  yield* Console.log("4. a nested Effect.runPromise vs Bridge.runner, both under a 50 ms timeout")
  let detachedKeptRunning = false
  const slowStep = (onDone: () => void) => Effect.sleep("200 millis").pipe(Effect.zipRight(Effect.sync(onDone)))
  // The asyncio.run-inside-a-loop mistake. tsc rejects it in this repository unless it is marked deliberate:
  // @effect-diagnostics-next-line runEffectInsideEffect:off
  yield* Effect.promise(() => Effect.runPromise(slowStep(() => (detachedKeptRunning = true)))).pipe(
    Effect.timeout("50 millis"),
    Effect.ignore
  )
  yield* sleepReal(250)
  yield* Console.log(
    `   nested runPromise: the caller timed out, the inner effect finished anyway: ${detachedKeptRunning}`
  )

  let runnerInterrupted = false
  const started = yield* Deferred.make<void>()
  yield* Effect.scoped(
    Effect.gen(function*() {
      const run = yield* Bridge.runner()
      yield* Effect.promise(() =>
        run(
          Deferred.succeed(started, undefined).pipe(
            Effect.zipRight(slowStep(() => {})),
            Effect.onInterrupt(() => Effect.sync(() => (runnerInterrupted = true)))
          )
        ).catch(() => undefined)
      ).pipe(Effect.timeout("50 millis"), Effect.ignore)
    })
  )
  yield* Console.log(`   Bridge.runner: interrupted with its caller's scope: ${runnerInterrupted}\n`)
  return { detachedKeptRunning, runnerInterrupted }
})

const actThreads = Effect.gen(function*() {
  yield* Console.log("5. a worker thread calling into the main thread's runtime (ThreadBridge)")
  let mainCalls = 0
  const bridge = ThreadBridge.handlers(ItemPrice, {
    ItemPrice: ({ id }) =>
      UpstreamClient.getAs(Schema.Struct({ price: Schema.Number }))(`/items/${id}`).pipe(
        Effect.tap(() => Effect.sync(() => mainCalls++)),
        Effect.map((item) => item.price),
        Effect.mapError((e) => e.message)
      )
  })
  const result = yield* Effect.scoped(
    Effect.gen(function*() {
      const pool = yield* Offload.makePool<PriceBasket, Upstream.Upstream | HttpClient.HttpClient>({
        entry: new URL("./worker.ts", import.meta.url),
        size: 1,
        bridge
      })
      return yield* Offload.run(pool, new PriceBasket({ ids: [1, 2, 3, 50, 96] }))
    })
  )
  yield* Console.log(
    `   worker thread ${result.thread} priced 5 items through ${mainCalls} calls into the main thread's HTTP client: total ${result.total}`
  )
  return { total: result.total, workerThread: result.thread, mainCalls }
})

export const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  const start = yield* Clock.currentTimeMillis
  yield* Console.log(`upstream on ${upstream.baseUrl}\n`)
  const promise = yield* actPromise(upstream)
  const callbacks = yield* actCallbacks
  const edge = yield* actEdge(upstream)
  const nested = yield* actNested
  const threads = yield* actThreads
  yield* Console.log(`\ndone in ${(yield* Clock.currentTimeMillis) - start} ms`)
  return { promise, callbacks, edge, nested, threads } satisfies Summary
})
