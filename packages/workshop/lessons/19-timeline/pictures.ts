/**
 * The runs the README draws (pictures/*.svg and *.txt). Regenerate with
 *   pnpm --filter @fiberkit/workshop pictures 19
 * The herd and the leak run under the TestClock, so their pictures are the same
 * on every machine (test/pictures.test.ts keeps them up to date); the blocked
 * loop needs real CPU time and a real event loop, so its pictures are a live
 * run (the shape repeats, the milliseconds vary).
 */
import { TaskGroup, Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type { Picture } from "../_shared/pictures.js"
import { loadOnce, processInSlices, withPoller } from "./solution.js"

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

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "herd-broken",
    title: "The herd, broken: six fetches",
    label: "herd (broken)",
    program: herdBroken
  },
  {
    name: "herd-fixed",
    title: "The herd, fixed: one fetch",
    label: "herd (fixed)",
    program: herdFixed
  },
  {
    name: "leak-broken",
    title: "The leak, broken: forkDaemon",
    label: "leak (broken)",
    program: leakBroken
  },
  {
    name: "leak-fixed",
    title: "The leak, fixed: an owned poller",
    label: "leak (fixed)",
    program: leakFixed
  },
  {
    name: "loop-broken",
    title: "The blocked loop, broken: one 30 ms run",
    label: "blocked loop (broken)",
    program: loopBroken,
    clock: "live"
  },
  {
    name: "loop-fixed",
    title: "The blocked loop, fixed: 15 slices",
    label: "blocked loop (fixed)",
    program: loopFixed,
    clock: "live"
  }
]
