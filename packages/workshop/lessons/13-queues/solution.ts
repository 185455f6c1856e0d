import { WorkQueue } from "@fiberkit/core"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/**
 * Part 1: process every id with 3 workers and a queue of capacity 5, and return the
 * results keyed by id. End the input as a state and drain: no sentinel.
 */
export const processAll = <E>(ids: ReadonlyArray<number>, fetch: (id: number) => Effect.Effect<string, E>) =>
  Effect.scoped(Effect.gen(function*() {
    const results = new Map<number, string>()
    const queue = yield* WorkQueue.make({
      capacity: 5,
      workers: 3,
      handler: (id: number) => Effect.map(fetch(id), (value) => void results.set(id, value)),
      onFailure: "fail-fast",
      onClose: "discard"
    })
    yield* WorkQueue.offerAll(queue, ids)
    yield* WorkQueue.end(queue)
    yield* WorkQueue.awaitIdle(queue)
    yield* WorkQueue.shutdown(queue, "drain")
    return results
  }))

/**
 * Part 2: a producer offers every id in the background; after `stopAfter` the queue is
 * shut down with "discard". Return the shutdown report: nothing may go missing.
 */
export const stopEarly = <E>(
  ids: ReadonlyArray<number>,
  fetch: (id: number) => Effect.Effect<string, E>,
  stopAfter: Duration.DurationInput
) =>
  Effect.scoped(Effect.gen(function*() {
    const queue = yield* WorkQueue.make({
      capacity: 5,
      workers: 3,
      handler: fetch,
      onFailure: "collect",
      onClose: "discard"
    })
    yield* Effect.forkScoped(Effect.ignore(WorkQueue.offerAll(queue, ids)))
    yield* Effect.sleep(stopAfter)
    return yield* WorkQueue.shutdown(queue, "discard")
  }))
