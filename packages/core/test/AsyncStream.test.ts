import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import { AsyncStream, InvalidArgument } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

// An endless async generator that records what happened to it.
const counter = (log: Array<string>) =>
  async function*(signal?: AbortSignal) {
    try {
      for (let i = 0;; i++) {
        if (signal?.aborted) log.push("saw abort")
        yield i
      }
    } finally {
      log.push(`closed${signal?.aborted ? " after abort" : ""}`)
    }
  }

describe("AsyncStream.fromAsyncIterable", () => {
  it.effect("an early stop closes the generator, so its finally runs", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const taken = yield* AsyncStream.fromAsyncIterable(counter(log)()).pipe(Stream.take(3), Stream.runCollect)
      assert.deepStrictEqual(Chunk.toArray(taken), [0, 1, 2])
      assert.deepStrictEqual(log, ["closed"])
    }))

  it.effect("with a signal factory the signal is aborted before the generator is closed", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const make = counter(log)
      yield* AsyncStream.fromAsyncIterable((signal) => make(signal)).pipe(Stream.take(2), Stream.runDrain)
      assert.deepStrictEqual(log, ["closed after abort"])
    }))

  it.effect("a downstream failure also closes the generator", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const exit = yield* AsyncStream.fromAsyncIterable(counter(log)()).pipe(
        Stream.mapEffect((n) => n === 5 ? Effect.fail("bad row" as const) : Effect.succeed(n)),
        Stream.runDrain,
        Effect.exit
      )
      assert.strictEqual(failureOf(exit), "bad row")
      assert.deepStrictEqual(log, ["closed"])
    }))

  it.effect("interruption while the generator waits on I/O aborts it and closes it", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      async function* slow(signal: AbortSignal) {
        try {
          yield "first"
          // waits "forever" unless aborted, like a socket read
          await new Promise((resolve) => signal.addEventListener("abort", resolve))
          log.push("woken by abort")
        } finally {
          log.push("closed")
        }
      }
      const fiber = yield* AsyncStream.fromAsyncIterable(slow).pipe(Stream.runCollect, Effect.fork)
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(log, ["woken by abort", "closed"])
    }))

  it.effect("what the iterator throws is a typed IterationError keeping the thrown value", () =>
    Effect.gen(function*() {
      const thrown = new Error("connection lost")
      async function* broken() {
        yield 1
        throw thrown
      }
      const exit = yield* AsyncStream.fromAsyncIterable(broken(), { operation: "rows" }).pipe(
        Stream.runCollect,
        Effect.exit
      )
      const error = failureOf(exit)
      assert.isTrue(AsyncStream.isIterationError(error))
      assert.strictEqual((error as AsyncStream.IterationError).cause, thrown)
      assert.strictEqual(
        (error as AsyncStream.IterationError).message,
        "rows: the async iterator threw Error: connection lost"
      )
    }))
})

class Prefix extends Context.Tag("test/Prefix")<Prefix, string>() {}

describe("AsyncStream.toAsyncIterable", () => {
  it.scoped("for await reads the stream with the caller's services", () =>
    Effect.gen(function*() {
      const stream = Stream.mapEffect(Stream.make(1, 2, 3), (n) => Effect.map(Prefix, (p) => `${p}${n}`))
      const iterable = yield* AsyncStream.toAsyncIterable(stream).pipe(Effect.provideService(Prefix, "#"))
      const seen = yield* Effect.promise(async () => {
        const out: Array<string> = []
        for await (const value of iterable) out.push(value)
        return out
      })
      assert.deepStrictEqual(seen, ["#1", "#2", "#3"])
    }))

  it.scoped("break resolves only after the stream's finalizers ran", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const stream = Stream.acquireRelease(
        Effect.sync(() => log.push("opened")),
        () => Effect.sync(() => log.push("released"))
      ).pipe(Stream.flatMap(() => Stream.iterate(0, (n) => n + 1)))
      const iterable = yield* AsyncStream.toAsyncIterable(stream)
      yield* Effect.promise(async () => {
        for await (const n of iterable) {
          if (n === 2) break
        }
        log.push("after break")
      })
      assert.deepStrictEqual(log, ["opened", "released", "after break"])
    }))

  it.effect("closing the caller's scope ends a waiting iterator: nothing is left running", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const scope = yield* Scope.make()
      const stream = Stream.concat(
        Stream.make("a"),
        Stream.never.pipe(Stream.ensuring(Effect.sync(() => log.push("stream finalized"))))
      )
      const iterable = yield* AsyncStream.toAsyncIterable(stream).pipe(Scope.extend(scope))
      const iterator = iterable[Symbol.asyncIterator]()
      assert.deepStrictEqual(yield* Effect.promise(() => iterator.next()), { done: false, value: "a" })
      const pending = iterator.next()
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(yield* Effect.promise(() => pending), { done: true, value: undefined })
      assert.deepStrictEqual(log, ["stream finalized"])
      assert.deepStrictEqual(yield* Effect.promise(() => iterator.next()), { done: true, value: undefined })
    }))

  it.scoped("a failing stream throws its error from next(), and unawaited next() calls stay in order", () =>
    Effect.gen(function*() {
      const iterable = yield* AsyncStream.toAsyncIterable(
        Stream.concat(Stream.make(1, 2), Stream.die(new RangeError("page 3 missing")))
      )
      const iterator = iterable[Symbol.asyncIterator]()
      const [a, b, c] = [iterator.next(), iterator.next(), iterator.next()]
      assert.deepStrictEqual(yield* Effect.promise(() => Promise.all([a, b])), [
        { done: false, value: 1 },
        { done: false, value: 2 }
      ])
      const error = yield* Effect.promise(() => c.then(() => undefined, (e: unknown) => e))
      assert.instanceOf(error, RangeError)
    }))
})

