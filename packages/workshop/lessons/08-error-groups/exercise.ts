/**
 * Lesson 08: error groups. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 08
 */
import type * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"
import type { BatchReport, Catalog, SyncReport, Unavailable } from "./api.js"

/**
 * Part 1: fetch every id from the `Catalog` at the same time and report, for each id, its item or the
 * `_tag` of its failure. No failure may stop the others or be lost. `Batch.process` in settle mode.
 */
export const processBatch = (ids: ReadonlyArray<number>): Effect.Effect<BatchReport, never, Catalog> =>
  unsolved(`processBatch(${ids.length} ids): Batch.process(ids, fetch, { mode: "settle" })`)

/**
 * Part 2: fetch every id; `NotFound` ids go to `removed`, `Invalid` ids to `quarantined` (one handler
 * per tag, each given all of its failures); any `Unavailable` fails the whole call, every one of them
 * kept. `Batch.values` then `ErrorGroup.catchTags`.
 */
export const syncCatalog = (ids: ReadonlyArray<number>): Effect.Effect<SyncReport, Unavailable, Catalog> =>
  unsolved(`syncCatalog(${ids.length} ids): Batch.values + ErrorGroup.catchTags({ NotFound, Invalid })`)
