import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import type * as api from "../RedisServer.js"
import * as realTime from "./realTime.js"
import * as validate from "./validate.js"

/** @internal */
export const RedisServer = Context.GenericTag<api.RedisServer>("@fiberkit/redis/RedisServer")

const installHint = "install it with `apt-get install redis-server` (Debian/Ubuntu), `brew install redis` (macOS), " +
  "or run `pnpm system-deps` at the root of the fiberkit repository"

/** @internal */
export class RedisServerError extends Data.TaggedError("RedisServerError")<{
  readonly reason: "not-installed" | "failed-to-start"
  readonly binary: string
  readonly detail: string
}> {
  override get message(): string {
    return this.reason === "not-installed" ?
      `RedisServer.start: ${this.binary} was not found (${this.detail}); ${installHint}` :
      `RedisServer.start: ${this.binary} did not start: ${this.detail}`
  }
}

const defaultBinary = "redis-server"

// PATH lookup without running anything: a binary given with a slash is checked as a path.
const findBinary = (binary: string): string | undefined => {
  const candidates = binary.includes("/") ?
    [binary] :
    (process.env.PATH ?? "").split(Path.delimiter).filter((dir) => dir.length > 0).map((dir) => Path.join(dir, binary))
  for (const candidate of candidates) {
    try {
      Fs.accessSync(candidate, Fs.constants.X_OK)
      if (Fs.statSync(candidate).isFile()) return candidate
    } catch {
      // not here: try the next directory
    }
  }
  return undefined
}

/** @internal */
export const binaryAvailable: Effect.Effect<boolean> = Effect.sync(() => findBinary(defaultBinary) !== undefined)

// An ephemeral port the kernel says is free right now. Another process can take it before redis-server binds,
// so `start` retries on "Address already in use".
const freePort: Effect.Effect<number, Error> = Effect.async<number, Error>((resume) => {
  const server = Net.createServer()
  server.once("error", (error) => resume(Effect.fail(error)))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

// Asks the server on the port for its process id over raw RESP (no client library involved): the server is ready
// when *our* child answers, not merely something on that port.
const answeringPid = (port: number): Effect.Effect<number | undefined> =>
  Effect.async<number | undefined>((resume) => {
    const socket = Net.connect({ host: "127.0.0.1", port })
    let reply = ""
    const done = (pid: number | undefined) => {
      socket.destroy()
      resume(Effect.succeed(pid))
    }
    socket.setTimeout(500, () => done(undefined))
    socket.once("error", () => done(undefined))
    socket.once("connect", () => socket.write("INFO server\r\n"))
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8")
      const found = /process_id:(\d+)\r\n/.exec(reply)
      if (found !== null) done(Number(found[1]))
      else if (reply.startsWith("-")) done(undefined)
    })
    return Effect.sync(() => socket.destroy())
  })

interface Spawned {
  readonly child: ChildProcess.ChildProcess
  readonly exited: Deferred.Deferred<number | null>
  readonly output: () => string
}

// Servers still running when this process exits without closing their scopes (a test runner tearing down a
// worker, an uncaught exception) are killed here rather than left behind. Nothing can help after a SIGKILL.
const running = new Set<ChildProcess.ChildProcess>()
let exitHook = false
const track = (child: ChildProcess.ChildProcess) => {
  running.add(child)
  child.once("exit", () => running.delete(child))
  if (!exitHook) {
    exitHook = true
    process.once("exit", () => {
      for (const server of running) server.kill("SIGKILL")
    })
  }
}

