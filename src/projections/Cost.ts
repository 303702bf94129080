import type { Envelope } from "../domain/Event.js"
import type { ModelPrice } from "../domain/Pricing.js"
import { estimateTokens, type TokenCounts } from "../domain/Tokens.js"
import type { Projection } from "./Projection.js"

/** Token totals of the evaluated calls of one UTC day × tool × client × capability × decision × model. */
export interface CostRow {
  readonly day: string
  readonly tool: string
  readonly client: string
  readonly capability: string
  readonly decision: string
  readonly model: string | null
  calls: number
  input_tokens: number
  output_tokens: number
}

/** A call whose `v1.ToolCompleted` may still come: its key, its row, and its estimated output tokens (null when reported). */
export interface PendingCall {
  readonly call: string
  readonly row: string
  readonly estimate: number | null
}

/** The cost projection's state: the rows by key, and the calls awaiting their completion (in `pending`'s order, oldest first). */
export interface CostState {
  readonly rows: Map<string, CostRow>
  readonly pending: Map<string, PendingCall>
  /** Pending calls in arrival order from `head` on, including ones since completed or re-sent (`pending` has the live ones). */
  arrivals: Array<PendingCall>
  head: number
}

/** How many calls awaiting their `v1.ToolCompleted` the state keeps; older ones stop waiting (blocked calls never complete). */
export const PENDING_KEPT = 10_000

/**
 * `cost`: tokens per UTC day × tool × client × capability × decision × model, from `v1.EvalDecided` and the
 * `v1.ToolCompleted` of the same call (same session and `call_id`). Tokens are the payload's own `usage` when it reported
 * any; otherwise estimates of ⌈bytes / 4⌉: the tool input the model wrote counts as output tokens (`input_bytes`), and the
 * tool's response, which the model reads on its next turn, as input tokens (`response_bytes`).
 */
export const costProjection: Projection<CostState> = {
  name: "cost",
  version: 1,
  initial: () => ({ rows: new Map(), pending: new Map(), arrivals: [], head: 0 }),
  evolve: (state, envelope: Envelope) => {
    if (envelope.type === "v1.EvalDecided") decided(state, envelope)
    else if (envelope.type === "v1.ToolCompleted") completed(state, envelope)
    return state
  },
  encode: (state) => ({
    rows: [...state.rows.values()].map((r) => [
      r.day,
      r.tool,
      r.client,
      r.capability,
      r.decision,
      r.model,
      r.calls,
      r.input_tokens,
      r.output_tokens
    ]),
    pending: [...state.pending.values()].map((p) => [p.call, p.row, p.estimate])
  }),
  decode: (data) => {
    const d = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>
    const rows = new Map<string, CostRow>()
    for (const r of arrays(d["rows"])) {
      const row: CostRow = {
        day: String(r[0]),
        tool: String(r[1]),
        client: String(r[2]),
        capability: String(r[3]),
        decision: String(r[4]),
        model: typeof r[5] === "string" ? r[5] : null,
        calls: count(r[6]),
        input_tokens: count(r[7]),
        output_tokens: count(r[8])
      }
      rows.set(rowKey(row.day, row.tool, row.client, row.capability, row.decision, row.model), row)
    }
    const pending = new Map<string, PendingCall>()
    for (const p of arrays(d["pending"])) {
      const call = String(p[0])
      pending.delete(call)
      pending.set(call, { call, row: String(p[1]), estimate: typeof p[2] === "number" ? p[2] : null })
    }
    return { rows, pending, arrivals: [...pending.values()], head: 0 }
  }
}

/** A dimension `ssg cost summary --by` groups on. */
export type CostDimension = "tool" | "client" | "capability" | "decision"

/** The dimensions, the default first. */
export const COST_DIMENSIONS: ReadonlyArray<CostDimension> = ["tool", "client", "capability", "decision"]

/** One group of a summary: calls, tokens, the USD of its priced calls and how many of its calls have no price. */
export interface CostGroup {
  readonly key: string
  readonly calls: number
  readonly input_tokens: number
  readonly output_tokens: number
  readonly usd: number
  readonly unpriced_calls: number
}

/** A cost summary over a window of UTC days: groups (most expensive first), the total and the models without a price. */
export interface CostSummary {
  readonly by: CostDimension
  readonly since_days: number
  /** The first and last UTC day of the window (YYYY-MM-DD). */
  readonly from: string
  readonly to: string
  readonly rows: ReadonlyArray<CostGroup>
  readonly total: Omit<CostGroup, "key">
  /** Models of calls in the window with no price ("unknown" for calls recorded without a model); their USD is left out. */
  readonly unpriced_models: ReadonlyArray<string>
}

/** The model name a summary shows for calls recorded without one. */
export const UNKNOWN_MODEL = "unknown"

const DAY_MS = 86_400_000

/**
 * Sums the rows of the last `sinceDays` UTC days up to and including `now`'s day, grouped by `by`; USD is computed here,
 * from `price`, so a price change applies to the whole history. USD figures are rounded to 6 decimals.
 */
