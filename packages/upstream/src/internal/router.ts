import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { ServerState } from "./state.js"

type Outcome = "finished" | "failed" | "aborted" | "rateLimited" | "reset"

const numberParam = (params: Readonly<Record<string, string | undefined>>, name: string): number | undefined => {
  const raw = params[name]
  if (raw === undefined) return undefined
  const value = Number(raw)
  return Number.isFinite(value) && value >= 0 ? value : undefined
}

const badRequest = (message: string) => HttpServerResponse.unsafeJson({ error: message }, { status: 400 })

/**
 * Wraps a handler with the fault profile and the bookkeeping: rate limit
 * first (a 429 costs the server nothing), then latency, then an injected
 * reset or failure status, then the real answer.
 */
const route = <E, R>(
  state: ServerState,
  name: string,
  answer: (
    query: Readonly<Record<string, string | undefined>>
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
  options: { readonly latency: boolean }
) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const query = yield* HttpServerRequest.ParsedSearchParams
    const params: Record<string, string | undefined> = {}
    for (const [k, v] of Object.entries(query)) params[k] = Array.isArray(v) ? v[0] : (v as string)
    let outcome: Outcome = "finished"
    state.begin(name)
    return yield* Effect.gen(function*() {
      const retryAfterMs = state.rateLimitDelayMs()
      if (retryAfterMs !== undefined) {
        outcome = "rateLimited"
        return HttpServerResponse.unsafeJson(
          { error: "rate limited", retryAfterMs },
          {
            status: 429,
            headers: { "retry-after": String(Math.ceil(retryAfterMs / 1000)), "retry-after-ms": String(retryAfterMs) }
          }
        )
      }
      const delay = numberParam(params, "delay") ?? (options.latency ? state.latencyMs() : 0)
      if (delay > 0) yield* Effect.sleep(delay)
      if (state.injectReset()) {
        outcome = "reset"
        NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
        return yield* Effect.never
      }
      const forced = numberParam(params, "fail")
      const status = forced !== undefined && forced >= 400 ? forced : state.injectedStatus()
      if (status !== undefined) {
        outcome = "failed"
        return HttpServerResponse.unsafeJson({ error: `injected failure ${status}`, route: name }, { status })
      }
      return yield* answer(params)
    }).pipe(
      Effect.onExit((exit) =>
        Effect.sync(() => {
          if (Exit.isInterrupted(exit) && outcome !== "reset") outcome = "aborted"
          state.end(name, outcome)
        })
      )
    )
  })

const pageSize = 10
const totalItems = 100

/** @internal */
export const make = (state: ServerState) =>
  HttpRouter.empty.pipe(
    HttpRouter.get(
      "/users/:id",
      Effect.flatMap(HttpRouter.params, ({ id }) =>
        route(
          state,
          "/users/:id",
          () =>
            Effect.succeed(HttpServerResponse.unsafeJson({ id, name: `User ${id}`, email: `user${id}@example.test` })),
          { latency: true }
        ))
    ),
    HttpRouter.get(
      "/users/:id/orders",
      Effect.flatMap(HttpRouter.params, ({ id }) =>
        route(
          state,
          "/users/:id/orders",
          () =>
            Effect.succeed(HttpServerResponse.unsafeJson(
              Array.from({ length: 3 }, (_, i) => ({ id: `${id}-${i + 1}`, userId: id, total: (i + 1) * 10 }))
            )),
          { latency: true }
        ))
    ),
    HttpRouter.get(
      "/users/:id/preferences",
      Effect.flatMap(HttpRouter.params, ({ id }) =>
        route(
          state,
          "/users/:id/preferences",
          () =>
            Effect.succeed(
              HttpServerResponse.unsafeJson({ userId: id, theme: "dark", newsletter: (id ?? "").length % 2 === 0 })
            ),
          { latency: true }
        ))
    ),
    HttpRouter.get(
      "/items",
      route(state, "/items", (query) => {
        const page = numberParam(query, "page") ?? 1
        const size = numberParam(query, "size") ?? pageSize
        const total = numberParam(query, "total") ?? totalItems
        if (!Number.isInteger(page) || page < 1) return Effect.succeed(badRequest("page must be an integer >= 1"))
        if (!Number.isInteger(size) || size < 1) return Effect.succeed(badRequest("size must be an integer >= 1"))
        const first = (page - 1) * size
        const items = Array.from({ length: Math.max(0, Math.min(size, total - first)) }, (_, i) => ({
          id: first + i + 1,
          name: `item-${first + i + 1}`
        }))
        return Effect.succeed(HttpServerResponse.unsafeJson({
          page,
          items,
          nextPage: first + size < total ? page + 1 : null
        }))
      }, { latency: true })
    ),
    HttpRouter.get(
      "/items/:id",
      Effect.flatMap(HttpRouter.params, ({ id }) =>
        route(
          state,
          "/items/:id",
          () =>
            Effect.succeed(
              HttpServerResponse.unsafeJson({ id: Number(id), name: `item-${id ?? "?"}`, price: Number(id ?? 0) % 97 })
            ),
          { latency: true }
        ))
    ),
    HttpRouter.get(
      "/slow",
      route(state, "/slow", (query) => {
        const ms = numberParam(query, "ms")
        if (ms === undefined) return Effect.succeed(badRequest("ms must be a number >= 0"))
        return Effect.as(Effect.sleep(ms), HttpServerResponse.unsafeJson({ sleptMs: ms }))
      }, { latency: false })
    ),
    HttpRouter.get("/hang", route(state, "/hang", () => Effect.never, { latency: false })),
    HttpRouter.get("/stats", Effect.sync(() => HttpServerResponse.unsafeJson(state.snapshot())))
  )
