/**
 * `WorkQueue` shared by several processes through Redis. It is the same
 * `WorkQueue.WorkQueue` as `@fiberkit/core`'s (same module functions: `offer`,
 * `offerAll`, `end`, `awaitIdle`, `shutdown`, `statistics`, `failures`), so a
 * program moves from one process to many by swapping the layer. Items cross
 * process boundaries encoded with a `Schema` (JSON of the encoded side).
 *
 * **Delivery: at-least-once, with a visibility timeout.** A worker claims an
 * item: one Lua script moves it from the pending list to an in-flight sorted
 * set scored by its deadline (Redis `TIME` + `visibilityTimeout`). While the
 * handler runs, a fiber per process pushes the deadline of every claim it holds
 * (three times per timeout). When the handler ends, the item is settled: removed
 * for good and counted as succeeded or failed. A process that dies (even
 * `kill -9`) stops refreshing; once its deadlines pass, the next claim or
 * statistics call from any process puts its items back at the head of the
 * pending list, their delivery count kept, and another worker takes them.
 * Nothing is lost: at every moment
 * `processed + discarded + queued + inFlight = offered` (global figures).
 * The price is that an item can be processed twice (a worker that was only
 * slow past its timeout, a crash after the handler but before the settle):
 * handlers must be idempotent. A poison item that kills every worker taking
 * it would go round for ever: `maxDeliveries` drops an item claimed that many
 * times without being settled or handed back (counted as `discarded`, kept in
 * the `dead` hash). An item is settled as soon as its handler ends, not
 * with its worker's next claim: one fiber per process sends the settlements
 * as they come (those recorded during one round trip go together in the
 * next), so a process killed in the middle of a batch has the items it
 * finished counted, and only the one it was running (with any it had not
 * started) comes back. A settle that arrives after the claim expired still
 * completes the item, and a second settle of the same item counts nothing.
 *
 * **Handler failures.** A failure is not redelivered: the handler ran, the item
 * is settled as failed (global `failed` counter) and, in this process,
 * `failures` returns it with its `Cause` (a `Cause` does not cross processes:
 * each process sees the failures of its own workers). In `"collect"` mode the
 * workers go on. In `"fail-fast"` mode the first failure stops *this
 * process's* part: its other handlers are interrupted and their items handed
 * back to the pending list (not discarded: they belong to the shared queue),
 * its offers fail with `WorkQueueClosedError` (reason `"failed"`), and its
 * `awaitIdle` fails with the handler's error. Other processes go on.
 * An item whose payload no longer decodes with the schema is settled as
 * `discarded` (and logged) instead of being redelivered forever.
 *
 * **What is shared and what is per process.**
 * - `capacity` bounds the shared pending list: `offer` waits while it holds
 *   `capacity` items (give every process the same value).
 * - `end` is global: it marks the shared input as ended in Redis; every
 *   process's offers fail from then on, and every process's workers stop once
 *   nothing is pending or in flight anywhere.
 * - `awaitIdle` waits until nothing is pending or in flight *globally* (so this
 *   process's workers are idle too): every item offered so far, by anyone, has
 *   been processed. With `workers: 0` the process is a producer only, and
 *   `awaitIdle` waits for the other processes to do the work.
 * - `shutdown` (and closing the scope, as `onClose` says) acts on this
 *   process only (other processes may still be offering and working).
 *   `"drain"` is a warm shutdown, like Celery's: this process's input closes,
 *   its workers claim nothing more, finish the items they already hold and
 *   settle them, then stop (unstarted items behind one that runs long still
 *   go back to the queue after 20 ms, as at any time). It is bounded by what this process holds, never
 *   by the shared queue, which may never empty while others keep offering:
 *   pending items stay for the other processes. To see everything processed
 *   first, wait with `awaitIdle` (or {@link awaitEnd}) before closing.
 *   `"discard"` interrupts this process's handlers now and hands their items
 *   back. Neither deletes shared items, so `discardedItems` is always empty and
 *   `discarded` counts only undecodable items (and those past `maxDeliveries`); items left pending wait in Redis
 *   for any process (including a later run with the same `name`). The report's
 *   figures are the global ones at the moment this process stopped.
 * - {@link awaitEnd} is for a worker process: it waits until some process has
 *   called `end` and every item has been processed.
 * - `statistics`: `offered`, `queued`, `inFlight`, `succeeded`, `failed`,
 *   `processed`, `discarded` and `peakQueued` are global (read from Redis in
 *   one script); `waitingOffers`, `workers`, `workersRunning` and
 *   `processedByWorker` are this process's. `inFlight` counts claimed items:
 *   a worker claims a fair share of what is pending (pending / 2 × its
 *   process's workers, between 1 and 16) and no more than about 20 ms of
 *   work by its handler's recent average, so fast handlers get batches (one
 *   round trip for many items) while a shallow queue or slow handlers are
 *   served item by item. The items of a batch not started yet are in flight
 *   too: refreshed, handed back if the process stops, and handed back (to
 *   the head of the pending list, not counted as a redelivery) once the item
 *   before them has run for 20 ms, so one slow item never keeps fast ones
 *   from idle workers elsewhere.
 * - `end` is permanent for a name: to use the name again, delete its keys.
 *
 * **Interruption.** An `offer` interrupted while it waits for room adds
 * nothing; one interrupted during its round trip to Redis may already have
 * been accepted (Redis cannot take a command back), as `statistics` will show.
 * A worker's claim is one uninterruptible round trip, so an interruption never
 * leaves an item claimed by nobody; interrupted handlers hand their items back.
 *
 * **Redis down.** Every operation fails fast with `RedisError` (the connection
 * has no offline queue and a command timeout): `offer`, `end`, `awaitIdle`,
 * `statistics`, `shutdown`'s report. Workers do not fail: they (and the fiber
 * that sends settlements) log once, keep what they finished, and retry with
 * backoff (50 ms doubling to 2 s); when Redis is back they log it, settle and
 * go on. Claims that outlived the outage are
 * redelivered. A draining or discarding process does not wait for Redis: its
 * workers stop and their claims expire.
 *
 * **Why our own Lua and not BullMQ.** BullMQ (6.x, MIT, 5 dependencies besides
 * ioredis) is a complete job system: delays, repeat/cron, priorities, flows,
 * rate limits, its own `Worker` class that calls a Promise processor with its
 * own concurrency, lock renewal and a stalled-job checker (which *fails* a job
 * after `maxStalledCount` stalls instead of redelivering it). What this module
 * needs is narrower and partly absent there: a bounded queue whose `offer`
 * waits for room (BullMQ's `add` never waits), an end-of-input state, `awaitIdle`,
 * a counted shutdown, handlers that are Effects interrupted through their
 * fiber, and items typed by a `Schema`. Wrapping BullMQ would have meant
 * building all of that on top and translating its events back; the whole
 * protocol here is five short scripts (`internal/redisWorkQueueLua.ts`) on the
 * connection the other Redis modules already share, with no new dependency.
 *
 * Keys: `fiberkit:workqueue:{<name>}:*` (one hash tag per queue). Requires Redis
 * 6.2 or later (`RPOP` with a count).
 *
 * @since 0.1.0
 */