export const costSummary = (
  state: CostState,
  options: {
    readonly by: CostDimension
    readonly sinceDays: number
    readonly now: number
    readonly price: (model: string) => ModelPrice | null
  }
): CostSummary => {
  const to = new Date(options.now).toISOString().slice(0, 10)
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (options.sinceDays - 1) * DAY_MS).toISOString().slice(0, 10)
  const groups = new Map<string, Sums>()
  const unpriced = new Set<string>()
  const total: Sums = { calls: 0, input_tokens: 0, output_tokens: 0, usd: 0, unpriced_calls: 0 }
  for (const row of state.rows.values()) {
    if (row.day < from || row.day > to) continue
    const key = row[options.by]
    const group = groups.get(key) ?? { calls: 0, input_tokens: 0, output_tokens: 0, usd: 0, unpriced_calls: 0 }
    const price = row.model === null ? null : options.price(row.model)
    const usd = price === null ? 0 : (row.input_tokens * price.input + row.output_tokens * price.output) / 1_000_000
    if (price === null) unpriced.add(row.model ?? UNKNOWN_MODEL)
    for (const sum of [group, total]) {
      sum.calls += row.calls
      sum.input_tokens += row.input_tokens
      sum.output_tokens += row.output_tokens
      sum.usd += usd
      if (price === null) sum.unpriced_calls += row.calls
    }
    groups.set(key, group)
  }
  const rows = [...groups]
    .map(([key, g]) => ({ key, ...g, usd: roundUsd(g.usd) }))
    .sort((a, b) => b.usd - a.usd || b.calls - a.calls || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return {
    by: options.by,
    since_days: options.sinceDays,
    from,
    to,
    rows,
    total: { ...total, usd: roundUsd(total.usd) },
    unpriced_models: [...unpriced].sort()
  }
}

type Sums = { -readonly [K in Exclude<keyof CostGroup, "key">]: number }

const roundUsd = (usd: number): number => Math.round(usd * 1_000_000) / 1_000_000

const SEP = "\u001f"

const rowKey = (
  day: string,
  tool: string,
  client: string,
  capability: string,
  decision: string,
  model: string | null
): string => `${day}${SEP}${tool}${SEP}${client}${SEP}${capability}${SEP}${decision}${SEP}${model ?? "\u0000"}`

const text = (value: unknown): string | null => (typeof value === "string" ? value : null)

const count = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0)

const arrays = (value: unknown): Array<Array<unknown>> => (Array.isArray(value) ? value.filter(Array.isArray) : [])

const usageOf = (value: unknown): TokenCounts | null => {
  if (typeof value !== "object" || value === null) return null
  const u = value as Record<string, unknown>
  return { input_tokens: count(u["input_tokens"]), output_tokens: count(u["output_tokens"]) }
}

const utcDay = (timestamp: string): string => {
  if (timestamp.length === 24 && timestamp.charCodeAt(10) === 84 && timestamp.charCodeAt(23) === 90) {
    return timestamp.slice(0, 10)
  }
  const t = Date.parse(timestamp)
  return Number.isNaN(t) ? "0000-00-00" : new Date(t).toISOString().slice(0, 10)
}

const pendingKey = (envelope: Envelope, callId: string): string => `${envelope.source.session ?? ""}${SEP}${callId}`

const decided = (state: CostState, envelope: Envelope): void => {
  const d = envelope.data as Record<string, unknown>
  const day = utcDay(envelope.timestamp)
  const tool = text(d["tool"]) ?? ""
  const client = text(d["client"]) ?? envelope.source.client
  const capability = text(d["capability"]) ?? "unknown"
  const decision = text(d["decision"]) ?? "unknown"
  const model = text(d["model"])
  const key = rowKey(day, tool, client, capability, decision, model)
  let row = state.rows.get(key)
  if (row === undefined) {
    row = { day, tool, client, capability, decision, model, calls: 0, input_tokens: 0, output_tokens: 0 }
    state.rows.set(key, row)
  }
  row.calls++
  const usage = usageOf(d["usage"])
  let estimate: number | null = null
  if (usage !== null) {
    row.input_tokens += usage.input_tokens
    row.output_tokens += usage.output_tokens
  } else {
    estimate = estimateTokens(count(d["input_bytes"]))
    row.output_tokens += estimate
  }
  const callId = text(d["call_id"])
  if (callId === null) return
  const call = pendingKey(envelope, callId)
  const entry: PendingCall = { call, row: key, estimate }
  state.pending.delete(call)
  state.pending.set(call, entry)
  state.arrivals.push(entry)
  while (state.pending.size > PENDING_KEPT) {
    const oldest = state.arrivals[state.head++]!
    if (state.pending.get(oldest.call) === oldest) state.pending.delete(oldest.call)
  }
  if (state.arrivals.length - state.head > 2 * PENDING_KEPT) {
    state.arrivals = [...state.pending.values()]
    state.head = 0
  }
}

const completed = (state: CostState, envelope: Envelope): void => {
  const d = envelope.data as Record<string, unknown>
  const callId = text(d["call_id"])
  if (callId === null) return
  const call = pendingKey(envelope, callId)
  const pending = state.pending.get(call)
  if (pending === undefined) return
  state.pending.delete(call)
  const row = state.rows.get(pending.row)
  if (row === undefined) return
  const usage = usageOf(d["usage"])
  if (usage !== null) {
    if (pending.estimate !== null) row.output_tokens -= pending.estimate
    row.input_tokens += usage.input_tokens
    row.output_tokens += usage.output_tokens
  } else if (pending.estimate !== null) {
    row.input_tokens += estimateTokens(count(d["response_bytes"]))
  }
}
