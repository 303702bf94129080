import { Effect, Layer } from "effect"
import type { Event } from "../../src/domain/Event.js"
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
