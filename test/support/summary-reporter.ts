import type { Reporter, RunnerTask, RunnerTestFile } from "vitest/node"

const count = (tasks: ReadonlyArray<RunnerTask>, totals: { passed: number; failed: number; skipped: number }): void => {
  for (const task of tasks) {
    if (task.type === "suite") {
      count(task.tasks, totals)
      if (task.result?.state === "fail" && task.tasks.length === 0) totals.failed++
      continue
    }
    const state = task.result?.state
    if (state === "pass") totals.passed++
    else if (state === "fail") totals.failed++
    else totals.skipped++
  }
}

/** Prints one plain closing line `tests: N passed, N failed, N skipped` after the run (files failing to load count as failed). */
export default class SummaryReporter implements Reporter {
  onFinished(files: ReadonlyArray<RunnerTestFile> = [], errors: ReadonlyArray<unknown> = []): void {
    const totals = { passed: 0, failed: 0, skipped: 0 }
    for (const file of files) {
      if (file.result?.state === "fail" && file.tasks.length === 0) totals.failed++
      count(file.tasks, totals)
    }
    totals.failed += errors.length
    process.stdout.write(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`)
  }
}
