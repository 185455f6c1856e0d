import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument, Retry } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"

class Unavailable extends Data.TaggedError("Unavailable")<{
  readonly retryAfter: Option.Option<Duration.Duration>
}> {
  override get message() {
    return "503 from the server"
  }
}
class NotFound extends Data.TaggedError("NotFound")<{}> {}
type Err = Unavailable | NotFound

const unavailable = (retryAfterMs?: number) =>
  new Unavailable({
    retryAfter: retryAfterMs === undefined ? Option.none() : Option.some(Duration.millis(retryAfterMs))
  })

/** An operation that fails as scripted, then succeeds; records the TestClock time of every attempt. */
const scripted = (script: ReadonlyArray<Err>) => {
  const times: Array<number> = []
  const effect = Effect.gen(function*() {
    times.push(yield* Clock.currentTimeMillis)
    const step = script[times.length - 1]
    if (step !== undefined) return yield* step
    return `ok after ${times.length} attempts`
  })
  return { times, effect }
}

/** Runs under TestClock until done, recording every retry event (the exact sleeps). */
const runRetry = <A>(
  effect: Effect.Effect<A, Err>,
  options: Retry.Options<Err>,
  advance = 60_000
) =>
  Effect.gen(function*() {
    const events: Array<Retry.RetryEvent<Err>> = []
    const fiber = yield* Effect.fork(
      Retry.retry(effect, { ...options, onRetry: (event) => Effect.sync(() => events.push(event)) }).pipe(Effect.exit)
    )
    yield* TestClock.adjust(advance)
    const exit = yield* Fiber.join(fiber)
    return { exit, events, delays: events.map((e) => Duration.toMillis(e.delay)) }
  })

const exhausted = <A>(exit: Exit.Exit<A, unknown>): Retry.RetryExhaustedError<Err> => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  const failure = Option.getOrThrow(Cause.failureOption((exit as Exit.Failure<A, unknown>).cause))
  assert.strictEqual((failure as { _tag?: string })._tag, "RetryExhaustedError")
  return failure as Retry.RetryExhaustedError<Err>
}

