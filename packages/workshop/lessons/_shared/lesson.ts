/**
 * Shared by every lesson: which file the lesson's test runs against, and the
 * marker an unsolved exercise fails with.
 *
 * CI runs the tests against `solution.ts`. `pnpm --filter @fiberkit/workshop
 * lesson 01` sets FIBERKIT_LESSON_TARGET=exercise so the same test runs against
 * the learner's `exercise.ts` and fails until it is solved.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export type LessonTarget = "exercise" | "solution"

export const lessonTarget = (): LessonTarget =>
  process.env.FIBERKIT_LESSON_TARGET === "exercise" ? "exercise" : "solution"

/**
 * Imports `exercise.ts` or `solution.ts` next to the calling test, typed as
 * the solution so both files must export the same names.
 */
export const loadLesson = <Module>(testUrl: string): Promise<Module> => {
  const dir = path.dirname(fileURLToPath(testUrl))
  return import(path.join(dir, `${lessonTarget()}.ts`)) as Promise<Module>
}

export class Unsolved extends Data.TaggedError("Unsolved")<{ readonly hint: string }> {
  override get message() {
    return `exercise not solved yet: ${this.hint}`
  }
}

/** What an exercise returns until the learner replaces it: a failure that says what to do. */
export const unsolved = (hint: string): Effect.Effect<never> => Effect.die(new Unsolved({ hint }))
