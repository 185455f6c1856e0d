/**
 * Demo: one limiter, one rate limit and one work queue shared by three worker processes through Redis.
 *
 * The coordinator (this program) starts nothing by hand: its layers give it a real `redis-server` on a free
 * loopback port and the loopback upstream. It forks three worker processes (`node --import tsx
 * src/worker.ts`), offers a few hundred items to the shared `RedisWorkQueue`, and `kill -9`s one worker
 * while it is in the middle of its items. The survivors go on; the dead worker's permits come back when its
 * leases expire and its claimed items are redelivered after the visibility timeout. The handler is
 * idempotent (the item's mark and its effect are one Lua script), so every item is applied exactly once
 * although some are delivered twice. At the end the upstream's own records are checked against the limits:
 * the most requests it ever had in flight at once, and its busiest one-second window.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { Limiter, TokenBucket, WorkQueue } from "@fiberkit/core"
import { RedisConnection, RedisServer, RedisWorkQueue } from "@fiberkit/redis"
import { Upstream } from "@fiberkit/upstream"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as ChildProcess from "node:child_process"
import * as path from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"
import {
  configVariable,
  joinQueue,
  keys,
  messagePrefix,
  priceOf,
  readFigures,
  type RunConfig,
  sharedLimits,
  UpstreamRate,
  UpstreamSlots,
  type WorkerFigures,
  type WorkerMessage
} from "./shared.js"

/** The knobs of a run (the demo's defaults are below): what every worker reads, and the coordinator's own. */
export interface Settings extends Omit<RunConfig, "redisUrl" | "upstreamUrl"> {
  /** Upstream latency of each request: base + uniform jitter, in ms. */
  readonly latencyMs: number
  readonly jitterMs: number
  /** Which worker (1-based) is killed, once this share of the items has been applied. */
  readonly victim: number
  readonly killAfterShare: number
}

// 9 handler fibers compete for 4 permits; 4 permits over ~160 ms requests allow ~25 requests/s, which is
// also the bucket's rate: both limits bind in turn. 250 items take about 10 s.
export const defaults: Settings = {
  items: 250,
  processes: 3,
  fibersPerProcess: 3,
  permits: 4,
  rate: 25,
  burst: 5,
  leaseTtlMillis: 2_000,
  visibilityTimeoutMillis: 2_000,
  latencyMs: 120,
  jitterMs: 80,
  victim: 2,
  killAfterShare: 1 / 3
}

export class DemoError extends Data.TaggedError("DemoError")<{ readonly reason: string }> {
  override get message() {
    return `distributed demo: ${this.reason}`
  }
}

export interface WorkerRow extends WorkerFigures {
  readonly name: string
  readonly pid: number
  readonly killed: boolean
  /** What the worker reported at its end (undefined for the killed one). */
  readonly processedByQueue: number | undefined
}

/** What the demo observed; the test asserts on it. */
export interface Summary {
  readonly settings: Settings
  readonly workers: ReadonlyArray<WorkerRow>
  readonly totals: WorkerFigures
  /** Items in the applied set, the ids 1..items that are missing from it, and the revenue vs its expected sum. */
  readonly appliedItems: number
  readonly missing: ReadonlyArray<number>
  readonly revenue: number
  readonly expectedRevenue: number
  readonly queue: {
    readonly offered: number
    readonly succeeded: number
    readonly failed: number
    readonly redelivered: number
  }
  readonly upstream: {
    readonly requests: number
    readonly aborted: number
    readonly peakInFlight: number
    readonly busiestWindow: number
    readonly ratePerSecond: number
  }
  readonly killed: {
    readonly name: string
    readonly pid: number
    readonly appliedBefore: number
    readonly inFlight: number
  }
  readonly elapsedMs: number
}

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const workerFile = path.join(appDir, "src", "worker.ts")

interface WorkerProcess {
  readonly name: string
  readonly child: ChildProcess.ChildProcess
  readonly ready: Deferred.Deferred<number, DemoError>
  readonly done: Deferred.Deferred<Extract<WorkerMessage, { type: "done" }>, DemoError>
  readonly exited: Deferred.Deferred<{ readonly code: number | null; readonly signal: string | null }>
  readonly stderr: Array<string>
}

const stderrTail = (w: WorkerProcess) => w.stderr.join("").trim().split("\n").slice(-8).join("\n")

