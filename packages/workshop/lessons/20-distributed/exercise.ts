/**
 * Lesson 20: beyond one process. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 20
 *
 * `ToyRedis` (api.ts) is the shared server: `redis.run((keys) => ...)` sends one script that the
 * server runs in one step. Every round trip takes 2 ms of clock time, and the test kills callers
 * between any two of them.
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"
import type { LeaseLostError, Payment, ToyRedis } from "./api.js"

/**
 * Part 1: the queue delivers each payment at least once, sometimes twice. Subtract `cents` from
 * `balanceKey(customer)` exactly once per payment id, and say whether this delivery applied it.
 * The process may die between any two round trips: a redelivery must neither charge again nor
 * skip a charge that never happened.
 */
export const recordPayment = (payment: Payment): Effect.Effect<"applied" | "duplicate", never, ToyRedis> =>
  unsolved(`recordPayment(${payment.id}): mark the id and move the balance in ONE redis.run script`)

/**
 * Part 2: run `effect` while holding a lease on `key` as `owner`, valid `ttl` at a time.
 * - take it with `keys.set(key, owner, { nx: true, px })`, retrying (every ttl / 20 or so) until free;
 * - while the effect runs, extend it (`pexpire`) every third of the TTL, but only if it is still yours;
 *   if it is not, stop the effect and fail with `LeaseLostError`;
 * - give it back when the effect ends, however it ends, deleting it only if it is still yours.
 */
export const withLease =
  (key: string, owner: string, ttl: Duration.DurationInput) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | LeaseLostError, R | ToyRedis> =>
    unsolved(
      `withLease(${key}, ${owner}, ${
        String(ttl)
      }): SET NX PX, refresh while held, release if still yours (${typeof effect})`
    )
