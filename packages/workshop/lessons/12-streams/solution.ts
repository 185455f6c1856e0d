/**
 * Lesson 12, reference solution.
 */
import { AsyncStream } from "@fiberkit/core"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

/** A page of a catalogue API: items and the number of the next page, or null on the last. */
export interface CataloguePage {
  readonly items: ReadonlyArray<number>
  readonly nextPage: number | null
}

export type FetchPage = (page: number) => Effect.Effect<CataloguePage>

/** Every item of the catalogue, page 1 first, as one stream. */
export const catalogue = (fetchPage: FetchPage) =>
  AsyncStream.paginate(
    1,
    (page: number) =>
      Effect.map(fetchPage(page), (body) => ({ items: body.items, next: Option.fromNullable(body.nextPage) }))
  )

/** The first `n` items, each looked up with `describe`, at most `concurrency` lookups at once. */
export const describeFirst = <E>(
  fetchPage: FetchPage,
  describe: (item: number) => Effect.Effect<string, E>,
  n: number,
  concurrency: number
) =>
  catalogue(fetchPage).pipe(
    Stream.take(n),
    AsyncStream.mapBounded(concurrency, describe),
    Stream.runCollect,
    Effect.map(Chunk.toArray)
  )

/** The first `n` values of an async generator, which must be closed afterwards. */
export const firstValues = <A>(source: AsyncIterable<A>, n: number) =>
  AsyncStream.fromAsyncIterable(source).pipe(Stream.take(n), Stream.runCollect, Effect.map(Chunk.toArray))
