import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument } from "@fiberkit/core"
import { RedisServer } from "@fiberkit/redis"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as Fs from "node:fs"
import * as Net from "node:net"

// Whether something accepts TCP connections on the port right now.
const listening = (port: number) =>
  Effect.async<boolean>((resume) => {
    const socket = Net.connect({ host: "127.0.0.1", port })
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.succeed(true))
    })
    socket.once("error", () => resume(Effect.succeed(false)))
  })

// One RESP round trip without any client library.
const command = (port: number, line: string) =>
  Effect.async<string>((resume) => {
    const socket = Net.connect({ host: "127.0.0.1", port })
    let reply = ""
    socket.once("connect", () => socket.write(`${line}\r\n`))
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8")
      if (reply.endsWith("\r\n")) {
        socket.destroy()
        resume(Effect.succeed(reply.trim()))
      }
    })
    socket.once("error", (error) => resume(Effect.succeed(`error: ${error.message}`)))
  })

const isServerError = (u: unknown): u is RedisServer.RedisServerError =>
  typeof u === "object" && u !== null && "_tag" in u && u._tag === "RedisServerError"

describe("RedisServer", () => {
  it.live("redis-server is installed (the tests need it; `pnpm system-deps` installs it)", () =>
    Effect.gen(function*() {
      assert.isTrue(yield* RedisServer.binaryAvailable)
    }))

  it.live("start: a server on a free loopback port answering PING, stopped and cleaned up with its scope", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const server = yield* RedisServer.start().pipe(Scope.extend(scope))
      assert.strictEqual(server.host, "127.0.0.1")
      assert.strictEqual(server.url, `redis://127.0.0.1:${server.port}`)
      assert.isTrue(Fs.statSync(server.dir).isDirectory())
      assert.strictEqual(yield* command(server.port, "PING"), "+PONG")
      // No persistence: nothing is ever written to the directory.
      assert.strictEqual(yield* command(server.port, "CONFIG GET save"), "*2\r\n$4\r\nsave\r\n$0")
      yield* Scope.close(scope, Exit.void)
      assert.isFalse(yield* listening(server.port))
      assert.isFalse(Fs.existsSync(server.dir))
    }))

  it.live("start({ port }) brings a server back on the port of one that was stopped; data does not survive", () =>
    Effect.gen(function*() {
      const first = yield* Scope.make()
      const server = yield* RedisServer.start().pipe(Scope.extend(first))
      assert.strictEqual(yield* command(server.port, "SET k v"), "+OK")
      yield* Scope.close(first, Exit.void)
      const again = yield* Effect.scoped(Effect.gen(function*() {
        const restarted = yield* RedisServer.start({ port: server.port })
        assert.strictEqual(restarted.port, server.port)
        return yield* command(restarted.port, "GET k")
      }))
      assert.strictEqual(again, "$-1")
    }))

  it.live("a port that is taken fails with reason failed-to-start and redis-server's own explanation", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const error = yield* Effect.flip(RedisServer.start({ port: server.port })).pipe(
        Effect.filterOrDieMessage(isServerError, "expected a RedisServerError")
      )
      assert.strictEqual(error.reason, "failed-to-start")
      assert.include(error.message, "Address already in use")
      // The first server is untouched.
      assert.strictEqual(yield* command(server.port, "PING"), "+PONG")
    })))

  it.live("a missing binary fails with reason not-installed and says how to install redis-server", () =>
    Effect.scoped(Effect.gen(function*() {
      const error = yield* Effect.flip(RedisServer.start({ binary: "fiberkit-no-such-redis-server" })).pipe(
        Effect.filterOrDieMessage(isServerError, "expected a RedisServerError")
      )
      assert.strictEqual(error.reason, "not-installed")
      assert.include(error.message, "apt-get install redis-server")
      const path = yield* Effect.flip(RedisServer.start({ binary: "/nonexistent/redis-server" })).pipe(
        Effect.filterOrDieMessage(isServerError, "expected a RedisServerError")
      )
      assert.strictEqual(path.reason, "not-installed")
    })))

  it.live("bad options are an InvalidArgumentError at the call", () =>
    Effect.scoped(Effect.gen(function*() {
      for (const port of [0, -1, 65536, 1.5, Number.NaN, "6379" as unknown as number]) {
        const error = yield* Effect.flip(RedisServer.start({ port }))
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error))
        if (InvalidArgument.isInvalidArgumentError(error)) {
          assert.strictEqual(error.operation, "RedisServer.start")
          assert.strictEqual(error.argument, "port")
        }
      }
      const binary = yield* Effect.flip(RedisServer.start({ binary: "" }))
      assert.isTrue(InvalidArgument.isInvalidArgumentError(binary))
      const options = yield* Effect.flip(RedisServer.start(null as unknown as RedisServer.StartOptions))
      assert.isTrue(InvalidArgument.isInvalidArgumentError(options))
    })))

  it.live("layer: the server lives as long as the layer", () =>
    Effect.gen(function*() {
      const server = yield* Effect.scoped(
        Effect.gen(function*() {
          const server = yield* RedisServer.RedisServer
          assert.strictEqual(yield* command(server.port, "PING"), "+PONG")
          return server
        }).pipe(Effect.provide(RedisServer.layer()))
      )
      assert.isFalse(yield* listening(server.port))
    }))
})
