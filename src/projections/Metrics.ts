import type { Envelope } from "../domain/Event.js"
import type { Projection } from "./Projection.js"

/** Evaluation counters: decisions, latency histogram, deciding rules and clients (from `v1.EvalDecided`). */
export interface MetricsState {
  evaluations: number
  readonly decisions: Map<string, number>
  /** Latency histogram: bucket index (1% wide, see `latencyBucket`) → count. */
  readonly latency: Map<number, number>
  readonly rules: Map<string, number>
  readonly clients: Map<string, { evaluations: number; blocked: number }>
}

const GROWTH = Math.log(1.01)

/** The histogram bucket of a latency: ⌊log₁.₀₁(µs)⌋ for latencies of at least 1 µs, else 0 (1% resolution). */
export const latencyBucket = (ms: number): number => (ms * 1000 <= 1 ? 0 : Math.floor(Math.log(ms * 1000) / GROWTH))

/** The lower bound, in ms, of a latency bucket. */
export const bucketFloorMs = (bucket: number): number => (bucket === 0 ? 0 : Math.exp(bucket * GROWTH) / 1000)

const bump = <K>(counts: Map<K, number>, key: K): void => {
  counts.set(key, (counts.get(key) ?? 0) + 1)
}

const entries = (value: unknown): Array<[unknown, unknown]> =>
  Array.isArray(value) ? value.filter((e): e is [unknown, unknown] => Array.isArray(e) && e.length === 2) : []

const count = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0)

/** `metrics`: counts every evaluation by decision, rule and client, and its latency. */
export const metricsProjection: Projection<MetricsState> = {
  name: "metrics",
  version: 1,
  initial: () => ({ evaluations: 0, decisions: new Map(), latency: new Map(), rules: new Map(), clients: new Map() }),
  evolve: (state, envelope: Envelope) => {
    if (envelope.type !== "v1.EvalDecided") return state
    const data = envelope.data as { decision?: unknown; rule_id?: unknown; latency_ms?: unknown; client?: unknown }
    const decision = typeof data.decision === "string" ? data.decision : "unknown"
    const client = typeof data.client === "string" ? data.client : envelope.source.client
    state.evaluations++
    bump(state.decisions, decision)
    if (typeof data.latency_ms === "number") bump(state.latency, latencyBucket(data.latency_ms))
    if (typeof data.rule_id === "string") bump(state.rules, data.rule_id)
    const counts = state.clients.get(client) ?? { evaluations: 0, blocked: 0 }
    counts.evaluations++
    if (decision === "block") counts.blocked++
    state.clients.set(client, counts)
    return state
  },
  encode: (state) => ({
    evaluations: state.evaluations,
    decisions: [...state.decisions],
    latency: [...state.latency],
    rules: [...state.rules],
    clients: [...state.clients].map(([client, c]) => [client, [c.evaluations, c.blocked]])
  }),
  decode: (data) => {
    const d = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>
    return {
      evaluations: count(d["evaluations"]),
      decisions: new Map(entries(d["decisions"]).map(([k, v]) => [String(k), count(v)])),
      latency: new Map(entries(d["latency"]).map(([k, v]) => [count(k), count(v)])),
      rules: new Map(entries(d["rules"]).map(([k, v]) => [String(k), count(v)])),
      clients: new Map(
        entries(d["clients"]).map(([k, v]) => {
          const pair = Array.isArray(v) ? v : []
          return [String(k), { evaluations: count(pair[0]), blocked: count(pair[1]) }]
        })
      )
    }
  }
}

/** The latency at quantile `q` (0..1) of the histogram, in ms (the bucket's lower bound), or null when empty. */
export const latencyQuantile = (state: MetricsState, q: number): number | null => {
  const buckets = [...state.latency].sort((a, b) => a[0] - b[0])
  const total = buckets.reduce((sum, [, n]) => sum + n, 0)
  if (total === 0) return null
  const rank = Math.max(1, Math.ceil(q * total))
  let seen = 0
  for (const [bucket, n] of buckets) {
    seen += n
    if (seen >= rank) return bucketFloorMs(bucket)
  }
  return bucketFloorMs(buckets[buckets.length - 1]![0])
}