// A worker process for the lifetime of the scope: killed (SIGKILL) on the way out if it is still running.
const spawnWorker = (config: RunConfig, name: string) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const ready = yield* Deferred.make<number, DemoError>()
      const done = yield* Deferred.make<Extract<WorkerMessage, { type: "done" }>, DemoError>()
      const exited = yield* Deferred.make<{ readonly code: number | null; readonly signal: string | null }>()
      const child = yield* Effect.try({
        try: () =>
          ChildProcess.spawn(process.execPath, ["--import", "tsx", workerFile, name], {
            cwd: appDir,
            env: { ...process.env, [configVariable]: JSON.stringify(config) },
            stdio: ["pipe", "pipe", "pipe"]
          }),
        catch: (cause) => new DemoError({ reason: `could not start ${name}: ${String(cause)}` })
      })
      const worker: WorkerProcess = { name, child, ready, done, exited, stderr: [] }
      child.stderr!.setEncoding("utf8")
      child.stderr!.on("data", (chunk: string) => worker.stderr.push(chunk))
      readline.createInterface({ input: child.stdout! }).on("line", (line) => {
        if (!line.startsWith(messagePrefix)) return
        const message = JSON.parse(line.slice(messagePrefix.length)) as WorkerMessage
        if (message.type === "ready") Deferred.unsafeDone(ready, Exit.succeed(message.pid))
        else Deferred.unsafeDone(done, Exit.succeed(message))
      })
      child.on("error", (error) => {
        const failure = Exit.fail(new DemoError({ reason: `${name}: ${error.message}` }))
        Deferred.unsafeDone(ready, failure)
        Deferred.unsafeDone(done, failure)
      })
      child.on("exit", (code, signal) => {
        const failure = Exit.fail(
          new DemoError({
            reason: `${name} exited (${signal ?? `code ${code}`}) before it said so:\n${stderrTail(worker)}`
          })
        )
        Deferred.unsafeDone(ready, failure)
        Deferred.unsafeDone(done, failure)
        Deferred.unsafeDone(exited, Exit.succeed({ code, signal }))
      })
      return worker
    }),
    (worker) =>
      Effect.suspend(() => {
        if (worker.child.exitCode !== null || worker.child.signalCode !== null) return Effect.void
        worker.child.kill("SIGKILL")
        return Effect.asVoid(Deferred.await(worker.exited))
      })
  )

/** The largest number of request starts inside any window of `windowMs`. */
export const busiestWindow = Upstream.busiestWindow

const pad = (value: string | number, width: number) => String(value).padStart(width)

export const makeProgram = (settings: Settings): Effect.Effect<
  Summary,
  unknown,
  RedisServer.RedisServer | RedisConnection.RedisConnection | Upstream.Upstream | HttpClient.HttpClient
> =>
  Effect.gen(function*() {
    const server = yield* RedisServer.RedisServer
    const upstream = yield* Upstream.Upstream
    const config: RunConfig = {
      redisUrl: server.url,
      upstreamUrl: upstream.baseUrl,
      items: settings.items,
      processes: settings.processes,
      fibersPerProcess: settings.fibersPerProcess,
      permits: settings.permits,
      rate: settings.rate,
      burst: settings.burst,
      leaseTtlMillis: settings.leaseTtlMillis,
      visibilityTimeoutMillis: settings.visibilityTimeoutMillis
    }
    // The coordinator holds the same shared Limiter and TokenBucket as the workers, to read their
    // global statistics.
    return yield* run(settings, config).pipe(Effect.scoped, Effect.provide(sharedLimits(config)))
  })

