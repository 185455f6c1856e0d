import { assert, describe, it } from "@effect/vitest"
import { Batch, ErrorGroup, InvalidArgument } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { pipe } from "effect/Function"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"

class Invalid extends Data.TaggedError("Invalid")<{ readonly id: number }> {}
class Unavailable extends Data.TaggedError("Unavailable")<{ readonly id: number }> {}

interface Item {
  readonly id: number
  readonly ms: number
  readonly outcome: "ok" | "invalid" | "unavailable" | "die" | "interrupt"
}

// Counts running items so tests can prove nothing is left running after the batch returns or is interrupted.
const tracker = () => {
  const state = { active: 0, started: 0, ended: 0, interrupted: [] as Array<number> }
  const run = (item: Item): Effect.Effect<number, Invalid | Unavailable> =>
    Effect.sync(() => {
      state.active++
      state.started++
    }).pipe(
      Effect.zipRight(Effect.sleep(item.ms)),
      Effect.zipRight<number, Invalid | Unavailable, never>(
        item.outcome === "ok" ?
          Effect.succeed(item.id * 10) :
          item.outcome === "invalid" ?
          Effect.fail(new Invalid({ id: item.id })) :
          item.outcome === "unavailable" ?
          Effect.fail(new Unavailable({ id: item.id })) :
          item.outcome === "die" ?
          Effect.die(new Error(`item ${item.id} exploded`)) :
          Effect.interrupt
      ),
      Effect.onInterrupt(() => Effect.sync(() => state.interrupted.push(item.id))),
      Effect.ensuring(Effect.sync(() => {
        state.active--
        state.ended++
      }))
    )
  return { state, run }
}

const items = (spec: ReadonlyArray<readonly [number, Item["outcome"]]>): Array<Item> =>
  spec.map(([ms, outcome], id) => ({ id, ms, outcome }))

