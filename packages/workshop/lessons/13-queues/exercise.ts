/**
 * Lesson 13: queues. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 13
 */
import type { WorkQueue } from "@fiberkit/core"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"

/**
 * Part 1: process every id with 3 workers and a queue of capacity 5 (`WorkQueue.make`),
 * and return the results keyed by id. Offer the ids, end the input (`WorkQueue.end`,
 * not a sentinel), wait (`awaitIdle`) and shut down with "drain".
 */
export const processAll = <E>(
  ids: ReadonlyArray<number>,
  fetch: (id: number) => Effect.Effect<string, E>
): Effect.Effect<Map<number, string>, E | unknown> =>
  unsolved(`processAll(${ids.length} ids): a WorkQueue with 3 workers, capacity 5 (${typeof fetch})`)

/**
 * Part 2: a background producer offers every id; after `stopAfter` shut the queue
 * down with "discard" and return the report (processed + discarded must equal offered).
 */
export const stopEarly = <E>(
  ids: ReadonlyArray<number>,
  fetch: (id: number) => Effect.Effect<string, E>,
  stopAfter: Duration.DurationInput
): Effect.Effect<WorkQueue.ShutdownReport<number>, unknown> =>
  unsolved(
    `stopEarly(${ids.length} ids, ${String(stopAfter)}): fork the producer, sleep, shutdown "discard" (${typeof fetch})`
  )
