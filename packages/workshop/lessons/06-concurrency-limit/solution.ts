import { Limiter } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import { Catalog } from "./api.js"

/** Part 1: every call waits for one of `limit` permits; the limiter rejects a bad limit. */
export const fetchProducts = (ids: ReadonlyArray<number>, limit: number) =>
  Effect.gen(function*() {
    const catalog = yield* Catalog
    const limiter = yield* Limiter.make({ permits: limit })
    return yield* Effect.forEach(ids, (id) => catalog.product(id).pipe(Limiter.withPermit(limiter)), {
      concurrency: "unbounded"
    })
  })

/** Part 2: 20 workers pull ids from a generator, so memory does not grow with `count`. */
export const totalPrice = (count: number) =>
  Effect.gen(function*() {
    const catalog = yield* Catalog
    function* ids() {
      for (let id = 0; id < count; id++) yield id
    }
    let total = 0
    yield* Limiter.forEach(ids(), (id) =>
      Effect.map(catalog.product(id), (product) => {
        total += product.price
      }), { concurrency: 20, discard: true })
    return total
  })
