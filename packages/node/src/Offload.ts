/**
 * Offload is how CPU-bound work leaves the event loop: Python's
 * `asyncio.to_thread`, `loop.run_in_executor` and `ProcessPoolExecutor` in one
 * place, built on `@effect/platform`'s `Worker` and `@effect/platform-node`'s
 * `NodeWorker` (worker threads, real parallelism on other cores).
 *
 * - A pool has a fixed number of worker threads; a job waits for a free one.
 * - Requests and answers are `Schema.TaggedRequest`s: each side encodes and
 *   decodes them, so a typed failure raised in the worker arrives in the
 *   caller's error channel as the same class.
 * - Interrupting a job terminates its worker thread and starts a fresh one in
 *   the background: a synchronous loop cannot be stopped any other way.
 * - A worker that dies mid-job fails that job with `OffloadError` ("crashed")
 *   and is replaced; the pool closes, and its threads end, with its scope.
 *
 * Why a pool and not `Effect.fork`? A fiber is not a thread: a fiber running a
 * 500 ms loop holds the one JavaScript thread for 500 ms, and every timer,
 * socket and other fiber waits. `measureEventLoop` shows it in numbers.
 *
 * @since 0.1.0
 */
import type * as WorkerRunner from "@effect/platform/WorkerRunner"
import type { InvalidArgumentError } from "@fiberkit/core/InvalidArgument"
import type * as Effect from "effect/Effect"
import type * as Inspectable from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as functionRequest from "./internal/functionRequest.js"
import * as internal from "./internal/offload.js"
import type * as ThreadBridge from "./ThreadBridge.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId as TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export const ErrorTypeId: unique symbol = internal.ErrorTypeId as ErrorTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type ErrorTypeId = typeof ErrorTypeId

