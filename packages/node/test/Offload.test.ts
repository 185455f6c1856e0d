import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import * as Offload from "../src/Offload.js"
import { countPrimes, Crash, Explode, type Jobs, Sieve, Spin, TooLarge, WhoAmI } from "./fixtures/jobs.js"

const entry = new URL("./fixtures/worker.ts", import.meta.url)

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined =>
  Exit.isFailure(exit) ?
    Cause.failureOption(exit.cause).pipe((o) => o._tag === "Some" ? o.value : undefined) :
    undefined

// Polls until `predicate` holds: workers start and stop in real time.
const eventually = <A>(read: Effect.Effect<A>, predicate: (a: A) => boolean) =>
  read.pipe(
    Effect.flatMap((a) => predicate(a) ? Effect.succeed(a) : Effect.fail("not yet" as const)),
    Effect.retry({ times: 300, schedule: undefined }),
    Effect.tapError(() => Effect.sleep("50 millis")),
    Effect.retry({ times: 300 }),
    Effect.orDie
  )

describe("Offload", () => {
  it.live("runs a typed request on a worker and decodes the answer", () =>
    Effect.gen(function*() {
      const pool = yield* Offload.makePool<Jobs>({ entry, size: 1 })
      const count = yield* Offload.run(pool, new Sieve({ limit: 100_000 }))
      assert.strictEqual(count, countPrimes(100_000))
      assert.strictEqual(count, 9592)
      const stats = yield* pool.statistics
      assert.include(stats, { size: 1, idle: 1, busy: 0, started: 1, completed: 1, failed: 0 })
    }).pipe(Effect.scoped))

  it.live("a typed failure raised in the worker arrives as the same class", () =>
    Effect.gen(function*() {
      const pool = yield* Offload.makePool<Jobs>({ entry, size: 1 })
      const exit = yield* Effect.exit(pool.pipe(Offload.run(new Sieve({ limit: 60_000_000 }))))
      const error = failureOf(exit)
      assert.instanceOf(error, TooLarge)
      assert.deepStrictEqual({ limit: error.limit, max: error.max }, { limit: 60_000_000, max: 50_000_000 })
      // the worker is still good for the next job
      assert.strictEqual(yield* Offload.run(pool, new Sieve({ limit: 100 })), 25)
    }).pipe(Effect.scoped))

  it.live("jobs run in parallel on different threads, at most size at a time", () =>
    Effect.gen(function*() {
      const pool = yield* Offload.makePool<Jobs>({ entry, size: 2 })
      const fibers = yield* Effect.forEach([1, 2, 3], () => Effect.fork(Offload.run(pool, new Spin({ ms: 300 }))))
      const during = yield* eventually(pool.statistics, (s) => s.busy === 2)
      assert.strictEqual(during.waiting, 1, "the third job waits for a free worker")
      yield* Fiber.joinAll(fibers)
      const ids = yield* Effect.forEach([1, 2, 3, 4], () => Offload.run(pool, new WhoAmI()), { concurrency: 2 })
      assert.isAtMost(new Set(ids).size, 2)
      assert.include(yield* pool.statistics, { completed: 7, busy: 0, waiting: 0, idle: 2 })
    }).pipe(Effect.scoped))

  it.live("interrupting a stuck job terminates its worker and a fresh one takes its place", () =>
    Effect.gen(function*() {
      const pool = yield* Offload.makePool<Jobs>({ entry, size: 1 })
      const before = yield* Offload.run(pool, new WhoAmI())
      // 60 s of a synchronous loop: only terminating the thread can stop it.
      const fiber = yield* Effect.fork(Offload.run(pool, new Spin({ ms: 60_000 })))
      yield* eventually(pool.statistics, (s) => s.busy === 1)
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      const after = yield* Offload.run(pool, new WhoAmI())
      assert.notStrictEqual(after, before, "a new worker thread answers")
      assert.include(yield* pool.statistics, { interrupted: 1, replaced: 1, idle: 1, busy: 0 })
    }).pipe(Effect.scoped))

  it.live("a worker that dies mid-job fails that job with OffloadError and is replaced", () =>
    Effect.gen(function*() {
      const pool = yield* Offload.makePool<Jobs>({ entry, size: 1, name: "crashy" })
      const exit = yield* Effect.exit(Offload.run(pool, new Crash()))
      const error = failureOf(exit)
      assert.isTrue(Offload.isOffloadError(error))
      assert.strictEqual(error!.reason, "crashed")
      assert.match(error!.message, /crashy \(Crash\): crashed/)
      assert.strictEqual(yield* Offload.run(pool, new Sieve({ limit: 10 })), 4)
      assert.include(yield* pool.statistics, { crashed: 1, replaced: 1 })
    }).pipe(Effect.scoped))

  it.live("an exception in a handler is a defect that keeps its message, and the worker survives", () =>
    Effect.gen(function*() {
      const pool = yield* Offload.makePool<Jobs>({ entry, size: 1 })
      const exit = yield* Effect.exit(Offload.run(pool, new Explode({ text: "checksum mismatch" })))
      assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause))
      if (Exit.isFailure(exit)) assert.match(String(Cause.squash(exit.cause)), /checksum mismatch/)
      assert.strictEqual(yield* Offload.run(pool, new Sieve({ limit: 10 })), 4)
    }).pipe(Effect.scoped))

  it.live("closing the scope ends every worker thread and fails waiting callers", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const pool = yield* Offload.makePool<Jobs>({ entry, size: 2 }).pipe(Scope.extend(scope))
      const running = yield* Effect.fork(Offload.run(pool, new Spin({ ms: 60_000 })))
      yield* eventually(pool.statistics, (s) => s.busy === 1)
      yield* Scope.close(scope, Exit.void)
      const exit = yield* Fiber.await(running)
      const stopped = failureOf(exit)
      assert.isTrue(Offload.isOffloadError(stopped), "the running job does not outlive its pool")
      assert.strictEqual(stopped!.reason, "closed")
      const late = failureOf(yield* Effect.exit(Offload.run(pool, new Sieve({ limit: 10 }))))
      assert.isTrue(Offload.isOffloadError(late), "a closed pool refuses work instead of hanging")
      assert.match(late!.message, /closed/)
    }))

  it.live("a caller waiting for a busy pool when it closes gets OffloadError(\"closed\"), not a hang", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const pool = yield* Offload.makePool<Jobs>({ entry, size: 1 }).pipe(Scope.extend(scope))
      const running = yield* Effect.fork(Offload.run(pool, new Spin({ ms: 60_000 })))
      yield* eventually(pool.statistics, (s) => s.busy === 1)
      const waiting = yield* Effect.fork(Offload.run(pool, new Sieve({ limit: 10 })))
      yield* eventually(pool.statistics, (s) => s.waiting === 1)
      yield* Scope.close(scope, Exit.void)
      for (const fiber of [running, waiting]) {
        const error = failureOf(yield* Fiber.await(fiber))
        assert.isTrue(Offload.isOffloadError(error) && error.reason === "closed", String(error))
      }
      assert.include(yield* pool.statistics, { busy: 0, waiting: 0, idle: 0 })
    }))

  it.live("the one-call form runs a plain function and brings its exception back typed", () =>
    Effect.gen(function*() {
      const pool = yield* Offload.makeFunctionPool({ size: 1 })
      const sum = yield* Offload.call(pool, (n: number) => {
        let total = 0
        for (let i = 1; i <= n; i++) total += i
        return total
      }, 1000)
      assert.strictEqual(sum, 500500)
      const asyncValue = yield* Offload.call(pool, async (s: string) => s.toUpperCase(), "ok")
      assert.strictEqual(asyncValue, "OK")
      const exit = yield* Effect.exit(Offload.call(pool, (x: number) => {
        if (x > 1) throw new RangeError(`x too large: ${x}`)
        return x
      }, 5))
      const error = failureOf(exit)
      assert.instanceOf(error, Offload.FunctionError)
      assert.strictEqual(error.name, "RangeError")
      assert.strictEqual(error.detail, "x too large: 5")
    }).pipe(Effect.scoped))

  it.live("the event loop stays responsive only when the work is offloaded", () =>
    Effect.gen(function*() {
      const pool = yield* Offload.makeFunctionPool({ size: 1 })
      const spin = (ms: number) => {
        const end = Date.now() + ms
        while (Date.now() < end) { /* busy */ }
        return ms
      }
      const [, onMain] = yield* Offload.measureEventLoop(Effect.sync(() => spin(300)))
      const [, offloaded] = yield* Offload.measureEventLoop(Offload.call(pool, spin, 300))
      // A 300 ms loop on the main thread delays the loop by about that much; on a worker it does not.
      assert.isAbove(onMain.maxMs, 200)
      assert.isBelow(offloaded.maxMs, onMain.maxMs)
    }).pipe(Effect.scoped))

  it.effect("bad input fails with InvalidArgumentError at the call", () =>
    Effect.gen(function*() {
      const cases = [
        Offload.makePool({ entry: new URL("./fixtures/missing.ts", import.meta.url) }),
        Offload.makePool({ entry: "" }),
        Offload.makePool({ entry, size: 0 }),
        Offload.makePool({ entry, size: 1.5 }),
        Offload.makePool({ entry, startupTimeoutMs: -1 }),
        Offload.makePool(null as any),
        Offload.call(null as any, Math.max as any),
        Offload.measureEventLoop(Effect.void, { resolutionMs: 0 })
      ]
      for (const attempt of cases) {
        const error = failureOf(yield* Effect.exit(Effect.scoped(attempt)))
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error), String(error))
      }
      const pool = { [Offload.TypeId]: Offload.TypeId } as unknown as Offload.Pool<Offload.RunFunction>
      const native = failureOf(yield* Effect.exit(Offload.call(pool, Math.max, 1, 2)))
      assert.match(String((native as InvalidArgument.InvalidArgumentError).message), /Offload.call: fn must be/)
      const notRequest = failureOf(yield* Effect.exit(Offload.run(pool, { _tag: "RunFunction" } as any)))
      assert.isTrue(InvalidArgument.isInvalidArgumentError(notRequest))
    }))
})
