import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument, Limiter, Timeline } from "@fiberkit/core"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { expectTypeOf } from "vitest"

class StoreError extends Data.TaggedError("StoreError")<{ readonly operation: string }> {}

/**
 * An in-memory backend, as a store-backed one would be built: permits taken in
 * one atomic step that returns the release, waiters woken on every release.
 * It records every call, every acquisition and release (a second run of the
 * same release is counted, not hidden), and the fibers its acquisitions ran in.
 */
const memoryBackend = (capacity: number, label = "memory") => {
  const state = {
    capacity,
    held: 0,
    peak: 0,
    totalAcquired: 0,
    acquisitions: 0,
    releases: 0,
    doubleReleases: 0,
    calls: [] as Array<string>,
    failing: false,
    waiting: 0,
    acquireFibers: [] as Array<Fiber.RuntimeFiber<unknown, unknown>>
  }
  let wakers: Array<() => void> = []
  const wakeAll = () => {
    const woken = wakers
    wakers = []
    for (const wake of woken) wake()
  }
  const releaseOf = (permits: number): Effect.Effect<void> => {
    let done = false
    return Effect.sync(() => {
      if (done) {
        state.doubleReleases++
        return
      }
      done = true
      state.held -= permits
      state.releases++
      wakeAll()
    })
  }
  const takeNow = (permits: number): Effect.Effect<void> | undefined => {
    if (state.held + permits > state.capacity) return undefined
    state.held += permits
    state.totalAcquired += permits
    state.acquisitions++
    if (state.held > state.peak) state.peak = state.held
    return releaseOf(permits)
  }
  const storeFailure = (operation: string) => state.failing ? Effect.fail(new StoreError({ operation })) : undefined
  const tooMany = (operation: string, permits: number) =>
    new InvalidArgument.InvalidArgumentError({
      operation,
      argument: "permits",
      expected: `at most ${state.capacity}`,
      actual: permits
    })
  const waitForRelease = Effect.async<void>((resume) => {
    const wake = () => resume(Effect.void)
    wakers.push(wake)
    state.waiting++
    return Effect.sync(() => {
      wakers = wakers.filter((w) => w !== wake)
    })
  }).pipe(Effect.ensuring(Effect.sync(() => state.waiting--)))
  const backend: Limiter.Backend<StoreError> = {
    label,
    acquire: (permits) =>
      Effect.withFiberRuntime<Effect.Effect<void>, StoreError | InvalidArgument.InvalidArgumentError>((fiber) => {
        state.calls.push(`acquire ${permits}`)
        state.acquireFibers.push(fiber)
        const failure = storeFailure("acquire")
        if (failure !== undefined) return failure
        if (permits > state.capacity) return Effect.fail(tooMany("memory.acquire", permits))
        const loop: Effect.Effect<Effect.Effect<void>> = Effect.suspend(() => {
          const release = takeNow(permits)
          return release !== undefined ? Effect.succeed(release) : Effect.flatMap(waitForRelease, () => loop)
        })
        return loop
      }),
    tryAcquire: (permits) =>
      Effect.suspend((): Effect.Effect<Effect.Effect<void>, StoreError | Limiter.LimiterBusyError> => {
        state.calls.push(`tryAcquire ${permits}`)
        const failure = storeFailure("tryAcquire")
        if (failure !== undefined) return failure
        const release = takeNow(permits)
        return release !== undefined ?
          Effect.succeed(release) :
          Effect.fail(
            new Limiter.LimiterBusyError({
              label,
              requested: permits,
              available: state.capacity - state.held,
              waiting: state.waiting
            })
          )
      }),
    resize: (permits) =>
      Effect.suspend(() => {
        state.calls.push(`resize ${permits}`)
        const failure = storeFailure("resize")
        if (failure !== undefined) return failure
        state.capacity = permits
        wakeAll()
        return Effect.void
      }),
    statistics: Effect.suspend(() => {
      state.calls.push("statistics")
      const failure = storeFailure("statistics")
      if (failure !== undefined) return failure
      return Effect.succeed({
        capacity: state.capacity,
        inFlight: state.held,
        available: Math.max(0, state.capacity - state.held),
        waiting: state.waiting,
        waitingPermits: 0,
        peakInFlight: state.peak,
        totalAcquired: state.totalAcquired
      })
    })
  }
  return { backend, state, limiter: Limiter.fromBackend(backend) }
}

