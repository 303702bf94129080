import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { statSync } from "node:fs"
import { join } from "node:path"
import { AuditLog } from "../pipeline/AuditLog.js"
import { SsgPaths } from "../pipeline/Paths.js"
import { metricsProjection } from "../projections/Metrics.js"
import { Projections } from "../projections/Projections.js"
import { jsonOption } from "./options.js"

const fileBytes = (path: string): number =>
  ["", "-wal", "-shm"].reduce((sum, suffix) => sum + (statSync(`${path}${suffix}`, { throwIfNoEntry: false })?.size ?? 0), 0)

const human = (bytes: number): string =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`

/** `ssg usage [--json]`: evaluation counts and the storage the log and the projections take. */
export const usageCommand = Command.make("usage", { json: jsonOption }, ({ json }) =>
  Effect.gen(function* () {
    const { home } = yield* SsgPaths
    const log = yield* AuditLog
    const head = yield* log.head
    const { state } = yield* (yield* Projections).catchUp(metricsProjection)
    const report = {
      entries: head?.size ?? 0,
      evaluations: state.evaluations,
      decisions: Object.fromEntries([...state.decisions].sort((a, b) => b[1] - a[1])),
      log_bytes: fileBytes(log.path),
      projection_bytes: fileBytes(join(home, "projections.db"))
    }
    if (json) return yield* Console.log(JSON.stringify(report))
    yield* Console.log(`audit log:    ${report.entries} entries, ${human(report.log_bytes)} (${log.path})`)
    yield* Console.log(
      `evaluations:  ${report.evaluations}${report.evaluations > 0 ? ` (${Object.entries(report.decisions).map(([d, n]) => `${n} ${d}`).join(", ")})` : ""}`
    )
    yield* Console.log(`projections:  ${human(report.projection_bytes)} (${join(home, "projections.db")})`)
  })
).pipe(Command.withDescription("Evaluation counts and the storage the audit log and its projections take"))
