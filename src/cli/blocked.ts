import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { BLOCKED_KEPT, blockedProjection } from "../projections/Blocked.js"
import { Projections } from "../projections/Projections.js"
import { parseSince } from "./audit.js"
import { UsageError } from "./finding.js"
import { jsonOption } from "./options.js"

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

/** `ssg blocked [--since=1h] [--json]`: the recent blocked calls with their rule, reason and input summary. */
export const blockedCommand = Command.make(
  "blocked",
  {
    since: Options.text("since").pipe(
      Options.withDescription("how far back: 30m, 1h, 7d or an ISO date (default 1h)"),
      Options.withDefault("1h")
    ),
    json: jsonOption
  },
  ({ json, since }) =>
    Effect.gen(function* () {
      const from = parseSince(since, Date.now())
      if (from === null) return yield* new UsageError({ message: `--since: cannot read "${since}" (use 30m, 1h, 7d or an ISO date)` })
      const { state } = yield* (yield* Projections).catchUp(blockedProjection)
      const rows = state.filter((b) => b.timestamp >= from).reverse()
      if (json) return yield* Console.log(JSON.stringify({ since: from, rows }))
      if (rows.length === 0) return yield* Console.log(`no blocked calls since ${from}`)
      for (const b of rows) {
        yield* Console.log(
          `#${b.seq}  ${b.timestamp}  ${b.client.padEnd(12)} ${b.tool.padEnd(10)} ${(b.rule_id ?? "—").padEnd(32)} ${clip(b.input_summary, 60)}`
        )
        if (b.reason !== null) yield* Console.log(`      ${clip(b.reason, 140)}`)
      }
      yield* Console.log(`${rows.length} blocked call(s) since ${from} (the newest ${BLOCKED_KEPT} are kept)`)
    })
).pipe(Command.withDescription("Recent blocked calls with their rule, reason and input summary, from the audit log"))
