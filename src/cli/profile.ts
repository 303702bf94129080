import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import type { Envelope } from "../domain/Event.js"
import { AuditLog } from "../pipeline/AuditLog.js"
import { UsageError } from "./finding.js"

/** Latency figures of a group of evaluations, in ms (nearest-rank percentiles). */
export interface LatencyStats {
  readonly count: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
  readonly total: number
}

/** Nearest-rank percentile `q` (0..1] of ascending `sorted`. */
export const nearestRank = (sorted: ReadonlyArray<number>, q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!

const round = (ms: number): number => Math.round(ms * 1000) / 1000

/** The latency figures of `latencies` (at least one). */
export const latencyStats = (latencies: ReadonlyArray<number>): LatencyStats => {
  const sorted = [...latencies].sort((a, b) => a - b)
  return {
    count: sorted.length,
    p50: round(nearestRank(sorted, 0.5)),
    p95: round(nearestRank(sorted, 0.95)),
    p99: round(nearestRank(sorted, 0.99)),
    max: round(sorted[sorted.length - 1]!),
    total: round(sorted.reduce((a, b) => a + b, 0))
  }
}

interface Evaluation {
  readonly seq: number
  readonly tool: string
  readonly rule: string
  readonly client: string
  readonly latency: number
  readonly input: string
}

const evaluationOf = (e: Envelope): Evaluation | null => {
  const d = e.data as Record<string, unknown>
  if (typeof d["latency_ms"] !== "number") return null
  return {
    seq: e.seq,
    tool: typeof d["tool"] === "string" ? d["tool"] : "?",
    rule: typeof d["rule_id"] === "string" ? d["rule_id"] : "(no rule)",
    client: typeof d["client"] === "string" ? d["client"] : e.source.client,
    latency: d["latency_ms"],
    input: typeof d["input_summary"] === "string" ? d["input_summary"] : ""
  }
}

const grouped = (evaluations: ReadonlyArray<Evaluation>, key: (e: Evaluation) => string) => {
  const groups = new Map<string, Array<number>>()
  for (const e of evaluations) {
    const k = key(e)
    const list = groups.get(k) ?? []
    list.push(e.latency)
    groups.set(k, list)
  }
  return [...groups].map(([k, list]) => ({ key: k, ...latencyStats(list) })).sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : 1))
}

/** The latency profile of evaluations: overall, per deciding rule and per client (by total time), the slowest five. */
export const profileOf = (envelopes: ReadonlyArray<Envelope>) => {
  const evaluations = envelopes.map(evaluationOf).filter((e): e is Evaluation => e !== null)
  if (evaluations.length === 0) return null
  const total = evaluations.reduce((a, e) => a + e.latency, 0)
  return {
    window: { evaluations: evaluations.length, from_seq: evaluations.reduce((m, e) => Math.min(m, e.seq), Infinity), to_seq: evaluations.reduce((m, e) => Math.max(m, e.seq), 0) },
    overall: latencyStats(evaluations.map((e) => e.latency)),
    rules: grouped(evaluations, (e) => e.rule),
    clients: grouped(evaluations, (e) => e.client),
    slowest: [...evaluations]
      .sort((a, b) => b.latency - a.latency || b.seq - a.seq)
      .slice(0, 5)
      .map((e) => ({ seq: e.seq, tool: e.tool, rule: e.rule, client: e.client, latency_ms: e.latency, input_summary: e.input })),
    total_ms: round(total)
  }
}

/** Above this p95 (ms) a rule or client is worth a look: the hook's whole budget per call is a few milliseconds. */
export const SLOW_P95_MS = 1

