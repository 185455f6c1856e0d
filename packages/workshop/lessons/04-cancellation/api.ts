/** The lesson's stand-ins: a ledger with locks, and a feed to poll. Services, so tests can fake them on the TestClock. */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"

export class FeedError extends Data.TaggedError("FeedError")<{ readonly reason: string }> {}

export class Ledger extends Context.Tag("workshop/Ledger")<Ledger, {
  /** Takes the account's lock; returns a lock id. */
  readonly lock: (account: string) => Effect.Effect<string>
  readonly unlock: (lockId: string) => Effect.Effect<void>
  /** Slow: posts the entry to the bank. */
  readonly post: (lockId: string, amount: number) => Effect.Effect<string>
  /** Records that a posting was abandoned half-way. */
  readonly markAbandoned: (lockId: string) => Effect.Effect<void>
}>() {}

export class Feed extends Context.Tag("workshop/Feed")<Feed, {
  readonly poll: Effect.Effect<ReadonlyArray<string>, FeedError>
  readonly handle: (items: ReadonlyArray<string>) => Effect.Effect<void>
}>() {}
