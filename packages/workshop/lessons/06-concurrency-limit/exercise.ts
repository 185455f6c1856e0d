/**
 * Lesson 06: concurrency limits. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 06
 */
import type * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"
import type { Catalog, CatalogError, Product } from "./api.js"

/**
 * Part 1: fetch every product, all requests started together but never more
 * than `limit` talking to the catalogue at once. Results in the order of `ids`.
 * A limit that is not a positive integer must fail with
 * `InvalidArgument.InvalidArgumentError` (hint: `Limiter.make` checks it).
 */
export const fetchProducts = (
  ids: ReadonlyArray<number>,
  limit: number
): Effect.Effect<Array<Product>, unknown, Catalog> =>
  unsolved(`fetchProducts(${ids.length} ids, limit ${limit}): a Limiter and withPermit around each call`)

/**
 * Part 2: add up the prices of products 0 … count - 1 with 20 requests in
 * flight, where `count` may be a million: no fiber per product, no array of
 * all ids. `Limiter.forEach` over a generator with `discard: true`.
 */
export const totalPrice = (count: number): Effect.Effect<number, CatalogError, Catalog> =>
  unsolved(`totalPrice(${count}): a pool of 20 workers pulling ids from a generator`)