describe("Retry: delays under TestClock", () => {
  it.effect("exponential with a cap, no jitter: the exact sleeps and attempt times", () =>
    Effect.gen(function*() {
      const op = scripted(Array.from({ length: 10 }, () => unavailable()))
      const { delays, events, exit } = yield* runRetry(op.effect, {
        base: "100 millis",
        factor: 2,
        cap: "500 millis",
        maxAttempts: 6,
        jitter: "none"
      })
      assert.deepStrictEqual(delays, [100, 200, 400, 500, 500])
      assert.deepStrictEqual(op.times, [0, 100, 300, 700, 1200, 1700])
      assert.deepStrictEqual(events.map((e) => e.attempts), [1, 2, 3, 4, 5])
      assert.deepStrictEqual(events.map((e) => Duration.toMillis(e.waited)), [100, 300, 700, 1200, 1700])
      const error = exhausted(exit)
      assert.strictEqual(error.attempts, 6)
      assert.strictEqual(error.reason, "max-attempts")
      assert.strictEqual(Duration.toMillis(error.waited), 1700)
      assert.strictEqual(error.lastError._tag, "Unavailable")
      assert.strictEqual(
        error.message,
        "gave up after 6 attempts, the most allowed (waited 1s 700ms in total); last error: 503 from the server"
      )
    }))

  it.effect("the next attempt happens exactly when the sleep ends, not a millisecond before", () =>
    Effect.gen(function*() {
      const op = scripted([unavailable(), unavailable()])
      const fiber = yield* Effect.fork(
        Retry.retry(op.effect, { base: "100 millis", maxAttempts: 5, jitter: "none" })
      )
      yield* TestClock.adjust(99)
      assert.strictEqual(op.times.length, 1)
      yield* TestClock.adjust(1)
      assert.strictEqual(op.times.length, 2)
      yield* TestClock.adjust(199)
      assert.strictEqual(op.times.length, 2)
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* Fiber.join(fiber), "ok after 3 attempts")
    }))

  it.effect("additive jitter (the seed's): base * factor^n + uniform(0, j), replayed exactly from a seed", () =>
    Effect.gen(function*() {
      const op = scripted(Array.from({ length: 5 }, () => unavailable()))
      const { delays } = yield* runRetry(op.effect, {
        base: "100 millis",
        maxAttempts: 5,
        jitter: { additive: "1 second" }
      }).pipe(Effect.withRandom(Random.make(42)))
      // The same draws, made by hand from the same seed.
      const expected = yield* Effect.forEach(
        [100, 200, 400, 800],
        (d) => Effect.map(Random.next, (r) => Math.round(d + r * 1000))
      )
        .pipe(Effect.withRandom(Random.make(42)))
      assert.deepStrictEqual(delays, expected)
      delays.forEach((d, i) => assert.isTrue(d >= 100 * 2 ** i && d <= 100 * 2 ** i + 1000))
      assert.deepStrictEqual(op.times.slice(1), delays.map((_, i) => delays.slice(0, i + 1).reduce((a, b) => a + b)))
    }))

  it.effect("full and equal jitter stay in their ranges and replay from the seed", () =>
    Effect.gen(function*() {
      const run = (jitter: Retry.Jitter, seed: number) =>
        runRetry(scripted(Array.from({ length: 8 }, () => unavailable())).effect, {
          base: "100 millis",
          cap: "1 second",
          maxAttempts: 8,
          jitter
        }).pipe(Effect.withRandom(Random.make(seed)), Effect.map((r) => r.delays))
      const exp = [100, 200, 400, 800, 1000, 1000, 1000]
      const full = yield* run("full", 7)
      full.forEach((d, i) => assert.isTrue(d >= 0 && d <= exp[i]!, `full ${d} in [0, ${exp[i]}]`))
      const equal = yield* run("equal", 7)
      equal.forEach((d, i) =>
        assert.isTrue(d >= exp[i]! / 2 && d <= exp[i]!, `equal ${d} in [${exp[i]! / 2}, ${exp[i]}]`)
      )
      assert.deepStrictEqual(yield* run("full", 7), full, "same seed, same delays")
      assert.notDeepEqual(yield* run("full", 8), full, "another seed, other delays")
    }))

  it.effect("proportional jitter is Effect's Schedule.jittered, delay for delay", () =>
    Effect.gen(function*() {
      const ours = yield* runRetry(scripted(Array.from({ length: 6 }, () => unavailable())).effect, {
        base: "100 millis",
        maxAttempts: 6,
        jitter: { proportional: { min: 0.8, max: 1.2 } }
      }).pipe(Effect.withRandom(Random.make(3)), Effect.map((r) => r.delays))
      // Effect's own: the same seed, the attempt times under its schedule give the delays it slept.
      const op = scripted(Array.from({ length: 6 }, () => unavailable()))
      const fiber = yield* Effect.fork(
        Effect.retry(
          op.effect,
          Schedule.jittered(Schedule.exponential("100 millis")).pipe(Schedule.intersect(Schedule.recurs(5)))
        )
          .pipe(Effect.exit, Effect.withRandom(Random.make(3)))
      )
      yield* TestClock.adjust(60_000)
      yield* Fiber.join(fiber)
      const theirs = op.times.slice(1).map((t, i) => Math.round(t - op.times[i]!))
      assert.deepStrictEqual(ours, theirs)
    }))
})

