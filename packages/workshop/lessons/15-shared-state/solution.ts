import { Mutex } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"

const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

/**
 * Part 1: `n` concurrent deposits of `amount`; each must be approved first. Keep the balance
 * in a `Ref` and update it atomically after the approval: no lock, and the approvals overlap.
 */
export const depositAll = <E>(n: number, amount: number, approve: (i: number) => Effect.Effect<void, E>) =>
  Effect.gen(function*() {
    const balance = yield* Ref.make(0)
    yield* Effect.forEach(ids(n), (i) => Effect.zipRight(approve(i), Ref.update(balance, (b) => b + amount)), {
      concurrency: "unbounded",
      discard: true
    })
    return yield* Ref.get(balance)
  })

/**
 * Part 2: the account object is given and must be updated as read, approve, write (its
 * API has no atomic update). Make that sequence exclusive with a Mutex.
 */
export const depositAllLocked = <E>(
  account: { balance: number },
  n: number,
  amount: number,
  approve: (i: number) => Effect.Effect<void, E>
) =>
  Effect.gen(function*() {
    const mutex = yield* Mutex.make({ label: "account" })
    yield* Effect.forEach(
      ids(n),
      (i) =>
        Effect.gen(function*() {
          const read = account.balance
          yield* approve(i)
          account.balance = read + amount
        }).pipe(Mutex.withLock(mutex)),
      { concurrency: "unbounded", discard: true }
    )
    return account.balance
  })
