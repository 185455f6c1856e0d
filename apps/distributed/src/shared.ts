/**
 * What the coordinator and the worker processes agree on: the run's settings (passed to each worker as JSON
 * in an environment variable), the Redis keys, the service tags of the shared primitives, and the
 * application's idempotent handler.
 *
 * The handler is written against `Limiter.Limiter<RedisError>` and `TokenBucket.TokenBucket<RedisError>`
 * tags: the local `Limiter.layer` / `TokenBucket.layer` fit the same tags, so the same code runs in one
 * process; only the layer below decides that every process shares one limit.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Limiter, TokenBucket, type WorkQueue } from "@fiberkit/core"
import { RedisConnection, RedisLimiter, RedisTokenBucket, RedisWorkQueue } from "@fiberkit/redis"
import type { RedisError } from "@fiberkit/redis/RedisConnection"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"

/** The run's settings: chosen by the coordinator, read by every worker. */
export interface RunConfig {
  readonly redisUrl: string
  readonly upstreamUrl: string
  /** Items the coordinator offers. */
  readonly items: number
  /** Worker processes. */
  readonly processes: number
  /** Handler fibers in each worker process. */
  readonly fibersPerProcess: number
  /** The shared Limiter: upstream requests in flight across all processes. */
  readonly permits: number
  /** The shared TokenBucket: upstream requests started per second across all processes, and its burst. */
  readonly rate: number
  readonly burst: number
  /** How long a dead holder's permits and a dead worker's claimed items stay taken. */
  readonly leaseTtlMillis: number
  readonly visibilityTimeoutMillis: number
}

export const configVariable = "FIBERKIT_DISTRIBUTED_CONFIG"

export const Item = Schema.Struct({ id: Schema.Int })
export type Item = typeof Item.Type

/** The price the upstream's `/items/:id` answers (the application adds it up once per item). */
export const priceOf = (id: number) => id % 97

/** Redis keys of the application (the primitives keep theirs under `fiberkit:`). */
export const keys = {
  /** id -> how many times a handler started on it. */
  deliveries: "demo:deliveries",
  /** The ids whose effect was applied: the idempotency record. */
  applied: "demo:applied",
  /** id -> the worker that applied it. */
  appliedBy: "demo:applied-by",
  /** The application's effect: the sum of the prices, once per item. */
  revenue: "demo:revenue",
  /** Per worker: deliveries, redeliveries, skipped, upstream, applied, duplicates, inFlight. */
  worker: (name: string) => `demo:worker:${name}`
} as const

export const names = { limiter: "demo-upstream-slots", bucket: "demo-upstream-rate", queue: "demo-items" } as const

export class UpstreamSlots
  extends Context.Tag("@fiberkit/demo-distributed/UpstreamSlots")<UpstreamSlots, Limiter.Limiter<RedisError>>()
{}

export class UpstreamRate
  extends Context.Tag("@fiberkit/demo-distributed/UpstreamRate")<UpstreamRate, TokenBucket.TokenBucket<RedisError>>()
{}

/** The shared Limiter and TokenBucket over the process's Redis connection. */
export const sharedLimits = (config: RunConfig) =>
  Layer.merge(
    RedisLimiter.layer(UpstreamSlots, {
      name: names.limiter,
      permits: config.permits,
      leaseTtl: Duration.millis(config.leaseTtlMillis),
      label: "upstream slots"
    }),
    RedisTokenBucket.layer(UpstreamRate, {
      name: names.bucket,
      rate: config.rate,
      per: "1 second",
      burst: config.burst,
      label: "upstream rate"
    })
  )

// Start of a delivery, in one step: count it, and tell the handler whether this item was already applied
// (a previous holder finished the work but died before the queue heard about it).
const beginScript = RedisConnection.defineScript(
  "demo.begin",
  `local n = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HINCRBY', KEYS[2], 'deliveries', 1)
if n > 1 then redis.call('HINCRBY', KEYS[2], 'redeliveries', 1) end
local done = redis.call('SISMEMBER', KEYS[3], ARGV[1])
if done == 1 then redis.call('HINCRBY', KEYS[2], 'skipped', 1) else redis.call('HINCRBY', KEYS[2], 'inFlight', 1) end
return {n, done}`
)

