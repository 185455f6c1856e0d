import { Batch, Retry } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import { Inventory } from "./api.js"
import type { Busy, ManyReport, Reservation, SoldOut } from "./api.js"

/**
 * Part 1: retry `Busy` only, 100 ms doubling, at most 4 attempts, no jitter (so the test can check the
 * exact times), and never sooner than the server's Retry-After. `SoldOut` fails at once.
 */
const policy = Retry.make<Busy | SoldOut>({
  base: "100 millis",
  factor: 2,
  maxAttempts: 4,
  jitter: "none",
  retryOn: ["Busy"]
})

export const reserveWithRetry = (
  sku: string
): Effect.Effect<Reservation, SoldOut | Busy | Retry.RetryExhaustedError<Busy | SoldOut>, Inventory> =>
  Effect.flatMap(Inventory, (inventory) => inventory.reserve(sku).pipe(Retry.retry(policy)))

/** Part 2: many skus, at most 3 in flight, every sku sorted into one of three lists. */
export const reserveMany = (skus: ReadonlyArray<string>): Effect.Effect<ManyReport, never, Inventory> =>
  Effect.gen(function*() {
    const result = yield* Effect.orDie(Batch.process(skus, reserveWithRetry, { concurrency: 3 }))
    const reserved = result.successes.map((s) => s.item)
    const soldOut = result.failures.filter((f) => f.errors.some((e) => e._tag === "SoldOut")).map((f) => f.item)
    const gaveUp = result.failures.filter((f) => f.errors.some((e) => e._tag === "RetryExhaustedError")).map((f) =>
      f.item
    )
    return { reserved, soldOut, gaveUp }
  })
