import { Batch } from "@fiberkit/core"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { check, type Workload } from "../Workload.js"

// W6: N tasks run concurrently, each yields once; task i fails when i % 20 is 3 (Invalid) or 13
// (Unavailable): 10% failing with two kinds. Every failure is collected, grouped by kind, and the
// check compares the counts and the sum of the failed indices per kind with what must happen.
class Invalid extends Data.TaggedError("Invalid")<{ readonly index: number }> {}
class Unavailable extends Data.TaggedError("Unavailable")<{ readonly index: number }> {}
type Failure = Invalid | Unavailable

interface Grouped {
  readonly succeeded: number
  readonly Invalid: Array<number>
  readonly Unavailable: Array<number>
}

const kindOf = (i: number): "Invalid" | "Unavailable" | undefined =>
  i % 20 === 3 ? "Invalid" : i % 20 === 13 ? "Unavailable" : undefined

const expected = (n: number) => {
  const out = { succeeded: 0, Invalid: { count: 0, sum: 0 }, Unavailable: { count: 0, sum: 0 } }
  for (let i = 0; i < n; i++) {
    const kind = kindOf(i)
    if (kind === undefined) out.succeeded++
    else {
      out[kind].count++
      out[kind].sum += i
    }
  }
  return out
}

const verify = (grouped: Grouped, n: number) => {
  const want = expected(n)
  const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)
  const ok = grouped.succeeded === want.succeeded &&
    grouped.Invalid.length === want.Invalid.count && sum(grouped.Invalid) === want.Invalid.sum &&
    grouped.Unavailable.length === want.Unavailable.count && sum(grouped.Unavailable) === want.Unavailable.sum
  return check(
    ok,
    `${grouped.succeeded} ok, ${grouped.Invalid.length} Invalid, ${grouped.Unavailable.length} Unavailable` +
      (ok ? "" : ` (want ${want.succeeded}, ${want.Invalid.count}, ${want.Unavailable.count})`),
    { Invalid: grouped.Invalid.length, Unavailable: grouped.Unavailable.length }
  )
}

const task = (i: number): Effect.Effect<number, Failure> =>
  Effect.flatMap(Effect.yieldNow(), (): Effect.Effect<number, Failure> => {
    const kind = kindOf(i)
    return kind === "Invalid" ?
      Effect.fail(new Invalid({ index: i })) :
      kind === "Unavailable" ?
      Effect.fail(new Unavailable({ index: i })) :
      Effect.succeed(i)
  })

const indices = (n: number) => Array.from({ length: n }, (_, i) => i)

const group = (errors: Iterable<Failure>, succeeded: number): Grouped => {
  const grouped = { succeeded, Invalid: [] as Array<number>, Unavailable: [] as Array<number> }
  for (const e of errors) grouped[e._tag].push(e.index)
  return grouped
}

const fromEithers = (results: ReadonlyArray<Either.Either<number, Failure>>): Grouped => {
  const errors: Array<Failure> = []
  let succeeded = 0
  for (const r of results) {
    if (Either.isLeft(r)) errors.push(r.left)
    else succeeded++
  }
  return group(errors, succeeded)
}

class PromiseFailure extends Error {
  constructor(readonly kind: "Invalid" | "Unavailable", readonly index: number) {
    super(kind)
  }
}

export const workload: Workload = {
  id: "W6",
  title: "10% of tasks fail with two kinds; collect every failure by kind",
  size: 10_000,
  unit: "tasks",
  columns: ["Invalid", "Unavailable"],
  implementations: {
    "fiberkit Batch.process settle": {
      kind: "fiberkit",
      run: async (n) => {
        const result = await Effect.runPromise(Batch.process(indices(n), task))
        return verify(group(result.failures.flatMap((f) => f.errors), result.successes.length), n)
      }
    },
    "fiberkit Batch.process settle, concurrency 100": {
      kind: "fiberkit",
      run: async (n) => {
        const result = await Effect.runPromise(Batch.process(indices(n), task, { concurrency: 100 }))
        return verify(group(result.failures.flatMap((f) => f.errors), result.successes.length), n)
      }
    },
    "Effect.all mode either": {
      kind: "raw-effect",
      run: async (n) =>
        verify(
          fromEithers(
            await Effect.runPromise(Effect.all(indices(n).map(task), { concurrency: "unbounded", mode: "either" }))
          ),
          n
        )
    },
    "Effect.all mode validate": {
      kind: "raw-effect",
      run: async (n) => {
        // validate fails with one Option<error> per input when anything failed.
        const exit = await Effect.runPromise(
          Effect.either(Effect.all(indices(n).map(task), { concurrency: "unbounded", mode: "validate" }))
        )
        if (Either.isRight(exit)) return verify(group([], exit.right.length), n)
        const errors = exit.left.flatMap((o) => Option.isSome(o) ? [o.value] : [])
        return verify(group(errors, exit.left.length - errors.length), n)
      }
    },
    "Effect.forEach + Effect.either": {
      kind: "raw-effect",
      run: async (n) =>
        verify(
          fromEithers(
            await Effect.runPromise(
              Effect.forEach(indices(n), (i) => Effect.either(task(i)), { concurrency: "unbounded" })
            )
          ),
          n
        )
    },
    "Effect.partition": {
      kind: "raw-effect",
      run: async (n) => {
        const [errors, values] = await Effect.runPromise(
          Effect.partition(indices(n), task, { concurrency: "unbounded" })
        )
        return verify(group(errors, values.length), n)
      }
    },
    "Promise.allSettled": {
      kind: "promise",
      run: async (n) => {
        const settled = await Promise.allSettled(
          indices(n).map(async (i) => {
            await Promise.resolve()
            const kind = kindOf(i)
            if (kind !== undefined) throw new PromiseFailure(kind, i)
            return i
          })
        )
        const grouped = { succeeded: 0, Invalid: [] as Array<number>, Unavailable: [] as Array<number> }
        for (const s of settled) {
          if (s.status === "fulfilled") grouped.succeeded++
          else grouped[(s.reason as PromiseFailure).kind].push((s.reason as PromiseFailure).index)
        }
        return verify(grouped, n)
      }
    }
  },
  python: { name: "asyncio gather(return_exceptions=True)", file: "w6_batch.py" }
}
