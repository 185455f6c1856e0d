/**
 * The runs the README draws side by side (pictures/*.svg and *.txt), under the
 * TestClock. Regenerate with `pnpm --filter @fiberkit/workshop pictures 15`.
 *
 * Five concurrent deposits into one account; each needs a 20 ms approval first.
 * The approval is a region on the depositing lane.
 */
import { Mutex, Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import { type Picture, region } from "../_shared/pictures.js"

const approve = (i: number) => Effect.sleep("20 millis").pipe(region(`approve deposit ${i}`))

const deposits = <E>(deposit: (i: number) => Effect.Effect<void, E>) =>
  Effect.forEach([1, 2, 3, 4, 5], (i) => deposit(i).pipe(Effect.withSpan(`deposit ${i}`)), {
    concurrency: "unbounded",
    discard: true
  })

// The README's broken version: the approval runs with the lock held.
const lockedBroken = Effect.gen(function*() {
  const account = { balance: 0 }
  const mutex = yield* Mutex.make({ label: "account" })
  yield* deposits((i) =>
    Effect.gen(function*() {
      const current = account.balance
      yield* approve(i)
      account.balance = current + 10
    }).pipe(Mutex.withLock(mutex))
  )
}).pipe(Timeline.named("deposits"))

// The fix: approve outside, lock only the read and the write.
const lockedFixed = Effect.gen(function*() {
  const account = { balance: 0 }
  const mutex = yield* Mutex.make({ label: "account" })
  yield* deposits((i) =>
    Effect.zipRight(
      approve(i),
      Effect.sync(() => {
        account.balance = account.balance + 10
      }).pipe(Mutex.withLock(mutex))
    )
  )
}).pipe(Timeline.named("deposits"))

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "lock-broken",
    title: "Broken: the approval holds the lock",
    label: "lock across the approval (broken)",
    program: lockedBroken
  },
  {
    name: "lock-fixed",
    title: "Fixed: approve, then lock to write",
    label: "lock only the write (fixed)",
    program: lockedFixed
  }
]
