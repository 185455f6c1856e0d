import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument, Limiter } from "@fiberkit/core"
import { RedisConnection, RedisLimiter, RedisServer } from "@fiberkit/redis"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"

const packageDir = Path.resolve(import.meta.dirname, "..")
const RedisLive = RedisConnection.layerFromServer.pipe(Layer.provideMerge(RedisServer.layer()))

let names = 0
const fresh = (what: string) => `${what}-${process.pid}-${++names}`

const pause = (millis: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, millis)))

// Retries `check` on real time until it holds: the "eventually" of lease expiry, bounded by `millis`.
const eventually = <E>(check: Effect.Effect<boolean, E>, millis: number, what: string) =>
  Effect.gen(function*() {
    const deadline = Date.now() + millis
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`not within ${millis} ms: ${what}`)
      yield* pause(25)
    }
  })

// The raw state in Redis: nothing may be left behind by interrupted or finished acquisitions.
const rawState = (name: string) =>
  Effect.gen(function*() {
    const redis = yield* RedisConnection.RedisConnection
    const base = `fiberkit:limiter:{${name}}:`
    return yield* redis.use("rawState", async (client) => ({
      leases: await client.zcard(`${base}leases`),
      holders: await client.hlen(`${base}holders`),
      queue: await client.zcard(`${base}queue`),
      heartbeats: await client.zcard(`${base}heartbeats`),
      inFlight: Number(await client.hget(`${base}meta`, "inFlight") ?? 0)
    }))
  })

// A second connection (as another process would have), open until the test's scope closes.
const secondConnection = Layer.build(RedisConnection.layerFromServer)

const empty = { leases: 0, holders: 0, queue: 0, heartbeats: 0, inFlight: 0 }

interface Child {
  readonly process: ChildProcess.ChildProcess
  readonly line: (text: string) => Effect.Effect<void>
  readonly exit: Effect.Effect<number | null>
  readonly stdout: () => string
}

