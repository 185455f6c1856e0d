/**
 * Lesson 11: offload. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 11
 */
import type * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"

export const ITERATIONS = 60_000

/**
 * Part 1: derive a hex key per password with PBKDF2 (salt "lesson-11", ITERATIONS rounds, 32 bytes,
 * sha256), in input order, without blocking the event loop: the test keeps a timer ticking and
 * counts its ticks while you hash. `crypto.pbkdf2Sync` returns the right keys and blocks the loop;
 * its callback twin `crypto.pbkdf2` runs on libuv's thread pool. `Bridge.callback` adapts it.
 */
export const hashPasswords = (passwords: ReadonlyArray<string>): Effect.Effect<Array<string>, unknown> =>
  unsolved(`hashPasswords(${passwords.length} passwords): crypto.pbkdf2 through Bridge.callback`)

/**
 * Part 2: count the primes below `limit` on this thread, but let other fibers run after every
 * `chunk` candidates (`Effect.yieldNow()`), so one long computation does not starve them.
 */
export const countPrimesCooperatively = (limit: number, chunk: number): Effect.Effect<number> =>
  unsolved(`countPrimesCooperatively(${limit}, ${chunk}): a loop of chunks with Effect.yieldNow() between`)
