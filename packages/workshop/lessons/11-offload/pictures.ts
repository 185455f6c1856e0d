/**
 * The runs the README draws side by side (pictures/*.svg and *.txt). Regenerate
 * with `pnpm --filter @fiberkit/workshop pictures 11`.
 *
 * These are live runs: the point is real CPU time on the main thread against
 * real work on libuv's thread pool, which the TestClock cannot show. The shape
 * repeats; the milliseconds depend on the machine.
 *
 * Four logins hash a password each (PBKDF2, lesson's iteration count) while a
 * ticker wants to run every 5 ms, standing in for every other request.
 */
import { Bridge, Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as crypto from "node:crypto"
import type { Picture } from "../_shared/pictures.js"
import { ITERATIONS } from "./solution.js"

const passwords = ["hunter2", "correct horse", "letmein", "swordfish"]

const withTicker = <A, E>(logins: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const ticker = yield* Effect.fork(Effect.forever(Effect.sleep("5 millis")).pipe(Timeline.named("ticker")))
    yield* Effect.sleep("10 millis")
    yield* logins
    yield* Effect.sleep("10 millis")
    yield* Fiber.interrupt(ticker)
  }).pipe(Timeline.named("server"))

// The README's broken login: the synchronous call, on the main thread.
const loginsBroken = Effect.forEach(
  passwords,
  (password) =>
    Effect.sync(() => crypto.pbkdf2Sync(password, "lesson-11", ITERATIONS, 32, "sha256").toString("hex")).pipe(
      Timeline.named(`login ${password}`)
    ),
  { concurrency: "unbounded" }
)

// The README's fix (the lesson's solution does the same): the callback form, on libuv's pool.
const loginsFixed = Effect.forEach(
  passwords,
  (password) =>
    Bridge.callback<Buffer>(
      "crypto.pbkdf2",
      (done) => crypto.pbkdf2(password, "lesson-11", ITERATIONS, 32, "sha256", done)
    ).pipe(Effect.map((key) => key.toString("hex")), Timeline.named(`login ${password}`)),
  { concurrency: "unbounded" }
)

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "sync-call-broken",
    title: "Broken: pbkdf2Sync on the main thread",
    label: "pbkdf2Sync (broken)",
    program: withTicker(loginsBroken),
    clock: "live"
  },
  {
    name: "sync-call-fixed",
    title: "Fixed: pbkdf2 on libuv's pool",
    label: "pbkdf2 with a callback (fixed)",
    program: withTicker(loginsFixed),
    clock: "live"
  }
]
