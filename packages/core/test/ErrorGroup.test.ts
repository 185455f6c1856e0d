import { assert, describe, it } from "@effect/vitest"
import { ErrorGroup, InvalidArgument, TaskGroup } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"

class NotFound extends Data.TaggedError("NotFound")<{ readonly id: number }> {
  override get message() {
    return `item ${this.id} does not exist`
  }
}
class Timeout extends Data.TaggedError("Timeout")<{ readonly id: number }> {}
class Rejected extends Data.TaggedError("Rejected")<{ readonly id: number }> {}

type Err = NotFound | Timeout | Rejected

const exitOf = <A, E>(effect: Effect.Effect<A, E>) => Effect.exit(effect)

const causeOf = <A, E>(exit: Exit.Exit<A, E>): Cause.Cause<E> => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  return exit.cause
}

describe("ErrorGroup.fromCause", () => {
  it("lists failures, defects and interruptions in cause order", () => {
    const cause = Cause.sequential(
      Cause.parallel(Cause.fail(new NotFound({ id: 1 })), Cause.die(new Error("bug"))),
      Cause.parallel(Cause.fail(new Timeout({ id: 2 })), Cause.interrupt(FiberId.make(7, 0)))
    )
    const group = ErrorGroup.fromCause(cause, { label: "batch", mode: "settle" })
    assert.deepStrictEqual(group.entries.map((e) => e._tag), ["Failure", "Defect", "Failure", "Interruption"])
    assert.deepStrictEqual(group.failures.map((f) => f.error), [new NotFound({ id: 1 }), new Timeout({ id: 2 })])
    assert.strictEqual((group.defects[0]!.defect as Error).message, "bug")
    assert.deepStrictEqual(Array.from(FiberId.ids(group.interruptions[0]!.fiberId)), [7])
    assert.strictEqual(group.label, "batch")
    assert.strictEqual(group.mode, "settle")
    assert.deepStrictEqual(ErrorGroup.size(group), { failures: 2, defects: 1, interruptions: 1, groups: 0 })
    assert.isTrue(ErrorGroup.isEmpty(ErrorGroup.fromCause(Cause.empty)))
    assert.isFalse(ErrorGroup.isEmpty(group))
  })

  it("rejects what is not a Cause with InvalidArgumentError", () => {
    try {
      ErrorGroup.fromCause(42 as any)
      assert.fail("must throw")
    } catch (e) {
      assert.isTrue(InvalidArgument.isInvalidArgumentError(e))
      assert.strictEqual((e as Error).message, "ErrorGroup.fromCause: cause must be a Cause, got 42")
    }
    assert.throws(() => ErrorGroup.fromCause(Cause.empty, { mode: "nope" as any }), /options.mode must be/)
    assert.throws(() => ErrorGroup.fromCause(Cause.empty, { tasks: 3 as any }), /options.tasks must be/)
    assert.throws(() => ErrorGroup.fromExit(null as any), /fromExit: exit must be an Exit/)
    assert.throws(() => ErrorGroup.format({} as any), /format: self must be an ErrorGroup/)
    assert.throws(() => ErrorGroup.split({} as any, () => true), /split: self must be an ErrorGroup/)
  })

  it.effect("attributes each failure to its task in a fail-fast TaskGroup, in the order they happened", () =>
    Effect.gen(function*() {
      const result = yield* Effect.scoped(Effect.gen(function*() {
        const group = yield* TaskGroup.make({ label: "fetch" })
        yield* TaskGroup.spawn(group, Effect.succeed("ok"), { label: "fine" })
        // Uninterruptible, so all three fail even after the first failure starts the shutdown.
        yield* TaskGroup.spawn(group, Effect.uninterruptible(Effect.delay(Effect.fail(new Timeout({ id: 1 })), 30)), {
          label: "slow"
        })
        yield* TaskGroup.spawn(group, Effect.uninterruptible(Effect.delay(Effect.fail(new NotFound({ id: 2 })), 10)), {
          label: "missing"
        })
        yield* TaskGroup.spawn(group, Effect.uninterruptible(Effect.delay(Effect.die("kaput"), 20)))
        const exit = yield* Effect.exit(TaskGroup.join(group))
        return { exit, tasks: yield* TaskGroup.failures(group), fromGroup: yield* ErrorGroup.fromTaskGroup(group) }
      })).pipe(Effect.fork)
      yield* TestClock.adjust(30)
      const { exit, fromGroup, tasks } = yield* Fiber.join(result)
      const group = ErrorGroup.fromCause(causeOf(exit), { tasks, mode: "fail-fast", label: "fetch" })
      assert.deepStrictEqual(
        group.entries.map((e: any) => [e._tag, e.task?.index, e.task?.label]),
        [["Failure", 2, "missing"], ["Defect", 3, undefined], ["Failure", 1, "slow"]]
      )
      assert.deepStrictEqual(fromGroup.toJSON(), group.toJSON())
      assert.strictEqual(fromGroup.mode, "fail-fast")
    }))

  it.effect("a task that failed for several reasons becomes a nested group", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.scoped(Effect.gen(function*() {
        const outer = yield* TaskGroup.make({ mode: "settle", label: "report" })
        yield* TaskGroup.spawn(outer, Effect.fail(new Rejected({ id: 0 })), { label: "header" })
        yield* TaskGroup.spawn(
          outer,
          TaskGroup.runAll<never, NotFound | Timeout, never>([
            Effect.uninterruptible(Effect.delay(Effect.fail(new NotFound({ id: 1 })), 5)),
            Effect.uninterruptible(Effect.delay(Effect.fail(new Timeout({ id: 2 })), 6))
          ]),
          { label: "sections" }
        )
        yield* TaskGroup.join(outer)
        return yield* ErrorGroup.fromTaskGroup(outer)
      })))
      yield* TestClock.adjust(6)
      const group = yield* Fiber.join(fiber)
      assert.strictEqual(group.failures.length, 1)
      assert.strictEqual(group.groups.length, 1)
      const nested = group.groups[0]!
      assert.deepStrictEqual(nested.task, { index: 1, label: "sections" })
      assert.deepStrictEqual(nested.failures.map((f) => (f.error as Err)._tag), ["NotFound", "Timeout"])
      assert.deepStrictEqual(ErrorGroup.allFailures(group).map((f) => (f.error as Err)._tag), [
        "Rejected",
        "NotFound",
        "Timeout"
      ])
      assert.strictEqual(
        ErrorGroup.format(group),
        [
          `ErrorGroup "report" (settle): 3 failures`,
          `├─ [#0 header] Rejected`,
          `└─ [#1 sections] ErrorGroup "sections": 2 failures`,
          `   ├─ NotFound: item 1 does not exist`,
          `   └─ Timeout`
        ].join("\n")
      )
    }))

  it.effect("fromTaskGroup rejects what is not a group", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ErrorGroup.fromTaskGroup({} as any))
      assert.strictEqual(error.message, "ErrorGroup.fromTaskGroup: group must be a TaskGroup, got {}")
    }))
})

