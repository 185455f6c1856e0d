/**
 * The runs the README draws side by side (pictures/*.svg and *.txt), under the
 * TestClock. Regenerate with `pnpm --filter @fiberkit/workshop pictures 14`.
 *
 * A sign-up service handles three requests, one after another, each on its own
 * fiber (as a server does): create the account (20 ms), start the welcome email
 * (50 ms) in the background, write the response (5 ms).
 */
import { BackgroundTasks, Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import { type Picture, region } from "../_shared/pictures.js"
import { handle } from "./solution.js"

const users = ["ada", "grace", "linus"]
const createAccount = (user: string) => Effect.sleep("20 millis").pipe(region(`INSERT account ${user}`, "note"))
const respond = (user: string) => Effect.sleep("5 millis").pipe(Effect.as(`welcome ${user}`))
const sendWelcomeEmail = (user: string) =>
  Effect.sleep("50 millis").pipe(region(`SMTP welcome ${user}`, "note"), Effect.withSpan(`email ${user}`))

// Each request runs on a fiber of its own, which ends when the handler returns.
const onRequestFiber = <A, E>(user: string, handler: Effect.Effect<A, E>) =>
  Effect.flatMap(Effect.fork(handler.pipe(Timeline.named(`POST /signup ${user}`))), (fiber) => fiber.await)

// The README's broken handler: a plain fork, so the email is the request fiber's child.
const signUpBroken = (user: string) =>
  Effect.gen(function*() {
    yield* createAccount(user)
    yield* Effect.fork(sendWelcomeEmail(user))
    return yield* respond(user)
  })

const serviceBroken = Effect.forEach(users, (user) => onRequestFiber(user, signUpBroken(user)), { discard: true })
  .pipe(Timeline.named("service"))

// The fix: the email goes to the service's BackgroundTasks (the lesson's handle), which outlives each request.
const serviceFixed = Effect.scoped(Effect.gen(function*() {
  const tasks = yield* BackgroundTasks.make({ gracePeriod: "1 second", label: "emails" })
  yield* Effect.forEach(
    users,
    (user) =>
      onRequestFiber(
        user,
        createAccount(user).pipe(Effect.zipRight(handle(tasks, user, sendWelcomeEmail)), Effect.zipRight(respond(user)))
      ),
    { discard: true }
  )
  yield* BackgroundTasks.shutdown(tasks)
})).pipe(Timeline.named("service"))

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "fork-broken",
    title: "Broken: Effect.fork in the handler",
    label: "fork in the handler (broken)",
    program: serviceBroken
  },
  {
    name: "fork-fixed",
    title: "Fixed: BackgroundTasks.fork",
    label: "the service's background set (fixed)",
    program: serviceFixed
  }
]