const spawn = (binary: string, port: number, dir: string): Effect.Effect<Spawned, RedisServerError> =>
  Effect.gen(function*() {
    const exited = yield* Deferred.make<number | null>()
    let output = ""
    const child = yield* Effect.try({
      try: () =>
        ChildProcess.spawn(binary, [
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--dir",
          dir,
          "--save",
          "",
          "--appendonly",
          "no",
          "--protected-mode",
          "no",
          "--daemonize",
          "no",
          "--loglevel",
          "warning"
        ], { stdio: ["ignore", "pipe", "pipe"] }),
      catch: (error) => new RedisServerError({ reason: "failed-to-start", binary, detail: String(error) })
    })
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-4000)
    }
    child.stdout?.on("data", keep)
    child.stderr?.on("data", keep)
    child.once("error", (error) => {
      output += `\n${String(error)}`
      Deferred.unsafeDone(exited, Effect.succeed(null))
    })
    child.once("exit", (code) => Deferred.unsafeDone(exited, Effect.succeed(code)))
    track(child)
    return { child, exited, output: () => output.trim() }
  })

// SIGTERM first (redis-server shuts down at once with persistence off), SIGKILL if it lingers.
const stop = (spawned: Spawned): Effect.Effect<void> =>
  Effect.gen(function*() {
    if (spawned.child.exitCode !== null || spawned.child.signalCode !== null) return
    spawned.child.kill("SIGTERM")
    const gone = yield* realTime.timeoutTo(Effect.as(Deferred.await(spawned.exited), true), 3_000, () => false)
    if (!gone) {
      spawned.child.kill("SIGKILL")
      yield* realTime.timeoutTo(Deferred.await(spawned.exited), 3_000, () => null)
    }
  })

const waitUntilReady = (
  spawned: Spawned,
  port: number,
  binary: string
): Effect.Effect<void, RedisServerError> =>
  Effect.gen(function*() {
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      if (yield* Deferred.isDone(spawned.exited)) {
        const code = yield* Deferred.await(spawned.exited)
        return yield* new RedisServerError({
          reason: "failed-to-start",
          binary,
          detail: `it exited with code ${code} on port ${port}: ${spawned.output() || "(no output)"}`
        })
      }
      if ((yield* answeringPid(port)) === spawned.child.pid) return
      yield* realTime.sleep(20)
    }
    return yield* new RedisServerError({
      reason: "failed-to-start",
      binary,
      detail: `no answer from it on 127.0.0.1:${port} within 10 s: ${spawned.output() || "(no output)"}`
    })
  })

/** @internal */
export const start = (
  options?: api.StartOptions
): Effect.Effect<api.RedisServer, RedisServerError | validate.InvalidArgumentError, Scope.Scope> =>
  Effect.gen(function*() {
    const operation = "RedisServer.start"
    if (options !== undefined) {
      const shape = validate.object(operation, "options", options)
      if (shape !== undefined) return yield* shape
      yield* validate.all(
        options.port === undefined ? undefined : validate.port(operation, "port", options.port),
        options.binary === undefined ? undefined : validate.nonEmptyString(operation, "binary", options.binary)
      )
    }
    const binary = options?.binary ?? defaultBinary
    const resolved = findBinary(binary)
    if (resolved === undefined) {
      return yield* new RedisServerError({
        reason: "not-installed",
        binary,
        detail: binary.includes("/") ? "no executable file at that path" : "not on PATH"
      })
    }
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "fiberkit-redis-"))),
      (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
    )
    // A fixed port is tried once (the caller wants that port: a restart); a free port is retried when another
    // process took it between our probe and redis-server's bind.
    const attempts = options?.port === undefined ? 5 : 1
    for (let attempt = 1;; attempt++) {
      const port = options?.port ?? (yield* Effect.orDie(freePort))
      const spawned = yield* Effect.acquireRelease(spawn(resolved, port, dir), stop)
      const ready = yield* Effect.either(waitUntilReady(spawned, port, binary))
      if (ready._tag === "Right") {
        return { host: "127.0.0.1", port, url: `redis://127.0.0.1:${port}`, dir } as const
      }
      if (attempt >= attempts || !spawned.output().includes("Address already in use")) {
        return yield* ready.left
      }
      yield* stop(spawned)
    }
  })

/** @internal */
export const layer = (
  options?: api.StartOptions
): Layer.Layer<api.RedisServer, RedisServerError | validate.InvalidArgumentError> =>
  Layer.scoped(RedisServer, start(options))