describe("ErrorGroup.format", () => {
  it("prints a tree with task labels, tags, messages, defects and interruptions", () => {
    const group = ErrorGroup.make<Err | string>({
      label: "sync",
      mode: "fail-fast",
      entries: [
        { _tag: "Failure", error: new NotFound({ id: 4 }), task: { index: 4, label: "user 4" } },
        ErrorGroup.make({
          label: "nested",
          task: { index: 5, label: undefined },
          entries: [
            { _tag: "Failure", error: "plain\nsecond line", task: undefined },
            { _tag: "Defect", defect: new RangeError("bad index"), task: undefined }
          ]
        }),
        { _tag: "Interruption", fiberId: FiberId.make(12, 0), task: { index: 6, label: undefined } }
      ]
    })
    assert.strictEqual(
      ErrorGroup.format(group),
      [
        `ErrorGroup "sync" (fail-fast): 2 failures, 1 defect, 1 interrupted`,
        `├─ [#4 user 4] NotFound: item 4 does not exist`,
        `├─ [#5] ErrorGroup "nested": 1 failure, 1 defect`,
        `│  ├─ "plain\\nsecond line"`,
        `│  └─ defect: RangeError: bad index`,
        `└─ [#6] interrupted by fiber #12`
      ].join("\n")
    )
    assert.strictEqual(String(group), ErrorGroup.format(group))
  })
})

