/**
 * The parent side of the multi-process Redis workloads: a fresh redis-server (RedisServer.start, on a free
 * loopback port, gone with the scope), N child processes that each open the shared primitive and report
 * "ready", then one "go" to all of them at once. Only what happens after "go" is timed: start-up (the
 * TypeScript loader, connecting, the server itself) is not part of the figures.
 */
import { RedisServer } from "@fiberkit/redis"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { spawnSync } from "node:child_process"
import * as ChildProcess from "node:child_process"
import * as path from "node:path"
import * as readline from "node:readline"
import { type ChildResult, type Job, readyLine, resultPrefix } from "./job.js"

const childFile = path.join(import.meta.dirname, "child.ts")
const benchDir = path.resolve(import.meta.dirname, "../../..")

/** Why the Redis workloads cannot run here, or undefined when they can. */
export const redisUnavailable = (): string | undefined =>
  spawnSync("redis-server", ["--version"]).status === 0 ?
    undefined :
    "redis-server is not on PATH (install it: pnpm system-deps, or apt-get install redis-server)"

class HarnessError extends Data.TaggedError("HarnessError")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

interface Child {
  readonly process: ChildProcess.ChildProcess
  readonly ready: Deferred.Deferred<void, HarnessError>
  readonly result: Deferred.Deferred<ChildResult, HarnessError>
  readonly exited: Deferred.Deferred<void>
}

const spawnChild = (job: Job) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const ready = yield* Deferred.make<void, HarnessError>()
      const result = yield* Deferred.make<ChildResult, HarnessError>()
      const exited = yield* Deferred.make<void>()
      const child = ChildProcess.spawn(process.execPath, ["--import", "tsx", childFile, JSON.stringify(job)], {
        cwd: benchDir,
        stdio: ["pipe", "pipe", "pipe"]
      })
      const stderr: Array<string> = []
      child.stderr.setEncoding("utf8")
      child.stderr.on("data", (chunk: string) => stderr.push(chunk))
      readline.createInterface({ input: child.stdout }).on("line", (line) => {
        if (line === readyLine) Deferred.unsafeDone(ready, Exit.void)
        else if (line.startsWith(resultPrefix)) {
          Deferred.unsafeDone(result, Exit.succeed(JSON.parse(line.slice(resultPrefix.length)) as ChildResult))
        }
      })
      const failed = (why: string) => {
        const error = Exit.fail(
          new HarnessError({ reason: `${why}: ${stderr.join("").trim().split("\n").slice(-3).join(" | ")}` })
        )
        Deferred.unsafeDone(ready, error)
        Deferred.unsafeDone(result, error)
      }
      child.on("error", (error) => failed(error.message))
      child.on("exit", (code, signal) => {
        failed(`child exited (${signal ?? `code ${code}`}) without a result`)
        Deferred.unsafeDone(exited, Exit.void)
      })
      return { process: child, ready, result, exited } satisfies Child
    }),
    (child) =>
      Effect.suspend(() => {
        if (child.process.exitCode !== null || child.process.signalCode !== null) return Effect.void
        child.process.kill("SIGKILL")
        return Deferred.await(child.exited)
      })
  )

export interface SharedRun {
  readonly results: ReadonlyArray<ChildResult>
  /** From "go" to the last child's result, in ms. */
  readonly wallMs: number
}

/** Runs `processes` children on one fresh Redis, each with the job `jobFor` gives it. */
export const runShared = (processes: number, jobFor: (redisUrl: string, index: number) => Job): Promise<SharedRun> =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const server = yield* RedisServer.start()
    const children = yield* Effect.forEach(
      Array.from({ length: processes }, (_, i) => jobFor(server.url, i)),
      spawnChild,
      { concurrency: "unbounded" }
    )
    yield* Effect.forEach(children, (child) => Deferred.await(child.ready), { concurrency: "unbounded" }).pipe(
      Effect.timeoutFail({
        duration: "90 seconds",
        onTimeout: () => new HarnessError({ reason: "children not ready after 90 s" })
      })
    )
    const start = performance.now()
    for (const child of children) child.process.stdin!.write("go\n")
    const results = yield* Effect.forEach(children, (child) => Deferred.await(child.result), {
      concurrency: "unbounded"
    }).pipe(
      Effect.timeoutFail({
        duration: "5 minutes",
        onTimeout: () => new HarnessError({ reason: "no result after 5 minutes" })
      })
    )
    return { results, wallMs: performance.now() - start }
  })))

/** `total` operations split over `processes` children as evenly as integers allow. */
export const share = (total: number, processes: number, index: number) =>
  Math.floor(total / processes) + (index < total % processes ? 1 : 0)

/** The most entries inside any window of `windowMs`. */
export const busiestWindow = (times: ReadonlyArray<number>, windowMs: number) => {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  let lo = 0
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++
    best = Math.max(best, hi - lo + 1)
  }
  return best
}
