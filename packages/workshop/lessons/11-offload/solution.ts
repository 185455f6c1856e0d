/**
 * Lesson 11, reference solution.
 */
import { Bridge } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as crypto from "node:crypto"

export const ITERATIONS = 60_000

/** Derive a key per password on libuv's thread pool: the event loop stays free meanwhile. */
export const hashPasswords = (passwords: ReadonlyArray<string>) =>
  Effect.forEach(
    passwords,
    (password) =>
      Bridge.callback<Buffer>(
        "crypto.pbkdf2",
        (done) => crypto.pbkdf2(password, "lesson-11", ITERATIONS, 32, "sha256", done)
      ).pipe(Effect.map((key) => key.toString("hex"))),
    { concurrency: "unbounded" }
  )

/** Count primes below `limit`, giving other fibers a turn after every `chunk` candidates. */
export const countPrimesCooperatively = (limit: number, chunk: number) =>
  Effect.gen(function*() {
    let count = 0
    for (let start = 2; start < limit; start += chunk) {
      const end = Math.min(limit, start + chunk)
      count += yield* Effect.sync(() => {
        let found = 0
        for (let n = start; n < end; n++) if (isPrime(n)) found++
        return found
      })
      yield* Effect.yieldNow()
    }
    return count
  })

const isPrime = (n: number) => {
  if (n < 2) return false
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false
  return true
}
