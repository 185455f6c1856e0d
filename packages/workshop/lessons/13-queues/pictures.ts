/**
 * The runs the README draws side by side (pictures/*.svg and *.txt), under the
 * TestClock. Regenerate with `pnpm --filter @fiberkit/workshop pictures 13`.
 *
 * Nine jobs of 20 ms each, three consumers, a queue of five. Each job is a region
 * on the lane that handles it.
 */
import { Deadline, Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import { type Picture, region } from "../_shared/pictures.js"
import { processAll } from "./solution.js"

const ids = Array.from({ length: 9 }, (_, i) => i + 1)
const handle = (id: number) => Effect.sleep("20 millis").pipe(Effect.as(`job ${id}`), region(`job ${id}`, "note"))

// The README's broken version: a raw queue, one STOP sentinel for three consumers. The consumers are
// daemons and the wait for them is bounded, or the run (and its recording) would never end.
const STOP = -1
const sentinelBroken = Effect.gen(function*() {
  const queue = yield* Queue.bounded<number>(5)
  const consume = Effect.gen(function*() {
    while (true) {
      const job = yield* Queue.take(queue)
      if (job === STOP) return
      yield* handle(job)
    }
  })
  const consumers = yield* Effect.forEach(
    [1, 2, 3],
    (n) => Effect.forkDaemon(consume.pipe(Timeline.named(`consumer ${n}`)))
  )
  yield* Queue.offerAll(queue, ids)
  yield* Queue.offer(queue, STOP)
  yield* Effect.forEach(consumers, Fiber.join, { discard: true }).pipe(
    Deadline.timeout({ after: "200 millis", label: "waiting for the consumers" })
  )
}).pipe(Timeline.named("producer"))

const sentinelFixed = processAll(ids, handle).pipe(Timeline.named("producer"))

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "sentinel-broken",
    title: "Broken: one STOP for three consumers",
    label: "a sentinel (broken)",
    program: sentinelBroken
  },
  {
    name: "sentinel-fixed",
    title: "Fixed: WorkQueue.end, then drain",
    label: "end of input as a state (fixed)",
    program: sentinelFixed
  }
]
