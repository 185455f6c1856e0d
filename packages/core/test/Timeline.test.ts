import { assert, describe, it } from "@effect/vitest"
import { Deadline, InvalidArgument, Limiter, Retry, TaskGroup, Timeline, TokenBucket } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"

// Runs `self` recorded, moving the TestClock by `ms`, and returns its exit and the recording.
const recorded = <A, E>(self: Effect.Effect<A, E>, ms: number, options?: Timeline.Options) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(Timeline.recordExit(self, options))
    yield* TestClock.adjust(ms)
    return yield* Fiber.join(fiber)
  })

// Lanes with fiber ids replaced by labels, so expectations read like the picture.
const lanesByName = (recording: Timeline.Recording) => {
  const name = new Map(recording.lanes.map((lane) => [lane.fiber, lane.label]))
  return recording.lanes.map((lane) => ({
    label: lane.label,
    parent: lane.parent === undefined ? undefined : name.get(lane.parent),
    depth: lane.depth,
    startMs: lane.startMs,
    endMs: lane.endMs,
    outcome: lane.outcome,
    interruptedBy: lane.interruptedBy.map((id) => name.get(id) ?? `#${id}`),
    segments: lane.segments.map((s) => `${s.state} ${s.fromMs}-${s.toMs}`),
    marks: lane.marks.map((m) => `${m.atMs} ${m.kind} ${m.phase} ${m.label}`)
  }))
}

// Start, end and mark events (resume/suspend pairs at the same instant are scheduler detail).
const lifecycle = (recording: Timeline.Recording) => {
  const name = new Map(recording.lanes.map((lane) => [lane.fiber, lane.label]))
  return recording.events.flatMap((e) => {
    const who = name.get(e.fiber)
    switch (e._tag) {
      case "Start":
        return [`${e.atMs} start ${who}${e.parent === undefined ? "" : ` <- ${name.get(e.parent)}`}`]
      case "End":
        return [`${e.atMs} end ${who} ${e.outcome}`]
      case "Mark":
        return [`${e.atMs} mark ${who} ${e.label}`]
      default:
        return []
    }
  })
}

const profile = TaskGroup.run((group) =>
  Effect.gen(function*() {
    yield* TaskGroup.spawn(group, Effect.sleep("30 millis").pipe(Effect.withSpan("slow")))
    yield* TaskGroup.spawn(
      group,
      Effect.sleep("10 millis").pipe(Effect.zipRight(Effect.fail("boom")), Effect.withSpan("failing"))
    )
    yield* TaskGroup.spawn(group, Effect.sleep("5 millis").pipe(Effect.withSpan("quick")))
  }).pipe(Timeline.named("body")), { label: "profile" })

const isInvalid = (exit: Exit.Exit<unknown, unknown>, pattern: RegExp) =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" && InvalidArgument.isInvalidArgumentError(exit.cause.error) &&
  pattern.test(exit.cause.error.message)

