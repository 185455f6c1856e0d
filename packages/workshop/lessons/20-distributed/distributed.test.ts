import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"
import { balanceKey, make, type Payment, ToyRedis } from "./api.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

const payment: Payment = { id: "pay-17", customer: "ada", cents: 1250 }

const balance = (redis: Effect.Effect.Success<typeof make>, customer: string) =>
  redis.run((keys) => Number(keys.get(balanceKey(customer)) ?? "0"))

/** Runs `effect` on the test clock to its end: 50 ms of clock time is 25 round trips. */
const settle = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust("50 millis")
    return yield* Fiber.join(fiber)
  })

describe("lesson 20: distributed", () => {
  it.effect("recordPayment: a second delivery of the same payment is recognised", () =>
    Effect.gen(function*() {
      const redis = yield* make
      const deliver = Effect.provideService(lesson.recordPayment(payment), ToyRedis, redis)
      assert.strictEqual(yield* settle(deliver), "applied")
      assert.strictEqual(yield* settle(deliver), "duplicate")
      assert.strictEqual(yield* settle(balance(redis, "ada")), -1250)
    }))

  it.effect("recordPayment: killed at any moment and redelivered, the customer is charged exactly once", () =>
    Effect.gen(function*() {
      // Kill the first delivery after 0, 1, 2 … 12 ms: before it sent anything, between any two
      // round trips, after its last write but before it heard back. Then the queue redelivers.
      for (let killAt = 0; killAt <= 12; killAt++) {
        const redis = yield* make
        const deliver = Effect.provideService(lesson.recordPayment(payment), ToyRedis, redis)
        const first = yield* Effect.fork(deliver)
        yield* TestClock.adjust(`${killAt} millis`)
        yield* Fiber.interrupt(first)
        yield* settle(deliver)
        const charged = yield* settle(balance(redis, "ada"))
        assert.strictEqual(charged, -1250, `killed after ${killAt} ms, then redelivered: balance ${charged}`)
      }
    }))

  it.effect("recordPayment: two workers handed the same payment at once apply it once", () =>
    Effect.gen(function*() {
      const redis = yield* make
      const deliver = Effect.provideService(lesson.recordPayment(payment), ToyRedis, redis)
      const outcomes = yield* settle(Effect.all([deliver, deliver, deliver], { concurrency: "unbounded" }))
      assert.deepStrictEqual([...outcomes].sort(), ["applied", "duplicate", "duplicate"])
      assert.strictEqual(yield* settle(balance(redis, "ada")), -1250)
    }))

  it.effect("recordPayment: different payments each apply", () =>
    Effect.gen(function*() {
      const redis = yield* make
      const payments: ReadonlyArray<Payment> = [
        { id: "a", customer: "bob", cents: 100 },
        { id: "b", customer: "bob", cents: 250 },
        { id: "a", customer: "bob", cents: 100 },
        { id: "c", customer: "cy", cents: 5 }
      ]
      yield* settle(
        Effect.forEach(payments, (p) => Effect.provideService(lesson.recordPayment(p), ToyRedis, redis), {
          concurrency: "unbounded"
        })
      )
      assert.strictEqual(yield* settle(balance(redis, "bob")), -350)
      assert.strictEqual(yield* settle(balance(redis, "cy")), -5)
    }))

  it.effect("withLease: a dead holder's lease is taken over once its TTL ran out, not before", () =>
    Effect.gen(function*() {
      const redis = yield* make
      // A process that took the lease and was killed: it will never refresh or release it.
      yield* settle(redis.run((keys) => keys.set("lease:report", "dead-worker", { nx: true, px: 1000 })))
      const start = yield* TestClock.currentTimeMillis
      let enteredAt: number | undefined
      const fiber = yield* Effect.fork(
        lesson.withLease("lease:report", "worker-2", "1 second")(
          Effect.flatMap(TestClock.currentTimeMillis, (now) => Effect.sync(() => (enteredAt = now)))
        ).pipe(Effect.provideService(ToyRedis, redis))
      )
      yield* TestClock.adjust("940 millis")
      assert.isUndefined(enteredAt, "the dead holder's lease is still valid")
      yield* TestClock.adjust("300 millis")
      yield* Fiber.join(fiber)
      assert.isDefined(enteredAt, "worker-2 got the lease after the TTL")
      assert.isAtLeast(enteredAt! - start, 950)
      assert.isUndefined(yield* settle(redis.run((keys) => keys.get("lease:report"))), "released at the end")
    }))

  it.effect("withLease: a holder busy for three TTLs keeps its lease; the next one enters when it ends", () =>
    Effect.gen(function*() {
      const redis = yield* make
      const log: Array<string> = []
      let inside = 0
      let peak = 0
      const critical = (name: string, ms: number) =>
        Effect.gen(function*() {
          inside++
          peak = Math.max(peak, inside)
          log.push(`${name} in`)
          yield* Effect.sleep(`${ms} millis`)
          log.push(`${name} out`)
          inside--
        })
      const a = yield* Effect.fork(
        lesson.withLease("lease:job", "a", "1 second")(critical("a", 3000)).pipe(Effect.provideService(ToyRedis, redis))
      )
      yield* TestClock.adjust("10 millis")
      const b = yield* Effect.fork(
        lesson.withLease("lease:job", "b", "1 second")(critical("b", 100)).pipe(Effect.provideService(ToyRedis, redis))
      )
      yield* TestClock.adjust("2900 millis")
      assert.deepStrictEqual(log, ["a in"], "b must not enter while a still works (a refreshes its lease)")
      assert.strictEqual(yield* settle(redis.run((keys) => keys.get("lease:job"))), "a")
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(a)
      yield* Fiber.join(b)
      assert.deepStrictEqual(log, ["a in", "a out", "b in", "b out"])
      assert.strictEqual(peak, 1)
    }))

  it.effect("withLease: an interrupted holder gives the lease back at once", () =>
    Effect.gen(function*() {
      const redis = yield* make
      const a = yield* Effect.fork(
        lesson.withLease("lease:job", "a", "10 seconds")(Effect.never).pipe(Effect.provideService(ToyRedis, redis))
      )
      yield* TestClock.adjust("50 millis")
      assert.strictEqual(yield* settle(redis.run((keys) => keys.get("lease:job"))), "a")
      const interrupting = yield* Effect.fork(Fiber.interrupt(a))
      yield* TestClock.adjust("10 millis")
      yield* Fiber.join(interrupting)
      assert.isUndefined(
        yield* settle(redis.run((keys) => keys.get("lease:job"))),
        "released, not left to expire in 10 s"
      )
    }))

  it.effect("withLease: a holder whose lease was taken over stops and leaves the new owner's lease alone", () =>
    Effect.gen(function*() {
      const redis = yield* make
      let finished = false
      const a = yield* Effect.fork(
        lesson.withLease("lease:job", "a", "1 second")(
          Effect.sleep("5 seconds").pipe(Effect.zipRight(Effect.sync(() => (finished = true))))
        ).pipe(Effect.provideService(ToyRedis, redis), Effect.exit)
      )
      yield* TestClock.adjust("100 millis")
      // As if `a` had stalled past its TTL and `b` had taken over in the meantime.
      yield* settle(redis.run((keys) => keys.set("lease:job", "b", { px: 60_000 })))
      yield* TestClock.adjust("6 seconds")
      const exit = yield* Fiber.join(a)
      assert.isFalse(finished, "a's work was stopped")
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
        assert.strictEqual((failure as { _tag?: string } | undefined)?._tag, "LeaseLostError")
      }
      assert.strictEqual(yield* settle(redis.run((keys) => keys.get("lease:job"))), "b", "b's lease untouched")
    }))
})
