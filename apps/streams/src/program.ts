/**
 * Demo: Python's async iterators, async generators and aiofiles, as Streams:
 *   1. an async generator read as a Stream and stopped early: its `finally`
 *      runs; a Stream read with `for await` and left with `break`: its
 *      finalizer runs before the loop moves on;
 *   2. the upstream's paginated `/items` as one Stream of items, each item's
 *      details fetched at most 8 at a time, stopped after 120 items: only the
 *      pages needed were fetched (the upstream counts them);
 *   3. a large file generated in a temp dir and read line by line through
 *      FileSystem, with the heap measured against reading it whole.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { AsyncStream } from "@fiberkit/core"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Chunk from "effect/Chunk"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as v8 from "node:v8"
import * as vm from "node:vm"

export interface Options {
  /** Lines in the generated file (default 200,000). */
  readonly lines?: number
}

export interface Summary {
  readonly generators: { readonly taken: ReadonlyArray<number>; readonly log: ReadonlyArray<string> }
  readonly pagination: {
    readonly items: number
    readonly pagesFetched: number
    readonly detailsFetched: number
    readonly peakInFlight: number
    readonly firstNames: ReadonlyArray<string>
  }
  readonly files: {
    readonly bytes: number
    readonly lines: number
    readonly errors: number
    readonly streamedHeapMb: number
    readonly wholeHeapMb: number
  }
}

const Page = Schema.Struct({
  page: Schema.Number,
  items: Schema.Array(Schema.Struct({ id: Schema.Number, name: Schema.String })),
  nextPage: Schema.NullOr(Schema.Number)
})
const Item = Schema.Struct({ id: Schema.Number, name: Schema.String, price: Schema.Number })

// A handle on V8's collector, so the heap figures below are live data, not garbage.
const collectGarbage: () => void = (() => {
  v8.setFlagsFromString("--expose-gc")
  return vm.runInNewContext("gc") as () => void
})()

const mb = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10

const actGenerators = Effect.gen(function*() {
  yield* Console.log("1. async generators <-> Streams")
  const log: Array<string> = []
  async function* readings(signal: AbortSignal) {
    try {
      for (let i = 1;; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5))
        if (signal.aborted) return
        yield i * 10
      }
    } finally {
      log.push("generator finally ran")
    }
  }
  const taken = yield* AsyncStream.fromAsyncIterable(readings).pipe(Stream.take(5), Stream.runCollect)
  yield* Console.log(`   took ${Chunk.size(taken)} readings from an endless generator; then: ${log.join(", ")}`)

  const stream = Stream.iterate(1, (n) => n + 1).pipe(
    Stream.ensuring(Effect.sync(() => log.push("stream finalizer ran")))
  )
  const iterable = yield* AsyncStream.toAsyncIterable(stream)
  yield* Effect.promise(async () => {
    for await (const n of iterable) if (n === 3) break
    log.push("loop moved on after break")
  })
  yield* Console.log(`   for await over an endless Stream, break at 3: ${log.slice(1).join(", then ")}\n`)
  return { taken: Chunk.toArray(taken), log }
}).pipe(Effect.scoped)

const actPagination = Effect.gen(function*() {
  yield* Console.log("2. /items?page=N&size=50&total=1000 as a Stream; details 8 at a time; stop after 120 items")
  const upstream = yield* Upstream.Upstream
  yield* upstream.clearStats
  const details = yield* AsyncStream.paginate(
    1,
    (page: number) =>
      UpstreamClient.getAs(Page)(`/items?page=${page}&size=50&total=1000`).pipe(
        Effect.map((body) => ({ items: body.items, next: Option.fromNullable(body.nextPage) }))
      )
  ).pipe(
    AsyncStream.mapBounded(8, (item) => UpstreamClient.getAs(Item)(`/items/${item.id}`)),
    Stream.take(120),
    Stream.runCollect
  )
  const stats = yield* upstream.quiescentStats
  const pages = stats.routes["/items"]
  const items = stats.routes["/items/:id"]
  const summary = {
    items: Chunk.size(details),
    pagesFetched: pages?.started ?? 0,
    detailsFetched: items?.started ?? 0,
    peakInFlight: items?.peakInFlight ?? 0,
    firstNames: Chunk.toArray(details).slice(0, 3).map((d) => d.name)
  }
  yield* Console.log(
    `   got ${summary.items} items (${summary.firstNames.join(", ")}, …) from ${summary.pagesFetched} of 20 pages; ` +
      `${summary.detailsFetched} detail requests, at most ${summary.peakInFlight} in flight at the server\n`
  )
  return summary
})

const actFiles = (lineCount: number) =>
  Effect.gen(function*() {
    yield* Console.log(
      `3. a file of ${lineCount.toLocaleString("en-US")} log lines, read line by line through FileSystem`
    )
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "fiberkit-streams-" })
    const path = `${dir}/app.log`
    // Written as a stream too, so generating it does not need it in memory either.
    const line = (i: number) =>
      `2026-01-01T00:00:${String(i % 60).padStart(2, "0")}Z ${i % 97 === 0 ? "ERROR" : "INFO "} request ${i} handled\n`
    const blocks = Math.ceil(lineCount / 1000)
    yield* Stream.range(0, blocks - 1).pipe(
      // 1,000 lines per element: the writing is not what this act measures.
      Stream.map((block) => {
        let text = ""
        for (let i = block * 1000 + 1; i <= Math.min(lineCount, (block + 1) * 1000); i++) text += line(i)
        return text
      }),
      Stream.encodeText,
      Stream.run(fs.sink(path))
    )
    const bytes = Number((yield* fs.stat(path)).size)

    // Live heap = heapUsed right after a full collection, sampled every 50,000 lines.
    const liveHeap = () => {
      collectGarbage()
      return process.memoryUsage().heapUsed
    }
    let peak = 0
    let seen = 0
    const base = liveHeap()
    const counted = yield* AsyncStream.lines(path).pipe(
      Stream.tap(() =>
        Effect.sync(() => {
          if (++seen % 50_000 === 0) peak = Math.max(peak, liveHeap() - base)
        })
      ),
      Stream.runFold({ lines: 0, errors: 0 }, (acc, line) => ({
        lines: acc.lines + (line.length > 0 ? 1 : 0),
        errors: acc.errors + (line.includes(" ERROR ") ? 1 : 0)
      }))
    )
    const streamedHeapMb = mb(peak)

    const base2 = liveHeap()
    const whole = yield* fs.readFileString(path)
    const wholeLines = whole.split("\n")
    const wholeHeapMb = mb(liveHeap() - base2)
    yield* Console.log(
      `   ${mb(bytes)} MB file: ${counted.lines.toLocaleString("en-US")} lines, ${counted.errors} ERROR lines; ` +
        `live heap grew at most ${streamedHeapMb} MB while streaming, ${wholeHeapMb} MB when read whole (${
          wholeLines.length - 1
        } lines)`
    )
    return { bytes, lines: counted.lines, errors: counted.errors, streamedHeapMb, wholeHeapMb }
  }).pipe(Effect.scoped)

export const program = (options: Options = {}) =>
  Effect.gen(function*() {
    const upstream = yield* Upstream.Upstream
    yield* Console.log(`upstream on ${upstream.baseUrl}\n`)
    const generators = yield* actGenerators
    const pagination = yield* actPagination
    const files = yield* actFiles(options.lines ?? 200_000)
    return { generators, pagination, files } satisfies Summary
  })
