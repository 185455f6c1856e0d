import { TaskGroup, Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import { check, type Workload } from "../Workload.js"

// W1's fan-out (every task yields once and returns its index), with and without a timeline recorder.
const expectedSum = (n: number) => (n * (n - 1)) / 2
const sumOk = (values: ReadonlyArray<number>, n: number) =>
  values.length === n && values.reduce((a, b) => a + b, 0) === expectedSum(n)

const task = (i: number) => Effect.as(Effect.yieldNow(), i)
// Built once, as a primitive would: the mark reads whether anything records when it runs.
const stepMark = Effect.orDie(Timeline.mark("step", "note"))
const markedTask = (i: number) => Effect.zipRight(stepMark, task(i))

const fanOut = (n: number, make: (i: number) => Effect.Effect<number>) =>
  TaskGroup.runAll(Array.from({ length: n }, (_, i) => make(i)))

const recorded = async (n: number, maxLanes: number) => {
  const [values, recording] = await Effect.runPromise(Timeline.record(fanOut(n, task), { maxLanes }))
  // The recorded root, the group's body fiber and n tasks: each either has a lane or is counted in overflow.
  const fibers = recording.lanes.length + recording.overflow.fibers
  const ended = recording.lanes.filter((lane) => lane.outcome === "success").length + recording.overflow.succeeded
  return check(
    sumOk(values, n) && fibers === n + 2 && ended === n + 2,
    `${recording.lanes.length} lanes, ${recording.overflow.fibers} counted`,
    { lanes: recording.lanes.length, events: recording.events.length }
  )
}

export const workload: Workload = {
  id: "T1",
  title: "timeline overhead: W1's fan-out with recording off and on",
  size: 100_000,
  unit: "tasks",
  columns: ["lanes", "events"],
  implementations: {
    "recording off (TaskGroup.runAll)": {
      kind: "fiberkit",
      run: async (n) => {
        const values = await Effect.runPromise(fanOut(n, task))
        return check(sumOk(values, n), `got ${values.length} results`)
      }
    },
    "recording off, Timeline.mark in every task": {
      kind: "fiberkit",
      run: async (n) => {
        const values = await Effect.runPromise(fanOut(n, markedTask))
        return check(sumOk(values, n), `got ${values.length} results`)
      }
    },
    "recording on, 10k lanes + counted overflow (default)": {
      kind: "fiberkit",
      run: (n) => recorded(n, 10_000)
    },
    "recording on, a lane for every fiber": {
      kind: "fiberkit",
      run: (n) => recorded(n, n + 2)
    },
    "Effect.forEach unbounded (no recorder)": {
      kind: "raw-effect",
      run: async (n) => {
        const values = await Effect.runPromise(
          Effect.forEach(Array.from({ length: n }, (_, i) => i), task, { concurrency: "unbounded" })
        )
        return check(sumOk(values, n), `got ${values.length} results`)
      }
    }
  }
}
