/**
 * The runs the README draws side by side (pictures/*.svg and *.txt), under the
 * TestClock. Regenerate with `pnpm --filter @fiberkit/workshop pictures 12`.
 *
 * A catalogue of eight pages of ten items, 50 ms a page; we want the first 20
 * items. Each page fetch is a region on the lane that makes it.
 */
import { Timeline } from "@fiberkit/core"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { type Picture, point, region } from "../_shared/pictures.js"
import { catalogue, type FetchPage } from "./solution.js"

const fetchPage: FetchPage = (page) =>
  Effect.sleep("50 millis").pipe(
    Effect.as({
      items: Array.from({ length: 10 }, (_, i) => (page - 1) * 10 + i),
      nextPage: page < 8 ? page + 1 : null
    }),
    region(`GET /catalogue?page=${page}`),
    Effect.tap(() => point(`page ${page}`))
  )

const first20Broken = Effect.map(Stream.runCollect(catalogue(fetchPage)), (all) => Chunk.take(all, 20))
const first20Fixed = catalogue(fetchPage).pipe(Stream.take(20), Stream.runCollect)

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "cutting-broken",
    title: "Broken: collect, then take 20",
    label: "collect, then cut (broken)",
    program: first20Broken.pipe(Timeline.named("first20"))
  },
  {
    name: "cutting-fixed",
    title: "Fixed: Stream.take(20), then collect",
    label: "cut, then collect (fixed)",
    program: first20Fixed.pipe(Timeline.named("first20"))
  }
]