/**
 * A pool of worker threads that all run the same worker module and answer the
 * requests of the union `I`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pool<in out I extends Schema.TaggedRequest.All> extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: TypeId
  readonly name: string
  readonly size: number
  readonly entry: URL
  /** Counts in the manner of trio's `statistics()`. */
  readonly statistics: Effect.Effect<Statistics>
  /** @internal */
  readonly _I?: (_: I) => I
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Statistics {
  readonly size: number
  /** Workers ready for a job now. */
  readonly idle: number
  /** Jobs running on a worker now. */
  readonly busy: number
  /** Callers waiting for a free worker. */
  readonly waiting: number
  readonly started: number
  readonly completed: number
  /** Jobs that ended in a typed failure, a defect or a crash. */
  readonly failed: number
  /** Jobs interrupted by their caller (each cost its worker a restart). */
  readonly interrupted: number
  /** Workers that died while running a job. */
  readonly crashed: number
  /** Fresh workers started in place of interrupted or crashed ones. */
  readonly replaced: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<R = never> {
  /** The worker module: a `file:` URL or a path; `.ts` entries are loaded through tsx. */
  readonly entry: URL | string
  /** Number of worker threads, 1 to 256 (default 1). */
  readonly size?: number | undefined
  /** Shown in errors and statistics (default: the entry's file name). */
  readonly name?: string | undefined
  /** How long a worker may take to report ready (default 15,000 ms). */
  readonly startupTimeoutMs?: number | undefined
  /**
   * Handlers this thread answers for the pool's workers (worker → main calls,
   * see `ThreadBridge`); each worker gets its own channel, closed with it.
   */
  readonly bridge?: ThreadBridge.Served<R> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FunctionPoolOptions {
  readonly size?: number | undefined
  readonly name?: string | undefined
  readonly startupTimeoutMs?: number | undefined
}

/**
 * Event-loop delay measured by `perf_hooks.monitorEventLoopDelay` while an
 * effect ran: how late the loop was, in ms, for timers and I/O callbacks.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoopDelay {
  readonly meanMs: number
  readonly p99Ms: number
  readonly maxMs: number
  readonly samples: number
}

/**
 * The pool could not do a job for reasons of its own (not the job's typed
 * failure): a worker would not start (`"spawn"`), a message would not cross
 * the boundary (`"encode"` / `"decode"`), the worker thread died while the
 * job ran (`"crashed"`), or the pool's scope closed before or while the job
 * ran (`"closed"`).
 *
 * @since 0.1.0
 * @category errors
 */
export interface OffloadError extends Error {
  readonly _tag: "OffloadError"
  readonly [ErrorTypeId]: ErrorTypeId
  readonly reason: OffloadError.Reason
  readonly pool: string
  readonly request: string | undefined
  readonly detail: string
  readonly cause?: unknown
}

/**
 * @since 0.1.0
 * @category errors
 */
export declare namespace OffloadError {
  /**
   * @since 0.1.0
   * @category errors
   */
  export type Reason = "spawn" | "encode" | "decode" | "crashed" | "closed" | "unknown"
}

/**
 * @example
 * ```ts
 * import { Offload } from "@fiberkit/node"
 *
 * const error = new Offload.OffloadError({
 *   reason: "crashed",
 *   pool: "hashing",
 *   request: "Hash",
 *   detail: "the worker thread exited while running Hash"
 * })
 * console.log(error.message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const OffloadError: new(args: {
  readonly reason: OffloadError.Reason
  readonly pool: string
  readonly request: string | undefined
  readonly detail: string
  readonly cause?: unknown
}) => OffloadError = internal.OffloadError

/**
 * @since 0.1.0
 * @category guards
 */
export const isOffloadError: (u: unknown) => u is OffloadError = internal.isOffloadError

/**
 * @since 0.1.0
 * @category guards
 */
export const isPool: (u: unknown) => u is Pool<any> = internal.isPool

/**
 * Starts `size` worker threads running `entry` (a module that calls
 * `Offload.serve`) and waits until each reports ready. The threads end when
 * the scope closes.
 *
 * @example
 * ```ts
 * import { Offload } from "@fiberkit/node"
 * import { Effect, Schema } from "effect"
 *
 * class Sieve extends Schema.TaggedRequest<Sieve>()("Sieve", {
 *   failure: Schema.Never,
 *   success: Schema.Number,
 *   payload: { limit: Schema.Number }
 * }) {}
 *
 * const primes = Effect.gen(function*() {
 *   const pool = yield* Offload.makePool<Sieve>({ entry: new URL("./sieve-worker.ts", import.meta.url), size: 2 })
 *   return yield* Offload.run(pool, new Sieve({ limit: 1_000_000 }))
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePool: <I extends Schema.TaggedRequest.All, R = never>(
  options: Options<R>
) => Effect.Effect<Pool<I>, OffloadError | InvalidArgumentError, Scope.Scope | R> = internal.makePool

/**
 * Runs one request on a free worker of the pool, waiting for one if all are
 * busy. The answer and the typed failure are decoded with the request's schemas.
 *
 * @example
 * ```ts
 * import { Offload } from "@fiberkit/node"
 * import { Effect, Schema } from "effect"
 *
 * class Hash extends Schema.TaggedRequest<Hash>()("Hash", {
 *   failure: Schema.Never,
 *   success: Schema.String,
 *   payload: { rounds: Schema.Number }
 * }) {}
 *
 * const digest = (pool: Offload.Pool<Hash>) =>
 *   pool.pipe(Offload.run(new Hash({ rounds: 100_000 })), Effect.timeout("2 seconds"))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const run: {
  <Req extends Schema.TaggedRequest.All>(
    request: Req
  ): <I extends Schema.TaggedRequest.All>(
    self: Pool<I>
  ) => Effect.Effect<Schema.WithResult.Success<Req>, Schema.WithResult.Failure<Req> | OffloadError>
  <I extends Schema.TaggedRequest.All, Req extends I>(
    self: Pool<I>,
    request: Req
  ): Effect.Effect<Schema.WithResult.Success<Req>, Schema.WithResult.Failure<Req> | OffloadError>
} = internal.run

/**
 * The body of a worker module: answer every request of `schema` with its
 * handler. Call it once at the top of the worker file.
 *
 * @example
 * ```ts
 * // sieve-worker.ts
 * import { Offload } from "@fiberkit/node"
 * import { Effect, Schema } from "effect"
 *
 * class Sieve extends Schema.TaggedRequest<Sieve>()("Sieve", {
 *   failure: Schema.Never,
 *   success: Schema.Number,
 *   payload: { limit: Schema.Number }
 * }) {}
 *
 * const countPrimes = (limit: number) => {
 *   const composite = new Uint8Array(limit + 1)
 *   let count = 0
 *   for (let i = 2; i <= limit; i++) {
 *     if (composite[i]) continue
 *     count++
 *     for (let j = i * i; j <= limit; j += i) composite[j] = 1
 *   }
 *   return count
 * }
 *
 * // Call `start()` at the top level of the worker file (serve throws on the main thread).
 * export const start = () => Offload.serve(Sieve, { Sieve: ({ limit }) => Effect.sync(() => countPrimes(limit)) })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const serve: <A extends Schema.TaggedRequest.All, I, R>(
  schema: Schema.Schema<A, I, R>,
  handlers: WorkerRunner.SerializedRunner.Handlers<A>
) => void = internal.serve

/**
 * What a function run with `call` threw, rebuilt on the caller's side.
 *
 * @since 0.1.0
 * @category errors
 */
export const FunctionError = functionRequest.FunctionError

/**
 * @since 0.1.0
 * @category errors
 */
export type FunctionError = functionRequest.FunctionError

/**
 * The request a function pool answers.
 *
 * @since 0.1.0
 * @category models
 */
export type RunFunction = functionRequest.RunFunction

/**
 * A pool for the one-call form: its workers run any self-contained function
 * they are sent (see `call`).
 *
 * @example
 * ```ts
 * import { Offload } from "@fiberkit/node"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const pool = yield* Offload.makeFunctionPool({ size: 2 })
 *   return yield* Offload.call(pool, (n: number) => {
 *     let sum = 0
 *     for (let i = 0; i < n; i++) sum += i
 *     return sum
 *   }, 10_000_000)
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeFunctionPool: (
  options?: FunctionPoolOptions
) => Effect.Effect<Pool<RunFunction>, OffloadError | InvalidArgumentError, Scope.Scope> = internal.makeFunctionPool

/**
 * `asyncio.to_thread(fn, *args)`: run `fn(...args)` on a worker of the pool.
 * `fn` travels as source text, so it must not use variables from around it;
 * arguments and result cross by structured clone. What it throws arrives as a
 * `FunctionError` keeping the name, message and stack.
 *
 * @example
 * ```ts
 * import { Offload } from "@fiberkit/node"
 *
 * const sum = (pool: Offload.Pool<Offload.RunFunction>) => Offload.call(pool, (a: number, b: number) => a + b, 1, 2)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const call: <Args extends ReadonlyArray<unknown>, A>(
  pool: Pool<RunFunction>,
  fn: (...args: Args) => A,
  ...args: Args
) => Effect.Effect<Awaited<A>, FunctionError | OffloadError | InvalidArgumentError> = internal.call

/**
 * Runs an effect while `perf_hooks.monitorEventLoopDelay` samples the event
 * loop, and returns its value with the delay seen meanwhile: the measurement
 * that shows whether CPU work blocked the loop.
 *
 * @example
 * ```ts
 * import { Offload } from "@fiberkit/node"
 * import { Effect } from "effect"
 *
 * const busy = Effect.sync(() => {
 *   const end = Date.now() + 200
 *   while (Date.now() < end) {}
 * })
 * const program = Effect.map(Offload.measureEventLoop(busy), ([, delay]) => delay.maxMs)
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const measureEventLoop: <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options?: { readonly resolutionMs?: number | undefined }
) => Effect.Effect<[A, LoopDelay], E | InvalidArgumentError, R> = internal.measureEventLoop