import type { InvalidArgument, WorkQueue } from "@fiberkit/core"
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/redisWorkQueue.js"
import type { RedisConnection, RedisError } from "./RedisConnection.js"

/**
 * The local `WorkQueue.Options`, plus where the queue lives and how its items
 * are encoded.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<A, I, E, R, M extends WorkQueue.FailureMode>
  extends Omit<WorkQueue.Options<A, E, R, M>, "workers">
{
  /** The queue's name in Redis: processes using the same name share the queue (no `{` or `}`). */
  readonly name: string
  /** Encodes items to JSON on `offer` and decodes them in the worker that claims them. */
  readonly schema: Schema.Schema<A, I>
  /** This process's worker fibers; `0` makes a producer-only process. */
  readonly workers: number
  /**
   * How long a claimed item stays invisible to other workers without a
   * refresh. The holder refreshes it three times per timeout while the
   * handler runs, so the timeout bounds how late a crash is noticed, not how
   * long a handler may take. Default 30 seconds.
   */
  readonly visibilityTimeout?: Duration.DurationInput | undefined
  /**
   * The longest an idle worker (or a producer waiting for room, or
   * `awaitIdle`) sleeps between two looks at Redis; the wait starts at 1 ms
   * and doubles up to this. The scripts publish wake-ups (new items, room,
   * idle, end) on the channel `fiberkit:workqueue:{<name>}:meta:wake`, so waiters
   * usually go on at once; the poll covers a lost message (pub/sub is at most
   * once) and is how an idle worker notices lapsed claims. Default 200 ms.
   */
  readonly pollInterval?: Duration.DurationInput | undefined
  /**
   * How many times an item may be claimed without being settled or handed
   * back (its worker died, or lost the claim) before it is dropped: counted as
   * `discarded`, logged, and kept in the hash `fiberkit:workqueue:{<name>}:dead`.
   * The guard against a poison item that kills every process that takes it.
   * Default: no limit (an item is redelivered until it is processed).
   */
  readonly maxDeliveries?: number | undefined
}

/**
 * `WorkQueue.Statistics` plus figures only a shared queue has.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisStatistics extends WorkQueue.Statistics {
  /** Claims that expired and were put back to pending (global): each one is a redelivery. */
  readonly redelivered: number
  /** Whether some process has called `end`. */
  readonly ended: boolean
  /** Claims of this process that expired before it could refresh them (their items may run twice). */
  readonly claimsLost: number
}

