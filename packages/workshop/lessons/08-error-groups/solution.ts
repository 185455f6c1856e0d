import { Batch, ErrorGroup } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Catalog, type Unavailable } from "./api.js"
import type { BatchReport, SyncReport } from "./api.js"

/** Part 1: every id fetched at once; each result kept beside its id, failures too. */
export const processBatch = (ids: ReadonlyArray<number>): Effect.Effect<BatchReport, never, Catalog> =>
  Effect.gen(function*() {
    const catalog = yield* Catalog
    const result = yield* Effect.orDie(Batch.process(ids, (id) => catalog.fetch(id), { mode: "settle" }))
    return {
      ok: result.successes.map((s) => ({ id: s.item, item: s.value })),
      failed: result.failures.flatMap((f) => f.errors.map((e) => ({ id: f.item, tag: e._tag })))
    }
  })

/**
 * Part 2: except*. NotFound ids are removed, Invalid ids quarantined, each handler once with all of its
 * failures; Unavailable is nobody's business here and goes back to the caller, all of them.
 */
export const syncCatalog = (ids: ReadonlyArray<number>): Effect.Effect<SyncReport, Unavailable, Catalog> =>
  Effect.gen(function*() {
    const catalog = yield* Catalog
    const removed: Array<number> = []
    const quarantined: Array<number> = []
    const result = yield* Effect.orDie(Batch.process(ids, (id) => catalog.fetch(id), { mode: "settle" }))
    yield* Batch.values(result).pipe(
      ErrorGroup.catchTags({
        NotFound: (errors) => Effect.sync(() => removed.push(...errors.map((e) => e.id))),
        Invalid: (errors) => Effect.sync(() => quarantined.push(...errors.map((e) => e.id)))
      }),
      Effect.map(Option.getOrUndefined)
    )
    return { removed, quarantined }
  })
