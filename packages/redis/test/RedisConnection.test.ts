import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument } from "@fiberkit/core"
import { RedisConnection, RedisServer } from "@fiberkit/redis"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Net from "node:net"

const incrementBy = RedisConnection.defineScript(
  "incrementBy",
  "return redis.call('INCRBY', KEYS[1], ARGV[1])"
)
const failing = RedisConnection.defineScript("failing", "return redis.error_reply('the script says no')")

// Retries `effect` on real time until it succeeds: the "eventually" of a reconnection, bounded by the test timeout.
const eventually = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.retry(
    Effect.tapError(effect, () => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 50)))),
    { times: 400 }
  )

describe("RedisConnection", () => {
  it.live("bad options are an InvalidArgumentError at the call", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [RedisConnection.Options, string]> = [
        [{ url: "http://127.0.0.1:6379" }, "url"],
        [{ url: 6379 as unknown as string }, "url"],
        [{ url: "" }, "url"],
        [{ url: "redis://127.0.0.1:1", commandTimeout: 0 }, "commandTimeout"],
        [{ url: "redis://127.0.0.1:1", commandTimeout: -5 }, "commandTimeout"],
        [{ url: "redis://127.0.0.1:1", commandTimeout: "forever" as never }, "commandTimeout"],
        [{ url: "redis://127.0.0.1:1", commandTimeout: Number.POSITIVE_INFINITY }, "commandTimeout"],
        [{ url: "redis://127.0.0.1:1", keyPrefix: 5 as unknown as string }, "keyPrefix"],
        [null as unknown as RedisConnection.Options, "options"]
      ]
      for (const [options, argument] of cases) {
        const error = yield* Effect.flip(Effect.scoped(RedisConnection.make(options)))
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error), `${argument}: ${error.message}`)
        if (InvalidArgument.isInvalidArgumentError(error)) {
          assert.strictEqual(error.operation, "RedisConnection.make")
          assert.strictEqual(error.argument, argument)
        }
        const viaLayer = yield* Effect.flip(Layer.build(RedisConnection.layer(options)).pipe(Effect.scoped))
        assert.isTrue(InvalidArgument.isInvalidArgumentError(viaLayer))
      }
    }))

  it.live("nothing listening: connecting fails with reason unavailable instead of waiting", () =>
    Effect.gen(function*() {
      // A port that was free a moment ago: nothing listens there.
      const port = yield* Effect.scoped(Effect.map(RedisServer.start(), (server) => server.port))
      const error = yield* Effect.flip(Effect.scoped(RedisConnection.make({ url: `redis://127.0.0.1:${port}` })))
      assert.strictEqual(error._tag, "RedisError")
      if (RedisConnection.isRedisError(error)) {
        assert.strictEqual(error.reason, "unavailable")
        assert.strictEqual(error.operation, "RedisConnection.connect")
        assert.include(error.message, "Redis is unavailable")
      }
    }))

  it.live("a peer that accepts the socket and never answers: connecting fails with reason timeout", () =>
    Effect.gen(function*() {
      const sockets: Array<Net.Socket> = []
      const silent = Net.createServer((socket) => sockets.push(socket))
      yield* Effect.async<void>((resume) => {
        silent.listen(0, "127.0.0.1", () => resume(Effect.void))
      })
      const address = silent.address() as Net.AddressInfo
      const error = yield* Effect.flip(
        Effect.scoped(RedisConnection.make({ url: `redis://127.0.0.1:${address.port}`, commandTimeout: "200 millis" }))
      )
      for (const socket of sockets) socket.destroy()
      silent.close()
      assert.strictEqual(error._tag, "RedisError")
      if (RedisConnection.isRedisError(error)) assert.strictEqual(error.reason, "timeout")
    }))

  it.live("use runs commands; keyPrefix applies to every key, a script's KEYS included", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const plain = yield* RedisConnection.make({ url: server.url })
      const prefixed = yield* RedisConnection.make({ url: server.url, keyPrefix: "app:" })
      assert.strictEqual(prefixed.keyPrefix, "app:")
      assert.strictEqual(plain.commandTimeoutMillis, 2000)
      yield* prefixed.use("set", (client) => client.set("greeting", "hello"))
      assert.strictEqual(yield* plain.use("get", (client) => client.get("app:greeting")), "hello")
      assert.strictEqual(yield* plain.use("get", (client) => client.get("greeting")), null)
      assert.strictEqual(yield* prefixed.run("count", incrementBy, ["counter"], [5]), 5)
      assert.strictEqual(yield* plain.use("get", (client) => client.get("app:counter")), "5")
    })))

  it.live("run: EVALSHA, with the source sent again after the server forgot its scripts", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const redis = yield* RedisConnection.make({ url: server.url })
      assert.strictEqual(incrementBy.sha.length, 40)
      assert.strictEqual(yield* redis.run("count", incrementBy, ["n"], [1]), 1)
      const [known] = yield* redis.use("exists", (client) => client.script("EXISTS", incrementBy.sha)) as Effect.Effect<
        Array<number>,
        RedisConnection.RedisError
      >
      assert.strictEqual(known, 1)
      yield* redis.use("flush", (client) => client.script("FLUSH"))
      assert.strictEqual(yield* redis.run("count", incrementBy, ["n"], [2]), 3)
    })))

  it.live("a script error is reason script, a rejected command reason protocol", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const redis = yield* RedisConnection.make({ url: server.url })
      const scriptError = yield* Effect.flip(redis.run("Test.fail", failing, [], []))
      assert.strictEqual(scriptError.reason, "script")
      assert.strictEqual(scriptError.operation, "Test.fail (script failing)")
      assert.include(scriptError.message, "the script says no")
      yield* redis.use("set", (client) => client.set("s", "text"))
      const protocol = yield* Effect.flip(redis.use("Test.lpush", (client) => client.lpush("s", "x")))
      assert.strictEqual(protocol.reason, "protocol")
      assert.include(protocol.message, "WRONGTYPE")
    })))

  it.live("a server that stops answering: commands fail with reason timeout, then work when it answers again", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const redis = yield* RedisConnection.make({ url: server.url, commandTimeout: "150 millis" })
      const other = yield* RedisConnection.make({ url: server.url })
      yield* other.use("pause", (client) => client.call("CLIENT", "PAUSE", "1000", "ALL"))
      const error = yield* Effect.flip(redis.use("Test.get", (client) => client.get("k")))
      assert.strictEqual(error.reason, "timeout")
      assert.strictEqual(yield* eventually(redis.use("Test.get", (client) => client.get("k"))), null)
    })))

  it.live("Redis stopped mid-run: RedisError unavailable at once; restarted on the same port: the same connection works again", () =>
    Effect.scoped(Effect.gen(function*() {
      const first = yield* Scope.make()
      const server = yield* RedisServer.start().pipe(Scope.extend(first))
      const redis = yield* RedisConnection.make({ url: server.url })
      yield* redis.use("set", (client) => client.set("k", "before"))
      yield* Scope.close(first, Exit.void)
      for (let i = 0; i < 3; i++) {
        const error = yield* Effect.flip(redis.use("Test.get", (client) => client.get("k")))
        assert.strictEqual(error.reason, "unavailable")
        assert.strictEqual(error.operation, "Test.get")
        const scriptError = yield* Effect.flip(redis.run("Test.count", incrementBy, ["n"], [1]))
        assert.strictEqual(scriptError.reason, "unavailable")
      }
      yield* RedisServer.start({ port: server.port })
      // A fresh server (no persistence): the key is gone, and the script cache is empty (NOSCRIPT fallback).
      assert.strictEqual(yield* eventually(redis.use("Test.get", (client) => client.get("k"))), null)
      assert.strictEqual(yield* redis.run("Test.count", incrementBy, ["n"], [1]), 1)
    })))

  it.live("duplicate: a second connection with the same options, for blocking commands", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const redis = yield* RedisConnection.make({ url: server.url, keyPrefix: "p:" })
      const blocking = yield* redis.duplicate
      assert.notStrictEqual(blocking.client, redis.client)
      assert.strictEqual(blocking.keyPrefix, "p:")
      const popped = yield* Effect.fork(blocking.use("blpop", (client) => client.blpop("jobs", 1)))
      yield* redis.use("rpush", (client) => client.rpush("jobs", "one"))
      const result = yield* popped.await
      assert.isTrue(Exit.isSuccess(result))
      if (Exit.isSuccess(result)) assert.deepStrictEqual(result.value, ["p:jobs", "one"])
    })))

  it.live("layerFromServer connects to RedisServer.layer()", () =>
    Effect.gen(function*() {
      const redis = yield* RedisConnection.RedisConnection
      const server = yield* RedisServer.RedisServer
      assert.strictEqual(redis.url, server.url)
      assert.strictEqual(yield* redis.use("ping", (client) => client.ping()), "PONG")
    }).pipe(Effect.provide(RedisConnection.layerFromServer.pipe(Layer.provideMerge(RedisServer.layer())))))
})
