/**
 * Lesson 09: retry with backoff. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 09
 */
import type { Retry } from "@fiberkit/core"
import type * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"
import type { Busy, Inventory, ManyReport, Reservation, SoldOut } from "./api.js"

/**
 * Part 1: reserve `sku`, retrying only `Busy`: first wait 100 ms, then double, at most 4 attempts in
 * all, no jitter (the test checks exact times), and never sooner than a Busy's `retryAfter`.
 * `SoldOut` must fail at once. `Retry.make` a policy with `retryOn`, then `Retry.retry`.
 */
export const reserveWithRetry = (
  sku: string
): Effect.Effect<Reservation, SoldOut | Busy | Retry.RetryExhaustedError<Busy | SoldOut>, Inventory> =>
  unsolved(
    `reserveWithRetry(${sku}): reserve(sku).pipe(Retry.retry(Retry.make({ base, factor, maxAttempts, jitter, retryOn })))`
  )

/**
 * Part 2: reserve every sku with part 1, at most 3 at a time, and sort them: reserved, sold out, or
 * given up after the retries ran out. `Batch.process` with `concurrency`.
 */
export const reserveMany = (skus: ReadonlyArray<string>): Effect.Effect<ManyReport, never, Inventory> =>
  unsolved(`reserveMany(${skus.length} skus): Batch.process(skus, reserveWithRetry, { concurrency: 3 })`)