const run = (settings: Settings, config: RunConfig) =>
  Effect.gen(function*() {
    const server = yield* RedisServer.RedisServer
    const redis = yield* RedisConnection.RedisConnection
    const upstream = yield* Upstream.Upstream
    yield* upstream.setProfile({ latencyMs: settings.latencyMs, jitterMs: settings.jitterMs })
    const slots = yield* UpstreamSlots
    const bucket = yield* UpstreamRate
    yield* Console.log(`redis-server on ${server.url}, upstream on ${upstream.baseUrl}`)
    yield* Console.log(
      `shared through Redis: Limiter ${settings.permits} permits (leases of ${settings.leaseTtlMillis} ms), ` +
        `TokenBucket ${settings.rate}/s burst ${settings.burst}, WorkQueue (visibility timeout ${settings.visibilityTimeoutMillis} ms)`
    )
    yield* Console.log(
      `${settings.processes} worker processes × ${settings.fibersPerProcess} handler fibers; ` +
        `upstream requests take ${settings.latencyMs}-${settings.latencyMs + settings.jitterMs} ms\n`
    )

    const spawnedAt = yield* Clock.currentTimeMillis
    const workerNames = Array.from({ length: settings.processes }, (_, i) => `worker-${i + 1}`)
    const workers = yield* Effect.forEach(workerNames, (name) => spawnWorker(config, name))
    const pids = yield* Effect.forEach(workers, (w) => Deferred.await(w.ready), { concurrency: "unbounded" }).pipe(
      Effect.timeoutFail({
        duration: "60 seconds",
        onTimeout: () => new DemoError({ reason: "the workers did not connect within 60 s" })
      })
    )
    const startedAt = yield* Clock.currentTimeMillis
    yield* Console.log(
      `started ${workers.map((w, i) => `${w.name} (pid ${pids[i]})`).join(", ")} with node --import tsx ` +
        `src/worker.ts; all connected after ${((startedAt - spawnedAt) / 1000).toFixed(1)} s`
    )

    const queue = yield* joinQueue(config, "coordinator", 0)
    yield* WorkQueue.offerAll(queue, Array.from({ length: settings.items }, (_, i) => ({ id: i + 1 })))
    yield* WorkQueue.end(queue)
    yield* Console.log(
      `offered items 1..${settings.items} and ended the input; progress, in seconds since the workers were ready:\n`
    )

    const appliedCount = redis.use("demo.progress", (client) => client.scard(keys.applied))
    const progress = Effect.gen(function*() {
      const applied = yield* appliedCount
      const figures = yield* Effect.forEach(workers, (w) => readFigures(w.name))
      const held = (yield* Limiter.statistics(slots)).inFlight
      const stats = yield* upstream.stats
      const now = yield* Clock.currentTimeMillis
      const serverNow = stats.starts.length > 0 ? stats.starts[stats.starts.length - 1]!.at : 0
      const lastSecond = stats.starts.filter((s) => s.route === "/items/:id" && s.at > serverNow - 1000).length
      yield* Console.log(
        `  ${pad(((now - startedAt) / 1000).toFixed(1), 5)} s  applied ${pad(applied, 3)}/${settings.items}  ` +
          `permits held ${held}/${settings.permits}  upstream: ${stats.total.inFlight} in flight, ` +
          `${lastSecond} started in the last second  |  ${
            workers.map((w, i) => `${w.name.replace("worker-", "w")} ${figures[i]!.applied}`).join(" ")
          }`
      )
    })
    const progressFiber = yield* Effect.fork(Effect.repeat(progress, Schedule.spaced("1 second")))

    // The victim dies with SIGKILL once a third of the work is done, at a moment it has items in flight:
    // no finalizer of its own runs, so its leases and claims are all the others have to go on.
    const victim = workers[settings.victim - 1]!
    const killedRef = yield* Ref.make<Summary["killed"] | undefined>(undefined)
    const killer = yield* Effect.fork(Effect.gen(function*() {
      const killAt = Math.ceil(settings.items * settings.killAfterShare)
      const moment = Effect.all([appliedCount, readFigures(victim.name)]).pipe(
        Effect.delay("10 millis"),
        Effect.repeat({ until: ([applied, figures]) => applied >= killAt && figures.inFlight > 0 })
      )
      const [applied, figures] = yield* moment
      victim.child.kill("SIGKILL")
      yield* Deferred.await(victim.exited)
      yield* Ref.set(killedRef, {
        name: victim.name,
        pid: victim.child.pid ?? -1,
        appliedBefore: applied,
        inFlight: figures.inFlight
      })
      yield* Console.log(
        `  kill -9 ${victim.name} (pid ${victim.child.pid}) at ${applied} applied, with ${figures.inFlight} ` +
          `item(s) in its handlers: no finalizer runs; its permits return when their leases expire ` +
          `(${settings.leaseTtlMillis} ms), its claimed items after the visibility timeout`
      )
      // Watch the queue hand the dead worker's claims back (reading the statistics also reclaims them).
      const killedAt = yield* Clock.currentTimeMillis
      const before = (yield* RedisWorkQueue.statistics(queue)).redelivered
      const after = yield* RedisWorkQueue.statistics(queue).pipe(
        Effect.delay("50 millis"),
        Effect.repeat({ until: (stats) => stats.redelivered > before })
      )
      const waited = (yield* Clock.currentTimeMillis) - killedAt
      yield* Console.log(
        `  ${(waited / 1000).toFixed(1)} s after the kill: ${after.redelivered - before} claimed item(s) expired ` +
          `and went back to the head of the queue, with their delivery count`
      )
    }))

    yield* WorkQueue.awaitIdle(queue).pipe(
      Effect.timeoutFail({
        duration: "90 seconds",
        onTimeout: () => new DemoError({ reason: "the queue was not idle after 90 s" })
      })
    )
    const survivors = workers.filter((w) => w !== victim)
    // A handler failure is settled as failed (not redelivered): the run is over for that item, so say why.
    const failedSoFar = (yield* RedisWorkQueue.statistics(queue)).failed
    if (failedSoFar > 0) {
      const why = yield* Effect.forEach(survivors, (w) => Deferred.await(w.done)).pipe(
        Effect.map((reports) => reports.find((r) => r.firstFailure !== undefined)?.firstFailure ?? "(no report)"),
        Effect.timeout("10 seconds"),
        Effect.orElseSucceed(() => "(the workers did not report)")
      )
      return yield* new DemoError({ reason: `${failedSoFar} item(s) failed in their handler; the first: ${why}` })
    }
    const killed = yield* Fiber.join(killer).pipe(
      Effect.zipRight(Ref.get(killedRef)),
      Effect.timeoutFail({
        duration: "10 seconds",
        onTimeout: () => new DemoError({ reason: "the dead worker's claims did not come back within 10 s" })
      }),
      Effect.flatMap((k) =>
        k === undefined
          ? new DemoError({ reason: "the run ended before the worker could be killed" })
          : Effect.succeed(k)
      )
    )
    const reports = yield* Effect.forEach(survivors, (w) =>
      Deferred.await(w.done).pipe(
        Effect.zipLeft(
          Deferred.await(w.exited).pipe(
            Effect.flatMap(({ code, signal }) =>
              code === 0 ? Effect.void : new DemoError({
                reason: `${w.name} exited with ${signal ?? `code ${code}`}:\n${stderrTail(w)}`
              })
            )
          )
        ),
        Effect.timeoutFail({
          duration: "30 seconds",
          onTimeout: () => new DemoError({ reason: `${w.name} did not finish after the queue went idle` })
        })
      ), { concurrency: "unbounded" })
    yield* Fiber.interrupt(progressFiber)
    yield* progress
    const elapsedMs = (yield* Clock.currentTimeMillis) - startedAt

    // What happened, from Redis (the application's records) and from the upstream (the server's).
    const rows: Array<WorkerRow> = []
    for (const [i, w] of workers.entries()) {
      const figures = yield* readFigures(w.name)
      const survivorIndex = survivors.indexOf(w)
      rows.push({
        name: w.name,
        pid: pids[i]!,
        killed: w === victim,
        processedByQueue: survivorIndex >= 0 ? reports[survivorIndex]!.processed : undefined,
        ...figures
      })
    }
    const sum = (field: keyof WorkerFigures) => rows.reduce((total, row) => total + row[field], 0)
    const totals: WorkerFigures = {
      deliveries: sum("deliveries"),
      redeliveries: sum("redeliveries"),
      skipped: sum("skipped"),
      upstream: sum("upstream"),
      applied: sum("applied"),
      duplicates: sum("duplicates"),
      inFlight: sum("inFlight")
    }
    const appliedIds = new Set(
      (yield* redis.use("demo.applied", (client) => client.smembers(keys.applied))).map(Number)
    )
    const missing = Array.from({ length: settings.items }, (_, i) => i + 1).filter((id) => !appliedIds.has(id))
    const revenue = Number((yield* redis.use("demo.revenue", (client) => client.get(keys.revenue))) ?? "0")
    let expectedRevenue = 0
    for (let id = 1; id <= settings.items; id++) expectedRevenue += priceOf(id)
    const queueStats = yield* RedisWorkQueue.statistics(queue)
    const upstreamStats = yield* upstream.quiescentStats
    const itemStarts = upstreamStats.starts.filter((s) => s.route === "/items/:id").map((s) => s.at)
    const route = upstreamStats.routes["/items/:id"]
    const span = itemStarts.length > 1 ? (Math.max(...itemStarts) - Math.min(...itemStarts)) / 1000 : 0
    const upstreamSummary = {
      requests: itemStarts.length,
      aborted: route?.aborted ?? 0,
      peakInFlight: route?.peakInFlight ?? 0,
      busiestWindow: busiestWindow(itemStarts, 1000),
      ratePerSecond: span > 0 ? Math.round((itemStarts.length / span) * 10) / 10 : 0
    }
    const bucketStats = yield* TokenBucket.statistics(bucket)

    yield* Console.log(`\nper worker (from the counters each handler keeps in Redis):`)
    yield* Console.log(
      `  ${"worker".padEnd(9)} ${"pid".padStart(7)}  ${"state".padEnd(8)} ${pad("deliveries", 10)} ${
        pad("redelivered", 11)
      } ${pad("skipped", 7)} ${pad("upstream", 8)} ${pad("applied", 7)} ${pad("dup", 3)}`
    )
    for (const row of rows) {
      yield* Console.log(
        `  ${row.name.padEnd(9)} ${pad(row.pid, 7)}  ${(row.killed ? "killed" : "finished").padEnd(8)} ${
          pad(row.deliveries, 10)
        } ${pad(row.redeliveries, 11)} ${pad(row.skipped, 7)} ${pad(row.upstream, 8)} ${pad(row.applied, 7)} ${
          pad(row.duplicates, 3)
        }`
      )
    }
    yield* Console.log(
      `  ${"total".padEnd(9)} ${pad("", 7)}  ${"".padEnd(8)} ${pad(totals.deliveries, 10)} ${
        pad(totals.redeliveries, 11)
      } ${pad(totals.skipped, 7)} ${pad(totals.upstream, 8)} ${pad(totals.applied, 7)} ${pad(totals.duplicates, 3)}`
    )
    yield* Console.log(
      `  (redelivered: the handler found the item had been handed out before; skipped: it was already applied, ` +
        `no upstream call; dup: applied meanwhile by another delivery)`
    )

    const exactlyOnce = appliedIds.size === settings.items && missing.length === 0 &&
      totals.applied === settings.items && revenue === expectedRevenue
    yield* Console.log(`\nthe queue (global figures from Redis):`)
    yield* Console.log(
      `  offered ${queueStats.offered}, succeeded ${queueStats.succeeded}, failed ${queueStats.failed}, ` +
        `claims expired and redelivered ${queueStats.redelivered}`
    )
    yield* Console.log(`the application:`)
    yield* Console.log(
      `  ${appliedIds.size} of ${settings.items} items applied, ${totals.applied} applications in all, ` +
        `revenue ${revenue} (expected ${expectedRevenue}): ${
          exactlyOnce ? "every item exactly once" : `NOT exactly once (missing ${missing.slice(0, 10).join(", ")})`
        }, although ${totals.deliveries} deliveries were made`
    )
    yield* Console.log(`the upstream's own records:`)
    yield* Console.log(
      `  ${upstreamSummary.requests} requests${
        upstreamSummary.aborted > 0 ? ` (${upstreamSummary.aborted} cut off by the kill)` : ""
      }, ` +
        `peak in flight ${upstreamSummary.peakInFlight} (limit ${settings.permits} permits), ` +
        `busiest 1 s window ${upstreamSummary.busiestWindow} (limit rate + burst = ${
          settings.rate + settings.burst
        }), ` +
        `${upstreamSummary.ratePerSecond} requests/s on average`
    )
    yield* Console.log(
      `  bucket statistics: ${bucketStats.admitted} admitted, ${bucketStats.pauses} pauses; ` +
        `finished in ${(elapsedMs / 1000).toFixed(1)} s`
    )
    return {
      settings,
      workers: rows,
      totals,
      appliedItems: appliedIds.size,
      missing,
      revenue,
      expectedRevenue,
      queue: {
        offered: queueStats.offered,
        succeeded: queueStats.succeeded,
        failed: queueStats.failed,
        redelivered: queueStats.redelivered
      },
      upstream: upstreamSummary,
      killed,
      elapsedMs
    } satisfies Summary
  })

export const program = makeProgram(defaults)
