import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import { greetWithin5s, heartbeat, UserNotFound, UserRepo } from "./app.js"

/** Part 1: run the heartbeat in the background and move the TestClock instead of waiting. */
export const beatsAfter = (seconds: number) =>
  Effect.gen(function*() {
    const beats = yield* Ref.make(0)
    const fiber = yield* Effect.fork(heartbeat(beats))
    yield* TestClock.adjust(`${seconds} seconds`)
    yield* Fiber.interrupt(fiber)
    return yield* Ref.get(beats)
  })

/** Part 2: a fixture is a Layer: an in-memory UserRepo holding exactly these users. */
export const userRepoFixture = (users: Record<string, string>) =>
  Layer.succeed(UserRepo, {
    find: (id) => id in users ? Effect.succeed({ id, name: users[id]! }) : Effect.fail(new UserNotFound({ id }))
  })

/** Part 3: prove the timeout fires, with a repo that never answers, in zero real time. */
export const provesTimeout = Effect.gen(function*() {
  const fiber = yield* Effect.fork(greetWithin5s("slow"))
  yield* TestClock.adjust("5 seconds")
  const exit = yield* Fiber.await(fiber)
  return Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag === "TimeoutException"
}).pipe(Effect.provide(Layer.succeed(UserRepo, { find: () => Effect.never })))