describe("ErrorGroup.split", () => {
  it("separates matching failures and keeps nesting, defects and interruptions on the rest side", () => {
    const cause = Cause.parallel(
      Cause.fail<Err>(new NotFound({ id: 1 })),
      Cause.parallel(Cause.die("boom"), Cause.fail<Err>(new Timeout({ id: 2 })))
    )
    const tasks = [{ index: 3, label: "inner", cause: (cause as any).right as Cause.Cause<unknown> }]
    const group = ErrorGroup.fromCause(cause, { tasks })
    const isNotFound = (e: Err): e is NotFound => e._tag === "NotFound"
    const [notFound, rest] = ErrorGroup.split(group, isNotFound)
    assert.deepStrictEqual(notFound.failures.map((f) => f.error.id), [1])
    assert.strictEqual(notFound.groups.length, 0)
    assert.strictEqual(rest.failures.length, 0)
    assert.strictEqual(rest.groups.length, 1)
    assert.deepStrictEqual(rest.groups[0]!.task, { index: 3, label: "inner" })
    assert.deepStrictEqual(rest.groups[0]!.entries.map((e) => e._tag), ["Defect", "Failure"])
    const [timeouts] = group.pipe(ErrorGroup.split((e: Err) => e._tag === "Timeout"))
    assert.deepStrictEqual(timeouts.groups[0]!.failures.map((f) => f.error._tag), ["Timeout"])
  })
})

