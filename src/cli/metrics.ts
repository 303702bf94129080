import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { latencyQuantile, metricsProjection, type MetricsState } from "../projections/Metrics.js"
import { Projections } from "../projections/Projections.js"
import { jsonOption } from "./options.js"

const round = (ms: number | null): number | null => (ms === null ? null : Math.round(ms * 1000) / 1000)

const sorted = (counts: Map<string, number>) => [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))

/** The `ssg metrics --json` report of a caught-up metrics state (also `ssg://metrics`). */
export const metricsReport = (state: MetricsState, cursor: number) => {
  const latency = { p50: round(latencyQuantile(state, 0.5)), p95: round(latencyQuantile(state, 0.95)), p99: round(latencyQuantile(state, 0.99)) }
  return {
    through_seq: cursor,
    evaluations: state.evaluations,
    decisions: Object.fromEntries(sorted(state.decisions)),
    latency_ms: latency,
    top_rules: sorted(state.rules)
      .slice(0, 10)
      .map(([rule_id, count]) => ({ rule_id, count })),
    clients: [...state.clients]
      .sort((a, b) => b[1].evaluations - a[1].evaluations || (a[0] < b[0] ? -1 : 1))
      .map(([client, c]) => ({ client, evaluations: c.evaluations, blocked: c.blocked }))
  }
}

/** `ssg metrics [--json]`: evaluation counters, latency percentiles, top rules and per-client counts, from the log. */
export const metricsCommand = Command.make("metrics", { json: jsonOption }, ({ json }) =>
  Effect.gen(function* () {
    const { cursor, state } = yield* (yield* Projections).catchUp(metricsProjection)
    const report = metricsReport(state, cursor)
    const latency = report.latency_ms
    if (json) return yield* Console.log(JSON.stringify(report))
    if (state.evaluations === 0) {
      return yield* Console.log("no evaluations yet (run `ssg eval`, or check that the hook is installed: `ssg init --list`)")
    }
    yield* Console.log(`evaluations: ${state.evaluations} (log entries through #${cursor})`)
    yield* Console.log(`decisions:   ${sorted(state.decisions).map(([d, n]) => `${n} ${d}`).join(", ")}`)
    yield* Console.log(`latency:     p50 ${latency.p50} ms, p95 ${latency.p95} ms, p99 ${latency.p99} ms (1% buckets)`)
    yield* Console.log("top rules:")
    for (const r of report.top_rules) yield* Console.log(`  ${String(r.count).padStart(6)}  ${r.rule_id}`)
    yield* Console.log("clients:")
    for (const c of report.clients) yield* Console.log(`  ${c.client.padEnd(14)} ${c.evaluations} evaluations, ${c.blocked} blocked`)
  })
).pipe(Command.withDescription("Evaluation counters, latency percentiles, top rules and clients, from the audit log"))
