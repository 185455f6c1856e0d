/**
 * Lesson 14: background tasks. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 14
 */
import type { BackgroundTasks } from "@fiberkit/core"
import type * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"

/**
 * Part 1: answer `welcome <userId>` at once, and send the email in the background with
 * `BackgroundTasks.fork`, named `email-<userId>` (never Effect.forkDaemon).
 */
export const handle = <E>(
  tasks: BackgroundTasks.BackgroundTasks,
  userId: string,
  sendEmail: (userId: string) => Effect.Effect<void, E>
): Effect.Effect<string, BackgroundTasks.BackgroundTasksClosedError> =>
  unsolved(`handle(${userId}): fork sendEmail into the background set (${String(tasks)}, ${typeof sendEmail})`)

/**
 * Part 2: `BackgroundTasks.make({ gracePeriod: "1 second" })` in a scope, `handle` every
 * user, then `BackgroundTasks.shutdown` and return `{ responses, report }`.
 */
export const serve = <E>(
  userIds: ReadonlyArray<string>,
  sendEmail: (userId: string) => Effect.Effect<void, E>
): Effect.Effect<
  { responses: Array<string>; report: BackgroundTasks.CloseReport },
  BackgroundTasks.BackgroundTasksClosedError | unknown
> => unsolved(`serve(${userIds.length} users) (${typeof sendEmail})`)
