/**
 * A real HTTP server on 127.0.0.1 that plays the "remote API" of the asyncio
 * examples: users, orders, preferences, paginated items, slow and hanging
 * routes. Its fault profile (latency, failures, 429s, resets) is seeded, and it
 * records what happened to every request so demos and tests can check what a
 * client really did (how many requests were in flight, which were aborted).
 *
 * Routes: `GET /users/:id`, `/users/:id/orders`, `/users/:id/preferences`,
 * `/items?page=N&size=M&total=T`, `/items/:id`, `/slow?ms=N`, `/hang`, `/stats`.
 * Every data route accepts `?delay=ms` (latency override) and `?fail=status`
 * (forced failure) so a demo can stage the failing case.
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as http from "node:http"
import * as router from "./internal/router.js"
import { ServerState } from "./internal/state.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface FaultProfile {
  /** Base latency of the data routes, in ms (default 100). */
  readonly latencyMs: number
  /** Uniform extra latency in [0, jitterMs) (default 0). */
  readonly jitterMs: number
  /** Share of requests answered with one of `failureStatuses` (0 to 1, default 0). */
  readonly failureRate: number
  readonly failureStatuses: ReadonlyArray<number>
  /** Share of requests whose connection is destroyed before answering (0 to 1, default 0). */
  readonly resetRate: number
  /** At most `limit` requests per `windowMs`; the rest get 429 with `Retry-After`. */
  readonly rateLimit: { readonly limit: number; readonly windowMs: number } | undefined
  readonly seed: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RouteStats {
  readonly started: number
  /** Answered, whatever the status. */
  readonly finished: number
  /** The client went away before the answer (an interrupted request). */
  readonly aborted: number
  readonly failed: number
  readonly rateLimited: number
  readonly reset: number
  readonly inFlight: number
  readonly peakInFlight: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RequestStart {
  readonly route: string
  /** ms since the server started. */
  readonly at: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  readonly routes: Readonly<Record<string, RouteStats>>
  readonly total: RouteStats
  /** The first 100,000 request starts. */
  readonly starts: ReadonlyArray<RequestStart>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** 0 (the default) picks a free port. */
  readonly port?: number | undefined
  readonly profile?: Partial<FaultProfile> | undefined
}

/**
 * @since 0.1.0
 * @category errors
 */
export class UpstreamOptionsError extends Data.TaggedError("UpstreamOptionsError")<{ readonly reason: string }> {
  override get message() {
    return `Upstream: ${this.reason}`
  }
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultProfile: FaultProfile = {
  latencyMs: 100,
  jitterMs: 0,
  failureRate: 0,
  failureStatuses: [500, 503],
  resetRate: 0,
  rateLimit: undefined,
  seed: 42
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Upstream extends Context.Tag("@fiberkit/upstream/Upstream")<Upstream, {
  readonly baseUrl: string
  readonly port: number
  readonly url: (path: string) => string
  readonly stats: Effect.Effect<Stats>
  /**
   * The stats once no request is in flight (at most 5 s of waiting): a client
   * that interrupted a request has moved on before the server sees the socket
   * close, so read this to count aborts.
   */
  readonly quiescentStats: Effect.Effect<Stats>
  /** Forget what was recorded, e.g. between two phases of a demo. */
  readonly clearStats: Effect.Effect<void>
  readonly profile: Effect.Effect<FaultProfile>
  readonly setProfile: (patch: Partial<FaultProfile>) => Effect.Effect<void, UpstreamOptionsError>
}>() {}

// The server lives in real time even when a test runs its client under TestClock.
const liveClock = Clock.make()

const validate = (profile: FaultProfile): UpstreamOptionsError | undefined => {
  const share = (name: string, v: number) =>
    Number.isFinite(v) && v >= 0 && v <= 1 ? undefined : `${name} must be between 0 and 1, got ${v}`
  const ms = (name: string, v: number) =>
    Number.isFinite(v) && v >= 0 ? undefined : `${name} must be a number of ms >= 0, got ${v}`
  const problem = ms("latencyMs", profile.latencyMs) ?? ms("jitterMs", profile.jitterMs) ??
    share("failureRate", profile.failureRate) ?? share("resetRate", profile.resetRate) ??
    (profile.failureStatuses.every((s) => Number.isInteger(s) && s >= 400 && s <= 599) ?
      undefined :
      `failureStatuses must be HTTP error statuses, got ${JSON.stringify(profile.failureStatuses)}`) ??
    (profile.rateLimit === undefined ||
        (Number.isInteger(profile.rateLimit.limit) && profile.rateLimit.limit > 0 && profile.rateLimit.windowMs > 0) ?
      undefined :
      `rateLimit needs a positive integer limit and windowMs, got ${JSON.stringify(profile.rateLimit)}`)
  return problem === undefined ? undefined : new UpstreamOptionsError({ reason: problem })
}

/**
 * Starts the server for the lifetime of the layer and provides `Upstream`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Upstream } from "@fiberkit/upstream"
 *
 * const program = Effect.gen(function*() {
 *   const upstream = yield* Upstream.Upstream
 *   console.log(upstream.url("/users/1"))
 * }).pipe(Effect.provide(Upstream.layer({ profile: { latencyMs: 50 } })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<Upstream, UpstreamOptionsError | HttpServerError.ServeError> =>
  Layer.scoped(
    Upstream,
    Effect.gen(function*() {
      const initial = { ...defaultProfile, ...options?.profile }
      const problem = validate(initial)
      if (problem) return yield* problem
      const port = options?.port ?? 0
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        return yield* new UpstreamOptionsError({ reason: `port must be an integer from 0 to 65535, got ${port}` })
      }
      const state = new ServerState(initial)
      const app = router.make(state)
      const context = yield* Layer.build(
        HttpServer.serve(app).pipe(
          Layer.provideMerge(NodeHttpServer.layer(() => http.createServer(), { port, host: "127.0.0.1" }))
        )
      )
      const address = Context.get(context, HttpServer.HttpServer).address
      const boundPort = address._tag === "TcpAddress" ? address.port : port
      const baseUrl = `http://127.0.0.1:${boundPort}`
      return Upstream.of({
        baseUrl,
        port: boundPort,
        url: (path) => `${baseUrl}${path.startsWith("/") ? path : `/${path}`}`,
        stats: Effect.sync(() => state.snapshot()),
        quiescentStats: Effect.sleep("5 millis").pipe(
          Effect.repeat({ until: () => state.total.inFlight === 0 }),
          Effect.timeout("5 seconds"),
          Effect.ignore,
          Effect.withClock(liveClock),
          Effect.map(() => state.snapshot())
        ),
        clearStats: Effect.sync(() => state.clear()),
        profile: Effect.sync(() => state.profile),
        setProfile: (patch) =>
          Effect.suspend(() => {
            const next = { ...state.profile, ...patch }
            const invalid = validate(next)
            if (invalid) return Effect.fail(invalid)
            state.setProfile(next)
            return Effect.void
          })
      })
    })
  )

/**
 * The most request starts inside any half-open window `[t, t + windowMs)`: what a rate limit of "N per
 * window" promises the server never sees more than. Feed it `stats.starts.map((s) => s.at)`.
 *
 * @example
 * ```ts
 * import { Upstream } from "@fiberkit/upstream"
 *
 * Upstream.busiestWindow([0, 999, 1000, 1999], 1000) // 2
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const busiestWindow = (times: ReadonlyArray<number>, windowMs: number): number => {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  let lo = 0
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++
    best = Math.max(best, hi - lo + 1)
  }
  return best
}
