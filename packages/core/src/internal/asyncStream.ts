import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as AsyncStream from "../AsyncStream.js"
import { InvalidArgumentError } from "../InvalidArgument.js"

/** @internal */
export const ErrorTypeId: AsyncStream.ErrorTypeId = Symbol.for(
  "@fiberkit/core/AsyncStream/IterationError"
) as AsyncStream.ErrorTypeId

/** @internal */
export class IterationError extends Data.TaggedError("IterationError")<{
  readonly operation: string
  readonly cause: unknown
}> {
  readonly [ErrorTypeId]: AsyncStream.ErrorTypeId = ErrorTypeId
  override get message(): string {
    const cause = this.cause instanceof Error ? `${this.cause.name}: ${this.cause.message}` : String(this.cause)
    return `${this.operation}: the async iterator threw ${cause}`
  }
}

/** @internal */
export const isIterationError = (u: unknown): u is AsyncStream.IterationError => Predicate.hasProperty(u, ErrorTypeId)

const invalid = (operation: string, argument: string, expected: string, actual: unknown) =>
  new InvalidArgumentError({ operation, argument, expected, actual })

const isAsyncIterable = (u: unknown): u is AsyncIterable<unknown> =>
  Predicate.hasProperty(u, Symbol.asyncIterator) && typeof u[Symbol.asyncIterator] === "function"

/** @internal */
export const fromAsyncIterable = <A>(
  source: AsyncIterable<A> | ((signal: AbortSignal) => AsyncIterable<A>),
  options?: AsyncStream.FromOptions
): Stream.Stream<A, IterationError | InvalidArgumentError> => {
  const operation = options?.operation ?? "fromAsyncIterable"
  if (typeof source !== "function" && !isAsyncIterable(source)) {
    return Stream.fail(
      invalid("AsyncStream.fromAsyncIterable", "source", "an AsyncIterable or (signal) => AsyncIterable", source)
    )
  }
  return Stream.unwrapScoped(Effect.gen(function*(): Effect.fn.Return<
    Stream.Stream<A, IterationError | InvalidArgumentError>,
    never,
    Scope.Scope
  > {
    const controller = new AbortController()
    const iterable = typeof source === "function" ? source(controller.signal) : source
    if (!isAsyncIterable(iterable)) {
      return Stream.fail(invalid("AsyncStream.fromAsyncIterable", "source()", "an AsyncIterable", iterable))
    }
    const iterator = iterable[Symbol.asyncIterator]()
    let finished = false
    // On an early stop (take, an error downstream, interruption) the signal is aborted
    // first, so a generator blocked on I/O can stop, then return() runs its finally.
    yield* Effect.addFinalizer(() =>
      finished ? Effect.void : Effect.suspend(() => {
        controller.abort()
        return typeof iterator.return === "function" ?
          Effect.promise(async () => {
            try {
              await iterator.return!()
            } catch {
              // A generator that throws while closing has nothing left to give.
            }
          }) :
          Effect.void
      })
    )
    return Stream.repeatEffectOption(
      Effect.tryPromise({
        try: () => iterator.next(),
        catch: (cause) => Option.some(new IterationError({ operation, cause }))
      }).pipe(
        Effect.flatMap((result) => {
          if (result.done) {
            finished = true
            return Effect.fail(Option.none())
          }
          return Effect.succeed(result.value)
        }),
        Effect.tapError((error) =>
          Effect.sync(() => {
            if (Option.isSome(error)) finished = true
          })
        )
      )
    )
  }))
}

