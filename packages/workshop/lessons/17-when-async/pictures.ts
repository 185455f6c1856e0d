/**
 * The runs the README draws side by side (pictures/*.svg and *.txt), under the
 * TestClock. Regenerate with `pnpm --filter @fiberkit/workshop pictures 17`.
 *
 * Ten carts to load, 100 ms each. Each load is a region on the lane that makes
 * it, with a mark when it answers.
 */
import { Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type Picture, point, region } from "../_shared/pictures.js"
import { Carts, cartTotal, loadTotals } from "./solution.js"

const carts = Layer.succeed(Carts, {
  load: (id) =>
    Effect.sleep("100 millis").pipe(
      Effect.as([{ price: 5, quantity: 2 }]),
      region(`GET /carts/${id}`),
      Effect.tap(() => point(`cart ${id} loaded`))
    )
})

const ids = Array.from({ length: 10 }, (_, i) => `c${i + 1}`)

// The README's broken loop: each load waits for the one before.
const totalsBroken = Effect.gen(function*() {
  const service = yield* Carts
  const out: Array<number> = []
  for (const id of ids) out.push(cartTotal(yield* service.load(id)))
  return out
})

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "sequential-broken",
    title: "Broken: a loop of yield*",
    label: "sequential by accident (broken)",
    program: totalsBroken.pipe(Timeline.named("loadTotals"), Effect.provide(carts)),
    advance: "2 seconds"
  },
  {
    name: "sequential-fixed",
    title: "Fixed: forEach, four at a time",
    label: "concurrency 4 (fixed)",
    program: loadTotals(ids).pipe(Timeline.named("loadTotals"), Effect.provide(carts)),
    advance: "2 seconds"
  }
]
