/**
 * Lesson 16: debugging. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 16
 */
import type { Diagnostics, InvalidArgument } from "@fiberkit/core"
import type * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"

/**
 * Part 1: keep `fetch`'s result, but warn (named "profile fetch") when it is still running
 * after 200 ms: `Diagnostics.warnIfSlow`.
 */
export const watchedFetch = <A, E, R>(
  fetch: Effect.Effect<A, E, R>
): Effect.Effect<A, E | InvalidArgument.InvalidArgumentError, R> =>
  unsolved(`watchedFetch: wrap the effect with Diagnostics.warnIfSlow (${String(fetch)})`)

/**
 * Part 2: run `work` under a monitor (`Diagnostics.makeMonitor`, threshold 30 ms,
 * `Diagnostics.supervise`) and return `Diagnostics.blockingEvents`.
 */
export const findBlocking = <A, E, R>(
  work: Effect.Effect<A, E, R>
): Effect.Effect<ReadonlyArray<Diagnostics.BlockingEvent>, E | InvalidArgument.InvalidArgumentError, R> =>
  unsolved(`findBlocking: supervise the work with a Diagnostics monitor (${String(work)})`)
