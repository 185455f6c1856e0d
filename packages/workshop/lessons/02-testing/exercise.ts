/**
 * Lesson 02: testing effects. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 02
 */
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { unsolved } from "../_shared/lesson.js"
import { UserRepo } from "./app.js"

/**
 * Part 1: fork `heartbeat` from app.ts, advance the TestClock by `seconds`
 * (TestClock.adjust), stop the heartbeat, and return how many beats happened.
 * Waiting for real time will not work: under `it.effect` time only moves
 * when you move it.
 */
export const beatsAfter = (seconds: number): Effect.Effect<number> =>
  unsolved(`beatsAfter(${seconds}): fork heartbeat, then TestClock.adjust`)

/**
 * Part 2: a test fixture is a Layer. Build an in-memory UserRepo that finds
 * the users given here (id -> name) and fails with UserNotFound otherwise.
 */
export const userRepoFixture = (users: Record<string, string>): Layer.Layer<UserRepo> =>
  Layer.effect(UserRepo, unsolved(`userRepoFixture(${Object.keys(users).length} users): use Layer.succeed`))

/**
 * Part 3: prove that `greetWithin5s` gives up after 5 seconds when the repo
 * never answers (provide a UserRepo whose `find` is Effect.never), without
 * waiting 5 real seconds. Return true when the result is a TimeoutException.
 */
export const provesTimeout: Effect.Effect<boolean> = unsolved("provesTimeout: fork, adjust 5 seconds, await")
