/**
 * Regenerates the pictures the README embeds (pictures/*.svg and *.txt):
 *   pnpm --filter @fiberkit/workshop exec tsx lessons/19-timeline/pictures.ts
 * The herd and the leak run under the TestClock, so their pictures are the same
 * on every machine; the blocked loop needs real CPU time and a real event loop,
 * so its pictures are a live run (the shape repeats, the milliseconds vary).
 */
import { TaskGroup, Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"
import * as fs from "node:fs"
import * as path from "node:path"
import { loadOnce, processInSlices, withPoller } from "./solution.js"

const dir = path.join(import.meta.dirname, "pictures")

const underTestClock = <A, E>(self: Effect.Effect<A, E>, label: string) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(Timeline.recordExit(self, { label }))
    yield* TestClock.adjust("1 second")
    const [, recording] = yield* Fiber.join(fiber)
    return recording
  }).pipe(Effect.provide(TestContext.TestContext))

// The fetch is drawn as a region on the lane that runs it: six regions in the broken run, one in the fixed.
const fetchConfig = Effect.as(Effect.sleep("100 millis"), "config").pipe(Timeline.phase("GET /config", "note"))

const herdBroken = Effect.gen(function*() {
  const cache = yield* Ref.make(Option.none<string>())
  const config = Effect.flatMap(
    Ref.get(cache),
    (hit) =>
      Option.isSome(hit) ? Effect.succeed(hit.value) : Effect.tap(fetchConfig, (v) => Ref.set(cache, Option.some(v)))
  )
  yield* TaskGroup.runAll(Array.from({ length: 6 }, (_, i) => config.pipe(Timeline.named(`worker ${i}`))))
})

const herdFixed = Effect.gen(function*() {
  const config = yield* loadOnce(fetchConfig)
  yield* TaskGroup.runAll(Array.from({ length: 6 }, (_, i) => config.pipe(Timeline.named(`worker ${i}`))))
})

const poller = Effect.forever(Effect.sleep("10 millis")).pipe(Timeline.named("poller"), Effect.orDie)
const work = Effect.sleep("35 millis")

const leakBroken = Effect.gen(function*() {
  yield* Effect.gen(function*() {
    yield* Effect.forkDaemon(poller)
    yield* work
  }).pipe(Timeline.named("handler"))
  yield* Effect.sleep("50 millis")
})

const leakFixed = Effect.gen(function*() {
  yield* withPoller(poller, work).pipe(Timeline.named("handler"))
  yield* Effect.sleep("50 millis")
})

const spin = (n: number) => {
  const end = performance.now() + 0.1
  let x = n
  while (performance.now() < end) x = Math.sqrt(x + 1)
  return n
}
const items = Array.from({ length: 300 }, (_, i) => i)
const loop = <E>(worker: Effect.Effect<unknown, E>) =>
  Effect.gen(function*() {
    const ticker = yield* Effect.fork(Effect.forever(Effect.sleep("2 millis")).pipe(Timeline.named("ticker")))
    yield* Effect.sleep("3 millis")
    yield* Effect.fork(worker).pipe(Effect.flatMap(Fiber.join))
    yield* Effect.sleep("3 millis")
    yield* Fiber.interrupt(ticker)
  })
const loopBroken = loop(Effect.sync(() => items.map(spin)).pipe(Timeline.named("worker")))
const loopFixed = loop(processInSlices(items, spin, 20).pipe(Timeline.named("worker")))

const write = (name: string, title: string, recording: Timeline.Recording) => {
  fs.writeFileSync(path.join(dir, `${name}.svg`), Timeline.toSvg(recording, { title }))
  fs.writeFileSync(path.join(dir, `${name}.txt`), Timeline.toText(recording, { width: 90 }) + "\n")
  console.log(`wrote pictures/${name}.svg and .txt`)
}

fs.mkdirSync(dir, { recursive: true })
const run = async () => {
  write(
    "herd-broken",
    "The herd, broken: six workers, six fetches",
    await Effect.runPromise(underTestClock(herdBroken, "herd (broken)"))
  )
  write(
    "herd-fixed",
    "The herd, fixed: one fetch, five waiters",
    await Effect.runPromise(underTestClock(herdFixed, "herd (fixed)"))
  )
  write(
    "leak-broken",
    "The leak, broken: forkDaemon",
    await Effect.runPromise(underTestClock(leakBroken, "leak (broken)"))
  )
  write(
    "leak-fixed",
    "The leak, fixed: an owned poller",
    await Effect.runPromise(underTestClock(leakFixed, "leak (fixed)"))
  )
  const [, broken] = await Effect.runPromise(Timeline.record(loopBroken, { label: "blocked loop (broken)" }))
  write("loop-broken", "The blocked loop, broken: one 30 ms run", broken)
  const [, fixed] = await Effect.runPromise(Timeline.record(loopFixed, { label: "blocked loop (fixed)" }))
  write("loop-fixed", "The blocked loop, fixed: 15 slices", fixed)
}
await run()
