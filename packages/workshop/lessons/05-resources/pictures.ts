/**
 * The runs the README draws side by side (pictures/*.svg and *.txt), under the
 * TestClock. Regenerate with `pnpm --filter @fiberkit/workshop pictures 05`.
 *
 * Five queries of 20 ms each feed a consumer that spends 50 ms on every row.
 * Queries and rows are regions on the lanes that run them; a mark ends each query.
 */
import { Deadline, TaskGroup, Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { type Picture, point, region } from "../_shared/pictures.js"
import { Driver } from "./api.js"
import { results, runQuery } from "./solution.js"

let nextConn = 0
const driver = Layer.succeed(Driver, {
  connect: Effect.sync(() => ({ id: ++nextConn })),
  close: () => Effect.void,
  query: (_, sql) =>
    Effect.sleep("20 millis").pipe(Effect.as(`rows of ${sql}`), region(sql), Effect.tap(() => point(`${sql} done`)))
})

const queries = ["q1", "q2", "q3", "q4", "q5"]
const consume = (row: string) => Effect.sleep("50 millis").pipe(region(`consume ${row}`))

// The README's broken version: one deadline around a producer that pushes into a bounded queue, so the
// time it waits for the slow consumer counts against it.
const pushedBroken = Effect.gen(function*() {
  const queue = yield* Queue.bounded<string>(1)
  const producer = Effect.forEach(queries, (sql) => Effect.flatMap(runQuery(sql), (row) => Queue.offer(queue, row)))
    .pipe(Deadline.timeout({ after: "100 millis", label: "producer" }), Effect.withSpan("producer"))
  const consumer = Stream.fromQueue(queue).pipe(
    Stream.take(queries.length),
    Stream.runForEach(consume),
    Effect.withSpan("consumer")
  )
  yield* TaskGroup.runAll([producer, consumer])
})

// The fix is the lesson's solution: the stream pulls, and each query has its own 100 ms.
const pulledFixed = results(queries).pipe(Stream.runForEach(consume))

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "producer-deadline-broken",
    title: "Broken: a deadline around the producer",
    label: "a deadline around the producer (broken)",
    program: pushedBroken.pipe(Timeline.named("rows"), Effect.provide(driver))
  },
  {
    name: "producer-deadline-fixed",
    title: "Fixed: a deadline per query, pulled",
    label: "a deadline per query (fixed)",
    program: pulledFixed.pipe(Timeline.named("rows"), Effect.provide(driver))
  }
]