// `node --import tsx test/fixtures/<file>.ts …args`, killed (SIGKILL) when the scope closes.
const spawnChild = (file: string, args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.sync((): Child => {
      const child = ChildProcess.spawn(process.execPath, ["--import", "tsx", `test/fixtures/${file}`, ...args], {
        cwd: packageDir,
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (chunk) => (stdout += chunk.toString("utf8")))
      child.stderr.on("data", (chunk) => (stderr += chunk.toString("utf8")))
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
      return {
        process: child,
        stdout: () => stdout,
        exit: Effect.promise(() => exited),
        line: (text) =>
          Effect.gen(function*() {
            const deadline = Date.now() + 30_000
            while (!stdout.split("\n").includes(text)) {
              if (child.exitCode !== null) {
                return yield* Effect.dieMessage(`${file} exited (${child.exitCode}) before "${text}": ${stderr}`)
              }
              if (Date.now() > deadline) return yield* Effect.dieMessage(`${file} never printed "${text}": ${stderr}`)
              yield* pause(20)
            }
          })
      }
    }),
    (child) => Effect.sync(() => child.process.exitCode === null && child.process.kill("SIGKILL"))
  )

describe("RedisLimiter", () => {
  it.live("bad options and bad permits are an InvalidArgumentError at the call", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [RedisLimiter.Options, string]> = [
        [{ name: "", permits: 1 }, "name"],
        [{ name: "a{b}", permits: 1 }, "name"],
        [{ name: "a,b", permits: 1 }, "name"],
        [{ name: 7 as unknown as string, permits: 1 }, "name"],
        [{ name: "x", permits: 0 }, "permits"],
        [{ name: "x", permits: 1.5 }, "permits"],
        [{ name: "x", permits: Number.NaN }, "permits"],
        [{ name: "x", permits: 1, label: 3 as unknown as string }, "label"],
        [{ name: "x", permits: 1, leaseTtl: 0 }, "leaseTtl"],
        [{ name: "x", permits: 1, leaseTtl: "50 millis" }, "leaseTtl"],
        [{ name: "x", permits: 1, leaseTtl: "soon" as never }, "leaseTtl"],
        [{ name: "x", permits: 1, leaseTtl: "1 second", pollInterval: "600 millis" }, "pollInterval"],
        [{ name: "x", permits: 1, pollInterval: -1 }, "pollInterval"],
        [null as unknown as RedisLimiter.Options, "options"]
      ]
      for (const [options, argument] of cases) {
        const error = yield* Effect.flip(Effect.scoped(RedisLimiter.make(options)))
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error), `${argument}: ${error.message}`)
        if (InvalidArgument.isInvalidArgumentError(error)) {
          assert.strictEqual(error.operation, "RedisLimiter.make")
          assert.strictEqual(error.argument, argument)
        }
      }
      const limiter = yield* RedisLimiter.make({ name: fresh("bad"), permits: 3 })
      for (const n of [0, -1, 1.5, Number.NaN]) {
        const bad = yield* Effect.flip(Effect.void.pipe(Limiter.withPermits(limiter, n)))
        assert.isTrue(InvalidArgument.isInvalidArgumentError(bad))
      }
      const tooMany = yield* Effect.flip(Effect.void.pipe(Limiter.withPermits(limiter, 4)))
      assert.isTrue(InvalidArgument.isInvalidArgumentError(tooMany))
      assert.include(tooMany.message, "at most the limiter's capacity of 3, got 4")
      const tooManyTry = yield* Effect.flip(Effect.void.pipe(Limiter.tryWithPermits(limiter, 4)))
      assert.isTrue(InvalidArgument.isInvalidArgumentError(tooManyTry))
      const layerError = yield* Effect.flip(Layer.build(RedisLimiter.layer(Calls, { name: "", permits: 1 })))
      assert.isTrue(InvalidArgument.isInvalidArgumentError(layerError))
    }).pipe(Effect.scoped, Effect.provide(RedisLive)))

  it.live("two limiters with one name (two processes' worth of connections) share the permits", () =>
    Effect.gen(function*() {
      const name = fresh("shared")
      const a = yield* RedisLimiter.make({ name, permits: 3 })
      const b = yield* RedisLimiter.make({ name, permits: 3, label: "b" }).pipe(Effect.provide(yield* secondConnection))
      assert.strictEqual(a.label, name)
      assert.strictEqual(b.label, "b")
      const release = yield* Deferred.make<void>()
      const entered = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(
        Deferred.succeed(entered, undefined).pipe(Effect.zipRight(Deferred.await(release)), Limiter.withPermits(a, 2))
      )
      yield* Deferred.await(entered)
      const busy = yield* Effect.flip(Effect.void.pipe(Limiter.tryWithPermits(b, 2)))
      assert.strictEqual(busy._tag, "LimiterBusyError")
      if (busy._tag === "LimiterBusyError") {
        assert.strictEqual(busy.available, 1)
        assert.strictEqual(busy.requested, 2)
      }
      assert.strictEqual(yield* Effect.succeed("one fits").pipe(Limiter.tryWithPermits(b, 1)), "one fits")
      const order: Array<string> = []
      const waiter = yield* Effect.fork(Effect.sync(() => order.push("b")).pipe(Limiter.withPermits(b, 2)))
      yield* eventually(Effect.map(Limiter.statistics(b), (s) => s.waiting === 1), 5_000, "b queued")
      const bStats = yield* Limiter.statistics(b)
      const aStats = yield* Limiter.statistics(a)
      // Global figures agree; waiting is each process's own fibers.
      assert.deepStrictEqual(
        { ...bStats, waiting: 1, waitingPermits: 2 },
        { capacity: 3, inFlight: 2, available: 1, waiting: 1, waitingPermits: 2, peakInFlight: 3, totalAcquired: 3 }
      )
      assert.strictEqual(bStats.waitingPermits, 2)
      assert.strictEqual(aStats.waiting, 0)
      assert.strictEqual(aStats.inFlight, 2)
      order.push("a releases")
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(holder)
      yield* Fiber.join(waiter)
      assert.deepStrictEqual(order, ["a releases", "b"])
      const final = yield* Limiter.statistics(a)
      assert.deepStrictEqual(final, {
        capacity: 3,
        inFlight: 0,
        available: 3,
        waiting: 0,
        waitingPermits: 0,
        peakInFlight: 3,
        totalAcquired: 5
      })
      assert.deepStrictEqual(yield* rawState(name), empty)
    }).pipe(Effect.scoped, Effect.provide(RedisLive)))

  it.live("FIFO across instances: a request for all permits is not overtaken by a stream of small ones", () =>
    Effect.gen(function*() {
      const name = fresh("fifo")
      const a = yield* RedisLimiter.make({ name, permits: 3 })
      const b = yield* RedisLimiter.make({ name, permits: 3 }).pipe(Effect.provide(yield* secondConnection))
      const order: Array<string> = []
      const gate = yield* Deferred.make<void>()
      const holding = yield* Deferred.make<void>()
      const first = yield* Effect.fork(
        Deferred.succeed(holding, undefined).pipe(Effect.zipRight(Deferred.await(gate)), Limiter.withPermits(a, 1))
      )
      yield* Deferred.await(holding)
      const big = yield* Effect.fork(Effect.sync(() => order.push("big")).pipe(Limiter.withPermits(b, 3)))
      yield* eventually(Effect.map(Limiter.statistics(b), (s) => s.waiting === 1), 5_000, "big queued")
      // Two permits are free, yet the small requests queue behind the big one.
      const smalls = yield* Effect.fork(
        Effect.forEach(
          [1, 2, 3, 4],
          (i) => Effect.sync(() => order.push(`small${i}`)).pipe(Limiter.withPermits(a, 1)),
          { concurrency: "unbounded", discard: true }
        )
      )
      yield* eventually(Effect.map(Limiter.statistics(a), (s) => s.waiting === 4), 5_000, "smalls queued")
      assert.deepStrictEqual(order, [])
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      yield* Fiber.join(big)
      yield* Fiber.join(smalls)
      assert.strictEqual(order[0], "big")
      assert.sameMembers(order.slice(1), ["small1", "small2", "small3", "small4"])
      assert.deepStrictEqual(yield* rawState(name), empty)
    }).pipe(Effect.scoped, Effect.provide(RedisLive)))

  it.live("interrupted waiters hold nothing; an interrupted holder gives its lease back", () =>
    Effect.gen(function*() {
      const name = fresh("interrupt")
      const limiter = yield* RedisLimiter.make({ name, permits: 2 })
      const entered = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(
        Deferred.succeed(entered, undefined).pipe(Effect.zipRight(Effect.never), Limiter.withPermits(limiter, 2))
      )
      yield* Deferred.await(entered)
      const waiters = yield* Effect.forEach([1, 2, 1], (n) =>
        Effect.fork(Effect.never.pipe(Limiter.withPermits(limiter, n))))
      yield* eventually(
        Effect.map(Limiter.statistics(limiter), (s) =>
          s.waiting === 3),
        5_000,
        "three queued"
      )
      assert.strictEqual((yield* rawState(name)).queue, 3)
      yield* Fiber.interruptAll(waiters)
      const afterWaiters = yield* Limiter.statistics(limiter)
      assert.strictEqual(afterWaiters.waiting, 0)
      assert.strictEqual(afterWaiters.inFlight, 2)
      assert.deepStrictEqual(yield* rawState(name), { ...empty, leases: 1, holders: 1, inFlight: 2 })
      yield* Fiber.interrupt(holder)
      assert.deepStrictEqual(yield* rawState(name), empty)
      const stats = yield* Limiter.statistics(limiter)
      assert.strictEqual(stats.inFlight, 0)
      assert.strictEqual(stats.totalAcquired, 2)
    }).pipe(Effect.scoped, Effect.provide(RedisLive)))

  it.live("interruptions at random moments (seeded) never leak a permit or a queue entry", () =>
    Effect.gen(function*() {
      const name = fresh("race")
      const limiter = yield* RedisLimiter.make({ name, permits: 3, pollInterval: "5 millis" })
      let seed = 42
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed / 2147483648
      }
      let peak = 0
      let current = 0
      for (let round = 0; round < 8; round++) {
        const fibers = yield* Effect.forEach(
          Array.from({ length: 12 }, () => 1 + Math.floor(random() * 3)),
          (n) =>
            Effect.fork(
              Effect.gen(function*() {
                current += n
                peak = Math.max(peak, current)
                yield* pause(Math.floor(random() * 4))
              }).pipe(
                // An interrupted holder leaves through here too.
                Effect.ensuring(Effect.sync(() => (current -= n))),
                Limiter.withPermits(limiter, n)
              )
            )
        )
        yield* pause(Math.floor(random() * 15))
        yield* Effect.forEach(fibers, (fiber) => random() < 0.5 ? Fiber.interrupt(fiber) : Fiber.await(fiber), {
          discard: true
        })
      }
      assert.isAtMost(peak, 3)
      assert.strictEqual(current, 0)
      assert.deepStrictEqual(yield* rawState(name), empty)
      const stats = yield* Limiter.statistics(limiter)
      assert.strictEqual(stats.inFlight, 0)
      assert.isAtMost(stats.peakInFlight, 3)
    }).pipe(Effect.scoped, Effect.provide(RedisLive)))

  it.live("closing the limiter's scope gives back what it holds and waits for, and closes its connections", () =>
    Effect.gen(function*() {
      const name = fresh("close")
      const redis = yield* RedisConnection.RedisConnection
      const clients = redis.use("clients", (client) => client.client("LIST")).pipe(
        Effect.map((list) => String(list).trim().split("\n").length)
      )
      const before = yield* clients
      const inner = yield* Scope.make()
      const limiter = yield* RedisLimiter.make({ name, permits: 2 }).pipe(Scope.extend(inner))
      yield* Limiter.acquireScoped(limiter, 2).pipe(Scope.extend(inner))
      yield* Effect.forkIn(Effect.void.pipe(Limiter.withPermits(limiter, 1)), inner)
      yield* eventually(Effect.map(Limiter.statistics(limiter), (s) => s.waiting === 1), 5_000, "queued")
      // Its own connection for pub/sub wake-ups.
      assert.strictEqual(yield* clients, before + 1)
      yield* Scope.close(inner, Exit.void)
      assert.deepStrictEqual(yield* rawState(name), empty)
      yield* eventually(Effect.map(clients, (n) => n === before), 5_000, "the subscriber connection closed")
    }).pipe(Effect.scoped, Effect.provide(RedisLive)))

  it.live("resize: growing serves waiters; shrinking below a queued request fails it with InvalidArgumentError", () =>
    Effect.gen(function*() {
      const name = fresh("resize")
      const limiter = yield* RedisLimiter.make({ name, permits: 1 })
      const other = yield* RedisLimiter.make({ name, permits: 1 }).pipe(Effect.provide(yield* secondConnection))
      const gate = yield* Deferred.make<void>()
      const entered = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(
        Deferred.succeed(entered, undefined).pipe(
          Effect.zipRight(Deferred.await(gate)),
          Limiter.withPermits(limiter, 1)
        )
      )
      yield* Deferred.await(entered)
      const waiter = yield* Effect.fork(Effect.succeed("served").pipe(Limiter.withPermits(other, 1)))
      yield* eventually(Effect.map(Limiter.statistics(other), (s) => s.waiting === 1), 5_000, "queued")
      yield* Limiter.resize(limiter, 2)
      assert.strictEqual(yield* Fiber.join(waiter), "served")
      assert.strictEqual((yield* Limiter.statistics(other)).capacity, 2)
      const large = yield* Effect.fork(Effect.void.pipe(Limiter.withPermits(other, 2)))
      yield* eventually(Effect.map(Limiter.statistics(other), (s) => s.waiting === 1), 5_000, "large queued")
      yield* Limiter.resize(limiter, 1)
      const failure = yield* Fiber.await(large)
      assert.isTrue(Exit.isFailure(failure))
      if (Exit.isFailure(failure)) {
        const error = yield* Effect.flip(failure)
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error))
        assert.include(error.message, "capacity of 1")
      }
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      assert.deepStrictEqual(yield* rawState(name), empty)
      const bad = yield* Effect.flip(Limiter.resize(limiter, 0))
      assert.isTrue(InvalidArgument.isInvalidArgumentError(bad))
    }).pipe(Effect.scoped, Effect.provide(RedisLive)))

  it.live("Redis stopped mid-run: typed RedisError at once (a waiter too), no hang; restarted on the same port: works again", () =>
    Effect.gen(function*() {
      const first = yield* Scope.make()
      const server = yield* RedisServer.start().pipe(Scope.extend(first))
      const connection = yield* Layer.build(RedisConnection.layer({ url: server.url, commandTimeout: "500 millis" }))
      const limiter = yield* RedisLimiter.make({ name: "outage", permits: 1, leaseTtl: "1 second" }).pipe(
        Effect.provide(connection)
      )
      const entered = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(
        Deferred.succeed(entered, undefined).pipe(Effect.zipRight(Effect.never), Limiter.withPermits(limiter, 1))
      )
      yield* Deferred.await(entered)
      const waiter = yield* Effect.fork(Effect.void.pipe(Limiter.withPermits(limiter, 1)))
      yield* eventually(Effect.map(Limiter.statistics(limiter), (s) => s.waiting === 1), 5_000, "queued")
      yield* Scope.close(first, Exit.void)

      const waiterExit = yield* Fiber.await(waiter)
      assert.isTrue(Exit.isFailure(waiterExit))
      const waiterError = yield* Effect.flip(waiterExit)
      assert.isTrue(RedisConnection.isRedisError(waiterError))
      for (const attempt of [Limiter.statistics(limiter), Effect.void.pipe(Limiter.withPermit(limiter))]) {
        const error = yield* Effect.flip(attempt)
        assert.isTrue(RedisConnection.isRedisError(error), String(error))
        if (RedisConnection.isRedisError(error)) {
          assert.oneOf(error.reason, ["unavailable", "timeout"])
          assert.match(error.operation, /^RedisLimiter\./)
        }
      }
      const makeError = yield* Effect.flip(
        Effect.scoped(RedisLimiter.make({ name: "outage-2", permits: 1 })).pipe(Effect.provide(connection))
      )
      assert.isTrue(RedisConnection.isRedisError(makeError), String(makeError))
      yield* Fiber.interrupt(holder)

      // Back on the same port, empty (no persistence): the limiter re-creates itself from its own capacity.
      yield* RedisServer.start({ port: server.port })
      yield* eventually(
        Effect.succeed(true).pipe(Limiter.withPermit(limiter), Effect.orElseSucceed(() => false)),
        10_000,
        "a permit after the restart"
      )
      const stats = yield* Limiter.statistics(limiter)
      assert.strictEqual(stats.capacity, 1)
      assert.strictEqual(stats.inFlight, 0)
    }).pipe(Effect.scoped))

  it.live("several processes hammering one limiter: the global peak never exceeds the permits", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.RedisServer
      const name = fresh("hammer")
      const permits = 3
      const children = yield* Effect.forEach(
        [1, 2, 3],
        (i) => spawnChild("limiterWorker.ts", [server.url, name, String(permits), "40", String(i * 7919)])
      )
      const codes = yield* Effect.forEach(children, (child) => child.exit, { concurrency: "unbounded" })
      assert.deepStrictEqual(codes, [0, 0, 0], children.map((child) => child.stdout()).join("\n"))
      const taken = children.reduce(
        (sum, child) => sum + (JSON.parse(child.stdout().trim()) as { taken: number }).taken,
        0
      )
      const limiter = yield* RedisLimiter.make({ name, permits })
      const stats = yield* Limiter.statistics(limiter)
      const redis = yield* RedisConnection.RedisConnection
      const probePeak = Number(yield* redis.use("probe", (client) => client.get(`probe:{${name}}:max`)))
      // The independent probe saw real overlap (the test means something) and never more than the permits.
      assert.isAbove(probePeak, 1)
      assert.isAtMost(probePeak, permits)
      assert.isAtMost(stats.peakInFlight, permits)
      assert.strictEqual(stats.totalAcquired, taken)
      assert.strictEqual(stats.inFlight, 0)
      assert.deepStrictEqual(yield* rawState(name), empty)
    }).pipe(Effect.scoped, Effect.provide(RedisLive)))

  it.live("kill -9 of a process holding permits: they come back within the lease TTL; a killed waiter leaves the queue", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.RedisServer
      const name = fresh("crash")
      const limiter = yield* RedisLimiter.make({ name, permits: 3, leaseTtl: "1 second" })
      // The child holds 2 permits and queues for 3 more behind them, at the head of the queue.
      const child = yield* spawnChild("limiterHolder.ts", [server.url, name, "3", "2", "1000", "3"])
      yield* child.line("ready")
      // Alive, the child keeps its lease and its place past the TTL (the refresh fiber and the waiter's polls).
      yield* pause(1_600)
      assert.strictEqual((yield* Limiter.statistics(limiter)).inFlight, 2)
      assert.strictEqual((yield* rawState(name)).queue, 1)
      child.process.kill("SIGKILL")
      yield* child.exit
      // Nothing was released (SIGKILL runs no finalizer): the lease and the place in the queue simply expire.
      yield* eventually(
        Effect.map(Limiter.statistics(limiter), (s) => s.inFlight === 0),
        10_000,
        "the killed holder's permits return"
      )
      assert.strictEqual(yield* Effect.succeed("all three").pipe(Limiter.withPermits(limiter, 3)), "all three")
      assert.deepStrictEqual(yield* rawState(name), empty)
    }).pipe(Effect.scoped, Effect.provide(RedisLive)))

  it.live("a waiter that died in the queue and is granted later holds the permits no longer than its heartbeat allows", () =>
    Effect.gen(function*() {
      const name = fresh("dead-waiter")
      // A TTL long enough that "lease = grant time + TTL" cannot pass the bound below.
      const limiter = yield* RedisLimiter.make({ name, permits: 1, leaseTtl: "20 seconds" })
      const gate = yield* Deferred.make<void>()
      const holding = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(
        Deferred.succeed(holding, undefined).pipe(Effect.zipRight(Deferred.await(gate)), Limiter.withPermit(limiter))
      )
      yield* Deferred.await(holding)
      // What a process killed while queued leaves in Redis: its place, and a heartbeat last renewed long ago
      // (its deadline 300 ms from now, where a live waiter's would be about a TTL away).
      const redis = yield* RedisConnection.RedisConnection
      const base = `fiberkit:limiter:{${name}}:`
      const heartbeat = yield* redis.use("dead waiter", async (client) => {
        const [seconds, micros] = await client.time()
        const deadline = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) + 300
        const arrival = await client.hincrby(`${base}meta`, "arrivals", 1)
        await client.zadd(`${base}queue`, arrival, "dead-1")
        await client.hset(`${base}queued`, "dead-1", "1:20000")
        await client.zadd(`${base}heartbeats`, deadline, "dead-1")
        return deadline
      })
      // The release grants the dead waiter (still within its heartbeat) the permit.
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      const lease = yield* redis.use("lease", (client) => client.zscore(`${base}leases`, "dead-1"))
      assert.isNotNull(lease)
      assert.isAtMost(Number(lease), heartbeat)
      // So the permit is back once the dead waiter's heartbeat has lapsed, not a whole TTL after the grant.
      assert.strictEqual(
        yield* Effect.succeed("back").pipe(Limiter.withPermit(limiter), Effect.timeout("5 seconds")),
        "back"
      )
      assert.deepStrictEqual(yield* rawState(name), empty)
    }).pipe(Effect.scoped, Effect.provide(RedisLive)))

  it.live("a lease TTL beyond Node's 24.8-day timer limit does not turn the refresh fiber into a busy loop", () =>
    Effect.gen(function*() {
      const redis = yield* RedisConnection.RedisConnection
      // Script calls so far: a refresh fiber whose sleep overflowed setTimeout would run one every millisecond.
      const scriptCalls = redis.use("commandstats", (client) => client.info("commandstats")).pipe(
        Effect.map((info) => Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0))
      )
      const limiter = yield* RedisLimiter.make({ name: fresh("long-ttl"), permits: 1, leaseTtl: "100 days" })
      yield* Limiter.acquireScoped(limiter, 1)
      const before = yield* scriptCalls
      yield* pause(300)
      assert.isAtMost((yield* scriptCalls) - before, 5)
    }).pipe(Effect.scoped, Effect.provide(RedisLive)))

  it.live("layer: the drop-in replacement for Limiter.layer; a program typed Limiter<RedisError> takes either", () =>
    Effect.gen(function*() {
      const program = Effect.gen(function*() {
        const limiter = yield* Calls
        yield* Effect.forEach([1, 2, 3, 4, 5], () => Effect.void.pipe(Limiter.withPermit(limiter)), {
          concurrency: "unbounded"
        })
        // Limiter.forEach with the limiter as a shared cap: one permit per item.
        const doubled = yield* Limiter.forEach([1, 2, 3], (n) => Effect.succeed(n * 2), { limiter })
        assert.deepStrictEqual(doubled, [2, 4, 6])
        return yield* Limiter.statistics(limiter)
      })
      const local = yield* program.pipe(Effect.provide(Limiter.layer(Calls, { permits: 2 })))
      const shared = yield* program.pipe(
        Effect.provide(
          RedisLimiter.layer(Calls, { name: fresh("layer"), permits: 2 }).pipe(
            Layer.provide(RedisConnection.layerFromServer)
          )
        )
      )
      assert.strictEqual(local.totalAcquired, 8)
      assert.strictEqual(shared.totalAcquired, 8)
      assert.strictEqual(shared.capacity, 2)
      assert.isAtMost(shared.peakInFlight, 2)
    }).pipe(Effect.provide(RedisServer.layer())))
})

class Calls extends Context.Tag("test/Calls")<Calls, Limiter.Limiter<RedisConnection.RedisError>>() {}