// The idempotent effect: mark the item applied and add its price in ONE script, so a kill can never leave
// one without the other, and a second delivery (even one running at the same time) adds nothing.
const applyScript = RedisConnection.defineScript(
  "demo.apply",
  `redis.call('HINCRBY', KEYS[4], 'inFlight', -1)
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then
  redis.call('HINCRBY', KEYS[4], 'duplicates', 1)
  return 0
end
redis.call('INCRBY', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[4], 'applied', 1)
return 1`
)

const ItemAnswer = Schema.Struct({ id: Schema.Number, price: Schema.Number })

// A Redis command timing out on a loaded machine, or a refused connection, is worth another try: both steps
// retried with it are idempotent (a GET, and the apply script). Not the begin script: it counts.
const transient = {
  schedule: Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(3))),
  while: (error: unknown) =>
    RedisConnection.isRedisError(error) ||
    (typeof error === "object" && error !== null && "_tag" in error && error._tag === "RequestError")
}

/**
 * The application's handler: fetch the item's price from the upstream (under one shared permit and one
 * shared token) and apply it exactly once. A redelivered item is recognised twice over: its delivery count
 * says it was handed out before, and the applied set says whether the work already happened.
 */
export const handler = (config: RunConfig, worker: string) => (item: Item) =>
  Effect.gen(function*() {
    const redis = yield* RedisConnection.RedisConnection
    const slots = yield* UpstreamSlots
    const rate = yield* UpstreamRate
    const http = yield* HttpClient.HttpClient
    const id = String(item.id)
    const [, alreadyApplied] = (yield* redis.run("demo.begin", beginScript, [
      keys.deliveries,
      keys.worker(worker),
      keys.applied
    ], [id])) as [number, number]
    if (alreadyApplied === 1) return "skipped" as const
    // Permit first, then the token: the request starts right after its token, so the upstream sees the
    // bucket's spacing (a token taken while waiting for a permit would arrive late and bunch up).
    const answer = yield* Effect.gen(function*() {
      yield* redis.use("demo.count-upstream", (client) => client.hincrby(keys.worker(worker), "upstream", 1))
      const response = yield* http.get(`${config.upstreamUrl}/items/${id}`)
      return yield* HttpClientResponse.schemaBodyJson(ItemAnswer)(response)
    }).pipe(Effect.scoped, TokenBucket.withTokens(rate), Limiter.withPermit(slots), Effect.retry(transient))
    // Safe to repeat: a second run of the script finds the mark and adds nothing.
    const applied = yield* redis.run("demo.apply", applyScript, [
      keys.applied,
      keys.revenue,
      keys.appliedBy,
      keys.worker(worker)
    ], [id, answer.price, worker]).pipe(Effect.retry(transient))
    return applied === 1 ? "applied" as const : "duplicate" as const
  })

/** Every process joins the same queue; the coordinator with `workers: 0` (a producer only). */
export const joinQueue = (config: RunConfig, worker: string, workers: number) =>
  RedisWorkQueue.make({
    name: names.queue,
    schema: Item,
    capacity: config.items,
    workers,
    handler: handler(config, worker),
    onFailure: "collect",
    onClose: "discard",
    visibilityTimeout: Duration.millis(config.visibilityTimeoutMillis),
    label: "items"
  })

export type ItemsQueue = WorkQueue.WorkQueue<Item, unknown, "collect", RedisError>

/** The figures a worker keeps in `keys.worker(name)`. */
export interface WorkerFigures {
  readonly deliveries: number
  readonly redeliveries: number
  readonly skipped: number
  readonly upstream: number
  readonly applied: number
  readonly duplicates: number
  readonly inFlight: number
}

export const readFigures = (worker: string) =>
  Effect.flatMap(
    RedisConnection.RedisConnection,
    (redis) => redis.use("demo.figures", (client) => client.hgetall(keys.worker(worker)))
  ).pipe(
    Effect.map((hash): WorkerFigures => {
      const n = (field: string) => Number(hash[field] ?? "0")
      return {
        deliveries: n("deliveries"),
        redeliveries: n("redeliveries"),
        skipped: n("skipped"),
        upstream: n("upstream"),
        applied: n("applied"),
        duplicates: n("duplicates"),
        inFlight: n("inFlight")
      }
    })
  )

/** One line a worker writes on stdout for the coordinator. */
export type WorkerMessage =
  | { readonly type: "ready"; readonly pid: number }
  | {
    readonly type: "done"
    readonly pid: number
    readonly processed: number
    readonly failed: number
    /** The first failing item's Cause, rendered (a Cause does not cross processes). */
    readonly firstFailure: string | undefined
  }

export const messagePrefix = "@@distributed "
