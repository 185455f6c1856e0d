/**
 * Lesson 19: reading a timeline. The reference solution.
 */
import type { Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"

/**
 * Part 1: the leak detector. The labels of the lanes that had not ended when
 * the recording stopped, in the order the timeline draws them.
 */
export const stillRunning = (recording: Timeline.Recording): ReadonlyArray<string> =>
  recording.lanes.filter((lane) => lane.outcome === "running").map((lane) => lane.label)

/**
 * Part 2: the herd. Returns an effect that many fibers can run at once while
 * `fetch` runs a single time; every caller gets the same value.
 */
export const loadOnce = <A, E>(fetch: Effect.Effect<A, E>): Effect.Effect<Effect.Effect<A, E>> => Effect.cached(fetch)

/**
 * Part 3: the leak. Runs `work` with `poller` running beside it, and stops the
 * poller when `work` ends, however it ends.
 */
export const withPoller = <A, E, R>(
  poller: Effect.Effect<never, never, R>,
  work: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => Effect.scoped(Effect.zipRight(Effect.forkScoped(poller), work))

/**
 * Part 4: the blocked loop. Applies the synchronous `step` to every item and
 * gives the event loop a turn after each `sliceSize` items, so timers and
 * other fibers run in between.
 */
export const processInSlices = <A, B>(
  items: ReadonlyArray<A>,
  step: (a: A) => B,
  sliceSize: number
): Effect.Effect<Array<B>> =>
  Effect.gen(function*() {
    const out: Array<B> = []
    for (let i = 0; i < items.length; i += sliceSize) {
      for (const item of items.slice(i, i + sliceSize)) out.push(step(item))
      // A real timer turn: `yieldNow` would resume on the microtask queue, ahead of due timers.
      yield* Effect.sleep(0)
    }
    return out
  })
