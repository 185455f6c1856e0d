/**
 * Lesson 15: shared state. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 15
 */
import type { Mutex } from "@fiberkit/core"
import type * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"

/**
 * Part 1: `n` concurrent deposits of `amount`, each approved first (`approve(i)`), into a
 * `Ref`. Update it atomically *after* the approval: no lock, and the approvals overlap.
 */
export const depositAll = <E>(
  n: number,
  amount: number,
  approve: (i: number) => Effect.Effect<void, E>
): Effect.Effect<number, E> => unsolved(`depositAll(${n} x ${amount}): Ref.update after approve (${typeof approve})`)

/**
 * Part 2: the same on a plain object whose balance must be read, approved, then written.
 * Make each read-approve-write exclusive with `Mutex.withLock`.
 */
export const depositAllLocked = <E>(
  account: { balance: number },
  n: number,
  amount: number,
  approve: (i: number) => Effect.Effect<void, E>
): Effect.Effect<number, E | Mutex.MutexReentryError | unknown> =>
  unsolved(
    `depositAllLocked(${account.balance}, ${n} x ${amount}): Mutex.withLock around read-await-write (${typeof approve})`
  )
