import { TaskGroup } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { check, type Workload } from "../Workload.js"

// Every task yields once (so they really interleave) and returns its index; the sum proves none was lost.
const expectedSum = (n: number) => (n * (n - 1)) / 2
const verify = (values: ReadonlyArray<number>, n: number) =>
  check(values.length === n && values.reduce((a, b) => a + b, 0) === expectedSum(n), `got ${values.length} results`)

const task = (i: number) => Effect.as(Effect.yieldNow(), i)

// Lazily, as a user with 100k inputs would: building 100k Effect values up front costs ~150 MB by itself.
function* tasks(n: number) {
  for (let i = 0; i < n; i++) yield task(i)
}

export const workload: Workload = {
  id: "W1",
  title: "fan-out/fan-in, one zero-delay yield per task",
  size: 100_000,
  unit: "tasks",
  implementations: {
    "fiberkit TaskGroup.runAll": {
      kind: "fiberkit",
      run: async (n) => verify(await Effect.runPromise(TaskGroup.runAll(tasks(n))), n)
    },
    "fiberkit TaskGroup.spawn + join": {
      kind: "fiberkit",
      run: async (n) =>
        verify(
          await Effect.runPromise(
            TaskGroup.run((group) =>
              Effect.gen(function*() {
                const tasks: Array<TaskGroup.Task<number>> = []
                for (let i = 0; i < n; i++) tasks.push(yield* TaskGroup.spawn(group, task(i)))
                return tasks
              })
            ).pipe(Effect.flatMap((tasks) => Effect.forEach(tasks, TaskGroup.result)))
          ),
          n
        )
    },
    "Effect fork + join": {
      kind: "raw-effect",
      run: async (n) =>
        verify(
          await Effect.runPromise(Effect.gen(function*() {
            const fibers: Array<Fiber.RuntimeFiber<number>> = []
            for (let i = 0; i < n; i++) fibers.push(yield* Effect.fork(task(i)))
            const values: Array<number> = []
            for (const fiber of fibers) values.push(yield* Fiber.join(fiber))
            return values
          })),
          n
        )
    },
    "Effect.forEach unbounded": {
      kind: "raw-effect",
      run: async (n) =>
        verify(
          await Effect.runPromise(Effect.forEach(
            Array.from({ length: n }, (_, i) => i),
            task,
            { concurrency: "unbounded" }
          )),
          n
        )
    },
    "Promise.all (microtask yield)": {
      kind: "promise",
      run: async (n) =>
        verify(
          await Promise.all(Array.from({ length: n }, async (_, i) => {
            await Promise.resolve()
            return i
          })),
          n
        )
    },
    "Promise.all (setImmediate yield)": {
      kind: "promise",
      run: async (n) =>
        verify(
          await Promise.all(
            Array.from({ length: n }, (_, i) => new Promise<number>((resolve) => setImmediate(() => resolve(i))))
          ),
          n
        )
    }
  },
  python: { name: "asyncio TaskGroup", file: "w1_fanout.py" }
}
