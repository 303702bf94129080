import type { Envelope } from "../domain/Event.js"
import type { Projection } from "./Projection.js"

/** One UTC day's evaluation counters and approval latencies. */
export interface DayCounts {
  total: number
  /** Evaluations decided block, ask or deny. */
  blocked: number
  force: number
  /** Evaluations repeating a (tool, input) evaluated in the previous 60 s. */
  retries: number
  /** Pending → resolved times (ms) of the approvals resolved that day. */
  readonly approvals: Array<number>
}

/** The productivity fold: counters per UTC day, the last minute's (tool, input) keys and the pending approvals. */
export interface ProductivityState {
  readonly days: Map<string, DayCounts>
  /** `tool NUL input_sha256` → time (ms) it was last evaluated, oldest first, pruned to the last 60 s. */
  readonly recent: Map<string, number>
  /** approval_id → time (ms) it was requested, oldest first. */
  readonly pending: Map<string, number>
}

/** How far back an identical (tool, input) evaluation makes the next one a retry. */
export const RETRY_WINDOW_MS = 60_000

/** How many unresolved approvals the fold remembers (the oldest are forgotten beyond it). */
export const PENDING_KEPT = 10_000

const BLOCKING = new Set(["block", "ask", "deny"])

const dayOf = (timestamp: string): string => timestamp.slice(0, 10)

const dayCounts = (state: ProductivityState, day: string): DayCounts => {
  let counts = state.days.get(day)
  if (counts === undefined) {
    counts = { total: 0, blocked: 0, force: 0, retries: 0, approvals: [] }
    state.days.set(day, counts)
  }
  return counts
}

const text = (value: unknown): string | null => (typeof value === "string" ? value : null)

const evolve = (state: ProductivityState, envelope: Envelope): ProductivityState => {
  const data = envelope.data as Record<string, unknown>
  const at = Date.parse(envelope.timestamp)
  if (Number.isNaN(at)) return state
  if (envelope.type === "v1.EvalDecided") {
    const counts = dayCounts(state, dayOf(envelope.timestamp))
    const decision = text(data["decision"]) ?? ""
    counts.total++
    if (BLOCKING.has(decision)) counts.blocked++
    if (decision === "force") counts.force++
    for (const [key, seen] of state.recent) {
      if (at - seen <= RETRY_WINDOW_MS) break
      state.recent.delete(key)
    }
    const key = `${text(data["tool"]) ?? ""}\u0000${text(data["input_sha256"]) ?? ""}`
    const previous = state.recent.get(key)
    if (previous !== undefined && at - previous <= RETRY_WINDOW_MS) counts.retries++
    state.recent.delete(key)
    state.recent.set(key, at)
  } else if (envelope.type === "v1.ApprovalRequested") {
    const id = text(data["approval_id"])
    if (id === null) return state
    state.pending.delete(id)
    state.pending.set(id, at)
    if (state.pending.size > PENDING_KEPT) state.pending.delete(state.pending.keys().next().value!)
  } else if (envelope.type === "v1.ApprovalResolved") {
    const id = text(data["approval_id"])
    const requested = id === null ? undefined : state.pending.get(id)
    if (id === null || requested === undefined) return state
    state.pending.delete(id)
    dayCounts(state, dayOf(envelope.timestamp)).approvals.push(Math.max(0, at - requested))
  }
  return state
}

const count = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0)

const pairs = (value: unknown): Array<[string, number]> =>
  Array.isArray(value)
    ? value.filter((e): e is [string, number] => Array.isArray(e) && e.length === 2).map(([k, v]) => [String(k), count(v)])
    : []

/** `productivity`: per-UTC-day evaluation, block, force and retry counts and approval latencies. */
export const productivityProjection: Projection<ProductivityState> = {
  name: "productivity",
  version: 1,
  initial: () => ({ days: new Map(), recent: new Map(), pending: new Map() }),
  evolve,
  encode: (state) => ({
    days: [...state.days].map(([day, c]) => [day, [c.total, c.blocked, c.force, c.retries, c.approvals]]),
    recent: [...state.recent],
    pending: [...state.pending]
  }),
  decode: (data) => {
    const d = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>
    const days = new Map<string, DayCounts>()
    for (const entry of Array.isArray(d["days"]) ? (d["days"] as Array<unknown>) : []) {
      if (!Array.isArray(entry) || entry.length !== 2 || !Array.isArray(entry[1])) continue
      const [total, blocked, force, retries, approvals] = entry[1] as Array<unknown>
      days.set(String(entry[0]), {
        total: count(total),
        blocked: count(blocked),
        force: count(force),
        retries: count(retries),
        approvals: Array.isArray(approvals) ? approvals.map(count) : []
      })
    }
    return { days, recent: new Map(pairs(d["recent"])), pending: new Map(pairs(d["pending"])) }
  }
}

/** The four rates the score is made of (ratios in 0..1, latency in ms). */
export interface ScoreInputs {
  readonly blockedRatio: number
  readonly forceRate: number
  readonly retryRate: number
  readonly approvalLatencyP50Ms: number
}

/**
 * `100 − blocked_ratio×40 − force_rate×30 − retry_rate×20 − min(approval_latency_p50 / 60 s, 1)×10`, clamped to
 * [0, 100] and rounded to one decimal.
 */
export const productivityScore = (inputs: ScoreInputs): number => {
  const raw =
    100 -
    inputs.blockedRatio * 40 -
    inputs.forceRate * 30 -
    inputs.retryRate * 20 -
    Math.min(inputs.approvalLatencyP50Ms / 60_000, 1) * 10
  return Math.round(Math.min(100, Math.max(0, raw)) * 10) / 10
}

/** The median of `values` (the mean of the two middle ones for an even count), 0 when empty. */
export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** One day's productivity report (the JSON `ssg productivity show` prints); `score` is null on a day with no evaluations. */
export interface ProductivityReport {
  readonly date: string
  readonly score: number | null
  readonly total: number
  readonly decisions_per_min: number
  readonly blocked_ratio: number
  readonly force_rate: number
  readonly retry_rate: number
  readonly approval_latency_p50_ms: number
}

const round = (value: number, places: number): number => Math.round(value * 10 ** places) / 10 ** places

/**
 * The report of UTC day `date` from the fold; the window of `decisions_per_min` is the whole day (1,440 minutes), or,
 * for today, the minutes elapsed since 00:00 UTC at `now` (at least 1).
 */
export const dayReport = (state: ProductivityState, date: string, now: Date): ProductivityReport => {
  const counts = state.days.get(date)
  const total = counts?.total ?? 0
  const today = now.toISOString().slice(0, 10)
  const minutes = date === today ? Math.max(1, (now.getTime() - Date.parse(`${date}T00:00:00.000Z`)) / 60_000) : 1_440
  const inputs: ScoreInputs = {
    blockedRatio: total === 0 ? 0 : counts!.blocked / total,
    forceRate: total === 0 ? 0 : counts!.force / total,
    retryRate: total === 0 ? 0 : counts!.retries / total,
    approvalLatencyP50Ms: median(counts?.approvals ?? [])
  }
  return {
    date,
    score: total === 0 ? null : productivityScore(inputs),
    total,
    decisions_per_min: round(total / minutes, 3),
    blocked_ratio: round(inputs.blockedRatio, 4),
    force_rate: round(inputs.forceRate, 4),
    retry_rate: round(inputs.retryRate, 4),
    approval_latency_p50_ms: round(inputs.approvalLatencyP50Ms, 3)
  }
}
