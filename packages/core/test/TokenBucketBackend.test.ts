import { assert, describe, it } from "@effect/vitest"
import type { InvalidArgument } from "@fiberkit/core"
import { TokenBucket } from "@fiberkit/core"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { expectTypeOf } from "vitest"

class StoreError extends Data.TaggedError("StoreError")<{ readonly operation: string }> {}

/**
 * A backend in front of an in-process bucket (standing in for a shared store):
 * it records every call with its arguments and can be switched to fail every
 * operation with `StoreError`.
 */
const recordingBackend = (local: TokenBucket.TokenBucket, label = "store") => {
  const state = { calls: [] as Array<string>, failing: false }
  const guard = <A, E, R>(call: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StoreError, R> =>
    Effect.suspend((): Effect.Effect<A, E | StoreError, R> => {
      state.calls.push(call)
      return state.failing ? Effect.fail(new StoreError({ operation: call.split(" ")[0]! })) : effect
    })
  const backend: TokenBucket.Backend<StoreError> = {
    label,
    take: (cost) => guard(`take ${cost}`, TokenBucket.take(local, cost)),
    withTokens: (cost) => (effect) => guard(`withTokens ${cost}`, TokenBucket.withTokens(local, { cost })(effect)),
    pause: (millis) => guard(`pause ${millis}`, Effect.orDie(TokenBucket.pause(local, millis))),
    reconfigure: (options) => guard(`reconfigure ${JSON.stringify(options)}`, TokenBucket.reconfigure(local, options)),
    statistics: guard("statistics", TokenBucket.statistics(local))
  }
  return { backend, state, bucket: TokenBucket.fromBackend(backend) }
}

/** Lets the forked fibers run until `condition` holds (a bounded number of scheduler turns: a bug fails, never hangs). */
const until = <E>(condition: Effect.Effect<boolean, E>) =>
  Effect.gen(function*() {
    for (let turn = 0; turn < 100; turn++) {
      if (yield* condition) return
      yield* Effect.yieldNow()
    }
    assert.fail("the condition never held")
  })

const waitingIn = (bucket: TokenBucket.TokenBucket, n: number) =>
  until(Effect.map(TokenBucket.statistics(bucket), (s) => s.waiting === n))

class RateLimited extends Data.TaggedError("RateLimited")<{ readonly retryAfterMs: number }> {}

describe("TokenBucket backends", () => {
  describe("dispatch", () => {
    it.scoped("every module function goes through the backend, with the caller's arguments", () =>
      Effect.gen(function*() {
        const local = yield* TokenBucket.make({ rate: 10, burst: 10, cost: 2 })
        const { bucket, state } = recordingBackend(local)
        assert.isTrue(TokenBucket.isTokenBucket(bucket))
        assert.strictEqual(bucket.label, "store")
        assert.isTrue(String(bucket).includes("store"))

        yield* TokenBucket.take(bucket)
        yield* TokenBucket.take(bucket, 1)
        assert.strictEqual(yield* Effect.succeed("x").pipe(TokenBucket.withTokens(bucket)), "x")
        assert.strictEqual(yield* Effect.succeed("y").pipe(TokenBucket.withTokens(bucket, { cost: 0.5 })), "y")
        yield* TokenBucket.reconfigure(bucket, { rate: 20, burst: 10 })
        yield* TokenBucket.pause(bucket, "2 seconds")
        const failed = yield* Effect.flip(
          Effect.fail(new RateLimited({ retryAfterMs: 3000 })).pipe(
            TokenBucket.pauseOnRetryAfter(bucket, (e: RateLimited) => Option.some(e.retryAfterMs))
          )
        )
        assert.strictEqual(failed._tag, "RateLimited")
        const stats = yield* TokenBucket.statistics(bucket)
        assert.strictEqual(stats.admitted, 4)
        // The default cost (2) was the backend's to apply: undefined went through, not a guess.
        assert.strictEqual(stats.admittedCost, 2 + 1 + 2 + 0.5)
        assert.strictEqual(stats.pauses, 2)
        assert.deepStrictEqual(state.calls, [
          "take undefined",
          "take 1",
          "withTokens undefined",
          "withTokens 0.5",
          "reconfigure {\"rate\":20,\"burst\":10}",
          "pause 2000",
          "pause 3000",
          "statistics"
        ])
      }))

    it.scoped("waiting happens in the backend, on the caller's fiber, under the TestClock", () =>
      Effect.gen(function*() {
        const local = yield* TokenBucket.make({ rate: 1, per: "1 second", burst: 1 })
        const { bucket } = recordingBackend(local)
        yield* TokenBucket.take(bucket)
        const second = yield* Effect.fork(TokenBucket.take(bucket))
        yield* waitingIn(local, 1)
        yield* TestClock.adjust("999 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(second)))
        yield* TestClock.adjust("1 millis")
        yield* Fiber.join(second)
        assert.strictEqual((yield* TokenBucket.statistics(bucket)).admitted, 2)
      }))
  })

  describe("bad input", () => {
    it.scoped("cost, duration and options are validated before the backend is called", () =>
      Effect.gen(function*() {
        const { bucket, state } = recordingBackend(yield* TokenBucket.make({ rate: 10, burst: 3 }))
        for (const cost of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, "1" as unknown as number]) {
          const a = yield* Effect.flip(TokenBucket.take(bucket, cost))
          const b = yield* Effect.flip(Effect.void.pipe(TokenBucket.withTokens(bucket, { cost })))
          for (const error of [a, b]) {
            assert.strictEqual(error._tag, "InvalidArgumentError")
            assert.strictEqual((error as InvalidArgument.InvalidArgumentError).argument, "cost")
          }
        }
        for (const duration of [-1, Number.NaN, "soon" as never, Number.POSITIVE_INFINITY]) {
          const error = yield* Effect.flip(TokenBucket.pause(bucket, duration))
          assert.strictEqual(error._tag, "InvalidArgumentError")
          assert.strictEqual((error as InvalidArgument.InvalidArgumentError).operation, "TokenBucket.pause")
        }
        // The in-process bucket goes through the same check (NaN used to read as a zero pause).
        const local = yield* TokenBucket.make({ rate: 10 })
        for (const duration of [-1, Number.NaN, "soon" as never, Number.POSITIVE_INFINITY]) {
          const error = yield* Effect.flip(TokenBucket.pause(local, duration))
          assert.strictEqual(error.argument, "duration")
        }
        assert.strictEqual((yield* TokenBucket.statistics(local)).pauses, 0)
        const options = yield* Effect.flip(TokenBucket.reconfigure(bucket, null as never))
        assert.strictEqual((options as InvalidArgument.InvalidArgumentError).argument, "options")
        assert.deepStrictEqual(state.calls, [])
        // Above the burst: only the backend knows the burst, and says so with the same error type.
        const tooMuch = yield* Effect.flip(TokenBucket.take(bucket, 4))
        assert.strictEqual(tooMuch._tag, "InvalidArgumentError")
        assert.deepStrictEqual(state.calls, ["take 4"])
      }))

    it.scoped("fromBackend rejects an object that is not a backend, naming the member", () =>
      Effect.gen(function*() {
        const { backend } = recordingBackend(yield* TokenBucket.make({ rate: 1 }))
        assert.throws(
          () => TokenBucket.fromBackend({ ...backend, withTokens: 1 } as never),
          /TokenBucket\.fromBackend: backend\.withTokens must be a function/
        )
        assert.throws(
          () => TokenBucket.fromBackend({ ...backend, statistics: undefined } as never),
          /backend\.statistics must be an Effect/
        )
        assert.throws(() => TokenBucket.fromBackend({ ...backend, label: 7 } as never), /backend\.label/)
      }))
  })

  describe("store errors are typed S and reach the caller", () => {
    it.scoped("every module function fails with the backend's error", () =>
      Effect.gen(function*() {
        const local = yield* TokenBucket.make({ rate: 10, burst: 3 })
        const { bucket, state } = recordingBackend(local)
        state.failing = true
        const guarded = Effect.succeed(1).pipe(TokenBucket.withTokens(bucket))
        expectTypeOf(guarded).toEqualTypeOf<
          Effect.Effect<number, StoreError | InvalidArgument.InvalidArgumentError | TokenBucket.TokenBucketClosedError>
        >()
        expectTypeOf(TokenBucket.take(bucket)).toEqualTypeOf<
          Effect.Effect<void, StoreError | InvalidArgument.InvalidArgumentError | TokenBucket.TokenBucketClosedError>
        >()
        expectTypeOf(TokenBucket.pause(bucket, 1)).toEqualTypeOf<
          Effect.Effect<void, StoreError | InvalidArgument.InvalidArgumentError>
        >()
        expectTypeOf(TokenBucket.reconfigure(bucket, { rate: 1 })).toEqualTypeOf<
          Effect.Effect<void, StoreError | InvalidArgument.InvalidArgumentError>
        >()
        expectTypeOf(TokenBucket.statistics(bucket)).toEqualTypeOf<Effect.Effect<TokenBucket.Statistics, StoreError>>()
        const errors = [
          yield* Effect.flip(guarded),
          yield* Effect.flip(TokenBucket.take(bucket, 1)),
          yield* Effect.flip(TokenBucket.pause(bucket, "1 second")),
          yield* Effect.flip(TokenBucket.reconfigure(bucket, { rate: 5 })),
          yield* Effect.flip(TokenBucket.statistics(bucket))
        ]
        assert.deepStrictEqual(errors.map((e) => e._tag), Array(5).fill("StoreError"))
        assert.deepStrictEqual(
          errors.map((e) => (e as StoreError).operation),
          ["withTokens", "take", "pause", "reconfigure", "statistics"]
        )
        const recovered = yield* guarded.pipe(Effect.catchTag("StoreError", (e) => Effect.succeed(e.operation)))
        assert.strictEqual(recovered, "withTokens")
        const stats = yield* TokenBucket.statistics(local)
        assert.strictEqual(stats.admitted, 0)
        assert.strictEqual(stats.pauses, 0)
      }))

    it.scoped("pauseOnRetryAfter: a store that cannot pause is logged; the call fails with its own error", () =>
      Effect.gen(function*() {
        const { bucket, state } = recordingBackend(yield* TokenBucket.make({ rate: 10 }))
        state.failing = true
        const logs: Array<string> = []
        const logger = Logger.make(({ message }) => {
          logs.push(String(message))
        })
        const call = Effect.fail(new RateLimited({ retryAfterMs: 500 })).pipe(
          TokenBucket.pauseOnRetryAfter(bucket, (e: RateLimited) => Option.some(e.retryAfterMs))
        )
        expectTypeOf(call).toEqualTypeOf<Effect.Effect<never, RateLimited>>()
        const error = yield* Effect.flip(call).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
        assert.strictEqual(error._tag, "RateLimited")
        assert.deepStrictEqual(state.calls, ["pause 500"])
        assert.isTrue(logs.some((line) => line.includes("could not be paused")))
      }))

    it.scoped("a local bucket has S = never: its error channels are what they were", () =>
      Effect.gen(function*() {
        const local = yield* TokenBucket.make({ rate: 10 })
        expectTypeOf(local).toEqualTypeOf<TokenBucket.TokenBucket<never>>()
        expectTypeOf(TokenBucket.statistics(local)).toEqualTypeOf<Effect.Effect<TokenBucket.Statistics>>()
        expectTypeOf(TokenBucket.pause(local, 1)).toEqualTypeOf<
          Effect.Effect<void, InvalidArgument.InvalidArgumentError>
        >()
      }))
  })

  describe("interruption safety through a custom backend", () => {
    it.scoped("withTokens: a concurrency slot comes back exactly once, whether interrupted waiting or running", () =>
      Effect.gen(function*() {
        const local = yield* TokenBucket.make({ rate: 100, burst: 10, maxConcurrent: 1 })
        const { bucket } = recordingBackend(local)
        const started = yield* Deferred.make<void>()
        const running = yield* Effect.fork(
          Effect.zipRight(Deferred.succeed(started, undefined), Effect.never).pipe(TokenBucket.withTokens(bucket))
        )
        yield* Deferred.await(started)
        const waiting = yield* Effect.fork(Effect.void.pipe(TokenBucket.withTokens(bucket)))
        yield* waitingIn(local, 1)
        yield* Fiber.interrupt(waiting)
        yield* Fiber.interrupt(running)
        const stats = yield* TokenBucket.statistics(bucket)
        assert.strictEqual(stats.inFlight, 0)
        assert.strictEqual(stats.waiting, 0)
        assert.strictEqual(stats.admitted, 1)
        // The slot is free again: the next call runs at once.
        assert.strictEqual(yield* Effect.succeed("next").pipe(TokenBucket.withTokens(bucket)), "next")
      }))

    it.scoped("interrupted at the instant the backend admits the call: the effect never runs, the slot comes back", () =>
      Effect.gen(function*() {
        const local = yield* TokenBucket.make({ rate: 100, burst: 10, maxConcurrent: 2 })
        const { backend } = recordingBackend(local)
        const caller: { fiber?: Fiber.RuntimeFiber<unknown, unknown> } = {}
        const interruptCaller = Effect.sync(() => caller.fiber!.unsafeInterruptAsFork(caller.fiber!.id()))
        const treacherous = TokenBucket.fromBackend<StoreError>({
          ...backend,
          withTokens: (cost) => (effect) => backend.withTokens(cost)(Effect.zipRight(interruptCaller, effect))
        })
        const ran = yield* Deferred.make<void>()
        for (let i = 0; i < 3; i++) {
          const fiber = yield* Effect.fork(Deferred.succeed(ran, undefined).pipe(TokenBucket.withTokens(treacherous)))
          caller.fiber = fiber
          assert.isTrue(Exit.isInterrupted(yield* Fiber.await(fiber)))
        }
        assert.isFalse(yield* Deferred.isDone(ran))
        const stats = yield* TokenBucket.statistics(local)
        assert.strictEqual(stats.inFlight, 0)
        assert.strictEqual(stats.peakInFlight, 1)
      }))
  })

  describe("layers", () => {
    class Quota extends Context.Tag("test/Quota")<Quota, TokenBucket.TokenBucket<StoreError>>() {}

    const program = Effect.gen(function*() {
      const bucket = yield* Quota
      yield* TokenBucket.take(bucket, 2)
      const value = yield* Effect.succeed("called").pipe(TokenBucket.withTokens(bucket))
      return { value, stats: yield* TokenBucket.statistics(bucket), bucket }
    })

    it.effect("layer provides the local implementation through the tag, closed when the layer's scope ends", () =>
      Effect.gen(function*() {
        const layer = TokenBucket.layer(Quota, { rate: 5, burst: 3, label: "local" })
        expectTypeOf(layer).toEqualTypeOf<Layer.Layer<Quota, InvalidArgument.InvalidArgumentError>>()
        const { bucket, stats, value } = yield* Effect.provide(program, layer)
        assert.strictEqual(value, "called")
        assert.strictEqual(stats.admitted, 2)
        assert.strictEqual(stats.admittedCost, 3)
        assert.strictEqual(bucket.label, "local")
        assert.isTrue((yield* TokenBucket.statistics(bucket)).closed)
        const late = yield* Effect.flip(TokenBucket.take(bucket))
        assert.strictEqual(late._tag, "TokenBucketClosedError")
        const bad = yield* Effect.flip(Effect.provide(program, TokenBucket.layer(Quota, { rate: 0 })))
        assert.strictEqual(bad._tag, "InvalidArgumentError")
      }))

    it.scoped("a TokenBucket<never> satisfies a program typed for TokenBucket<StoreError>; the reverse does not compile", () =>
      Effect.gen(function*() {
        const local: TokenBucket.TokenBucket = yield* TokenBucket.make({ rate: 10, burst: 5 })
        const widened: TokenBucket.TokenBucket<StoreError> = local
        expectTypeOf<TokenBucket.TokenBucket<never>>().toMatchTypeOf<TokenBucket.TokenBucket<StoreError>>()
        expectTypeOf<TokenBucket.TokenBucket<StoreError>>().not.toMatchTypeOf<TokenBucket.TokenBucket<never>>()
        const { bucket: store } = recordingBackend(yield* TokenBucket.make({ rate: 10, burst: 5 }))
        // @ts-expect-error a store-backed bucket is not a TokenBucket<never>: its errors would go untyped
        const narrowed: TokenBucket.TokenBucket<never> = store
        void narrowed
        const onLocal = yield* Effect.provideService(program, Quota, widened)
        const onStore = yield* Effect.provideService(program, Quota, store)
        assert.strictEqual(onLocal.stats.admitted, 2)
        assert.strictEqual(onStore.stats.admitted, 2)
        expectTypeOf(program).toEqualTypeOf<
          Effect.Effect<
            { value: string; stats: TokenBucket.Statistics; bucket: TokenBucket.TokenBucket<StoreError> },
            StoreError | InvalidArgument.InvalidArgumentError | TokenBucket.TokenBucketClosedError,
            Quota
          >
        >()
      }))
  })
})
