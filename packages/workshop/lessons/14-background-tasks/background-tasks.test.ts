import { assert, describe, it } from "@effect/vitest"
import { BackgroundTasks } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { loadLesson } from "../_shared/lesson.js"

const lesson = await loadLesson<typeof import("./solution.js")>(import.meta.url)

// Emails take 200 ms of TestClock time; "stuck" never finishes; "bounce" fails.
const fakeMailer = () => {
  const sent: Array<string> = []
  const interrupted: Array<string> = []
  const sendEmail = (userId: string) =>
    userId === "stuck" ?
      Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => interrupted.push(userId)))) :
      userId === "bounce" ?
      Effect.delay(Effect.fail("mailbox full"), "200 millis") :
      Effect.delay(Effect.sync(() => void sent.push(userId)), "200 millis")
  return { sendEmail, sent, interrupted }
}

describe("lesson 14: background tasks", () => {
  it.scoped("handle answers at once and the email still goes out", () => {
    const mailer = fakeMailer()
    return Effect.gen(function*() {
      const tasks = yield* BackgroundTasks.make({ gracePeriod: "1 second" })
      const response = yield* lesson.handle(tasks, "ada", mailer.sendEmail)
      assert.strictEqual(response, "welcome ada")
      assert.deepStrictEqual(mailer.sent, [], "not sent yet: the answer did not wait for it")
      assert.deepStrictEqual(yield* BackgroundTasks.running(tasks), ["email-ada"])
      yield* TestClock.adjust("200 millis")
      assert.deepStrictEqual(mailer.sent, ["ada"])
    })
  })

  it.effect("serve waits for the emails, interrupts the stuck one after the grace period, reports the failure", () => {
    const mailer = fakeMailer()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(lesson.serve(["ada", "bounce", "stuck", "grace"], mailer.sendEmail))
      yield* TestClock.adjust("999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "shutdown waits the whole grace period for the stuck one")
      yield* TestClock.adjust("1 millis")
      const { report, responses } = yield* Fiber.join(fiber)
      assert.deepStrictEqual(responses, ["welcome ada", "welcome bounce", "welcome stuck", "welcome grace"])
      assert.sameMembers(mailer.sent, ["ada", "grace"])
      assert.deepStrictEqual(report.interrupted, ["email-stuck"])
      assert.deepStrictEqual(mailer.interrupted, ["stuck"])
      assert.deepStrictEqual(report.failures.map((f) => f.name), ["email-bounce"])
    })
  })
})