/**
 * Joins (or creates) the queue `name` and starts this process's workers for
 * the lifetime of the scope; closing the scope shuts this process's part down
 * as `onClose` says (`"drain"`: finish and settle what this process holds, claim
 * nothing more; items still pending stay in Redis). Fails with
 * `InvalidArgumentError` for bad options and with `RedisError` when Redis
 * cannot be reached now.
 *
 * @example
 * ```ts
 * import { WorkQueue } from "@fiberkit/core"
 * import { RedisConnection, RedisWorkQueue } from "@fiberkit/redis"
 * import { Effect, Schema } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const queue = yield* RedisWorkQueue.make({
 *     name: "thumbnails",
 *     schema: Schema.Struct({ path: Schema.String }),
 *     capacity: 1_000,
 *     workers: 4,
 *     handler: ({ path }) => Effect.log(`resizing ${path}`),
 *     onFailure: "collect",
 *     onClose: "drain",
 *     visibilityTimeout: "10 seconds"
 *   })
 *   yield* WorkQueue.offerAll(queue, [{ path: "a.png" }, { path: "b.png" }])
 *   yield* WorkQueue.awaitIdle(queue) // every process's workers count
 *   return yield* WorkQueue.statistics(queue)
 * })).pipe(Effect.provide(RedisConnection.layer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <A, I, E, R, M extends WorkQueue.FailureMode>(
  options: Options<A, I, E, R, M>
) => Effect.Effect<
  WorkQueue.WorkQueue<A, E, M, RedisError>,
  InvalidArgument.InvalidArgumentError | RedisError,
  RedisConnection | Scope.Scope | R
> = internal.make

/**
 * {@link make} as a scoped layer for a service tag that says
 * `WorkQueue.WorkQueue<A, E, M, RedisError>`: the same tag accepts
 * `WorkQueue.layer` (local) and this one.
 *
 * @example
 * ```ts
 * import { WorkQueue } from "@fiberkit/core"
 * import { RedisConnection, RedisWorkQueue } from "@fiberkit/redis"
 * import { Context, Effect, Layer, Schema } from "effect"
 *
 * class Jobs extends Context.Tag("Jobs")<
 *   Jobs,
 *   WorkQueue.WorkQueue<number, never, "collect", RedisConnection.RedisError>
 * >() {}
 *
 * const Shared = RedisWorkQueue.layer(Jobs, {
 *   name: "jobs",
 *   schema: Schema.Number,
 *   capacity: 100,
 *   workers: 2,
 *   handler: (n) => Effect.log(n),
 *   onFailure: "collect",
 *   onClose: "drain"
 * }).pipe(Layer.provide(RedisConnection.layer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <Id, A, I, E, R, M extends WorkQueue.FailureMode>(
  tag: Context.Tag<Id, WorkQueue.WorkQueue<A, E, M, RedisError>>,
  options: Options<A, I, E, R, M>
) => Layer.Layer<Id, InvalidArgument.InvalidArgumentError | RedisError, RedisConnection | Exclude<R, Scope.Scope>> =
  internal.layer

/**
 * For a worker process: waits until the shared input has ended (some process
 * called `end`) and every item has been processed, nothing pending or in
 * flight anywhere. By then this process's workers have stopped on their own.
 * In `"fail-fast"` mode it fails with this process's first handler failure.
 * Fails with `InvalidArgumentError` for a queue that `make` did not create.
 *
 * @example
 * ```ts
 * import { RedisWorkQueue } from "@fiberkit/redis"
 * import { Effect, Schema } from "effect"
 *
 * const worker = Effect.scoped(Effect.gen(function*() {
 *   const queue = yield* RedisWorkQueue.make({
 *     name: "jobs",
 *     schema: Schema.Number,
 *     capacity: 100,
 *     workers: 4,
 *     handler: (n: number) => Effect.log(n),
 *     onFailure: "collect",
 *     onClose: "drain"
 *   })
 *   yield* RedisWorkQueue.awaitEnd(queue)
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const awaitEnd: <A, E, M extends WorkQueue.FailureMode>(
  self: WorkQueue.WorkQueue<A, E, M, RedisError>
) => Effect.Effect<void, WorkQueue.FailureOf<M, E> | RedisError | InvalidArgument.InvalidArgumentError> =
  internal.awaitEnd

/**
 * `WorkQueue.statistics` plus the redelivery figures. Fails with
 * `InvalidArgumentError` for a queue that `make` did not create.
 *
 * @example
 * ```ts
 * import { RedisWorkQueue } from "@fiberkit/redis"
 * import { Effect, Schema } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const queue = yield* RedisWorkQueue.make({
 *     name: "jobs", schema: Schema.Number, capacity: 100, workers: 1,
 *     handler: (n: number) => Effect.log(n), onFailure: "collect", onClose: "drain"
 *   })
 *   const stats = yield* RedisWorkQueue.statistics(queue)
 *   console.log(stats.redelivered, stats.processed + stats.queued + stats.inFlight === stats.offered)
 * }))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const statistics: <A, E, M extends WorkQueue.FailureMode>(
  self: WorkQueue.WorkQueue<A, E, M, RedisError>
) => Effect.Effect<RedisStatistics, RedisError | InvalidArgument.InvalidArgumentError> = internal.statistics
