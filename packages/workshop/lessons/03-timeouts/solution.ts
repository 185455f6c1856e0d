import { Deadline, TaskGroup } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import { Api } from "./api.js"

/** Part 1: one call, one budget. The error names the call: `report <id>`. */
export const fetchReport = (id: string) =>
  Effect.flatMap(Api, (api) => api.report(id)).pipe(Deadline.timeout({ after: "200 millis", label: `report ${id}` }))

/** Part 2: one deadline for the whole group; when it passes every fetch still running is interrupted. */
export const fetchAllReports = (ids: ReadonlyArray<string>) =>
  Effect.flatMap(Api, (api) => TaskGroup.runAll(ids.map(api.report))).pipe(
    Deadline.timeout({ after: "500 millis", label: "all reports" })
  )

/**
 * Part 3: the export gets 300 ms; once `exportStart` has answered, it has made progress and
 * earns 300 ms more for `exportFinish`.
 */
export const runExport = Effect.gen(function*() {
  const api = yield* Api
  const deadline = yield* Deadline.make({ after: "300 millis", label: "export" })
  return yield* Deadline.within(
    Effect.gen(function*() {
      const jobId = yield* api.exportStart
      yield* Deadline.extend(deadline, "300 millis")
      return yield* api.exportFinish(jobId)
    }),
    deadline
  )
})
