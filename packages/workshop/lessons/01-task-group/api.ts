/** The lesson's stand-in for a remote API: a service, so tests can supply a fake with TestClock delays. */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"

export class ApiError extends Data.TaggedError("ApiError")<{ readonly route: string; readonly status: number }> {}

export interface User {
  readonly id: string
  readonly name: string
}
export interface Order {
  readonly id: string
  readonly total: number
}
export interface Preferences {
  readonly theme: string
}

export class Api extends Context.Tag("workshop/Api")<Api, {
  readonly user: (id: string) => Effect.Effect<User, ApiError>
  readonly orders: (id: string) => Effect.Effect<ReadonlyArray<Order>, ApiError>
  readonly preferences: (id: string) => Effect.Effect<Preferences, ApiError>
}>() {}

export interface Dashboard {
  readonly user: User
  readonly orders: ReadonlyArray<Order>
  readonly preferences: Preferences
}