describe("Retry: what is retried", () => {
  it.effect("retryOn: an error with another tag fails at once, unchanged", () =>
    Effect.gen(function*() {
      const op = scripted([unavailable(), new NotFound()])
      const { exit } = yield* runRetry(op.effect, { retryOn: ["Unavailable"], jitter: "none", maxAttempts: 5 })
      assert.deepStrictEqual(exit, Exit.fail(new NotFound()))
      assert.deepStrictEqual(op.times, [0, 100])
    }))

  it.effect("retryable predicate, combined with retryOn", () =>
    Effect.gen(function*() {
      const op = scripted([unavailable(5), unavailable(7)])
      const { exit } = yield* runRetry(op.effect, {
        retryOn: ["Unavailable"],
        retryable: (e) =>
          e._tag === "Unavailable" && Option.getOrElse(Option.map(e.retryAfter, Duration.toMillis), () => 0) < 6,
        jitter: "none",
        maxAttempts: 5
      })
      assert.deepStrictEqual(exit, Exit.fail(unavailable(7)))
      assert.strictEqual(op.times.length, 2)
    }))

  it.effect("succeeds once the operation does", () =>
    Effect.gen(function*() {
      const op = scripted([unavailable(), unavailable()])
      const { events, exit } = yield* runRetry(op.effect, { jitter: "none", maxAttempts: 3 })
      assert.deepStrictEqual(exit, Exit.succeed("ok after 3 attempts"))
      assert.strictEqual(events.length, 2)
    }))

  it.effect("defaults: three attempts, full jitter", () =>
    Effect.gen(function*() {
      const op = scripted(Array.from({ length: 5 }, () => unavailable()))
      const { delays, exit } = yield* runRetry(op.effect, {}).pipe(Effect.withRandom(Random.make(1)))
      assert.strictEqual(exhausted(exit).attempts, 3)
      assert.isTrue(delays[0]! <= 100 && delays[1]! <= 200)
    }))
})

describe("Retry: Retry-After and the time budget", () => {
  it.effect("a Retry-After longer than the backoff sets the delay; a shorter one does not", () =>
    Effect.gen(function*() {
      const op = scripted([unavailable(750), unavailable(50), unavailable()])
      const { events } = yield* runRetry(op.effect, { base: "100 millis", jitter: "none", maxAttempts: 5 })
      assert.deepStrictEqual(events.map((e) => [Duration.toMillis(e.delay), e.retryAfter]), [
        [750, true],
        [200, false],
        [400, false]
      ])
      assert.deepStrictEqual(op.times, [0, 750, 950, 1350])
    }))

  it.effect("retryAfter: false ignores the server's hint", () =>
    Effect.gen(function*() {
      const op = scripted([unavailable(750)])
      const { delays } = yield* runRetry(op.effect, { jitter: "none", retryAfter: false })
      assert.deepStrictEqual(delays, [100])
    }))

  it.effect("a custom retryAfter reader", () =>
    Effect.gen(function*() {
      const op = scripted([new NotFound()])
      const { delays } = yield* runRetry(op.effect, {
        jitter: "none",
        retryAfter: () => Option.some(Duration.seconds(2))
      })
      assert.deepStrictEqual(delays, [2000])
    }))

  it.effect("the budget: a retry whose sleep would overrun it is not made", () =>
    Effect.gen(function*() {
      const op = scripted(Array.from({ length: 10 }, () => unavailable()))
      const { delays, exit } = yield* runRetry(op.effect, { base: "100 millis", jitter: "none", budget: "500 millis" })
      assert.deepStrictEqual(delays, [100, 200])
      const error = exhausted(exit)
      assert.strictEqual(error.reason, "budget")
      assert.strictEqual(error.attempts, 3)
      assert.strictEqual(Duration.toMillis(error.waited), 300)
      assert.match(error.message, /gave up after 3 attempts: the next wait would overrun the time budget/)
    }))

  it.effect("a Retry-After beyond the budget gives up at once instead of sleeping in vain", () =>
    Effect.gen(function*() {
      const op = scripted([unavailable(5000)])
      const { delays, exit } = yield* runRetry(op.effect, { jitter: "none", budget: "1 second" })
      assert.deepStrictEqual(delays, [])
      assert.strictEqual(exhausted(exit).reason, "budget")
      assert.deepStrictEqual(op.times, [0])
    }))
})

