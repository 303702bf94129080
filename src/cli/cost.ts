import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { pricer, PRICES_AS_OF } from "../domain/Pricing.js"
import { Config } from "../pipeline/Config.js"
import {
  COST_DIMENSIONS,
  type CostDimension,
  type CostGroup,
  costProjection,
  type CostSummary,
  costSummary
} from "../projections/Cost.js"
import { Projections } from "../projections/Projections.js"
import { UsageError } from "./finding.js"
import { jsonOption } from "./options.js"

/** The longest window `--since` accepts, in days. */
export const MAX_SINCE_DAYS = 36_500

/** Reads `--since`: `<N>d` or a bare N, a whole number of days from 1 to 36,500; null for anything else. */
export const parseSinceDays = (value: string): number | null => {
  const m = /^(\d{1,6})d?$/.exec(value.trim())
  if (m === null) return null
  const days = Number(m[1])
  return days >= 1 && days <= MAX_SINCE_DAYS ? days : null
}

const isDimension = (value: string): value is CostDimension => (COST_DIMENSIONS as ReadonlyArray<string>).includes(value)

const summaryCommand = Command.make(
  "summary",
  {
    by: Options.text("by").pipe(
      Options.withDescription(`group by ${COST_DIMENSIONS.join(", ")} (default tool)`),
      Options.withDefault("tool")
    ),
    since: Options.text("since").pipe(
      Options.withDescription("window in UTC days, today included: 7d or 7 (default 7)"),
      Options.withDefault("7")
    ),
    json: jsonOption
  },
  ({ by, json, since }) =>
    Effect.gen(function* () {
      if (!isDimension(by)) {
        return yield* new UsageError({ message: `--by: "${by}" is not a dimension (use ${COST_DIMENSIONS.join(", ")})` })
      }
      const sinceDays = parseSinceDays(since)
      if (sinceDays === null) {
        return yield* new UsageError({
          message: `--since: cannot read "${since}" (use a number of days from 1 to ${MAX_SINCE_DAYS}, e.g. 7d or 30)`
        })
      }
      const config = yield* (yield* Config).load
      const { state } = yield* (yield* Projections).catchUp(costProjection)
      const summary = costSummary(state, { by, sinceDays, now: Date.now(), price: pricer(config.cost.prices) })
      if (json) return yield* Console.log(JSON.stringify(jsonReport(summary)))
      for (const line of costReportLines(summary)) yield* Console.log(line)
    })
).pipe(Command.withDescription("Calls, tokens and USD per tool, client, capability or decision over the last N days"))

/** `ssg cost summary [--by=tool|client|capability|decision] [--since=7d|N] [--json]`: cost attribution from the log. */
export const costCommand = Command.make("cost").pipe(
  Command.withDescription("Token and USD cost of the evaluated tool calls, from the audit log"),
  Command.withSubcommands([summaryCommand])
)

const sums = (g: Omit<CostGroup, "key">) => ({
  calls: g.calls,
  input_tokens: g.input_tokens,
  output_tokens: g.output_tokens,
  usd: g.usd
})

const jsonReport = (s: CostSummary) => ({
  by: s.by,
  since_days: s.since_days,
  rows: s.rows.map((r) => ({ key: r.key, ...sums(r) })),
  total: sums(s.total),
  unpriced_models: s.unpriced_models
})

const grouped = (n: number): string => n.toLocaleString("en-US")

const dollars = (g: Omit<CostGroup, "key">): string =>
  g.unpriced_calls === g.calls ? "—" : `$${g.usd.toFixed(4)}${g.unpriced_calls > 0 ? "*" : ""}`

/** The text report of a cost summary: a table with a total line, what is not priced, how tokens were counted. */
export const costReportLines = (s: CostSummary): ReadonlyArray<string> => {
  const window = `last ${s.since_days} day${s.since_days === 1 ? "" : "s"} (UTC ${s.from} to ${s.to})`
  if (s.rows.length === 0) {
    return [
      `no cost rows yet in the ${window}`,
      "hint: run a few evaluations first (`ssg eval`, or any agent tool call), and check that the hook is installed (`ssg init --list`)"
    ]
  }
  const share = (g: Omit<CostGroup, "key">) =>
    s.total.usd > 0 && g.unpriced_calls < g.calls ? `${((g.usd / s.total.usd) * 100).toFixed(1)}%` : "—"
  const cells = (key: string, g: Omit<CostGroup, "key">) => [
    key,
    grouped(g.calls),
    grouped(g.input_tokens),
    grouped(g.output_tokens),
    dollars(g),
    share(g)
  ]
  const table = [
    [s.by, "calls", "input tokens", "output tokens", "USD", "share"],
    ...s.rows.map((r) => cells(r.key, r)),
    cells("total", s.total)
  ]
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)))
  const lines = table.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd())
  return [
    `cost by ${s.by}, ${window}; prices as of ${PRICES_AS_OF}`,
    ...lines,
    ...(s.unpriced_models.length === 0
      ? []
      : [
          `not priced: ${s.total.unpriced_calls} call(s) of model(s) ${s.unpriced_models.join(", ")} have no price ` +
            "and are left out of USD (— or *); name the model with SSG_MODEL or [cost] model, or price it with " +
            '[cost.prices."NAME"] input/output (USD per million tokens) in config.toml'
        ]),
    "tokens are the client's own counts when its payload reports them, else estimates (4 bytes per token)"
  ]
}
