/** The lesson's stand-in for a product catalogue: a service, so tests can supply a fake with TestClock delays. */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"

export class NotFound extends Data.TaggedError("NotFound")<{ readonly id: number }> {}
export class Invalid extends Data.TaggedError("Invalid")<{ readonly id: number; readonly reason: string }> {}
export class Unavailable extends Data.TaggedError("Unavailable")<{ readonly id: number }> {}

export type CatalogError = NotFound | Invalid | Unavailable

export interface Item {
  readonly id: number
  readonly name: string
}

export class Catalog extends Context.Tag("workshop/Catalog")<Catalog, {
  readonly fetch: (id: number) => Effect.Effect<Item, CatalogError>
}>() {}

/** What `processBatch` reports: every id, either with its item or with the tag of its failure. */
export interface BatchReport {
  readonly ok: ReadonlyArray<{ readonly id: number; readonly item: Item }>
  readonly failed: ReadonlyArray<{ readonly id: number; readonly tag: CatalogError["_tag"] }>
}

/** What `syncCatalog` reports when nothing unexpected happened. */
export interface SyncReport {
  readonly removed: ReadonlyArray<number>
  readonly quarantined: ReadonlyArray<number>
}
