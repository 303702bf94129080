import { Effect, Layer } from "effect"
import { EvalDecided, type Event } from "../../src/domain/Event.js"
import * as AuditLog from "../../src/pipeline/AuditLog.js"
import * as Keys from "../../src/pipeline/Keys.js"
import { pathsFrom, SsgPaths } from "../../src/pipeline/Paths.js"

/** Appends each group of events to the audit log under `home` in its own transaction, in this process. */
export const appendToLog = (home: string, groups: Iterable<ReadonlyArray<Event>>): Promise<void> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const log = yield* AuditLog.AuditLog
      for (const events of groups) yield* log.append(events)
    }).pipe(
      Effect.provide(
        AuditLog.layer.pipe(
          Layer.provideMerge(Keys.layer),
          Layer.provideMerge(Layer.succeed(SsgPaths, pathsFrom({ SSG_HOME: home }, home)))
        )
      ),
      Effect.scoped
    )
  )

/** An allowed `Bash` evaluation whose input summary is `summary`: the filler event of log tests. */
export const allowedEval = (summary: string) =>
  EvalDecided.make({
    tool: "Bash",
    capability: "execute",
    client: "test",
    decision: "allow",
    rule_id: null,
    also_matched: [],
    latency_ms: 0.1,
    input_summary: summary,
    input_sha256: "ab".repeat(32)
  })
