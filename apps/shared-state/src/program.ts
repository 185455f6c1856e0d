/**
 * Demo: 50 concurrent deposits of 10 into one balance. Each deposit must ask the (real,
 * loopback) upstream for approval, an await that takes 20 ms. Done as "read, await, write"
 * the balance comes out wrong (lost updates); then it is fixed four ways:
 *   a. Ref.update after the await: no lock at all, because the update itself is atomic;
 *   b. a Mutex around read-await-write (FIFO, with statistics);
 *   c. SynchronizedRef.updateEffect: the await inside an atomic update;
 *   d. message passing: one owner fiber applies deposits it receives on a WorkQueue.
 */
import { Mutex, WorkQueue } from "@fiberkit/core"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as SynchronizedRef from "effect/SynchronizedRef"

const deposits = 50
const amount = 10
const expected = deposits * amount

// The await in the middle: a real HTTP round trip to the upstream.
const approve = (i: number) => UpstreamClient.get(`/users/${i}`)

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const value = yield* effect
    return { value, ms: (yield* Clock.currentTimeMillis) - start }
  })

const all = <E, R>(deposit: (i: number) => Effect.Effect<void, E, R>) =>
  Effect.forEach(Array.from({ length: deposits }, (_, i) => i + 1), deposit, {
    concurrency: "unbounded",
    discard: true
  })

/** What the demo observed; the test asserts on it. */
export interface Summary {
  readonly expected: number
  readonly racy: number
  readonly refUpdate: number
  readonly mutex: number
  readonly mutexContended: number
  readonly synchronizedRef: number
  readonly messagePassing: number
}

export const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  yield* Console.log(`upstream on ${upstream.baseUrl}; each approval takes 20 ms`)
  yield* Console.log(`${deposits} concurrent deposits of ${amount}: the balance must end at ${expected}\n`)

  // Broken: read, await, write. Every deposit reads 0 before any of them writes.
  let balance = 0
  const racy = yield* timed(all((i) =>
    Effect.gen(function*() {
      const read = balance
      yield* approve(i)
      balance = read + amount
    })
  ))
  yield* Console.log(
    `broken  read-await-write        balance ${String(balance).padStart(4)}  (${racy.ms} ms)  <- lost updates`
  )
  const racyBalance = balance

  // a. Await first, then an atomic update: the update cannot interleave with anything.
  const ref = yield* Ref.make(0)
  const a = yield* timed(all((i) => Effect.zipRight(approve(i), Ref.update(ref, (n) => n + amount))))
  const refBalance = yield* Ref.get(ref)
  yield* Console.log(
    `fixed a Ref.update after await  balance ${String(refBalance).padStart(4)}  (${a.ms} ms)  no lock needed`
  )

  // b. A mutex around the whole read-await-write: correct, but the awaits now run one at a time.
  balance = 0
  const mutex = yield* Mutex.make({ label: "balance" })
  const b = yield* timed(all((i) =>
    Effect.gen(function*() {
      const read = balance
      yield* approve(i)
      balance = read + amount
    }).pipe(Mutex.withLock(mutex))
  ))
  const mutexBalance = balance
  const stats = yield* Mutex.statistics(mutex)
  yield* Console.log(
    `fixed b Mutex.withLock          balance ${String(mutexBalance).padStart(4)}  (${b.ms} ms)  ` +
      `${stats.acquisitions} acquisitions, ${stats.contended} waited, at most ${stats.peakWaiting} in line (FIFO)`
  )

  // c. SynchronizedRef.updateEffect: the effectful update is serialized by the ref itself.
  const sref = yield* SynchronizedRef.make(0)
  const c = yield* timed(all((i) => SynchronizedRef.updateEffect(sref, (n) => Effect.as(approve(i), n + amount))))
  const srefBalance = yield* SynchronizedRef.get(sref)
  yield* Console.log(
    `fixed c SynchronizedRef         balance ${
      String(srefBalance).padStart(4)
    }  (${c.ms} ms)  serialized like the mutex`
  )

  // d. Message passing: only the owner touches the balance; deposits are messages.
  let owned = 0
  const d = yield* timed(Effect.scoped(Effect.gen(function*() {
    const inbox = yield* WorkQueue.make({
      capacity: 100,
      workers: 1, // one owner: its handler is the only code that writes the balance
      handler: (deposit: number) => Effect.sync(() => void (owned += deposit)),
      onFailure: "fail-fast",
      onClose: "drain"
    })
    yield* all((i) => Effect.zipRight(approve(i), WorkQueue.offer(inbox, amount)))
    yield* WorkQueue.awaitIdle(inbox)
  })))
  yield* Console.log(
    `fixed d message passing         balance ${
      String(owned).padStart(4)
    }  (${d.ms} ms)  approvals concurrent, one writer`
  )

  return {
    expected,
    racy: racyBalance,
    refUpdate: refBalance,
    mutex: mutexBalance,
    mutexContended: stats.contended,
    synchronizedRef: srefBalance,
    messagePassing: owned
  } satisfies Summary
})
