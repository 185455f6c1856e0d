/** The lesson's stand-in for a remote API: a service, so tests can supply a fake whose calls sleep on the TestClock. */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"

export class ApiError extends Data.TaggedError("ApiError")<{ readonly route: string; readonly status: number }> {}

export interface Report {
  readonly id: string
  readonly pages: number
}

export class Api extends Context.Tag("workshop/TimeoutsApi")<Api, {
  /** One report; some take a long time, some never answer. */
  readonly report: (id: string) => Effect.Effect<Report, ApiError>
  /** The two halves of a slow export job. */
  readonly exportStart: Effect.Effect<string, ApiError>
  readonly exportFinish: (jobId: string) => Effect.Effect<string, ApiError>
}>() {}