describe("AsyncStream.paginate", () => {
  const pagedSource = (pages: number, size: number) => {
    const fetched: Array<number> = []
    const fetchPage = (page: number) =>
      Effect.sync(() => {
        fetched.push(page)
        return {
          items: Array.from({ length: size }, (_, i) => page * size + i),
          next: page + 1 < pages ? Option.some(page + 1) : Option.none()
        }
      }).pipe(Effect.delay("10 millis"))
    return { fetched, fetchPage }
  }

  it.effect("reads every page in order", () =>
    Effect.gen(function*() {
      const source = pagedSource(4, 5)
      const fiber = yield* AsyncStream.paginate(0, source.fetchPage).pipe(Stream.runCollect, Effect.fork)
      yield* TestClock.adjust("40 millis")
      const items = Chunk.toArray(yield* Fiber.join(fiber))
      assert.deepStrictEqual(items, Array.from({ length: 20 }, (_, i) => i))
      assert.deepStrictEqual(source.fetched, [0, 1, 2, 3])
    }))

  it.effect("an early stop fetches no page it does not need", () =>
    Effect.gen(function*() {
      const source = pagedSource(100, 10)
      const fiber = yield* AsyncStream.paginate(0, source.fetchPage).pipe(
        Stream.take(25),
        Stream.runCollect,
        Effect.fork
      )
      yield* TestClock.adjust("1 second")
      assert.strictEqual(Chunk.size(yield* Fiber.join(fiber)), 25)
      assert.deepStrictEqual(source.fetched, [0, 1, 2])
    }))
})

describe("AsyncStream.mapBounded", () => {
  it.effect("never runs more than `concurrency` at once and keeps the input order", () =>
    Effect.gen(function*() {
      let running = 0
      let peak = 0
      const work = (n: number) =>
        Effect.acquireUseRelease(
          Effect.sync(() => {
            running++
            peak = Math.max(peak, running)
          }),
          () => Effect.as(Effect.sleep(`${(n % 3) * 10 + 10} millis`), n * 10),
          () => Effect.sync(() => running--)
        )
      const fiber = yield* Stream.range(1, 30).pipe(AsyncStream.mapBounded(4, work), Stream.runCollect, Effect.fork)
      yield* TestClock.adjust("1 second")
      const out = Chunk.toArray(yield* Fiber.join(fiber))
      assert.deepStrictEqual(out, Array.from({ length: 30 }, (_, i) => (i + 1) * 10))
      assert.strictEqual(peak, 4)
      assert.strictEqual(running, 0)
    }))
})

describe("AsyncStream.lines", () => {
  it.live("reads a real file line by line, lines spanning chunk boundaries included", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const path = `${dir}/log.txt`
      yield* fs.writeFileString(path, "alpha\r\nbravo charlie delta\n\nécho ✓\nlast line without newline")
      const lines = yield* AsyncStream.lines(path, { chunkSize: 7 }).pipe(Stream.runCollect)
      assert.deepStrictEqual(Chunk.toArray(lines), [
        "alpha",
        "bravo charlie delta",
        "",
        "écho ✓",
        "last line without newline"
      ])
      const missing = yield* Effect.exit(Stream.runDrain(AsyncStream.lines(`${dir}/nope.txt`)))
      assert.isTrue(Exit.isFailure(missing))
    }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)))
})

describe("AsyncStream: bad input", () => {
  it.effect("fails with InvalidArgumentError at the call", () =>
    Effect.gen(function*() {
      const attempts: ReadonlyArray<Stream.Stream<unknown, unknown, FileSystem.FileSystem>> = [
        AsyncStream.fromAsyncIterable(42 as any),
        AsyncStream.fromAsyncIterable((() => 42) as any),
        AsyncStream.paginate(0, null as any),
        AsyncStream.mapBounded(Stream.make(1), 0, Effect.succeed),
        AsyncStream.mapBounded(Stream.make(1), 2.5, Effect.succeed),
        AsyncStream.lines(""),
        AsyncStream.lines("/tmp/x", { chunkSize: -1 })
      ]
      for (const attempt of attempts) {
        const error = failureOf(
          yield* Effect.exit(Stream.runDrain(attempt).pipe(Effect.provide(NodeFileSystem.layer)))
        )
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error), String(error))
      }
    }))
})
