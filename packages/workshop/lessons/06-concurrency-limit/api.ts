/** The lesson's stand-in for a remote catalogue: a service, so the test can supply a fake on the TestClock. */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"

export class CatalogError extends Data.TaggedError("CatalogError")<{ readonly id: number }> {}

export interface Product {
  readonly id: number
  readonly price: number
}

export class Catalog extends Context.Tag("workshop/Catalog")<Catalog, {
  readonly product: (id: number) => Effect.Effect<Product, CatalogError>
}>() {}