describe("Batch.process", () => {
  it.effect("settle: every item runs; outcomes are keyed by index and item, in input order", () =>
    Effect.gen(function*() {
      const t = tracker()
      const input = items([[30, "ok"], [10, "invalid"], [20, "ok"], [5, "unavailable"], [15, "die"]])
      const fiber = yield* Effect.fork(Batch.process(input, t.run, { concurrency: 2 }))
      yield* TestClock.adjust(100)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.mode, "settle")
      assert.deepStrictEqual(result.outcomes.map((o) => [o.index, o.item.id, o._tag]), [
        [0, 0, "Success"],
        [1, 1, "Failure"],
        [2, 2, "Success"],
        [3, 3, "Failure"],
        [4, 4, "Failure"]
      ])
      assert.deepStrictEqual(result.successes.map((s) => s.value), [0, 20])
      assert.deepStrictEqual(result.failures.map((f) => f.errors.map((e) => e._tag)), [
        ["Invalid"],
        ["Unavailable"],
        []
      ])
      assert.strictEqual((result.failures[2]!.defects[0] as Error).message, "item 4 exploded")
      assert.deepStrictEqual(result.statistics, {
        total: 5,
        succeeded: 2,
        failed: 3,
        interrupted: 0,
        notStarted: 0,
        peakRunning: 2
      })
      assert.strictEqual(t.state.active, 0)
    }))

  it.effect("concurrency is a real bound: with 2 workers, four 10 ms items take 20 ms", () =>
    Effect.gen(function*() {
      const t = tracker()
      const fiber = yield* Effect.fork(
        Batch.process(items([[10, "ok"], [10, "ok"], [10, "ok"], [10, "ok"]]), t.run, { concurrency: 2 })
      )
      yield* TestClock.adjust(9)
      assert.strictEqual(t.state.started, 2, "the second pair waits for a free worker")
      yield* TestClock.adjust(1)
      assert.strictEqual(t.state.started, 4, "and starts when the first pair ends")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust(10)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.statistics.peakRunning, 2)
    }))

  it.effect("fail-fast: the first failure interrupts running items and the rest never start", () =>
    Effect.gen(function*() {
      const t = tracker()
      const input = items([[50, "ok"], [10, "invalid"], [50, "ok"], [5, "ok"], [5, "ok"]])
      const fiber = yield* Effect.fork(Batch.process(input, t.run, { concurrency: 3, mode: "fail-fast" }))
      yield* TestClock.adjust(10)
      const result = yield* Fiber.join(fiber)
      // Items 0, 1 and 2 start; 3 and 4 wait for a worker. At 10 ms item 1 fails: 0 and 2 are cut short.
      assert.deepStrictEqual(
        result.outcomes.map((o) => o._tag === "Interrupted" ? (o.started ? "cut short" : "never started") : o._tag),
        ["cut short", "Failure", "cut short", "never started", "never started"]
      )
      assert.deepStrictEqual(result.statistics, {
        total: 5,
        succeeded: 0,
        failed: 1,
        interrupted: 4,
        notStarted: 2,
        peakRunning: 3
      })
      assert.sameMembers(t.state.interrupted, [0, 2])
      assert.strictEqual(t.state.active, 0, "nothing left running")
      assert.strictEqual(t.state.started, 3)
    }))

  it.effect("fail-fast: failures racing the first one are all kept, in the order they happened", () =>
    Effect.gen(function*() {
      const t = tracker()
      const run = (item: Item) => item.id === 2 ? Effect.uninterruptible(t.run(item)) : t.run(item)
      const input = items([[10, "unavailable"], [40, "ok"], [20, "invalid"]])
      const fiber = yield* Effect.fork(
        Batch.process(input, run, { mode: "fail-fast", label: "sync", itemLabel: (item) => `item ${item.id}` })
      )
      yield* TestClock.adjust(20)
      const result = yield* Fiber.join(fiber)
      assert.deepStrictEqual(result.outcomes.map((o) => o._tag), ["Failure", "Interrupted", "Failure"])
      const group = Batch.toErrorGroup(result)
      assert.strictEqual(
        ErrorGroup.format(group),
        [
          `ErrorGroup "sync" (fail-fast): 2 failures, 1 interrupted`,
          `├─ [#0 item 0] Unavailable`,
          `├─ [#2 item 2] Invalid`,
          `└─ [#1 item 1] interrupted`
        ].join("\n")
      )
      const exit = yield* Effect.exit(Batch.values(result))
      assert.deepStrictEqual(
        exit,
        Exit.failCause(Cause.parallel(Cause.fail(new Unavailable({ id: 0 })), Cause.fail(new Invalid({ id: 2 }))))
      )
    }))

  it.effect("fail-fast still cuts items short when the caller runs uninterruptible", () =>
    Effect.gen(function*() {
      const t = tracker()
      const input = items([[1000, "ok"], [10, "invalid"]])
      const fiber = yield* Effect.fork(Effect.uninterruptible(Batch.process(input, t.run, { mode: "fail-fast" })))
      yield* TestClock.adjust(10)
      const result = yield* Fiber.join(fiber)
      assert.deepStrictEqual(result.outcomes.map((o) => o._tag), ["Interrupted", "Failure"])
      assert.deepStrictEqual(t.state.interrupted, [0])
      assert.strictEqual(t.state.active, 0)
    }))

  it.effect("an item that itself failed several times is a nested group in the ErrorGroup", () =>
    Effect.gen(function*() {
      const result = yield* Batch.process(
        [1, 2],
        (n) =>
          n === 1 ?
            Effect.succeed(n) :
            Effect.failCause(Cause.parallel(Cause.fail(new Invalid({ id: n })), Cause.die("and a bug"))),
        { itemLabel: (n) => `n=${n}` }
      )
      const group = Batch.toErrorGroup(result)
      assert.strictEqual(group.groups.length, 1)
      assert.deepStrictEqual(group.groups[0]!.task, { index: 1, label: "n=2" })
      assert.deepStrictEqual(group.groups[0]!.entries.map((e) => e._tag), ["Failure", "Defect"])
    }))

  it.effect("values + ErrorGroup.catchTags: handle one kind, the others are re-raised", () =>
    Effect.gen(function*() {
      const t = tracker()
      const input = items([[1, "invalid"], [2, "unavailable"], [3, "ok"], [4, "invalid"]])
      const handled: Array<number> = []
      const fiber = yield* Effect.fork(
        Batch.process(input, t.run).pipe(
          Effect.flatMap(Batch.values),
          ErrorGroup.catchTags({ Invalid: (errors) => Effect.sync(() => handled.push(...errors.map((e) => e.id))) }),
          Effect.exit
        )
      )
      yield* TestClock.adjust(4)
      const exit = yield* Fiber.join(fiber)
      assert.deepStrictEqual(handled, [0, 3])
      assert.deepStrictEqual(exit, Exit.fail(new Unavailable({ id: 1 })))
      const ok = yield* Batch.process([1, 2], (n) => Effect.succeed(n + 1)).pipe(Effect.flatMap(Batch.values))
      assert.deepStrictEqual(ok, [2, 3])
    }))

  it.effect("match gives one value per input", () =>
    Effect.gen(function*() {
      const result = yield* Batch.process(["a", "bb", "ccc"], (s) =>
        s.length === 2 ? Effect.fail("even") : Effect.succeed(s))
      assert.deepStrictEqual(
        Batch.match(result, {
          onSuccess: (v, item, i) =>
            `${i}:${item}=${v}`,
          onFailure: (f) => `${f.index}:${f.item} failed ${f.errors.join()}`,
          onInterrupted: () => "interrupted"
        }),
        ["0:a=a", "1:bb failed even", "2:ccc=ccc"]
      )
    }))

  it.effect("interrupting the batch interrupts every running item and leaves no fiber behind", () =>
    Effect.gen(function*() {
      const t = tracker()
      const input = items(Array.from({ length: 10 }, () => [1000, "ok"] as const))
      const fiber = yield* Effect.fork(Batch.process(input, t.run, { concurrency: 4 }))
      yield* TestClock.adjust(10)
      assert.strictEqual(t.state.active, 4)
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(t.state.active, 0, "Fiber.interrupt returned only after every item ended")
      assert.sameMembers(t.state.interrupted, [0, 1, 2, 3])
      assert.strictEqual(t.state.started, 4)
      yield* TestClock.adjust(2000)
      assert.strictEqual(t.state.started, 4, "nothing starts after the interruption")
    }))

  it.effect("empty input and iterables", () =>
    Effect.gen(function*() {
      const empty = yield* Batch.process([], Effect.succeed)
      assert.deepStrictEqual(empty.statistics, {
        total: 0,
        succeeded: 0,
        failed: 0,
        interrupted: 0,
        notStarted: 0,
        peakRunning: 0
      })
      const fromSet = yield* Batch.process(new Set([3, 4]), (n, i) => Effect.succeed(n * i))
      assert.deepStrictEqual(fromSet.successes.map((s) => s.value), [0, 4])
      const piped = yield* pipe([1, 2], Batch.process((n: number) => Effect.succeed(-n)))
      assert.deepStrictEqual(piped.successes.map((s) => s.value), [-1, -2])
    }))

  it.effect("bad input fails with InvalidArgumentError at the call", () =>
    Effect.gen(function*() {
      const cases: Array<[Effect.Effect<unknown, InvalidArgument.InvalidArgumentError>, string]> = [
        [
          Batch.process([1], Effect.succeed, { concurrency: 0 }),
          `Batch.process: options.concurrency must be a positive integer or "unbounded", got 0`
        ],
        [
          Batch.process([1], Effect.succeed, { concurrency: 1.5 }),
          `Batch.process: options.concurrency must be a positive integer or "unbounded", got 1.5`
        ],
        [
          Batch.process([1], Effect.succeed, { concurrency: "all" as any }),
          `Batch.process: options.concurrency must be a positive integer or "unbounded", got "all"`
        ],
        [
          Batch.process([1], Effect.succeed, { mode: "lenient" as any }),
          `Batch.process: options.mode must be one of "fail-fast", "settle", got "lenient"`
        ],
        [
          Batch.process([1], Effect.succeed, { itemLabel: "x" as any }),
          `Batch.process: options.itemLabel must be a function (item, index) => string, got "x"`
        ],
        [Batch.process(null as any, Effect.succeed), `Batch.process: items must be an iterable, got null`],
        [Batch.process(5 as any, Effect.succeed), `Batch.process: items must be an iterable, got 5`],
        [Batch.process([1], "f" as any), `Batch.process: f must be a function (item, index) => Effect, got "f"`]
      ]
      for (const [effect, message] of cases) {
        const error = yield* Effect.flip(effect)
        assert.isTrue(InvalidArgument.isInvalidArgumentError(error))
        assert.strictEqual(error.message, message)
      }
      assert.throws(() => Batch.toErrorGroup({} as any), /Batch.toErrorGroup: self must be a Batch.Result/)
    }))
})

