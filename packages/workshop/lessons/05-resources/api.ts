/** The lesson's stand-in for a database driver: a service, so tests can fake it on the TestClock. */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

export interface Conn {
  readonly id: number
}

export class Driver extends Context.Tag("workshop/Driver")<Driver, {
  readonly connect: Effect.Effect<Conn>
  readonly close: (conn: Conn) => Effect.Effect<void>
  readonly query: (conn: Conn, sql: string) => Effect.Effect<string>
}>() {}
