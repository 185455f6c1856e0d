import { Diagnostics } from "@fiberkit/core"
import * as Effect from "effect/Effect"

/**
 * Part 1: return `fetch` unchanged in result, but warn (named "profile fetch") when it is
 * still running after 200 ms.
 */
export const watchedFetch = <A, E, R>(fetch: Effect.Effect<A, E, R>) =>
  Diagnostics.warnIfSlow(fetch, { threshold: "200 millis", name: "profile fetch" })

/**
 * Part 2: run `work` under a Diagnostics monitor that reports run slices of 30 ms or more,
 * and return what it caught.
 */
export const findBlocking = <A, E, R>(work: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const monitor = yield* Diagnostics.makeMonitor({ blockingThreshold: "30 millis" })
    yield* Diagnostics.supervise(work, monitor)
    return yield* Diagnostics.blockingEvents(monitor)
  })
