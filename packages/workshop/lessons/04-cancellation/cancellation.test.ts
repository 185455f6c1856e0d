import { assert, describe, it } from "@effect/vitest"
import { Cancellation } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"
import { Feed, FeedError, Ledger } from "./api.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

// A ledger on the TestClock: posting takes 100 ms; every call is logged.
const fakeLedger = () => {
  const log: Array<string> = []
  const layer = Layer.succeed(Ledger, {
    lock: (account) => Effect.sync(() => (log.push(`lock ${account}`), `lock-${account}`)),
    unlock: (lockId) => Effect.sync(() => void log.push(`unlock ${lockId}`)),
    post: (lockId, amount) =>
      Effect.sleep("100 millis").pipe(
        Effect.zipRight(Effect.sync(() => (log.push(`posted ${amount} under ${lockId}`), `receipt-${amount}`)))
      ),
    markAbandoned: (lockId) => Effect.sync(() => void log.push(`abandoned ${lockId}`))
  })
  return { log, layer }
}

// A feed whose polls alternate between failing and returning items, each after 50 ms.
const fakeFeed = () => {
  const handled: Array<string> = []
  let polls = 0
  const layer = Layer.succeed(Feed, {
    poll: Effect.sleep("50 millis").pipe(
      Effect.zipRight(
        Effect.suspend(() =>
          ++polls % 2 === 1 ? Effect.fail(new FeedError({ reason: "busy" })) : Effect.succeed([`item-${polls}`])
        )
      )
    ),
    handle: (items) => Effect.sync(() => void handled.push(...items))
  })
  return { handled, layer, polls: () => polls }
}

describe("lesson 04: cancellation", () => {
  it.effect("postPayment: lock, post, unlock", () => {
    const ledger = fakeLedger()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.postPayment("acc-1", 40))
      yield* TestClock.adjust("100 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "receipt-40")
      assert.deepStrictEqual(ledger.log, ["lock acc-1", "posted 40 under lock-acc-1", "unlock lock-acc-1"])
    }).pipe(Effect.provide(ledger.layer))
  })

  it.effect("postPayment interrupted: abandoned, then unlocked, once each, and the interruption goes on", () => {
    const ledger = fakeLedger()
    return Effect.gen(function*() {
      const exit = yield* Cancellation.checkPropagates(lesson.postPayment("acc-2", 75), {
        before: TestClock.adjust("50 millis")
      })
      assert.isTrue(Exit.isInterrupted(exit))
      assert.deepStrictEqual(ledger.log, ["lock acc-2", "abandoned lock-acc-2", "unlock lock-acc-2"])
    }).pipe(Effect.provide(ledger.layer))
  })

  it.effect("poller survives failed polls and handles what it receives", () => {
    const feed = fakeFeed()
    return Effect.gen(function*() {
      // A daemon: the test's scope must not wait for a poller that swallows interruption.
      const fiber = yield* Effect.forkDaemon(lesson.poller)
      // poll 1 fails at 50 ms, back off to 1050; poll 2 returns at 1100; poll 3 fails at 1150...
      yield* TestClock.adjust("1100 millis")
      assert.deepStrictEqual(feed.handled, ["item-2"])
      // interruptFork: a poller that swallows the interrupt would make a plain interrupt wait forever.
      yield* Fiber.interruptFork(fiber)
    }).pipe(Effect.provide(feed.layer))
  })

  it.effect("poller stops when interrupted, during a poll or during its back-off", () => {
    const feed = fakeFeed()
    return Effect.gen(function*() {
      yield* Cancellation.checkPropagates(lesson.poller, { label: "poller (mid-poll)" })
      yield* Cancellation.checkPropagates(lesson.poller, {
        label: "poller (backing off)",
        before: TestClock.adjust("60 millis")
      })
      const pollsWhenStopped = feed.polls()
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(feed.polls(), pollsWhenStopped, "no poll after the interruption")
    }).pipe(Effect.provide(feed.layer))
  })
})