describe("Retry: interruption, reuse, bad input", () => {
  it.effect("interrupting during a backoff sleep stops at once: no further attempt", () =>
    Effect.gen(function*() {
      const op = scripted(Array.from({ length: 10 }, () => unavailable()))
      const fiber = yield* Effect.fork(Retry.retry(op.effect, { base: "1 second", jitter: "none", maxAttempts: 10 }))
      yield* TestClock.adjust(500)
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      yield* TestClock.adjust(60_000)
      assert.deepStrictEqual(op.times, [0])
    }))

  it.effect("a policy is validated once and reused; its schedule works with Effect.retry", () =>
    Effect.gen(function*() {
      const policy = yield* Retry.policy<Err>({ base: "10 millis", maxAttempts: 3, jitter: "none" })
      assert.isTrue(Retry.isPolicy(policy))
      const a = scripted([unavailable()])
      const b = scripted([unavailable(), unavailable(), unavailable()])
      const fa = yield* Effect.fork(a.effect.pipe(Retry.retry(policy)))
      const fb = yield* Effect.fork(Effect.exit(Effect.retry(b.effect, Retry.schedule(policy))))
      yield* TestClock.adjust(1000)
      assert.strictEqual(yield* Fiber.join(fa), "ok after 2 attempts")
      // Plain Effect.retry: the last error itself, no RetryExhaustedError.
      assert.deepStrictEqual(yield* Fiber.join(fb), Exit.fail(unavailable()))
      assert.deepStrictEqual(b.times, [0, 10, 30])
    }))

  it.effect("bad options fail with InvalidArgumentError at the call", () =>
    Effect.gen(function*() {
      const cases: Array<[Retry.Options<Err>, string]> = [
        [{ base: 0 }, "Retry.policy: options.base must be a finite duration greater than 0, got 0"],
        [{ base: "soon" as any }, `Retry.policy: options.base must be a finite duration greater than 0, got "soon"`],
        [{ base: Duration.infinity }, "Retry.policy: options.base must be a finite duration greater than 0"],
        [{ factor: 0.5 }, "Retry.policy: options.factor must be a finite number >= 1, got 0.5"],
        [
          { base: "1 second", cap: "10 millis" },
          `Retry.policy: options.cap must be at least options.base (1000 ms), got "10 millis"`
        ],
        [{ maxAttempts: 0 }, "Retry.policy: options.maxAttempts must be a positive integer, got 0"],
        [{ maxAttempts: 2.5 }, "Retry.policy: options.maxAttempts must be a positive integer, got 2.5"],
        [{ budget: -1 }, "Retry.policy: options.budget must be a finite duration of at least 0, got -1"],
        [{ jitter: "some" as any }, `Retry.policy: options.jitter must be "none", "full", "equal"`],
        [{ jitter: { proportional: { min: 2, max: 1 } } }, "Retry.policy: options.jitter must be"],
        [{ jitter: { additive: -5 } }, "Retry.policy: options.jitter.additive must be a finite duration of at least 0"],
        [{ retryable: true as any }, "Retry.policy: options.retryable must be a function, got true"],
        [
          { retryOn: "Unavailable" as any },
          `Retry.policy: options.retryOn must be an array of tags, got "Unavailable"`
        ],
        [null as any, "Retry.policy: options must be an object, got null"]
      ]
      for (const [options, message] of cases) {
        const error = yield* Effect.flip(Retry.policy(options))
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error))
        assert.isTrue(error.message.startsWith(message), `${error.message} should start with ${message}`)
        const viaRetry = yield* Effect.flip(Retry.retry(Effect.succeed(1), options))
        assert.strictEqual(viaRetry.message, error.message)
        assert.throws(() => Retry.make(options), error.message)
      }
    }))
})