describe("Timeline", () => {
  describe("recording", () => {
    it.effect("a TaskGroup with one failing child: lanes, states, times, interrupter and the group's mark", () =>
      Effect.gen(function*() {
        const [exit, recording] = yield* recorded(profile, 100)
        assert.isTrue(Exit.isFailure(exit))
        assert.strictEqual(recording.durationMs, 10)
        assert.deepStrictEqual(lanesByName(recording), [
          {
            label: "main",
            parent: undefined,
            depth: 0,
            startMs: 0,
            endMs: 10,
            outcome: "failure",
            interruptedBy: [],
            segments: ["suspended 0-10"],
            marks: []
          },
          {
            label: "body",
            parent: "main",
            depth: 1,
            startMs: 0,
            endMs: 0,
            outcome: "success",
            interruptedBy: [],
            segments: [],
            marks: []
          },
          {
            label: "slow",
            parent: "body",
            depth: 2,
            startMs: 0,
            endMs: 10,
            outcome: "interrupted",
            // The group interrupts as its owner, the recorded root fiber.
            interruptedBy: ["main"],
            segments: ["suspended 0-10"],
            marks: ["10 interrupt point interrupted by TaskGroup \"profile\""]
          },
          {
            label: "failing",
            parent: "body",
            depth: 2,
            startMs: 0,
            endMs: 10,
            outcome: "failure",
            interruptedBy: [],
            segments: ["suspended 0-10"],
            marks: []
          },
          {
            label: "quick",
            parent: "body",
            depth: 2,
            startMs: 0,
            endMs: 5,
            outcome: "success",
            interruptedBy: [],
            segments: ["suspended 0-5"],
            marks: []
          }
        ])
        assert.deepStrictEqual(lifecycle(recording), [
          "0 start main",
          "0 start body <- main",
          "0 start slow <- body",
          "0 start failing <- body",
          "0 start quick <- body",
          "0 end body success",
          "5 end quick success",
          "10 mark slow interrupted by TaskGroup \"profile\"",
          "10 end failing failure",
          "10 end slow interrupted",
          "10 end main failure"
        ])
        assert.strictEqual(recording.lanes.find((l) => l.label === "failing")?.error, "Error: boom")
        // Every resume is matched by a suspend or an end.
        for (const lane of recording.lanes) {
          const own = recording.events.filter((e) => e.fiber === lane.fiber)
          const resumes = own.filter((e) => e._tag === "Resume").length
          const suspends = own.filter((e) => e._tag === "Suspend").length
          assert.isTrue(resumes === suspends || resumes === suspends + 1, `${lane.label}: ${resumes}/${suspends}`)
        }
      }))

    it.effect("a Limiter with waiters: each waiter is suspended until the one before it lets go", () =>
      Effect.gen(function*() {
        const program = Effect.gen(function*() {
          const limiter = yield* Limiter.make({ permits: 1 })
          yield* Effect.forEach(
            ["a", "b", "c"],
            (name) =>
              Effect.sleep("10 millis").pipe(
                Limiter.withPermit(limiter),
                Timeline.phase("holding the permit", "note"),
                Timeline.named(name)
              ),
            { concurrency: "unbounded" }
          )
        })
        const [exit, recording] = yield* recorded(program, 100)
        assert.isTrue(Exit.isSuccess(exit))
        const lanes = lanesByName(recording).filter((l) => ["a", "b", "c"].includes(l.label))
        assert.deepStrictEqual(lanes.map((l) => [l.label, l.startMs, l.endMs, l.outcome, l.segments]), [
          ["a", 0, 10, "success", ["suspended 0-10"]],
          ["b", 0, 20, "success", ["suspended 0-20"]],
          ["c", 0, 30, "success", ["suspended 0-30"]]
        ])
        // The Limiter marks each wait for a permit on the waiting fiber's lane: b waits 0-10, c 0-20.
        assert.deepStrictEqual(lanes.map((l) => l.marks), [
          ["0 note begin holding the permit", "10 note end holding the permit"],
          [
            "0 note begin holding the permit",
            "0 waiting begin waiting for a permit",
            "10 waiting end waiting for a permit",
            "20 note end holding the permit"
          ],
          [
            "0 note begin holding the permit",
            "0 waiting begin waiting for a permit",
            "20 waiting end waiting for a permit",
            "30 note end holding the permit"
          ]
        ])
      }))

    it.effect("a TokenBucket marks the wait for a token on the waiting fiber's lane", () =>
      Effect.gen(function*() {
        // One token per 100 ms, burst 1: the second caller waits 100 ms for its token.
        const program = Effect.scoped(Effect.gen(function*() {
          const bucket = yield* TokenBucket.make({ rate: 1, per: "100 millis", burst: 1 })
          yield* Effect.forEach(
            ["first", "second"],
            (name) => Effect.void.pipe(TokenBucket.withTokens(bucket), Timeline.named(name)),
            { concurrency: "unbounded" }
          )
        }))
        const [exit, recording] = yield* recorded(program, 200)
        assert.isTrue(Exit.isSuccess(exit))
        const byLabel = new Map(recording.lanes.map((l) => [l.label, l]))
        assert.deepStrictEqual(byLabel.get("first")?.marks, [])
        assert.deepStrictEqual(
          byLabel.get("second")?.marks.map((m) => `${m.atMs} ${m.kind} ${m.phase} ${m.label}`),
          ["0 waiting begin waiting for a token", "100 waiting end waiting for a token"]
        )
      }))

    it.effect("Retry marks each backoff on the retrying fiber's lane", () =>
      Effect.gen(function*() {
        let calls = 0
        const flaky = Effect.suspend(() => ++calls < 3 ? Effect.fail("busy" as const) : Effect.succeed(calls))
        const program = flaky.pipe(
          Retry.retry({ base: "10 millis", factor: 2, jitter: "none", maxAttempts: 5 }),
          Timeline.named("caller")
        )
        const [exit, recording] = yield* recorded(program, 100)
        assert.isTrue(Exit.isSuccess(exit))
        const caller = recording.lanes.find((l) => l.label === "caller")!
        assert.deepStrictEqual(caller.marks.map((m) => `${m.atMs} ${m.kind} ${m.label}`), [
          "0 backoff retry backoff 10ms after attempt 1",
          "10 backoff retry backoff 20ms after attempt 2"
        ])
      }))

    it.effect("a deadline firing: the group's tasks are interrupted at 50 ms and the root fails then", () =>
      Effect.gen(function*() {
        const program = TaskGroup.run((group) =>
          Effect.gen(function*() {
            yield* TaskGroup.spawn(group, Effect.sleep("100 millis").pipe(Timeline.named("slow-a")))
            yield* TaskGroup.spawn(group, Effect.sleep("100 millis").pipe(Timeline.named("slow-b")))
          })
        ).pipe(Deadline.timeout({ after: "50 millis", label: "whole group" }))
        const [exit, recording] = yield* recorded(program, 200)
        assert.isTrue(Exit.isFailure(exit))
        assert.strictEqual(recording.durationMs, 50)
        const byLabel = new Map(recording.lanes.map((l) => [l.label, l]))
        assert.strictEqual(byLabel.get("main")?.outcome, "failure")
        // Deadline marks the fiber it interrupts, at the moment it fires.
        const mainMarks = byLabel.get("main")?.marks.map((m) => `${m.atMs} ${m.kind} ${m.label}`) ?? []
        assert.isTrue(mainMarks.includes(`50 deadline deadline "whole group" fired`), mainMarks.join("; "))
        assert.match(byLabel.get("main")?.error ?? "", /whole group did not finish within 50ms/)
        for (const name of ["slow-a", "slow-b"]) {
          const lane = byLabel.get(name)!
          assert.deepStrictEqual(
            [lane.startMs, lane.endMs, lane.outcome, lane.marks.map((m) => `${m.atMs} ${m.label}`)],
            [0, 50, "interrupted", ["50 interrupted by its TaskGroup"]]
          )
          assert.strictEqual(lane.interruptedBy.length, 1)
        }
      }))

    it.effect("names lanes by span, by Timeline.named, and by fiber id otherwise", () =>
      Effect.gen(function*() {
        const program = Effect.gen(function*() {
          const a = yield* Effect.fork(Effect.sleep("1 millis").pipe(Effect.withSpan("from-span")))
          const b = yield* Effect.fork(Effect.void.pipe(Timeline.named("from-name")))
          const c = yield* Effect.fork(Effect.sleep("1 millis"))
          yield* Fiber.join(a)
          yield* Fiber.join(b)
          yield* Fiber.join(c)
          return c.id().id
        }).pipe(Effect.withSpan("outer"))
        const [exit, recording] = yield* recorded(program, 10)
        assert.isTrue(Exit.isSuccess(exit))
        const id = Exit.isSuccess(exit) ? exit.value : -1
        assert.deepStrictEqual(recording.lanes.map((l) => l.label), [
          "outer",
          "from-span",
          "from-name",
          `fiber #${id}`
        ])
      }))

    it.effect("an interrupted task keeps its interrupter, a still-running fiber is reported as running", () =>
      Effect.gen(function*() {
        const program = Effect.gen(function*() {
          const victim = yield* Effect.fork(Effect.never.pipe(Timeline.named("victim")))
          yield* Effect.forkDaemon(Effect.never.pipe(Timeline.named("daemon")))
          yield* Effect.sleep("5 millis")
          yield* Fiber.interrupt(victim)
        }).pipe(Timeline.named("killer"))
        const [, recording] = yield* recorded(program, 10)
        const byLabel = new Map(recording.lanes.map((l) => [l.label, l]))
        assert.deepStrictEqual(byLabel.get("victim")?.interruptedBy, [byLabel.get("killer")!.fiber])
        assert.strictEqual(byLabel.get("victim")?.endMs, 5)
        assert.strictEqual(byLabel.get("daemon")?.outcome, "running")
        assert.deepStrictEqual(byLabel.get("daemon")?.segments, [{ state: "suspended", fromMs: 0, toMs: 5 }])
      }))

    it.effect("beyond maxLanes fibers are counted by outcome, not drawn", () =>
      Effect.gen(function*() {
        const program = Effect.gen(function*() {
          const fibers: Array<Fiber.RuntimeFiber<void, number>> = []
          for (let i = 0; i < 8; i++) {
            fibers.push(
              yield* Effect.fork(
                i === 6 ? Effect.never : i % 4 === 3 ? Effect.fail(i).pipe(Effect.delay("1 millis")) : Effect.sleep(1)
              )
            )
          }
          yield* Effect.sleep("2 millis")
          yield* Fiber.interrupt(fibers[6]!)
          for (const fiber of fibers) yield* Fiber.await(fiber)
        })
        const [, recording] = yield* recorded(program, 10, { maxLanes: 3 })
        // main and the first two children have lanes; the other six are counted.
        assert.strictEqual(recording.lanes.length, 3)
        const { endsMs, startsMs, ...counts } = recording.overflow
        assert.deepStrictEqual(counts, { fibers: 6, succeeded: 3, failed: 2, interrupted: 1 })
        assert.deepStrictEqual(startsMs, [0, 0, 0, 0, 0, 0])
        assert.deepStrictEqual(endsMs, [1, 1, 1, 1, 1, 2]) // five end at 1 ms, the interrupted one at 2
      }))

    it.effect("marks are a no-op without a recording, and recording stops when record ends", () =>
      Effect.gen(function*() {
        assert.isFalse(Timeline.isActive())
        yield* Timeline.mark("nobody listens", "note")
        const [, recording] = yield* recorded(Timeline.mark("inside", "deadline"), 0)
        assert.isFalse(Timeline.isActive())
        assert.deepStrictEqual(recording.lanes[0]?.marks.map((m) => [m.label, m.kind, m.phase]), [[
          "inside",
          "deadline",
          "point"
        ]])
      }))

    it.effect("two recordings at once each see only their own fibers", () =>
      Effect.gen(function*() {
        const one = Effect.fork(Effect.sleep("1 millis").pipe(Timeline.named("one"))).pipe(Effect.flatMap(Fiber.join))
        const two = Effect.fork(Effect.sleep("2 millis").pipe(Timeline.named("two"))).pipe(Effect.flatMap(Fiber.join))
        const fibers = yield* Effect.all([Effect.fork(Timeline.record(one)), Effect.fork(Timeline.record(two))])
        yield* TestClock.adjust(5)
        const [[, a], [, b]] = yield* Fiber.join(Fiber.zip(fibers[0], fibers[1]))
        assert.deepStrictEqual(a.lanes.map((l) => l.label), ["main", "one"])
        assert.deepStrictEqual(b.lanes.map((l) => l.label), ["main", "two"])
      }))

    it.effect("interrupting the recording caller interrupts the recorded run and leaves nothing running", () =>
      Effect.gen(function*() {
        const cleaned = yield* Ref.make(0)
        const child = Effect.never.pipe(Effect.onInterrupt(() => Ref.update(cleaned, (n) => n + 1)))
        const fiber = yield* Effect.fork(Timeline.record(TaskGroup.run((group) =>
          Effect.zipRight(
            Effect.all([TaskGroup.spawn(group, child), TaskGroup.spawn(group, child)]),
            Effect.never
          )
        )))
        yield* TestClock.adjust(5)
        yield* Fiber.interrupt(fiber)
        assert.strictEqual(yield* Ref.get(cleaned), 2)
        assert.isFalse(Timeline.isActive())
      }))

    it.effect("record fails as the effect fails; recordExit keeps the exit", () =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Timeline.record(Effect.fail("nope")))
        assert.deepStrictEqual(exit, Exit.fail("nope"))
        const [inner] = yield* Timeline.recordExit(Effect.fail("nope"))
        assert.deepStrictEqual(inner, Exit.fail("nope"))
      }))

    it.effect("the layer form records every fiber forked under it", () =>
      Effect.gen(function*() {
        const recording = yield* Effect.gen(function*() {
          // (No TestClock.adjust here: its own fibers would be recorded too, as every fiber under the layer is.)
          const fiber = yield* Effect.fork(Effect.yieldNow().pipe(Effect.withSpan("under-layer")))
          yield* Fiber.join(fiber)
          const recorder = yield* Timeline.Recorder
          return yield* recorder.snapshot
        }).pipe(Effect.provide(Timeline.layer({ label: "layered" })))
        assert.strictEqual(recording.label, "layered")
        assert.deepStrictEqual(
          recording.lanes.map((l) => [l.label, l.startMs, l.endMs, l.outcome]),
          [["under-layer", 0, 0, "success"]]
        )
        assert.isFalse(Timeline.isActive())
      }))
  })

  describe("bad input", () => {
    it.effect("fails with InvalidArgumentError at the call", () =>
      Effect.gen(function*() {
        assert.isTrue(isInvalid(yield* Effect.exit(Timeline.mark("", "note")), /Timeline.mark: label/))
        assert.isTrue(
          isInvalid(yield* Effect.exit(Timeline.mark("x", "nap" as Timeline.MarkKind)), /Timeline.mark: kind/)
        )
        assert.isTrue(
          isInvalid(yield* Effect.exit(Timeline.phase(Effect.void, "x", "zzz" as Timeline.MarkKind)), /phase: kind/)
        )
        assert.isTrue(isInvalid(yield* Effect.exit(Timeline.named(Effect.void, "")), /named: label/))
        assert.isTrue(
          isInvalid(yield* Effect.exit(Timeline.record(Effect.void, { maxLanes: 0 })), /record: maxLanes/)
        )
        assert.isTrue(
          isInvalid(
            yield* Effect.exit(Effect.provide(Effect.void, Timeline.layer({ maxLanes: -1 }))),
            /layer: maxLanes/
          )
        )
        const [, recording] = yield* Timeline.record(Effect.void)
        assert.isTrue(
          isInvalid(yield* Effect.exit(Timeline.render(recording, "png" as Timeline.Format)), /render: format/)
        )
        assert.throws(() => Timeline.toText(recording, { width: 0 }), /toText: width must be a positive integer/)
        assert.throws(() => Timeline.toHtml({} as Timeline.Recording), /toHtml: recording/)
        assert.throws(() => Timeline.unsafeMark(undefined as never, "", "note"), /unsafeMark: label/)
        assert.isFalse(Timeline.isActive())
      }))

    it("targetFromArgv reads --timeline and rejects a missing path or an unknown extension", () => {
      assert.deepStrictEqual(Timeline.targetFromArgv(["node", "main.ts"]), Either.right(Option.none()))
      assert.deepStrictEqual(
        Timeline.targetFromArgv(["node", "main.ts", "--timeline", "out/run.html"]),
        Either.right(Option.some({ path: "out/run.html", format: "html" as const }))
      )
      assert.deepStrictEqual(
        Timeline.targetFromArgv(["--timeline=trace.json"]),
        Either.right(Option.some({ path: "trace.json", format: "chrome" as const }))
      )
      const missing = Timeline.targetFromArgv(["--timeline"])
      assert.isTrue(Either.isLeft(missing) && /--timeline must be a file path after it/.test(missing.left.message))
      const png = Timeline.targetFromArgv(["--timeline", "run.png"])
      assert.isTrue(Either.isLeft(png) && /\.html, \.svg, \.json/.test(png.left.message))
      assert.deepStrictEqual(
        Timeline.targetFromArgv(["--timeline", "run.svg"]),
        Either.right(Option.some({ path: "run.svg", format: "svg" as const }))
      )
    })
  })

  describe("fromArgv", () => {
    it.effect("without the flag the program runs as written and nothing is written", () =>
      Effect.gen(function*() {
        const written: Array<string> = []
        const result = yield* Effect.succeed(42).pipe(
          Timeline.fromArgv(["node", "main.ts"], (path) => Effect.sync(() => written.push(path)))
        )
        assert.strictEqual(result, 42)
        assert.deepStrictEqual(written, [])
      }))

    it.effect("with the flag it writes the rendered run, even when the program fails, then fails as it did", () =>
      Effect.gen(function*() {
        const written: Array<[string, string]> = []
        const write = (path: string, contents: string) => Effect.sync(() => written.push([path, contents]))
        const ok = yield* Effect.succeed(1).pipe(Timeline.fromArgv(["--timeline", "a.html"], write))
        const failed = yield* Effect.exit(Effect.fail("bad").pipe(Timeline.fromArgv(["--timeline", "b.json"], write)))
        assert.strictEqual(ok, 1)
        assert.deepStrictEqual(failed, Exit.fail("bad"))
        assert.deepStrictEqual(written.map(([path]) => path), ["a.html", "b.json"])
        assert.isTrue(written[0]![1].startsWith("<!doctype html>"))
        assert.strictEqual(JSON.parse(written[1]![1]).traceEvents[0].name, "process_name")
        const bad = yield* Effect.exit(Effect.succeed(1).pipe(Timeline.fromArgv(["--timeline", "x.gif"], write)))
        assert.isTrue(isInvalid(bad, /--timeline must be a file path ending/))
      }))
  })

  describe("renderers", () => {
    const fixed = recorded(profile, 100).pipe(Effect.map(([, recording]) => recording))

    it.effect("terminal: nested lanes, glyphs per state and outcome, fitted to the width", () =>
      Effect.gen(function*() {
        const recording = yield* fixed
        const text = Timeline.toText(recording, { width: 80 })
        assert.strictEqual(
          text.replace(/#\d+/g, "#N"),
          [
            "timeline: 5 fibers over 10 ms (2 ok, 2 failed, 1 interrupted, 0 still running)",
            "live fibers  │█▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▅▅▅▅▅▅▅▅▅▅▅▅▅▅▅▅▅▅▅│ peak 5",
            "main         │─────────────────────────────────────✗│ failed: Error: boom",
            "  body       │✓                                     │ ok",
            "    slow     │────────────────────────────────────↯⊘│ interrupted by main (#N)",
            "    failing  │─────────────────────────────────────✗│ failed: Error: boom",
            "    quick    │───────────────────✓                  │ ok",
            "             └0────────────────5───────────────10 ms┘",
            "legend: █ running  ─ suspended  · not yet run  ▒ waiting  ░ queued  ≈ backoff",
            "! deadline  ↯ interrupt  ◆ mark  ✓ ok  ✗ failed  ⊘ interrupted  ▓ other phase"
          ].join("\n")
        )
        // Narrower terminals get narrower bars, and no line is longer than asked for.
        for (const width of [40, 60, 120]) {
          const lines = Timeline.toText(recording, { width }).split("\n")
          for (const line of lines) assert.isAtMost([...line].length, width, line)
        }
      }))

    it.effect("HTML: one lane group per fiber with outcome, nesting, hover titles and a ms axis, no network", () =>
      Effect.gen(function*() {
        const recording = yield* fixed
        const html = Timeline.toHtml(recording, { title: "profile" })
        assert.strictEqual(html, Timeline.toHtml(recording, { title: "profile" }))
        assert.isTrue(html.startsWith("<!doctype html>"))
        assert.notMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
        const lanes = [...html.matchAll(/<g class="lane" data-fiber="\d+" data-outcome="(\w+)" data-depth="(\d)">/g)]
        assert.deepStrictEqual(lanes.map((m) => [m[1], m[2]]), [
          ["failure", "0"],
          ["success", "1"],
          ["interrupted", "2"],
          ["failure", "2"],
          ["success", "2"]
        ])
        assert.strictEqual([...html.matchAll(/<line class="fork"/g)].length, 4)
        assert.include(html, "<title>slow (fiber #")
        assert.include(html, "interrupted by main (#")
        assert.include(html, "interrupted by TaskGroup &quot;profile&quot; (interrupt) at 10 ms")
        assert.deepStrictEqual(
          [...html.matchAll(/<text class="tick"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1]),
          ["0 ms", "1 ms", "2 ms", "3 ms", "4 ms", "5 ms", "6 ms", "7 ms", "8 ms", "9 ms", "10 ms"]
        )
        assert.strictEqual([...html.matchAll(/data-state="suspended"/g)].length, 4)
        // The standalone SVG is the same chart, styled inside, with the title on top.
        const svg = Timeline.toSvg(recording, { title: "profile" })
        assert.isTrue(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        assert.include(svg, "<style>")
        assert.include(svg, ">profile</text>")
        assert.strictEqual([...svg.matchAll(/<g class="lane"/g)].length, 5)
      }))

    it.effect("Chrome trace: a named thread per fiber in tree order, states as complete events, marks as instants", () =>
      Effect.gen(function*() {
        const recording = yield* fixed
        const trace = JSON.parse(Timeline.toChromeTrace(recording)) as {
          traceEvents: Array<{ name: string; ph: string; tid: number; ts?: number; dur?: number; args?: any }>
        }
        const threads = trace.traceEvents.filter((e) => e.name === "thread_name").map((e) => e.args.name as string)
        assert.deepStrictEqual(threads.map((n) => n.replace(/ #\d+$/, "")), [
          "main",
          "  body",
          "    slow",
          "    failing",
          "    quick"
        ])
        const slow = recording.lanes[2]!.fiber
        const slowEvents = trace.traceEvents.filter((e) => e.tid === slow && e.ph !== "M")
        assert.deepStrictEqual(slowEvents.map((e) => [e.ph, e.name, e.ts, e.dur]), [
          ["f", "fork", 0, undefined],
          ["X", "suspended", 0, 10_000],
          ["i", "interrupted by TaskGroup \"profile\"", 10_000, undefined],
          ["i", "interrupted", 10_000, undefined]
        ])
        assert.strictEqual(trace.traceEvents.filter((e) => e.ph === "s").length, 4)
      }))

    it.effect("phases render as regions in every format", () =>
      Effect.gen(function*() {
        const program = Effect.sleep("10 millis").pipe(
          Timeline.phase("waiting for a token", "waiting"),
          Effect.zipRight(Effect.sleep("10 millis").pipe(Timeline.phase("retry backoff", "backoff")))
        )
        const [, recording] = yield* recorded(program, 20)
        const row = Timeline.toText(recording, { width: 52 }).split("\n").find((line) => line.startsWith("main"))
        // 19 columns for 20 ms: the wait fills the first half, the backoff the second, then the end.
        assert.strictEqual(row, `main         │${"▒".repeat(9)}${"≈".repeat(9)}✓│ ok`)
        const html = Timeline.toHtml(recording)
        assert.deepStrictEqual([...html.matchAll(/class="phase (\w+)"/g)].map((m) => m[1]), ["waiting", "backoff"])
        const trace = JSON.parse(Timeline.toChromeTrace(recording)).traceEvents as Array<any>
        assert.deepStrictEqual(
          trace.filter((e) => e.cat === "waiting" || e.cat === "backoff").map((e) => [e.name, e.ts, e.dur]),
          [["waiting for a token", 0, 10_000], ["retry backoff", 10_000, 10_000]]
        )
      }))

    it.effect("large runs: lanes past the drawing limit are summarised in one line", () =>
      Effect.gen(function*() {
        const program = Effect.forEach(Array.from({ length: 200 }, (_, i) => i), () => Effect.sleep("1 millis"), {
          concurrency: "unbounded",
          discard: true
        })
        const [, recording] = yield* recorded(program, 5, { maxLanes: 150 })
        const text = Timeline.toText(recording, { width: 80, maxLanes: 10 })
        assert.include(text, "… 140 more lanes not drawn (140 ok, 0 failed, 0 interrupted, 0 still running)")
        assert.include(text, "… 52 more fibers beyond the lane limit were counted, not drawn: 52 ok")
        // The live-fibers curve counts every fiber, drawn or not: main, forEach's fiber and 200 children.
        assert.match(text, /│ peak 202/)
        const counter = (JSON.parse(Timeline.toChromeTrace(recording)).traceEvents as Array<any>)
          .filter((e) => e.ph === "C").map((e) => e.args.fibers as number)
        assert.strictEqual(Math.max(...counter), 202)
        assert.strictEqual(counter[counter.length - 1], 0)
        const html = Timeline.toHtml(recording, { maxLanes: 20 })
        assert.strictEqual([...html.matchAll(/<g class="lane"/g)].length, 20)
      }))
  })
})