/** The compact triage JSON of `ssg profile --ai`: the window, overall figures, hotspots with their share of time, hints. */
export const aiTriage = (profile: NonNullable<ReturnType<typeof profileOf>>) => {
  const share = (t: number) => (profile.total_ms === 0 ? 0 : Math.round((t / profile.total_ms) * 1000) / 1000)
  const hotspots = [
    ...profile.rules.map((r) => ({ kind: "rule" as const, key: r.key, count: r.count, p95_ms: r.p95, share_of_time: share(r.total) })),
    ...profile.clients.map((c) => ({ kind: "client" as const, key: c.key, count: c.count, p95_ms: c.p95, share_of_time: share(c.total) }))
  ]
    .sort((a, b) => b.share_of_time - a.share_of_time || b.p95_ms - a.p95_ms)
    .slice(0, 8)
  const hints = profile.rules
    .filter((r) => r.p95 > SLOW_P95_MS)
    .map((r) => `${r.key}: p95 ${r.p95} ms over ${r.count} evaluations; prefer literal operators (STARTS_WITH, CONTAINS) to REGEX, or narrow it with a cheap first condition`)
  return {
    window: profile.window,
    overall: { p50: profile.overall.p50, p95: profile.overall.p95, p99: profile.overall.p99, max: profile.overall.max },
    hotspots,
    slowest: profile.slowest.map((s) => ({ seq: s.seq, rule: s.rule, latency_ms: s.latency_ms })),
    hints: hints.length > 0 ? hints : [`no rule has a p95 above ${SLOW_P95_MS} ms`]
  }
}

const row = (key: string, s: LatencyStats) =>
  `  ${key.padEnd(34)} ${String(s.count).padStart(6)} ${s.p50.toFixed(3).padStart(8)} ${s.p95.toFixed(3).padStart(8)} ${s.p99.toFixed(3).padStart(8)} ${s.max.toFixed(3).padStart(8)} ${s.total.toFixed(1).padStart(9)}`

const header = (what: string) => `  ${what.padEnd(34)} ${"count".padStart(6)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"max ms".padStart(8)} ${"total ms".padStart(9)}`

/** `ssg profile [--last=N] [--ai]`: evaluation latency per rule and per client over the last N evaluations. */
export const profileCommand = Command.make(
  "profile",
  {
    last: Options.integer("last").pipe(Options.withDescription("how many of the newest evaluations (1..100000)"), Options.withDefault(1_000)),
    ai: Options.boolean("ai").pipe(Options.withDescription("print compact JSON for an AI assistant to triage"))
  },
  ({ ai, last }) =>
    Effect.gen(function* () {
      if (last < 1 || last > 100_000) return yield* new UsageError({ message: `--last: ${last} is out of range (1..100000)` })
      const envelopes = yield* (yield* AuditLog).latestOfType("v1.EvalDecided", last)
      const profile = profileOf(envelopes)
      if (ai) return yield* Console.log(JSON.stringify(profile === null ? { window: { evaluations: 0 }, overall: null, hotspots: [], slowest: [], hints: ["no evaluations yet"] } : aiTriage(profile)))
      if (profile === null) return yield* Console.log("no evaluations yet (run `ssg eval`, or check that the hook is installed: `ssg init --list`)")
      const o = profile.overall
      yield* Console.log(`${profile.window.evaluations} evaluations (#${profile.window.from_seq}–#${profile.window.to_seq}): p50 ${o.p50} ms, p95 ${o.p95} ms, p99 ${o.p99} ms, max ${o.max} ms`)
      yield* Console.log("")
      yield* Console.log(header("deciding rule"))
      for (const r of profile.rules) yield* Console.log(row(r.key, r))
      yield* Console.log("")
      yield* Console.log(header("client"))
      for (const c of profile.clients) yield* Console.log(row(c.key, c))
      yield* Console.log("")
      yield* Console.log("slowest:")
      for (const s of profile.slowest) yield* Console.log(`  #${s.seq}  ${s.latency_ms.toFixed(3)} ms  ${s.tool}  ${s.rule}  ${s.input_summary.slice(0, 60)}`)
      const slow = profile.rules.filter((r) => r.p95 > SLOW_P95_MS)
      yield* Console.log("")
      yield* Console.log(
        slow.length === 0
          ? `verdict: every rule decides with a p95 of at most ${SLOW_P95_MS} ms`
          : `verdict: ${slow.map((r) => r.key).join(", ")} ${slow.length === 1 ? "has" : "have"} a p95 above ${SLOW_P95_MS} ms; see \`ssg profile --ai\` for hints`
      )
    })
).pipe(Command.withDescription("Evaluation latency per rule and per client over the newest evaluations"))
