/**
 * Lesson 12: streams. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 12
 */
import type * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { unsolved } from "../_shared/lesson.js"

/** A page of a catalogue API: items and the number of the next page, or null on the last. */
export interface CataloguePage {
  readonly items: ReadonlyArray<number>
  readonly nextPage: number | null
}

export type FetchPage = (page: number) => Effect.Effect<CataloguePage>

/**
 * Part 1: every item of the catalogue, starting at page 1, as one Stream. Pages must be fetched
 * only when needed (`AsyncStream.paginate`).
 */
export const catalogue = (fetchPage: FetchPage): Stream.Stream<number, unknown> =>
  Stream.fromEffect(
    unsolved(`catalogue(${typeof fetchPage}): AsyncStream.paginate from page 1, next = Option.fromNullable(nextPage)`)
  )

/**
 * Part 2: the first `n` items of the catalogue, each turned into a string by `describe`, at most
 * `concurrency` at a time, in catalogue order. No page beyond the ones holding those `n` items may
 * be fetched.
 */
export const describeFirst = <E>(
  fetchPage: FetchPage,
  describe: (item: number) => Effect.Effect<string, E>,
  n: number,
  concurrency: number
): Effect.Effect<Array<string>, unknown> =>
  unsolved(`describeFirst(${n}, ${concurrency}): catalogue, Stream.take, AsyncStream.mapBounded`)

/** Part 3: the first `n` values of an async generator, which must be closed (its finally must run). */
export const firstValues = <A>(source: AsyncIterable<A>, n: number): Effect.Effect<Array<A>, unknown> =>
  unsolved(`firstValues(${n}): AsyncStream.fromAsyncIterable and Stream.take`)
