import { assert, describe, it } from "@effect/vitest"
import { Bridge, InvalidArgument } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { EventEmitter } from "node:events"

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

// Lets promise callbacks (a rejection, a listener) run before the test looks.
const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

class Counter extends Context.Tag("test/Counter")<Counter, { readonly next: () => number }>() {}

describe("Bridge.promise", () => {
  it.effect("resolves to the promise's value", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Bridge.promise("answer", () => Promise.resolve(42)), 42)
    }))

  it.effect("a rejection is a typed RejectedError that keeps the original rejection as cause", () =>
    Effect.gen(function*() {
      const original = new TypeError("fetch failed")
      const error = failureOf(yield* Effect.exit(Bridge.promise("GET /users/1", () => Promise.reject(original))))
      assert.instanceOf(error, Bridge.RejectedError)
      assert.strictEqual(error.cause, original)
      assert.strictEqual(error.operation, "GET /users/1")
      assert.strictEqual(error.message, "GET /users/1 rejected with TypeError: fetch failed")
    }))

  it.effect("interrupting the fiber aborts the signal the promise was given", () =>
    Effect.gen(function*() {
      let given: AbortSignal | undefined
      const started = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(Bridge.promise("hang", (signal) => {
        given = signal
        Deferred.unsafeDone(started, Exit.void)
        return new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)))
      }))
      yield* Deferred.await(started)
      assert.isFalse(given!.aborted)
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.isTrue(given!.aborted, "the request behind the promise was told to stop")
    }))
})

describe("Bridge.callback", () => {
  it.effect("succeeds with the value and fails typed with the error passed to the callback", () =>
    Effect.gen(function*() {
      const ok = yield* Bridge.callback<number>("add", (done) => {
        setTimeout(() => done(null, 3), 10)
      })
        .pipe(Effect.fork)
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
      assert.strictEqual(yield* Fiber.join(ok), 3)
      const cause = new Error("ENOENT: no such file")
      const error = failureOf(yield* Effect.exit(Bridge.callback("stat", (done) => done(cause))))
      assert.instanceOf(error, Bridge.CallbackError)
      assert.strictEqual(error.cause, cause)
      assert.match(error.message, /stat called back with an error: Error: ENOENT/)
    }))

  it.effect("only the first call of done counts, and a throwing register fails typed", () =>
    Effect.gen(function*() {
      const value = yield* Bridge.callback<string>("twice", (done) => {
        done(null, "first")
        done(new Error("late error"))
        done(null, "second")
      })
      assert.strictEqual(value, "first")
      const error = failureOf(
        yield* Effect.exit(Bridge.callback("throws", () => {
          throw new RangeError("bad")
        }))
      )
      assert.instanceOf(error, Bridge.CallbackError)
      assert.instanceOf(error.cause, RangeError)
    }))

  it.effect("interruption runs the cleanup and a later callback is ignored", () =>
    Effect.gen(function*() {
      let cleaned = 0
      let done: ((error: unknown, value?: number) => void) | undefined
      const fiber = yield* Effect.fork(Bridge.callback<number>("slow", (d) => {
        done = d
        return () => {
          cleaned++
        }
      }))
      yield* TestClock.adjust("1 millis")
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(cleaned, 1)
      done!(null, 1) // the API calls back after all: nothing happens
      assert.strictEqual(cleaned, 1)
    }))
})

describe("Bridge.once", () => {
  it.effect("waits for the next event of an EventEmitter and removes its listeners", () =>
    Effect.gen(function*() {
      const emitter = new EventEmitter()
      const fiber = yield* Effect.fork(Bridge.once<string>(emitter, "ready"))
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(emitter.listenerCount("ready"), 1)
      assert.strictEqual(emitter.listenerCount("error"), 1)
      emitter.emit("ready", "yes")
      assert.strictEqual(yield* Fiber.join(fiber), "yes")
      assert.strictEqual(emitter.listenerCount("ready") + emitter.listenerCount("error"), 0)
    }))

  it.effect("the error event fails the wait, and interruption leaves no listener behind", () =>
    Effect.gen(function*() {
      const emitter = new EventEmitter()
      const failing = yield* Effect.fork(Bridge.once(emitter, "ready"))
      yield* TestClock.adjust("1 millis")
      emitter.emit("error", new Error("boom"))
      const error = failureOf(yield* Fiber.await(failing))
      assert.instanceOf(error, Bridge.CallbackError)
      const waiting = yield* Effect.fork(Bridge.once(emitter, "ready"))
      yield* TestClock.adjust("1 millis")
      yield* Fiber.interrupt(waiting)
      assert.strictEqual(emitter.listenerCount("ready") + emitter.listenerCount("error"), 0)
    }))

  it.effect("works with an EventTarget", () =>
    Effect.gen(function*() {
      const target = new EventTarget()
      const fiber = yield* Effect.fork(Bridge.once<Event>(target, "ping", { errorEvent: false }))
      yield* TestClock.adjust("1 millis")
      target.dispatchEvent(new Event("ping"))
      assert.strictEqual((yield* Fiber.join(fiber)).type, "ping")
    }))
})

