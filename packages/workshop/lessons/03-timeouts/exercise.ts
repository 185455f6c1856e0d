/**
 * Lesson 03: timeouts. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 03
 */
import type { Deadline, InvalidArgument } from "@fiberkit/core"
import type * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"
import type { Api, ApiError, Report } from "./api.js"

type Errors = ApiError | Deadline.TimeoutExceeded | InvalidArgument.InvalidArgumentError

/**
 * Part 1: fetch one report with a 200 ms budget. On timeout the error must be a
 * `Deadline.TimeoutExceeded` labelled `report <id>`. Use `Deadline.timeout`.
 */
export const fetchReport = (id: string): Effect.Effect<Report, Errors, Api> =>
  unsolved(`fetchReport(${id}): wrap api.report(id) in Deadline.timeout({ after, label })`)

/**
 * Part 2: fetch every report concurrently (TaskGroup.runAll) under ONE 500 ms deadline
 * labelled "all reports". When it passes, the fetches still running must be interrupted.
 */
export const fetchAllReports = (ids: ReadonlyArray<string>): Effect.Effect<Array<Report>, Errors, Api> =>
  unsolved(`fetchAllReports(${ids.length} ids): one Deadline.timeout around the whole TaskGroup`)

/**
 * Part 3: run `api.exportStart` then `api.exportFinish(jobId)` under a movable
 * 300 ms deadline labelled "export"; after exportStart answers, extend it by 300 ms.
 * Use `Deadline.make`, `Deadline.within` and `Deadline.extend`.
 */
export const runExport: Effect.Effect<string, Errors, Api> = unsolved(
  "runExport: Deadline.make, then Deadline.within(work, deadline), extending it after the first step"
)