describe("ErrorGroup.catchTags (except*)", () => {
  it.effect("a success passes through as Some", () =>
    Effect.gen(function*() {
      const succeeding: Effect.Effect<number, Err> = Effect.succeed(1)
      const result = yield* succeeding.pipe(ErrorGroup.catchTags({ NotFound: () => Effect.void }))
      assert.deepStrictEqual(result, Option.some(1))
    }))

  it.effect("each handler runs once with every failure of its tag; handled tags leave the error type", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const failing: Effect.Effect<number, Err> = Effect.failCause(
        Cause.parallel(
          Cause.parallel(Cause.fail(new NotFound({ id: 1 })), Cause.fail(new Timeout({ id: 2 }))),
          Cause.fail(new NotFound({ id: 3 }))
        )
      )
      const handled: Effect.Effect<Option.Option<number>, Rejected> = failing.pipe(
        ErrorGroup.catchTags({
          Timeout: (errors) => Effect.sync(() => seen.push(`Timeout ${errors.map((e) => e.id)}`)),
          NotFound: (errors) => Effect.sync(() => seen.push(`NotFound ${errors.map((e) => e.id)}`))
        })
      )
      const result = yield* handled
      assert.deepStrictEqual(result, Option.none())
      // In the order the handlers were written, each with all of its failures.
      assert.deepStrictEqual(seen, ["Timeout 2", "NotFound 1,3"])
    }))

  it.effect("what no handler matched is re-raised with the same structure", () =>
    Effect.gen(function*() {
      const keep1 = Cause.fail<Err>(new Rejected({ id: 2 }))
      const keep2 = Cause.fail<Err>(new Timeout({ id: 4 }))
      const cause = Cause.sequential(
        Cause.parallel(Cause.fail<Err>(new NotFound({ id: 1 })), keep1),
        Cause.parallel(keep2, Cause.fail<Err>(new NotFound({ id: 3 })))
      )
      const exit = yield* exitOf(
        ErrorGroup.catchTags(Effect.failCause(cause), { NotFound: () => Effect.void })
      )
      assert.deepStrictEqual<Exit.Exit<unknown, unknown>>(exit, Exit.failCause(Cause.sequential(keep1, keep2)))
    }))

  it.effect("no matching tag: the original cause, untouched", () =>
    Effect.gen(function*() {
      const cause = Cause.parallel(Cause.fail<Err>(new Timeout({ id: 1 })), Cause.die("x"))
      let called = false
      const exit = yield* exitOf(
        ErrorGroup.catchTags(Effect.failCause(cause), { NotFound: () => Effect.sync(() => called = true) })
      )
      assert.isFalse(called)
      assert.isTrue(Exit.isFailure(exit) && exit.cause === cause)
    }))

  it.effect("a handler that fails joins what is re-raised", () =>
    Effect.gen(function*() {
      const exit = yield* exitOf(
        ErrorGroup.catchTags(
          Effect.failCause(
            Cause.parallel(Cause.fail<Err>(new NotFound({ id: 1 })), Cause.fail<Err>(new Timeout({ id: 2 })))
          ),
          { NotFound: (errors) => Effect.fail(`could not log ${errors.length}` as const) }
        )
      )
      assert.deepStrictEqual(
        exit,
        Exit.failCause(Cause.parallel(Cause.fail(new Timeout({ id: 2 })), Cause.fail("could not log 1" as const)))
      )
    }))

  it.effect("bad handlers die with InvalidArgumentError at the call", () =>
    Effect.gen(function*() {
      const exit = yield* exitOf(
        ErrorGroup.catchTags(Effect.fail(new NotFound({ id: 1 })), { NotFound: 3 } as any) as Effect.Effect<unknown>
      )
      assert.isTrue(Exit.isFailure(exit))
      const defect = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)
      assert.isTrue(InvalidArgument.isInvalidArgumentError(defect))
      assert.strictEqual((defect as Error).message, "ErrorGroup.catchTags: handlers.NotFound must be a function, got 3")
      const exit2 = yield* exitOf(ErrorGroup.catchTags(Effect.void, null as any) as Effect.Effect<unknown>)
      assert.match(String(Cause.squash((exit2 as Exit.Failure<unknown, unknown>).cause)), /handlers must be an object/)
    }))

  // Every combination: which kinds the cause holds × which tags have handlers.
  const kinds = ["NotFound", "Timeout", "untagged", "defect", "interrupt"] as const
  const handlerSets = [[], ["NotFound"], ["Timeout"], ["NotFound", "Timeout"]] as const
  const leaf = (kind: typeof kinds[number], i: number): Cause.Cause<Err | string> =>
    kind === "NotFound" ?
      Cause.fail(new NotFound({ id: i })) :
      kind === "Timeout" ?
      Cause.fail(new Timeout({ id: i })) :
      kind === "untagged" ?
      Cause.fail(`plain ${i}`) :
      kind === "defect" ?
      Cause.die(`defect ${i}`) :
      Cause.interrupt(FiberId.make(i, 0))

  it.effect("every combination of tags, defects, interruptions and nesting", () =>
    Effect.gen(function*() {
      let combinations = 0
      for (let mask = 1; mask < 1 << kinds.length; mask++) {
        const present = kinds.filter((_, k) => (mask & (1 << k)) !== 0)
        // Two of each kind, the second nested one level deeper in a sequential node.
        const leaves = present.flatMap((kind, k) => [leaf(kind, 2 * k), leaf(kind, 2 * k + 1)])
        const cause = leaves.reduce((acc, l, i) =>
          i === 0 ? l : i % 2 === 1 ? Cause.parallel(acc, Cause.sequential(Cause.empty, l)) : Cause.parallel(acc, l)
        )
        for (const handlerTags of handlerSets) {
          combinations++
          const calls: Record<string, number> = {}
          const handlers = Object.fromEntries(
            handlerTags.map((tag) => [tag, (errors: ReadonlyArray<Err>) =>
              Effect.sync(() => {
                calls[tag] = (calls[tag] ?? 0) + errors.length
                assert.isTrue(errors.every((e) => e._tag === tag))
              })]
            )
          )
          const exit = yield* Effect.exit(
            ErrorGroup.catchTags(
              Effect.failCause(cause) as Effect.Effect<never, Err>,
              handlers as any
            ) as Effect.Effect<
              unknown,
              unknown
            >
          )
          const handledKinds = present.filter((k) => (handlerTags as ReadonlyArray<string>).includes(k))
          for (const tag of handlerTags) {
            assert.strictEqual(calls[tag] ?? 0, handledKinds.includes(tag) ? 2 : 0, `${present} / ${handlerTags}`)
          }
          const remaining = present.filter((k) => !handledKinds.includes(k as any))
          if (remaining.length === 0) {
            assert.deepStrictEqual(exit, Exit.succeed(Option.none()), `${present} / ${handlerTags}`)
            continue
          }
          assert.isTrue(Exit.isFailure(exit), `${present} / ${handlerTags}`)
          const rest = ErrorGroup.fromCause((exit as Exit.Failure<unknown, unknown>).cause)
          const restKinds = rest.entries.map((e) =>
            e._tag === "Failure" ?
              (typeof e.error === "string" ? "untagged" : (e.error as Err)._tag) :
              e._tag === "Defect" ?
              "defect" :
              "interrupt"
          )
          // Exactly the unhandled leaves, both copies, in their original order: nothing lost, nothing swallowed.
          assert.deepStrictEqual(restKinds, remaining.flatMap((k) => [k, k]), `${present} / ${handlerTags}`)
        }
      }
      assert.strictEqual(combinations, 31 * 4)
    }))
})
