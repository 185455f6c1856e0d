import { Cancellation } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import { Feed, Ledger } from "./api.js"

/**
 * Part 1: lock, post, and on cancellation mark the posting abandoned before unlocking.
 * Unlock happens exactly once whatever happens; the interruption goes on to the caller.
 */
export const postPayment = (account: string, amount: number) =>
  Effect.flatMap(Ledger, (ledger) =>
    Cancellation.acquireUseRelease({
      acquire: ledger.lock(account),
      use: (lockId) => ledger.post(lockId, amount),
      onCancel: (lockId) => ledger.markAbandoned(lockId),
      release: (lockId) => ledger.unlock(lockId)
    }))

/**
 * Part 2: a poller that survives a failed poll (log, wait 1 s, try again) but stops when it is
 * interrupted. The loop is uninterruptible so that `handle` is never cut half-way; only the poll
 * and the wait can be interrupted, and an interruption is never treated as a failed poll.
 */
export const poller = Effect.flatMap(Feed, (feed) =>
  Effect.uninterruptibleMask((restore) =>
    restore(feed.poll).pipe(
      Effect.flatMap(feed.handle),
      Cancellation.catchAllCause(() => restore(Effect.sleep("1 second"))),
      Effect.forever
    )
  ))
