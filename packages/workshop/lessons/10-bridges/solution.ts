/**
 * Lesson 10, reference solution.
 */
import { Bridge } from "@fiberkit/core"
import * as Effect from "effect/Effect"

/** What `fetch` looks like from here: a URL, a signal, a promise. */
export type HttpGet = (url: string, init: { readonly signal: AbortSignal }) => Promise<unknown>

/** A Promise API, with the signal passed on so that interruption cancels the request. */
export const getJson = (get: HttpGet, url: string) => Bridge.promise(`GET ${url}`, (signal) => get(url, { signal }))

/** The next "ready" event, or "timeout" after `ms`; no listener may stay behind either way. */
export const waitForReady = (emitter: Bridge.EmitterLike, ms: number) =>
  Bridge.once<string>(emitter, "ready").pipe(
    Effect.timeoutTo({ duration: ms, onTimeout: () => "timeout" as const, onSuccess: (value) => value })
  )

/** A Node-style callback API (`legacyRead(key, (error, value) => …)`) as an Effect. */
export const readLegacy = (
  legacyRead: (key: string, callback: (error: Error | null, value?: string) => void) => void,
  key: string
) => Bridge.callback<string>(`legacyRead(${key})`, (done) => legacyRead(key, done))
