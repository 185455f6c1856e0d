/**
 * The runs the README draws side by side (pictures/*.svg and *.txt), under the
 * TestClock. Regenerate with `pnpm --filter @fiberkit/workshop pictures 03`.
 *
 * A page needs four calls; three answer in 300 to 450 ms, the fourth hangs.
 * Each call is drawn as a region on the lane that makes it, with a mark when it
 * answers (back to back on one lane, the regions would read as one).
 */
import { Deadline, TaskGroup, Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import { type Picture, point, region } from "../_shared/pictures.js"

const call = (route: string, ms: number) =>
  Effect.sleep(ms).pipe(
    Effect.as(route),
    region(`GET /${route}`, "note"),
    Effect.tap(() => point(`GET /${route} answered`)),
    Effect.withSpan(`GET /${route}`)
  )

const calls = [call("a", 400), call("b", 300), call("c", 450), call("d", 5_000)]

const pageBroken = Effect.all(calls.map((c) => Deadline.timeout(c, { after: "500 millis", label: "one call" })))
  .pipe(Timeline.named("page"))

const pageFixed = TaskGroup.runAll(calls).pipe(
  Deadline.timeout({ after: "500 millis", label: "page" }),
  Timeline.named("page")
)

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "budgets-broken",
    title: "Broken: 500 ms per call, in turn",
    label: "a budget per call (broken)",
    program: pageBroken,
    advance: "5 seconds"
  },
  {
    name: "budgets-fixed",
    title: "Fixed: 500 ms for the page",
    label: "a budget for the page (fixed)",
    program: pageFixed,
    advance: "5 seconds"
  }
]
