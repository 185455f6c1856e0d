/** The lesson's stand-in for a remote inventory: a service, so tests can supply a fake on the TestClock. */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"

/** The inventory is overloaded (a 503 or a 429); `retryAfter` is the server's hint, when it gave one. */
export class Busy extends Data.TaggedError("Busy")<{
  readonly sku: string
  readonly retryAfter: Option.Option<Duration.Duration>
}> {}

/** Nothing left to reserve: asking again will not help. */
export class SoldOut extends Data.TaggedError("SoldOut")<{ readonly sku: string }> {}

export interface Reservation {
  readonly sku: string
  readonly id: string
}

export class Inventory extends Context.Tag("workshop/Inventory")<Inventory, {
  readonly reserve: (sku: string) => Effect.Effect<Reservation, Busy | SoldOut>
}>() {}

/** What `reserveMany` reports, each list in the order of the skus given. */
export interface ManyReport {
  readonly reserved: ReadonlyArray<string>
  readonly soldOut: ReadonlyArray<string>
  readonly gaveUp: ReadonlyArray<string>
}