/** @internal */
export const toAsyncIterable = <A, E, R>(
  self: Stream.Stream<A, E, R>
): Effect.Effect<AsyncIterable<A>, never, R | Scope.Scope> =>
  Effect.gen(function*() {
    const parent = yield* Effect.scope
    const runtime = yield* Effect.runtime<R>()
    const runFork = Runtime.runFork(runtime)
    const runPromise = Runtime.runPromise(runtime)
    let parentClosed = false
    const inFlight = new Set<Fiber.RuntimeFiber<unknown, unknown>>()
    // Closing the caller's scope stops pulls in progress; each iterator's own scope
    // (a child of this one) then releases what the stream holds.
    yield* Scope.addFinalizer(
      parent,
      Effect.suspend(() => {
        parentClosed = true
        return Fiber.interruptAll(inFlight)
      })
    )
    return {
      [Symbol.asyncIterator](): AsyncIterator<A> {
        // Each iterator owns a scope inside the caller's: return() closes it (the stream's
        // finalizers run before return() resolves) and so does closing the caller's scope.
        let scope: Scope.CloseableScope | undefined
        let pull: Effect.Effect<Chunk.Chunk<A>, Option.Option<E>, R> | undefined
        let buffer: Array<A> = []
        let done = false
        let current: Fiber.RuntimeFiber<Chunk.Chunk<A>, Option.Option<E>> | undefined
        let queue: Promise<unknown> = Promise.resolve()
        const finish = (): Promise<IteratorResult<A>> => {
          done = true
          const toClose = scope
          scope = undefined
          return toClose === undefined ?
            Promise.resolve({ done: true, value: undefined }) :
            runPromise(Scope.close(toClose, Exit.void)).then(() => ({ done: true, value: undefined }))
        }
        const step = (): Promise<IteratorResult<A>> => {
          if (buffer.length > 0) return Promise.resolve({ done: false, value: buffer.shift()! })
          if (done || parentClosed) return finish()
          return new Promise<IteratorResult<A>>((resolve, reject) => {
            const start = pull === undefined ?
              Effect.gen(function*() {
                scope = yield* Scope.fork(parent, ExecutionStrategy.sequential)
                pull = yield* Scope.extend(Stream.toPull(self), scope)
                return yield* pull
              }) :
              pull
            const fiber = runFork(start as Effect.Effect<Chunk.Chunk<A>, Option.Option<E>, R>)
            current = fiber
            inFlight.add(fiber)
            fiber.addObserver((exit) => {
              inFlight.delete(fiber)
              current = undefined
              if (Exit.isSuccess(exit)) {
                buffer = Chunk.toArray(exit.value)
                resolve(step())
                return
              }
              const failure = Cause.failureOption(exit.cause)
              if (Option.isSome(failure) && Option.isNone(failure.value)) {
                resolve(finish())
              } else if (Cause.isInterruptedOnly(exit.cause)) {
                resolve(finish())
              } else {
                const error = Option.isSome(failure) && Option.isSome(failure.value) ?
                  failure.value.value :
                  Cause.squash(exit.cause)
                finish().then(() => reject(error), () => reject(error))
              }
            })
          })
        }
        return {
          next: () => {
            // Calls to next() are answered in order even if the caller does not await each.
            const result = queue.then(step)
            queue = result.catch(() => undefined)
            return result
          },
          return: () => {
            done = true
            buffer = []
            const running = current
            const stop = running === undefined ? Promise.resolve() : runPromise(Fiber.interrupt(running))
            return stop.then(finish)
          }
        }
      }
    }
  })

/** @internal */
export const paginate = <C, A, E, R>(
  first: C,
  fetchPage: (cursor: C) => Effect.Effect<AsyncStream.Page<A, C>, E, R>
): Stream.Stream<A, E | InvalidArgumentError, R> => {
  if (typeof fetchPage !== "function") {
    return Stream.fail(invalid("AsyncStream.paginate", "fetchPage", "a function cursor => Effect<Page>", fetchPage))
  }
  // paginateEffect asks for the next page only when the consumer wants more items:
  // a take(5) over 100-item pages fetches one page.
  return Stream.paginateChunkEffect(first, (cursor: C) =>
    Effect.map(
      fetchPage(cursor),
      (page) => [Chunk.unsafeFromArray(Array.from(page.items)), page.next] as const
    ))
}

/** @internal */
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
} = dual(
  (args) => Predicate.hasProperty(args[0], Stream.StreamTypeId),
  <A, E, R, B, E2, R2>(
    self: Stream.Stream<A, E, R>,
    concurrency: number,
    f: (a: A) => Effect.Effect<B, E2, R2>,
    options?: { readonly ordered?: boolean | undefined }
  ) => mapBoundedImpl(self, concurrency, f, options)
)

const mapBoundedImpl = <A, E, R, B, E2, R2>(
  self: Stream.Stream<A, E, R>,
  concurrency: number,
  f: (a: A) => Effect.Effect<B, E2, R2>,
  options?: { readonly ordered?: boolean | undefined }
): Stream.Stream<B, E | E2 | InvalidArgumentError, R | R2> => {
  if (typeof concurrency !== "number" || !Number.isSafeInteger(concurrency) || concurrency < 1) {
    return Stream.fail(invalid("AsyncStream.mapBounded", "concurrency", "a positive integer", concurrency))
  }
  if (typeof f !== "function") return Stream.fail(invalid("AsyncStream.mapBounded", "f", "a function", f))
  return Stream.mapEffect(self, f, { concurrency, unordered: options?.ordered === false })
}

/** @internal */
export const lines = (
  path: string,
  options?: AsyncStream.LinesOptions
): Stream.Stream<string, PlatformError.PlatformError | InvalidArgumentError, FileSystem.FileSystem> => {
  if (typeof path !== "string" || path.length === 0) {
    return Stream.fail(invalid("AsyncStream.lines", "path", "a non-empty file path", path))
  }
  const chunkSize = options?.chunkSize ?? 64 * 1024
  if (typeof chunkSize !== "number" || !Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    return Stream.fail(invalid("AsyncStream.lines", "chunkSize", "a positive integer number of bytes", chunkSize))
  }
  // Bytes arrive chunkSize at a time and are cut into lines as they come: memory stays
  // near one chunk plus one line, whatever the size of the file.
  return Stream.unwrap(
    Effect.map(FileSystem.FileSystem, (fs) =>
      fs.stream(path, { chunkSize: FileSystem.Size(chunkSize) }).pipe(
        Stream.decodeText(),
        Stream.splitLines
      ))
  )
}
