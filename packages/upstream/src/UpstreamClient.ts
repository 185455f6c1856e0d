/**
 * The client side of the upstream: `GET` a path, decode JSON, and turn HTTP
 * failures into one typed error that keeps the status and any `Retry-After`.
 * Interrupting a call aborts the HTTP request (the server counts it as aborted).
 *
 * @since 0.1.0
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import { Upstream } from "./Upstream.js"

/**
 * @since 0.1.0
 * @category errors
 */
export class UpstreamError extends Data.TaggedError("UpstreamError")<{
  readonly path: string
  /** The HTTP status, or undefined when no answer arrived (reset, refused, bad body). */
  readonly status: number | undefined
  /** From a 429's `Retry-After`. */
  readonly retryAfter: Option.Option<Duration.Duration>
  readonly cause?: unknown
}> {
  override get message() {
    return this.status === undefined ?
      `GET ${this.path} failed without an answer` :
      `GET ${this.path} answered ${this.status}${
        Option.isSome(this.retryAfter) ? ` (retry after ${Duration.format(this.retryAfter.value)})` : ""
      }`
  }
}

const retryAfterOf = (headers: Readonly<Record<string, string>>): Option.Option<Duration.Duration> => {
  const ms = Number(headers["retry-after-ms"])
  if (Number.isFinite(ms) && ms >= 0) return Option.some(Duration.millis(ms))
  const seconds = Number(headers["retry-after"])
  return Number.isFinite(seconds) && seconds >= 0 ? Option.some(Duration.seconds(seconds)) : Option.none()
}

/**
 * `GET path` on the upstream and return the JSON body.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Upstream, UpstreamClient } from "@fiberkit/upstream"
 *
 * const program = UpstreamClient.get("/users/1").pipe(
 *   Effect.provide(UpstreamClient.layer),
 *   Effect.provide(Upstream.layer())
 * )
 * ```
 *
 * @since 0.1.0
 * @category requests
 */
export const get = (path: string): Effect.Effect<unknown, UpstreamError, Upstream | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const upstream = yield* Upstream
    const client = yield* HttpClient.HttpClient
    const response = yield* client.get(upstream.url(path)).pipe(
      Effect.mapError((cause) => new UpstreamError({ path, status: undefined, retryAfter: Option.none(), cause }))
    )
    if (response.status >= 400) {
      return yield* new UpstreamError({ path, status: response.status, retryAfter: retryAfterOf(response.headers) })
    }
    return yield* response.json.pipe(
      Effect.mapError((cause) => new UpstreamError({ path, status: response.status, retryAfter: Option.none(), cause }))
    )
  }).pipe(Effect.scoped)

/**
 * `GET path` and decode the body with a schema.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { UpstreamClient } from "@fiberkit/upstream"
 *
 * const User = Schema.Struct({ id: Schema.String, name: Schema.String })
 * const user = UpstreamClient.getAs(User)("/users/7")
 * ```
 *
 * @since 0.1.0
 * @category requests
 */
export const getAs = <A, I>(schema: Schema.Schema<A, I>) => (path: string) =>
  get(path).pipe(
    Effect.flatMap((body) =>
      HttpClientResponse.schemaBodyJson(schema)({ json: Effect.succeed(body) } as any) as Effect.Effect<A, unknown>
    ),
    Effect.mapError((cause) =>
      cause instanceof UpstreamError ?
        cause :
        new UpstreamError({ path, status: undefined, retryAfter: Option.none(), cause })
    )
  )

/**
 * The HTTP client the demos use (undici with keep-alive).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layerUndici
