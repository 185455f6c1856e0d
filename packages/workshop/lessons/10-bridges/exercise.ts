/**
 * Lesson 10: bridges. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 10
 */
import type { Bridge } from "@fiberkit/core"
import type * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"

/** What `fetch` looks like from here: a URL, a signal, a promise. */
export type HttpGet = (url: string, init: { readonly signal: AbortSignal }) => Promise<unknown>

/**
 * Part 1: call `get` as an Effect. A rejection must arrive as `Bridge.RejectedError` with the
 * original rejection as its `cause`, and interrupting the Effect must abort the request.
 */
export const getJson = (get: HttpGet, url: string): Effect.Effect<unknown, Bridge.RejectedError | unknown> =>
  unsolved(`getJson(${url}): Bridge.promise, and hand the signal to get`)

/**
 * Part 2: wait for the emitter's next "ready" event (its value is a string); after `ms` give up
 * with the value "timeout". No listener may be left on the emitter afterwards.
 */
export const waitForReady = (emitter: Bridge.EmitterLike, ms: number): Effect.Effect<string, unknown> =>
  unsolved(`waitForReady(${ms} ms): Bridge.once and a timeout`)

/** Part 3: a Node-style callback API as an Effect; its error arrives as `Bridge.CallbackError`. */
export const readLegacy = (
  legacyRead: (key: string, callback: (error: Error | null, value?: string) => void) => void,
  key: string
): Effect.Effect<string, unknown> => unsolved(`readLegacy(${key}): Bridge.callback`)
