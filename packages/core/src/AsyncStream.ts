/**
 * Streams where Python has async iterators and async generators: `async for`,
 * an async generator's `finally`, paginated APIs, `aiofiles` line reading and
 * "process these items, at most N at a time".
 *
 * - `fromAsyncIterable` turns any async iterable (an async generator, a Node
 *   readable, a driver's cursor) into a `Stream`. When the stream stops early
 *   (a `take`, a downstream failure, interruption) the generator is closed:
 *   its `AbortSignal` is aborted and `return()` is awaited, so its `finally`
 *   runs, which is what `aclose()` does for Python's async generators.
 * - `toAsyncIterable` goes the other way for code that wants `for await`.
 *   Unlike `Stream.toAsyncIterable` it is scoped: the stream runs with the
 *   caller's services, `break` resolves only once the stream's finalizers
 *   have run, and closing the caller's scope ends every iterator made from it
 *   (no fiber outlives it: the leak of effect issue #5221 cannot happen here).
 * - `paginate` reads a paginated API lazily: a page is fetched only when the
 *   consumer wants more items.
 * - `mapBounded` maps with an effect, at most `concurrency` at a time.
 * - `lines` reads a file line by line through `@effect/platform`'s
 *   `FileSystem`, in memory bounded by the chunk size.
 *
 * @since 0.1.0
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import * as internal from "./internal/asyncStream.js"
import type { InvalidArgumentError } from "./InvalidArgument.js"

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
 * The async iterator threw (or rejected) while producing a value. `cause` is
 * what it threw.
 *
 * @example
 * ```ts
 * import { AsyncStream } from "@fiberkit/core"
 *
 * const error = new AsyncStream.IterationError({ operation: "rows", cause: new Error("connection lost") })
 * console.log(error.message) // rows: the async iterator threw Error: connection lost
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const IterationError = internal.IterationError

/**
 * @since 0.1.0
 * @category errors
 */
export type IterationError = internal.IterationError

/**
 * @since 0.1.0
 * @category guards
 */
export const isIterationError: (u: unknown) => u is IterationError = internal.isIterationError

/**
 * @since 0.1.0
 * @category models
 */
export interface FromOptions {
  /** Names the source in errors (default `"fromAsyncIterable"`). */
  readonly operation?: string | undefined
}

/**
 * One page of a paginated API: its items and the cursor of the next page, if any.
 *
 * @since 0.1.0
 * @category models
 */
export interface Page<A, C> {
  readonly items: ReadonlyArray<A>
  readonly next: Option.Option<C>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LinesOptions {
  /** Bytes read at a time (default 65,536). */
  readonly chunkSize?: number | undefined
}

/**
 * A `Stream` of the values of an async iterable. Pass a function of an
 * `AbortSignal` to let the source stop waiting when the stream stops early.
 *
 * @example
 * ```ts
 * import { AsyncStream } from "@fiberkit/core"
 * import { Stream } from "effect"
 *
 * async function* ticks() {
 *   try {
 *     for (let i = 0; ; i++) yield i
 *   } finally {
 *     console.log("generator closed")
 *   }
 * }
 *
 * // prints "generator closed" once three values were taken
 * const firstThree = AsyncStream.fromAsyncIterable(ticks()).pipe(Stream.take(3), Stream.runCollect)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromAsyncIterable: <A>(
  source: AsyncIterable<A> | ((signal: AbortSignal) => AsyncIterable<A>),
  options?: FromOptions
) => Stream.Stream<A, IterationError | InvalidArgumentError> = internal.fromAsyncIterable

/**
 * An `AsyncIterable` over a stream, for `for await` code. Each iterator pulls
 * the stream on demand with the caller's services; `break` (or `return()`)
 * resolves after the stream's finalizers ran; closing the scope stops every
 * iterator. A failure of the stream is thrown from `next()` as its error.
 *
 * @example
 * ```ts
 * import { AsyncStream } from "@fiberkit/core"
 * import { Effect, Stream } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const iterable = yield* AsyncStream.toAsyncIterable(Stream.range(1, 1_000_000))
 *   yield* Effect.promise(async () => {
 *     for await (const n of iterable) if (n === 3) break
 *   })
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category conversions
 */
export const toAsyncIterable: <A, E, R>(
  self: Stream.Stream<A, E, R>
) => Effect.Effect<AsyncIterable<A>, never, R | Scope.Scope> = internal.toAsyncIterable

/**
 * The items of a paginated API as one stream, starting from cursor `first`.
 * Pages are fetched one at a time and only on demand.
 *
 * @example
 * ```ts
 * import { AsyncStream } from "@fiberkit/core"
 * import { Effect, Option, Stream } from "effect"
 *
 * const fetchPage = (page: number) =>
 *   Effect.succeed({
 *     items: Array.from({ length: 10 }, (_, i) => page * 10 + i),
 *     next: page < 9 ? Option.some(page + 1) : Option.none()
 *   })
 *
 * const first25 = AsyncStream.paginate(0, fetchPage).pipe(Stream.take(25), Stream.runCollect)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const paginate: <C, A, E, R>(
  first: C,
  fetchPage: (cursor: C) => Effect.Effect<Page<A, C>, E, R>
) => Stream.Stream<A, E | InvalidArgumentError, R> = internal.paginate

/**
 * Maps each element with an effect, at most `concurrency` at a time, in the
 * order of the input (or as they finish with `ordered: false`).
 *
 * @example
 * ```ts
 * import { AsyncStream } from "@fiberkit/core"
 * import { Effect, Stream } from "effect"
 *
 * const enriched = Stream.range(1, 100).pipe(
 *   AsyncStream.mapBounded(8, (id) => Effect.succeed({ id, name: `item ${id}` }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const mapBounded: {
  <A, B, E2, R2>(
    concurrency: number,
    f: (a: A) => Effect.Effect<B, E2, R2>,
    options?: { readonly ordered?: boolean | undefined }
  ): <E, R>(self: Stream.Stream<A, E, R>) => Stream.Stream<B, E | E2 | InvalidArgumentError, R | R2>
  <A, E, R, B, E2, R2>(
    self: Stream.Stream<A, E, R>,
    concurrency: number,
    f: (a: A) => Effect.Effect<B, E2, R2>,
    options?: { readonly ordered?: boolean | undefined }
  ): Stream.Stream<B, E | E2 | InvalidArgumentError, R | R2>
} = internal.mapBounded

/**
 * The lines of a text file (UTF-8), read `chunkSize` bytes at a time through
 * `FileSystem`: the `aiofiles` way of reading a file too large for memory.
 * Line endings (`\n`, `\r\n`) are removed.
 *
 * @example
 * ```ts
 * import { AsyncStream } from "@fiberkit/core"
 * import { Stream } from "effect"
 *
 * const errors = AsyncStream.lines("/var/log/app.log").pipe(
 *   Stream.filter((line) => line.includes("ERROR")),
 *   Stream.runCount
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const lines: (
  path: string,
  options?: LinesOptions
) => Stream.Stream<string, PlatformError.PlatformError | InvalidArgumentError, FileSystem.FileSystem> = internal.lines
