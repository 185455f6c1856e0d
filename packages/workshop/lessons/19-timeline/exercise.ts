/**
 * Lesson 19: reading a timeline. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 19
 */
import type { Timeline } from "@fiberkit/core"
import type * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"

/**
 * Part 1: the leak detector. Return the labels of the lanes that had not
 * ended when the recording stopped (their `outcome` says so), in lane order.
 */
export const stillRunning = (recording: Timeline.Recording): ReadonlyArray<string> => {
  throw new Error(`exercise not solved yet: stillRunning(${recording.lanes.length} lanes): filter the lanes by outcome`)
}

/**
 * Part 2: the herd. Return an effect that many fibers can run at once while
 * `fetch` runs a single time. Effect has a one-word answer.
 */
export const loadOnce = <A, E>(fetch: Effect.Effect<A, E>): Effect.Effect<Effect.Effect<A, E>> =>
  unsolved(`loadOnce(${typeof fetch}): share one run of fetch between every caller`)

/**
 * Part 3: the leak. Run `work` with `poller` beside it; the poller must stop
 * when `work` ends, however it ends (forkDaemon would leak it).
 */
export const withPoller = <A, E, R>(
  poller: Effect.Effect<never, never, R>,
  work: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => unsolved(`withPoller(${typeof poller}, ${typeof work}): give the poller an owner`)

/**
 * Part 4: the blocked loop. Apply `step` to every item, and give the event
 * loop a turn after each `sliceSize` items so a ticker can run in between.
 */
export const processInSlices = <A, B>(
  items: ReadonlyArray<A>,
  step: (a: A) => B,
  sliceSize: number
): Effect.Effect<Array<B>> =>
  unsolved(`processInSlices(${items.length} items, ${typeof step}, ${sliceSize}): yield a timer turn per slice`)
