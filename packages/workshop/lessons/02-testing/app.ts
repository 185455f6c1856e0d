/** The small program under test in lesson 02. */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"

/** Ticks once a second, forever: the kind of loop a real-time test would wait on for minutes. */
export const heartbeat = (beats: Ref.Ref<number>) =>
  Effect.forever(Effect.zipRight(Effect.sleep("1 second"), Ref.update(beats, (n) => n + 1)))

export class UserNotFound extends Data.TaggedError("UserNotFound")<{ readonly id: string }> {}

export class UserRepo extends Context.Tag("workshop/UserRepo")<UserRepo, {
  readonly find: (id: string) => Effect.Effect<{ readonly id: string; readonly name: string }, UserNotFound>
}>() {}

export const greet = (id: string) =>
  Effect.map(Effect.flatMap(UserRepo, (repo) => repo.find(id)), (u) => `Hello, ${u.name}!`)

/** Gives up after 5 seconds: the test must prove it without waiting 5 seconds. */
export const greetWithin5s = (id: string) => greet(id).pipe(Effect.timeout("5 seconds"))
