/**
 * Lesson 01: task groups. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 01
 */
import type * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"
import type { Api, ApiError, Dashboard } from "./api.js"

/**
 * Part 1: fetch the user, their orders and their preferences *concurrently*
 * (the test checks the whole thing takes 100 ms of TestClock time, not 300),
 * and make sure that when one call fails the other two are interrupted.
 * Use `TaskGroup.run`, `TaskGroup.spawn` and `TaskGroup.join`.
 */
export const fetchDashboard = (userId: string): Effect.Effect<Dashboard, ApiError, Api> =>
  unsolved(`fetchDashboard(${userId}): spawn the three Api calls into a TaskGroup`)

/**
 * Part 2: fetch a dashboard for each id concurrently, results in the order of
 * the ids (not the order they finish). `TaskGroup.runAll` is the gather of Effect.
 */
export const fetchDashboards = (
  userIds: ReadonlyArray<string>
): Effect.Effect<Array<Dashboard>, ApiError, Api> => unsolved(`fetchDashboards(${userIds.length} ids)`)