// mulberry32: a seeded generator, so a failing run replays.
const seeded = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe("Batch property: no outcome is ever lost", () => {
  const outcomes: ReadonlyArray<Item["outcome"]> = ["ok", "ok", "ok", "invalid", "unavailable", "die", "interrupt"]
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]) {
    it.effect(`seed ${seed}: successes + failures + interrupted = inputs, and each outcome is the scripted one`, () =>
      Effect.gen(function*() {
        const random = seeded(seed)
        const n = 1 + Math.floor(random() * 60)
        const input: Array<Item> = Array.from({ length: n }, (_, id) => ({
          id,
          ms: Math.floor(random() * 50),
          outcome: outcomes[Math.floor(random() * outcomes.length)]!
        }))
        const mode = random() < 0.5 ? "settle" as const : "fail-fast" as const
        const concurrency = random() < 0.3 ? "unbounded" as const : 1 + Math.floor(random() * 8)
        const t = tracker()
        const fiber = yield* Effect.fork(Batch.process(input, t.run, { mode, concurrency }))
        yield* TestClock.adjust(n * 50)
        const result = yield* Fiber.join(fiber)
        const s = result.statistics
        assert.strictEqual(s.succeeded + s.failed + s.interrupted, n)
        assert.strictEqual(result.outcomes.length, n)
        assert.isTrue(result.outcomes.every((o, i) => o.index === i && o.item === input[i]))
        assert.strictEqual(t.state.active, 0)
        for (const o of result.outcomes) {
          const scripted = o.item.outcome
          if (o._tag === "Success") assert.strictEqual(scripted, "ok")
          if (o._tag === "Failure") assert.include(["invalid", "unavailable", "die"], scripted)
        }
        if (mode === "settle") {
          // Everything ran: each item ended exactly as scripted.
          assert.strictEqual(s.succeeded, input.filter((i) => i.outcome === "ok").length)
          assert.strictEqual(
            s.failed,
            input.filter((i) => ["invalid", "unavailable", "die"].includes(i.outcome)).length
          )
          assert.strictEqual(s.interrupted, input.filter((i) => i.outcome === "interrupt").length)
        } else if (s.failed > 0) {
          // Fail-fast stopped at the first failure: nothing started after it.
          assert.strictEqual(t.state.started, n - s.notStarted)
        }
        const group = Batch.toErrorGroup(result)
        const size = ErrorGroup.size(group)
        assert.strictEqual(size.interruptions, s.interrupted - s.notStarted)
        const typed = result.failures.reduce((acc, f) => acc + f.errors.length, 0)
        assert.strictEqual(size.failures, typed)
      }))
  }
})