describe("Bridge.makeEdge", () => {
  const counterLayer = (log: Array<string>) =>
    Layer.scoped(
      Counter,
      Effect.acquireRelease(
        Effect.sync(() => {
          log.push("built")
          let n = 0
          return { next: () => ++n }
        }),
        () => Effect.sync(() => log.push("released"))
      )
    )

  it.live("builds the layer once, shares it between calls and releases it on dispose", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const edge = Bridge.makeEdge(counterLayer(log), { label: "http" })
      const next = Effect.map(Counter, (c) => c.next())
      const values = yield* Effect.promise(() => Promise.all([edge.runPromise(next), edge.runPromise(next)]))
      assert.sameMembers(values, [1, 2])
      assert.strictEqual(yield* Effect.promise(() => edge.runPromise(next)), 3)
      assert.deepStrictEqual(log, ["built"])
      yield* Effect.promise(() => edge.dispose())
      assert.deepStrictEqual(log, ["built", "released"])
      const late = yield* Effect.promise(() => edge.runPromiseExit(next))
      assert.instanceOf(failureOf(late), Bridge.EdgeClosedError)
      assert.include(edge.statistics, { started: 3, succeeded: 3, running: 0, closed: true })
    }))

  it.live("a host AbortSignal interrupts the effect it started", () =>
    Effect.gen(function*() {
      const edge = Bridge.makeEdge(Layer.empty)
      const controller = new AbortController()
      let interrupted = false
      const running = edge.runPromiseExit(
        Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => (interrupted = true)))),
        { signal: controller.signal }
      )
      yield* settle
      assert.strictEqual(edge.statistics.running, 1)
      controller.abort()
      const exit = yield* Effect.promise(() => running)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.isTrue(interrupted)
      assert.include(edge.statistics, { interrupted: 1, running: 0 })
      yield* Effect.promise(() => edge.dispose())
    }))

  it.live("dispose interrupts what is still running before releasing the layer", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const edge = Bridge.makeEdge(counterLayer(log))
      const running = edge.runPromiseExit(
        Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => log.push("request interrupted"))))
      )
      yield* settle
      yield* Effect.promise(() => edge.dispose())
      assert.deepStrictEqual(log, ["built", "request interrupted", "released"])
      assert.isTrue(Exit.isInterrupted(yield* Effect.promise(() => running)))
    }))
})

describe("Bridge.runner vs a nested runPromise", () => {
  it.live("a nested runPromise detaches: it loses the caller's services and outlives its interruption", () =>
    Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      let finishedAfterCallerWasGone = false
      const inner = Effect.gen(function*() {
        yield* Deferred.succeed(started, undefined)
        yield* Deferred.await(release)
        finishedAfterCallerWasGone = true
      })
      // The mistake, written the way the language service would flag it in a .ts file:
      // Effect.promise(() => Effect.runPromise(inner)). tsc rejects it here unless told this is on purpose:
      // @effect-diagnostics-next-line runEffectInsideEffect:off
      const caller = yield* Effect.fork(Effect.promise(() => Effect.runPromise(inner)))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(caller)
      yield* Deferred.succeed(release, undefined)
      yield* settle
      assert.isTrue(finishedAfterCallerWasGone, "the detached fiber kept running after its caller was interrupted")
      const missing = yield* Effect.promise(() =>
        Effect.runPromiseExit(Counter as unknown as Effect.Effect<Context.Tag.Service<Counter>>)
      )
      assert.isTrue(Exit.isFailure(missing), "and it cannot see the caller's services")
    }))

  it.live("runner runs in the caller's context and its fibers end with the caller's scope", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      let interrupted = false
      const started = yield* Deferred.make<void>()
      const run = yield* Bridge.runner<Counter>().pipe(
        Scope.extend(scope),
        Effect.provideService(Counter, { next: () => 7 }),
        Effect.withSpan("caller")
      )
      const seen = yield* Effect.promise(() => run(Effect.map(Counter, (c) => c.next())))
      assert.strictEqual(seen, 7)
      const span = yield* Effect.promise(() => run(Effect.map(Effect.currentSpan, (s) => s.name)))
      assert.strictEqual(span, "caller", "the span where the runner was made is the parent")
      const pending = run(Effect.zipRight(
        Deferred.succeed(started, undefined),
        Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => (interrupted = true))))
      )).catch(() => "stopped")
      yield* Deferred.await(started)
      yield* Scope.close(scope, Exit.void)
      assert.isTrue(interrupted)
      assert.strictEqual(yield* Effect.promise(() => pending), "stopped")
    }))
})

describe("Bridge: bad input", () => {
  it.effect("fails with InvalidArgumentError at the call", () =>
    Effect.gen(function*() {
      const attempts: ReadonlyArray<Effect.Effect<unknown, unknown>> = [
        Bridge.promise("", () => Promise.resolve(1)),
        Bridge.promise("x", 1 as any),
        Bridge.callback("", () => {}),
        Bridge.callback("x", null as any),
        Bridge.once({} as any, "ready"),
        Bridge.once(new EventEmitter(), ""),
        Bridge.once(new EventEmitter(), "ready", { errorEvent: 3 as any })
      ]
      for (const attempt of attempts) {
        const error = failureOf(yield* Effect.exit(attempt))
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error), String(error))
      }
      assert.throws(() => Bridge.makeEdge({} as any), /Bridge.makeEdge: layer must be a Layer/)
    }))
})
