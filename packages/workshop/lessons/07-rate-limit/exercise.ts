/**
 * Lesson 07: rate limits. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 07
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { unsolved } from "../_shared/lesson.js"
import type { Geocoder, TooManyRequests } from "./api.js"

/**
 * Part 1: geocode every address, all callers started at once, but never more
 * than 10 lookups per second with a burst of 2 (so: two at once, then one
 * every 100 ms). Results in the order of `addresses`.
 * `TokenBucket.make` (it needs a Scope) and `TokenBucket.withTokens`.
 */
export const geocodeAll = (
  addresses: ReadonlyArray<string>
): Effect.Effect<Array<{ readonly lat: number; readonly lon: number }>, unknown, Geocoder | Scope.Scope> =>
  unsolved(`geocodeAll(${addresses.length} addresses): one TokenBucket shared by every lookup`)

/**
 * Part 2: the same, but the server sometimes answers TooManyRequests with a
 * Retry-After. Pause the whole bucket for that long (everyone waits, not only
 * the caller that was refused) and retry the refused lookup, up to 3 times.
 * `TokenBucket.pauseOnRetryAfter` inside `withTokens`, then `Effect.retry`.
 */
export const geocodePolitely = (
  addresses: ReadonlyArray<string>
): Effect.Effect<
  Array<{ readonly lat: number; readonly lon: number }>,
  TooManyRequests | unknown,
  Geocoder | Scope.Scope
> => unsolved(`geocodePolitely(${addresses.length} addresses): pause the bucket on Retry-After`)
