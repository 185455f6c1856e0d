/**
 * The runs the README draws side by side (pictures/*.svg and *.txt), under the
 * TestClock. Regenerate with `pnpm --filter @fiberkit/workshop pictures 06`.
 *
 * Twelve prices to fetch, 30 ms each, at most three at a time. Each fetch is a
 * region on the lane that makes it, with a mark when it answers.
 */
import { Limiter, Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import { type Picture, point, region } from "../_shared/pictures.js"

const price = (id: number) =>
  Effect.sleep("30 millis").pipe(
    Effect.as(10 + id),
    region(`GET /price/${id}`, "note"),
    Effect.tap(() => point(`price ${id} answered`))
  )

const ids = Array.from({ length: 12 }, (_, i) => i)

// The README's broken version: a fiber per id, all parked at the limiter.
const totalBroken = Effect.gen(function*() {
  const limiter = yield* Limiter.make({ permits: 3 })
  yield* Effect.forEach(ids, (id) => price(id).pipe(Limiter.withPermit(limiter), Effect.withSpan(`id ${id}`)), {
    concurrency: "unbounded",
    discard: true
  })
}).pipe(Timeline.named("total"))

// The fix: three workers pull the ids.
const totalFixed = Limiter.forEach(ids, price, { concurrency: 3, discard: true }).pipe(Timeline.named("total"))

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "fibers-broken",
    title: "Broken: a fiber per id, parked",
    label: "a fiber per id (broken)",
    program: totalBroken
  },
  {
    name: "fibers-fixed",
    title: "Fixed: three workers pull the ids",
    label: "three workers (fixed)",
    program: totalFixed
  }
]
