/** The lesson's stand-in for a rate-limited API: a service, so the test can supply a fake on the TestClock. */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"

/** The server said 429 Too Many Requests; `retryAfter` is its Retry-After header, when it sent one. */
export class TooManyRequests extends Data.TaggedError("TooManyRequests")<{
  readonly retryAfter: Option.Option<Duration.Duration>
}> {}

export class Geocoder extends Context.Tag("workshop/Geocoder")<Geocoder, {
  readonly lookup: (address: string) => Effect.Effect<{ readonly lat: number; readonly lon: number }, TooManyRequests>
}>() {}
