/**
 * The runs the README draws side by side (pictures/*.svg and *.txt), under the
 * TestClock. Regenerate with `pnpm --filter @fiberkit/workshop pictures 08`.
 *
 * Six catalogue ids refreshed at once: 2 is gone (20 ms), 4 is invalid (40 ms),
 * 5 hits an outage (60 ms), the others answer at 50 ms. Each failure is also a
 * mark with its tag.
 */
import { Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type Picture, point, region } from "../_shared/pictures.js"
import { Catalog, type CatalogError, Invalid, type Item, NotFound, Unavailable } from "./api.js"
import { syncCatalog } from "./solution.js"

const answers: Record<number, readonly [number, CatalogError | undefined]> = {
  1: [50, undefined],
  2: [20, new NotFound({ id: 2 })],
  3: [50, undefined],
  4: [40, new Invalid({ id: 4, reason: "no price" })],
  5: [60, new Unavailable({ id: 5 })],
  6: [50, undefined]
}

const catalog = Layer.succeed(Catalog, {
  fetch: (id) => {
    const [ms, error] = answers[id]!
    return Effect.sleep(ms).pipe(
      Effect.zipRight(error === undefined ? Effect.succeed<Item>({ id, name: `item ${id}` }) : Effect.fail(error)),
      region(`GET /items/${id}`),
      // A mark with the error's tag: Effect.all's own fibers hand the failure to it and end "ok".
      Effect.tapError((e) => point(e._tag)),
      Effect.withSpan(`refresh ${id}`)
    )
  }
})

const ids = [1, 2, 3, 4, 5, 6]

// The README's broken version: the first failure stops the batch, and only it is handled.
const syncBroken = Effect.gen(function*() {
  const service = yield* Catalog
  const removed: Array<number> = []
  yield* Effect.all(ids.map((id) => service.fetch(id)), { concurrency: 50 }).pipe(
    Effect.catchTags({ NotFound: (e) => Effect.sync(() => removed.push(e.id)) })
  )
  return removed
})

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "first-failure-broken",
    title: "Broken: Effect.all stops at the first",
    label: "first failure only (broken)",
    program: syncBroken.pipe(Timeline.named("sync"), Effect.provide(catalog))
  },
  {
    name: "first-failure-fixed",
    title: "Fixed: settle, then catch by tag",
    label: "every failure (fixed)",
    program: syncCatalog(ids).pipe(Timeline.named("sync"), Effect.provide(catalog))
  }
]
