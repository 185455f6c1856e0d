import { TokenBucket } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import { Geocoder, type TooManyRequests } from "./api.js"

/** Part 1: one bucket, 10 per second with a burst of 2, shared by every lookup. */
export const geocodeAll = (addresses: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const geocoder = yield* Geocoder
    const bucket = yield* TokenBucket.make({ rate: 10, per: "1 second", burst: 2 })
    return yield* Effect.forEach(
      addresses,
      (address) => geocoder.lookup(address).pipe(TokenBucket.withTokens(bucket)),
      {
        concurrency: "unbounded"
      }
    )
  })

/** Part 2: a 429 pauses the bucket for everyone; the refused lookup waits its turn again. */
export const geocodePolitely = (addresses: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const geocoder = yield* Geocoder
    const bucket = yield* TokenBucket.make({ rate: 10, per: "1 second", burst: 2 })
    const lookup = (address: string) =>
      geocoder.lookup(address).pipe(
        TokenBucket.pauseOnRetryAfter(bucket, (error: TooManyRequests) => error.retryAfter),
        TokenBucket.withTokens(bucket),
        Effect.retry({ while: (error) => error._tag === "TooManyRequests", times: 3 })
      )
    return yield* Effect.forEach(addresses, lookup, { concurrency: "unbounded" })
  })
