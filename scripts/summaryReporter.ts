/**
 * Adds one plain closing line to `pnpm test` ("tests: N passed, N failed, N skipped") so that CI logs end
 * with a count any reader or tool can parse, whatever vitest's own summary looks like.
 */
import type { Reporter, RunnerTask, RunnerTestFile } from "vitest"

const count = (tasks: ReadonlyArray<RunnerTask>, totals: { passed: number; failed: number; skipped: number }) => {
  for (const task of tasks) {
    if (task.type === "suite") count(task.tasks, totals)
    else if (task.mode === "skip" || task.mode === "todo") totals.skipped++
    else if (task.result?.state === "pass") totals.passed++
    else if (task.result?.state === "fail") totals.failed++
  }
  return totals
}

export default class SummaryReporter implements Reporter {
  onFinished(files: ReadonlyArray<RunnerTestFile> = []) {
    const totals = count(files, { passed: 0, failed: 0, skipped: 0 })
    // Files that failed to load have no tasks but a failed state of their own.
    totals.failed += files.filter((f) => f.tasks.length === 0 && f.result?.state === "fail").length
    process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`)
  }
}
