/**
 * The runs the README draws side by side (pictures/*.svg and *.txt), under the
 * TestClock. Regenerate with `pnpm --filter @fiberkit/workshop pictures 09`.
 *
 * Three clients reserve at once from an inventory that answers `Busy` to every
 * request until 300 ms (each request takes 10 ms). Each request is a region on
 * the client's lane, each `Busy` a mark; Retry draws its own back-off regions.
 */
import { TaskGroup, Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { type Picture, point, region } from "../_shared/pictures.js"
import { Busy, Inventory } from "./api.js"
import { reserveWithRetry } from "./solution.js"

const inventory = Layer.effect(
  Inventory,
  Effect.sync(() => {
    let requests = 0
    return {
      reserve: (sku: string) =>
        Effect.gen(function*() {
          const n = ++requests
          yield* Effect.sleep("10 millis")
          const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
          if (now < 300) {
            yield* point(`busy (request ${n})`)
            return yield* new Busy({ sku, retryAfter: Option.none() })
          }
          return { sku, id: `r-${n}` }
        }).pipe(region("POST /reserve", "note"))
    }
  })
)

const skus = ["sku-a", "sku-b", "sku-c"]

const clients = <A, E>(reserve: (sku: string) => Effect.Effect<A, E, Inventory>) =>
  // settle: every client runs to its own end, and its lane shows how it ended.
  TaskGroup.runAll(skus.map((sku) => reserve(sku).pipe(Effect.withSpan(`client ${sku}`))), { mode: "settle" }).pipe(
    Timeline.named("clients"),
    Effect.provide(inventory)
  )

// The README's broken retry: twenty more tries, at once.
const reserveAtOnce = (sku: string) =>
  Effect.flatMap(Inventory, (inventory) => inventory.reserve(sku).pipe(Effect.retry({ times: 20 })))

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "at-once-broken",
    title: "Broken: retry at once, 20 times",
    label: "retry at once (broken)",
    program: clients(reserveAtOnce)
  },
  {
    name: "at-once-fixed",
    title: "Fixed: back off, 100 ms doubling",
    label: "back off (fixed)",
    program: clients(reserveWithRetry)
  }
]
