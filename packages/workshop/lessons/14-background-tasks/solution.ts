import { BackgroundTasks } from "@fiberkit/core"
import * as Effect from "effect/Effect"

/** Part 1: answer at once; the email goes to the background set, named `email-<userId>`. */
export const handle = <E>(
  tasks: BackgroundTasks.BackgroundTasks,
  userId: string,
  sendEmail: (userId: string) => Effect.Effect<void, E>
) =>
  Effect.as(
    BackgroundTasks.fork(tasks, sendEmail(userId), { name: `email-${userId}` }),
    `welcome ${userId}`
  )

/**
 * Part 2: a service run: one background set with a 1 second grace period, every user
 * handled, then an explicit shutdown whose report is returned with the responses.
 */
export const serve = <E>(userIds: ReadonlyArray<string>, sendEmail: (userId: string) => Effect.Effect<void, E>) =>
  Effect.scoped(Effect.gen(function*() {
    const tasks = yield* BackgroundTasks.make({ gracePeriod: "1 second", label: "emails" })
    const responses = yield* Effect.forEach(userIds, (id) => handle(tasks, id, sendEmail))
    const report = yield* BackgroundTasks.shutdown(tasks)
    return { responses, report }
  }))
