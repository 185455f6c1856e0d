/**
 * Lesson 04: cancellation. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 04
 */
import type { InvalidArgument } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"
import { Feed, type Ledger } from "./api.js"

/**
 * Part 1: take the account's lock, post the amount, and unlock, exactly once, whatever happens.
 * When the posting is interrupted, call `markAbandoned(lockId)` first, then unlock, and let the
 * interruption go on. Use `Cancellation.acquireUseRelease`.
 */
export const postPayment = (
  account: string,
  amount: number
): Effect.Effect<string, InvalidArgument.InvalidArgumentError, Ledger> =>
  unsolved(`postPayment(${account}, ${amount}): acquire = lock, use = post, onCancel = markAbandoned, release = unlock`)

/**
 * Part 2: this poller keeps going after a failed poll, which is what we want, but it also keeps
 * going after an interruption, which breaks every timeout and task group around it. Fix it so
 * that `Cancellation.checkPropagates(poller)` passes, during a poll and during the back-off,
 * without making `handle` interruptible. Two things to change: which catchAllCause, and
 * whether the back-off can be interrupted.
 */
// Broken on purpose: Effect.catchAllCause runs in the uninterruptible loop, sees the interruption
// as one more failed poll, backs off and polls again. Forever.
export const poller: Effect.Effect<never, never, Feed> = Effect.flatMap(
  Feed,
  (feed) =>
    Effect.uninterruptibleMask((restore) =>
      restore(feed.poll).pipe(
        Effect.flatMap(feed.handle),
        Effect.catchAllCause(() => Effect.sleep("1 second")),
        Effect.forever
      )
    )
)
