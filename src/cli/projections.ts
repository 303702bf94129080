import { Args, Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { ProjectionError, Projections, PROJECTIONS } from "../projections/Projections.js"

/** `ssg projections rebuild [NAME]`: recomputes one projection (or all) from seq 1. */
const rebuildCommand = Command.make(
  "rebuild",
  { name: Args.text({ name: "NAME" }).pipe(Args.withDescription("projection to rebuild (default: all)"), Args.optional) },
  ({ name }) =>
    Effect.gen(function* () {
      const chosen = name._tag === "Some" ? PROJECTIONS.filter((p) => p.name === name.value) : PROJECTIONS
      if (chosen.length === 0) {
        return yield* new ProjectionError({
          reason: "unknown",
          message: `unknown projection "${name._tag === "Some" ? name.value : ""}" (known: ${PROJECTIONS.map((p) => p.name).join(", ")})`
        })
      }
      const projections = yield* Projections
      for (const projection of chosen) {
        const start = performance.now()
        const caught = yield* projections.rebuild(projection)
        yield* Console.log(`${projection.name}: rebuilt from seq 1 to ${caught.cursor} in ${(performance.now() - start).toFixed(0)} ms`)
      }
    })
).pipe(Command.withDescription("Recompute projections from the start of the log"))

/** `ssg projections …`: maintenance of the read models derived from the log. */
export const projectionsCommand = Command.make("projections").pipe(
  Command.withDescription("Read models derived from the audit log"),
  Command.withSubcommands([rebuildCommand])
)
