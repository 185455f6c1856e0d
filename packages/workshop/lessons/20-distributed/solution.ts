import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { balanceKey, LeaseLostError, type Payment, ToyRedis } from "./api.js"

/**
 * Part 1: apply a payment at most once however often it is delivered, and at least once
 * as long as some delivery runs to its end. The mark ("this id was applied") and the effect
 * (the balance moves) go to the server in ONE script: either both happened or neither did,
 * whatever moment the process dies at.
 */
export const recordPayment = (payment: Payment): Effect.Effect<"applied" | "duplicate", never, ToyRedis> =>
  Effect.flatMap(ToyRedis, (redis) =>
    redis.run((keys) => {
      if (!keys.sadd("payments:applied", payment.id)) return "duplicate" as const
      keys.incrBy(balanceKey(payment.customer), -payment.cents)
      return "applied" as const
    }))

/**
 * Part 2: run `effect` while holding the lease `key` as `owner`. Take it with SET NX PX (retrying
 * until the current holder lets go or its lease expires), refresh it every third of the TTL while
 * the effect runs, and give it back at the end. Refresh and release check the owner inside the
 * script, so a holder whose lease expired can neither extend nor delete its successor's; it
 * stops with LeaseLostError instead.
 */
export const withLease =
  (key: string, owner: string, ttl: Duration.DurationInput) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | LeaseLostError, R | ToyRedis> =>
    Effect.gen(function*() {
      const redis = yield* ToyRedis
      const ttlMs = Duration.toMillis(ttl)
      const acquire = redis.run((keys) => keys.set(key, owner, { nx: true, px: ttlMs })).pipe(
        Effect.repeat({ until: (taken) => taken, schedule: Schedule.spaced(Duration.millis(ttlMs / 20)) })
      )
      const refresh = redis.run((keys) => keys.get(key) === owner && keys.pexpire(key, ttlMs))
      const keepAlive = refresh.pipe(
        Effect.flatMap((held) => held ? Effect.void : new LeaseLostError({ key, owner })),
        Effect.zipRight(Effect.sleep(Duration.millis(ttlMs / 3))),
        Effect.forever
      )
      const release = redis.run((keys) => keys.get(key) === owner && keys.del(key))
      return yield* Effect.acquireUseRelease(
        acquire,
        // Whichever ends first wins: the effect's result, or the lost lease (which interrupts the effect).
        () => Effect.raceFirst(effect, Effect.zipRight(Effect.sleep(Duration.millis(ttlMs / 3)), keepAlive)),
        () => release
      )
    })