// mulberry32: a seeded generator so a failing random case replays.
const seeded = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Lets the forked fibers run until `condition` holds (a bounded number of scheduler turns, so a bug fails, never hangs). */
const until = (condition: () => boolean) =>
  Effect.gen(function*() {
    for (let turn = 0; turn < 100 && !condition(); turn++) yield* Effect.yieldNow()
    assert.isTrue(condition(), "the condition never held")
  })

/** Every acquisition fiber has ended: the dispatch leaves nothing running. */
const noneRunning = (fibers: ReadonlyArray<Fiber.RuntimeFiber<unknown, unknown>>) =>
  Effect.forEach(fibers, (fiber) => Effect.map(Fiber.poll(fiber), Option.isSome)).pipe(
    Effect.map((done) => done.every((d) => d))
  )

describe("Limiter backends", () => {
  describe("dispatch", () => {
    it.effect("every module function goes through the backend", () =>
      Effect.gen(function*() {
        const { limiter, state } = memoryBackend(3)
        assert.isTrue(Limiter.isLimiter(limiter))
        assert.strictEqual(limiter.label, "memory")
        assert.strictEqual(String(limiter).includes("memory"), true)

        assert.strictEqual(yield* Effect.succeed("a").pipe(Limiter.withPermits(limiter, 2)), "a")
        assert.strictEqual(yield* Effect.succeed("b").pipe(Limiter.withPermit(limiter)), "b")
        assert.strictEqual(yield* Effect.succeed("c").pipe(Limiter.tryWithPermits(limiter, 3)), "c")
        yield* Effect.scoped(Effect.gen(function*() {
          yield* Limiter.acquireScoped(limiter, 2)
          assert.strictEqual(state.held, 2)
        }))
        assert.strictEqual(state.held, 0)
        yield* Limiter.resize(limiter, 5)
        const stats = yield* Limiter.statistics(limiter)
        assert.strictEqual(stats.capacity, 5)
        assert.strictEqual(stats.totalAcquired, 8)
        assert.deepStrictEqual(state.calls, [
          "acquire 2",
          "acquire 1",
          "tryAcquire 3",
          "acquire 2",
          "resize 5",
          "statistics"
        ])
        assert.strictEqual(state.releases, state.acquisitions)
        assert.strictEqual(state.doubleReleases, 0)
        assert.isTrue(yield* noneRunning(state.acquireFibers))
      }))

    it.effect("forEach with a backend limiter: one permit per item, concurrency from the backend's capacity", () =>
      Effect.gen(function*() {
        const { limiter, state } = memoryBackend(4)
        let running = 0
        let peak = 0
        const results = yield* Limiter.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          (i) =>
            Effect.gen(function*() {
              running++
              peak = Math.max(peak, running)
              yield* Effect.sleep("10 millis")
              running--
              return i * 2
            }),
          { limiter }
        ).pipe(Effect.fork)
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* Fiber.join(results), Array.from({ length: 20 }, (_, i) => i * 2))
        assert.strictEqual(peak, 4)
        assert.strictEqual(state.peak, 4)
        // The worker count came from the backend: one statistics call, then 20 acquisitions.
        assert.strictEqual(state.calls[0], "statistics")
        assert.strictEqual(state.calls.filter((c) => c === "acquire 1").length, 20)
        assert.strictEqual(state.releases, 20)
        assert.strictEqual(state.held, 0)
      }))

    it.effect("a backend limiter waits FIFO in the backend and runs when permits come back", () =>
      Effect.gen(function*() {
        const { limiter, state } = memoryBackend(1)
        const order: Array<number> = []
        const fibers = yield* Effect.forEach(
          [1, 2, 3],
          (i) =>
            Effect.fork(
              Effect.sleep("10 millis").pipe(
                Effect.zipRight(Effect.sync(() => order.push(i))),
                Limiter.withPermit(limiter)
              )
            ),
          { discard: false }
        )
        yield* TestClock.adjust("10 millis")
        yield* TestClock.adjust("10 millis")
        yield* TestClock.adjust("10 millis")
        yield* Fiber.joinAll(fibers)
        assert.deepStrictEqual(order, [1, 2, 3])
        assert.strictEqual(state.peak, 1)
        assert.strictEqual(state.held, 0)
      }))
  })

  describe("bad input", () => {
    it.effect("permits are validated before the backend is called", () =>
      Effect.gen(function*() {
        const { limiter, state } = memoryBackend(3)
        for (const n of [0, -1, 1.5, Number.NaN]) {
          for (
            const error of [
              yield* Effect.flip(Effect.void.pipe(Limiter.withPermits(limiter, n))),
              yield* Effect.flip(Effect.void.pipe(Limiter.tryWithPermits(limiter, n))),
              yield* Effect.flip(Effect.scoped(Limiter.acquireScoped(limiter, n))),
              yield* Effect.flip(Limiter.resize(limiter, n))
            ]
          ) {
            assert.strictEqual(error._tag, "InvalidArgumentError")
            assert.strictEqual((error as InvalidArgument.InvalidArgumentError).argument, "permits")
          }
        }
        assert.deepStrictEqual(state.calls, [])
        // Above the capacity: only the backend knows it, and says so with the same error type.
        const tooMany = yield* Effect.flip(Effect.void.pipe(Limiter.withPermits(limiter, 4)))
        assert.strictEqual(tooMany._tag, "InvalidArgumentError")
        assert.strictEqual(state.held, 0)
      }))

    it("fromBackend rejects an object that is not a backend, naming the member", () => {
      const { backend } = memoryBackend(1)
      const missing = { ...backend, tryAcquire: undefined } as unknown as Limiter.Backend<never>
      assert.throws(() => Limiter.fromBackend(missing), /Limiter\.fromBackend: backend\.tryAcquire must be a function/)
      const notEffect = { ...backend, statistics: () => 1 } as unknown as Limiter.Backend<never>
      assert.throws(() => Limiter.fromBackend(notEffect), /backend\.statistics must be an Effect/)
      assert.throws(() => Limiter.fromBackend(null as unknown as Limiter.Backend<never>), /backend must be an object/)
    })

    it("unsafeStatistics is local only: a backend limiter is refused with a clear error", () => {
      const { limiter } = memoryBackend(1)
      // Typed for Limiter<never>: a Limiter<StoreError> does not even compile.
      // @ts-expect-error a store-backed limiter has no synchronous statistics
      assert.throws(() => Limiter.unsafeStatistics(limiter), /a local limiter \(Limiter\.make\)/)
    })
  })

  describe("store errors are typed S and reach the caller", () => {
    it.effect("every module function fails with the backend's error, nothing held", () =>
      Effect.gen(function*() {
        const { limiter, state } = memoryBackend(2)
        state.failing = true
        const guarded = Effect.succeed(1).pipe(Limiter.withPermits(limiter, 1))
        expectTypeOf(guarded).toEqualTypeOf<
          Effect.Effect<number, StoreError | InvalidArgument.InvalidArgumentError>
        >()
        const tried = Effect.succeed(1).pipe(Limiter.tryWithPermits(limiter, 1))
        expectTypeOf(tried).toEqualTypeOf<
          Effect.Effect<number, StoreError | InvalidArgument.InvalidArgumentError | Limiter.LimiterBusyError>
        >()
        const stats = Limiter.statistics(limiter)
        expectTypeOf(stats).toEqualTypeOf<Effect.Effect<Limiter.Statistics, StoreError>>()
        expectTypeOf(Limiter.resize(limiter, 3)).toEqualTypeOf<
          Effect.Effect<void, StoreError | InvalidArgument.InvalidArgumentError>
        >()
        expectTypeOf(Limiter.acquireScoped(limiter, 1)).toEqualTypeOf<
          Effect.Effect<void, StoreError | InvalidArgument.InvalidArgumentError, Scope.Scope>
        >()

        const errors = [
          yield* Effect.flip(guarded),
          yield* Effect.flip(Effect.succeed(1).pipe(Limiter.withPermit(limiter))),
          yield* Effect.flip(tried),
          yield* Effect.flip(Effect.scoped(Limiter.acquireScoped(limiter, 1))),
          yield* Effect.flip(Limiter.resize(limiter, 3)),
          yield* Effect.flip(stats),
          yield* Effect.flip(Limiter.forEach([1, 2], Effect.succeed, { limiter, concurrency: 2 }))
        ]
        assert.deepStrictEqual(errors.map((e) => e._tag), Array(7).fill("StoreError"))
        assert.deepStrictEqual(
          errors.map((e) => (e as StoreError).operation),
          ["acquire", "acquire", "tryAcquire", "acquire", "resize", "statistics", "acquire"]
        )
        // catchTag sees the store's error by its tag: the channel is typed, not `unknown`.
        const recovered = yield* guarded.pipe(
          Effect.catchTag("StoreError", (e) => Effect.succeed(`down: ${e.operation}`))
        )
        assert.strictEqual(recovered, "down: acquire")
        assert.strictEqual(state.held, 0)
        assert.strictEqual(state.acquisitions, 0)
        assert.isTrue(yield* noneRunning(state.acquireFibers))
      }))

    it.effect("a local limiter has S = never: its error channels are what they were", () =>
      Effect.gen(function*() {
        const limiter = yield* Limiter.make({ permits: 1 })
        expectTypeOf(limiter).toEqualTypeOf<Limiter.Limiter<never>>()
        expectTypeOf(Effect.void.pipe(Limiter.withPermit(limiter))).toEqualTypeOf<
          Effect.Effect<void, InvalidArgument.InvalidArgumentError>
        >()
        expectTypeOf(Limiter.statistics(limiter)).toEqualTypeOf<Effect.Effect<Limiter.Statistics>>()
      }))
  })

  describe("interruption safety through a custom backend", () => {
    it.effect("interrupted while the effect runs: the release runs exactly once", () =>
      Effect.gen(function*() {
        const { limiter, state } = memoryBackend(2)
        const started = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(
          Effect.zipRight(Deferred.succeed(started, undefined), Effect.never).pipe(Limiter.withPermits(limiter, 2))
        )
        yield* Deferred.await(started)
        assert.strictEqual(state.held, 2)
        yield* Fiber.interrupt(fiber)
        assert.strictEqual(state.held, 0)
        assert.strictEqual(state.releases, 1)
        assert.strictEqual(state.doubleReleases, 0)
      }))

    it.effect("interrupted while waiting in the backend: nothing held, nothing released, a waiter behind goes on", () =>
      Effect.gen(function*() {
        const { limiter, state } = memoryBackend(1)
        const holder = yield* Effect.fork(Effect.sleep("1 second").pipe(Limiter.withPermit(limiter)))
        yield* until(() => state.held === 1)
        const waiter = yield* Effect.fork(Effect.void.pipe(Limiter.withPermit(limiter)))
        const behind = yield* Effect.fork(Effect.succeed("behind").pipe(Limiter.withPermit(limiter)))
        yield* until(() => state.waiting === 2)
        yield* Fiber.interrupt(waiter)
        assert.strictEqual(state.waiting, 1)
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(holder)
        assert.strictEqual(yield* Fiber.join(behind), "behind")
        assert.strictEqual(state.acquisitions, 2)
        assert.strictEqual(state.releases, 2)
        assert.strictEqual(state.held, 0)
        assert.isTrue(yield* noneRunning(state.acquireFibers))
      }))

    it.effect("interrupted at the instant the backend hands over the permits: the release still runs, once", () =>
      Effect.gen(function*() {
        // The caller is interrupted inside the backend's own atomic take, so the interruption is
        // pending when the acquisition returns its release: the dispatch must not drop it.
        const { backend, state } = memoryBackend(3)
        let caller: Fiber.RuntimeFiber<unknown, unknown> | undefined
        const ran = yield* Deferred.make<void>()
        const interruptCaller = Effect.sync(() => caller!.unsafeInterruptAsFork(caller!.id()))
        // Two shapes: the interruption as the very last step, and followed by one more step (a log, a tap).
        const lastStep = Limiter.fromBackend<StoreError>({
          ...backend,
          acquire: (permits) =>
            Effect.flatMap(backend.acquire(permits), (release) => Effect.as(interruptCaller, release))
        })
        const thenOneMore = Limiter.fromBackend<StoreError>({
          ...backend,
          acquire: (permits) => Effect.tap(backend.acquire(permits), () => interruptCaller)
        })
        for (const treacherous of [lastStep, thenOneMore]) {
          for (const permits of [1, 3]) {
            const fiber = yield* Effect.fork(
              Deferred.succeed(ran, undefined).pipe(Limiter.withPermits(treacherous, permits))
            )
            caller = fiber
            const exit = yield* Fiber.await(fiber)
            assert.isTrue(Exit.isInterrupted(exit))
            assert.strictEqual(state.held, 0)
          }
        }
        assert.isFalse(yield* Deferred.isDone(ran))
        assert.strictEqual(state.acquisitions, 4)
        assert.strictEqual(state.releases, 4)
        assert.strictEqual(state.doubleReleases, 0)
        assert.strictEqual(state.held, 0)
        assert.isTrue(yield* noneRunning(state.acquireFibers))
      }))

    it.effect("a gate opened and the caller interrupted in the same step: released exactly once either way", () =>
      Effect.gen(function*() {
        const { backend, state } = memoryBackend(2)
        const gate = yield* Deferred.make<void>()
        const gated = Limiter.fromBackend<StoreError>({
          ...backend,
          acquire: (permits) => Effect.zipRight(Deferred.await(gate), backend.acquire(permits))
        })
        const fiber = yield* Effect.fork(Effect.never.pipe(Limiter.withPermits(gated, 2)))
        yield* Effect.yieldNow()
        yield* Effect.sync(() => {
          Deferred.unsafeDone(gate, Exit.void)
          fiber.unsafeInterruptAsFork(fiber.id())
        })
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(fiber)))
        assert.strictEqual(state.held, 0)
        assert.strictEqual(state.releases, state.acquisitions)
        assert.strictEqual(state.doubleReleases, 0)
      }))

    it.effect(
      "property: random holds and interruptions (waiting, holding, at the hand-over) never leak a permit",
      () =>
        Effect.gen(function*() {
          // Which caller an acquisition serves: FiberRefs reach the child fiber the acquisition runs in.
          const callerIndex = FiberRef.unsafeMake(-1)
          for (const seed of [1, 2, 3, 4, 5, 6]) {
            const random = seeded(seed)
            const { backend, state } = memoryBackend(3)
            const callers: Array<Fiber.RuntimeFiber<void, unknown>> = []
            const treacherous = new Set<number>()
            const limiter = Limiter.fromBackend<StoreError>({
              ...backend,
              acquire: (permits) =>
                Effect.flatMap(FiberRef.get(callerIndex), (i) =>
                  treacherous.has(i) ?
                    Effect.tap(
                      backend.acquire(permits),
                      () => Effect.sync(() => callers[i]!.unsafeInterruptAsFork(callers[i]!.id()))
                    ) :
                    backend.acquire(permits))
            })
            let holding = 0
            let peakHolding = 0
            for (let i = 0; i < 40; i++) {
              const permits = 1 + Math.floor(random() * 3)
              const hold = Math.floor(random() * 20)
              const arrive = Math.floor(random() * 50)
              if (random() < 0.15) treacherous.add(i)
              const body = Effect.acquireUseRelease(
                Effect.sync(() => {
                  holding += permits
                  peakHolding = Math.max(peakHolding, holding)
                }),
                () => Effect.sleep(hold),
                () => Effect.sync(() => (holding -= permits))
              )
              callers.push(
                yield* Effect.fork(
                  Effect.zipRight(
                    Effect.sleep(arrive),
                    Effect.locally(body.pipe(Limiter.withPermits(limiter, permits)), callerIndex, i)
                  )
                )
              )
            }
            for (const fiber of callers) {
              if (random() < 0.3) {
                yield* Effect.fork(Effect.zipRight(Effect.sleep(Math.floor(random() * 120)), Fiber.interrupt(fiber)))
              }
            }
            yield* TestClock.adjust("1 second")
            const label = `seed ${seed}`
            // Polled, not awaited: a leaked permit would leave callers waiting forever, and that must fail here.
            const polled = yield* Effect.forEach(callers, Fiber.poll)
            assert.isTrue(polled.every(Option.isSome), `${label}: every caller has finished`)
            const exits = polled.map((exit) => Option.getOrThrow(exit))
            assert.isTrue(exits.every((exit) => Exit.isSuccess(exit) || Exit.isInterrupted(exit)), label)
            assert.isTrue(exits.some(Exit.isSuccess) && exits.some(Exit.isInterrupted), `${label}: both outcomes occur`)
            assert.isAtMost(peakHolding, 3, label)
            assert.strictEqual(holding, 0, label)
            assert.strictEqual(state.held, 0, `${label}: every permit came back`)
            assert.strictEqual(state.releases, state.acquisitions, label)
            assert.strictEqual(state.doubleReleases, 0, label)
            assert.strictEqual(state.waiting, 0, label)
            assert.isTrue(yield* noneRunning(state.acquireFibers), `${label}: no acquisition fiber left running`)
          }
        }),
      { timeout: 30_000 }
    )

    it.effect("acquireScoped over a backend: released once when the scope closes, and when interrupted mid-take", () =>
      Effect.gen(function*() {
        const { backend, limiter, state } = memoryBackend(2)
        const scope = yield* Scope.make()
        yield* Scope.extend(Limiter.acquireScoped(limiter, 2), scope)
        assert.strictEqual(state.held, 2)
        yield* Scope.close(scope, Exit.void)
        assert.strictEqual(state.held, 0)
        assert.strictEqual(state.releases, 1)

        const caller: { fiber?: Fiber.RuntimeFiber<unknown, unknown> } = {}
        const treacherous = Limiter.fromBackend<StoreError>({
          ...backend,
          acquire: (permits) =>
            Effect.tap(
              backend.acquire(permits),
              () => Effect.sync(() => caller.fiber!.unsafeInterruptAsFork(caller.fiber!.id()))
            )
        })
        const fiber = yield* Effect.fork(
          Effect.scoped(Effect.zipRight(Limiter.acquireScoped(treacherous, 1), Effect.never))
        )
        caller.fiber = fiber
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(fiber)))
        assert.strictEqual(state.held, 0)
        assert.strictEqual(state.releases, 2)
        assert.strictEqual(state.doubleReleases, 0)
      }))
  })

  describe("observability", () => {
    it.effect("the wait in a backend is a phase on the caller's Timeline lane, as for the local limiter", () =>
      Effect.gen(function*() {
        const { limiter } = memoryBackend(1)
        const program = Effect.forEach(
          ["a", "b"],
          (name) => Effect.sleep("10 millis").pipe(Limiter.withPermit(limiter), Timeline.named(name)),
          { concurrency: "unbounded", discard: true }
        )
        const fiber = yield* Effect.fork(Timeline.recordExit(program))
        yield* TestClock.adjust("100 millis")
        const [exit, recording] = yield* Fiber.join(fiber)
        assert.isTrue(Exit.isSuccess(exit))
        const marks = (label: string) =>
          recording.lanes.find((lane) => lane.label === label)!.marks.map((m) => `${m.atMs} ${m.phase} ${m.label}`)
        // a asks the store and gets its permit at once; b waits in the store until a gives it back.
        assert.deepStrictEqual(marks("a"), ["0 begin waiting for a permit", "0 end waiting for a permit"])
        assert.deepStrictEqual(marks("b"), ["0 begin waiting for a permit", "10 end waiting for a permit"])
      }))
  })

  describe("layers", () => {
    class StoreLimiter extends Context.Tag("test/StoreLimiter")<StoreLimiter, Limiter.Limiter<StoreError>>() {}

    // A program written once against the store-typed service.
    const program = Effect.gen(function*() {
      const limiter = yield* StoreLimiter
      const value = yield* Effect.succeed(42).pipe(Limiter.withPermits(limiter, 2))
      const stats = yield* Limiter.statistics(limiter)
      return { value, stats }
    })

    it.effect("layer provides the local implementation through the tag", () =>
      Effect.gen(function*() {
        const layer = Limiter.layer(StoreLimiter, { permits: 3, label: "local" })
        expectTypeOf(layer).toEqualTypeOf<Layer.Layer<StoreLimiter, InvalidArgument.InvalidArgumentError>>()
        const { stats, value } = yield* Effect.provide(program, layer)
        assert.strictEqual(value, 42)
        assert.strictEqual(stats.capacity, 3)
        assert.strictEqual(stats.totalAcquired, 2)
        const limiter = yield* Effect.provide(StoreLimiter, layer)
        assert.strictEqual(limiter.label, "local")
        // It really is the in-process limiter: its synchronous statistics work.
        assert.strictEqual(Limiter.unsafeStatistics(limiter as unknown as Limiter.Limiter).capacity, 3)
        const bad = yield* Effect.flip(Effect.provide(program, Limiter.layer(StoreLimiter, { permits: 0 })))
        assert.strictEqual(bad._tag, "InvalidArgumentError")
      }))

    it.effect("a Limiter<never> satisfies a program typed for Limiter<StoreError>; the reverse does not compile", () =>
      Effect.gen(function*() {
        const local: Limiter.Limiter = yield* Limiter.make({ permits: 2 })
        const widened: Limiter.Limiter<StoreError> = local
        expectTypeOf<Limiter.Limiter<never>>().toMatchTypeOf<Limiter.Limiter<StoreError>>()
        expectTypeOf<Limiter.Limiter<StoreError>>().not.toMatchTypeOf<Limiter.Limiter<never>>()
        // @ts-expect-error a store-backed limiter is not a Limiter<never>: its errors would go untyped
        const narrowed: Limiter.Limiter<never> = memoryBackend(1).limiter
        void narrowed

        // The same program, once on the local limiter and once on a store backend.
        const onLocal = yield* Effect.provideService(program, StoreLimiter, widened)
        const { limiter: store } = memoryBackend(5, "store")
        const onStore = yield* Effect.provideService(program, StoreLimiter, store)
        assert.strictEqual(onLocal.value, 42)
        assert.strictEqual(onStore.value, 42)
        assert.strictEqual(onLocal.stats.capacity, 2)
        assert.strictEqual(onStore.stats.capacity, 5)
        expectTypeOf(program).toEqualTypeOf<
          Effect.Effect<
            { value: number; stats: Limiter.Statistics },
            StoreError | InvalidArgument.InvalidArgumentError,
            StoreLimiter
          >
        >()
      }))
  })
})
