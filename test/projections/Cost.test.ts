import { describe, expect, it } from "vitest"
import type { Envelope } from "../../src/domain/Event.js"
import { pricer } from "../../src/domain/Pricing.js"
import { costProjection, type CostState, costSummary, PENDING_KEPT } from "../../src/projections/Cost.js"
import { fold } from "../../src/projections/Projection.js"
import { incrementalAndWhole, random } from "../support/projection.js"

let seq = 0

const envelope = (timestamp: string, session: string | null, type: string, data: Record<string, unknown>): Envelope => ({
  seq: ++seq,
  id: `id-${seq}`,
  timestamp,
  type,
  source: { log_id: "l", host: "h", user: "u", client: "c", session, cwd: "/" },
  data
})

const decided = (
  timestamp: string,
  session: string | null,
  fields: { tool: string; client: string; capability: string; decision: string } & Record<string, unknown>
): Envelope =>
  envelope(timestamp, session, "v1.EvalDecided", {
    rule_id: null,
    also_matched: [],
    latency_ms: 0.1,
    input_summary: "",
    input_sha256: "",
    ...fields
  })

const completed = (timestamp: string, session: string | null, fields: Record<string, unknown>): Envelope =>
  envelope(timestamp, session, "v1.ToolCompleted", { tool: "X", success: true, duration_ms: 1, ...fields })

const bash = { tool: "Bash", client: "claude-code", capability: "execute", decision: "allow" }

const LOG: ReadonlyArray<Envelope> = [
  decided("2026-11-21T23:59:59.999Z", "s1", { ...bash, model: "claude-sonnet-4-5", input_bytes: 40, call_id: "t1" }),
  completed("2026-11-22T00:00:00.000Z", "s1", { call_id: "t1", response_bytes: 401 }),
  decided("2026-11-22T00:00:01.000Z", "s2", { tool: "Read", client: "claude-code", capability: "read", decision: "allow", model: null, input_bytes: 20, call_id: "t1" }),
  completed("2026-11-22T00:00:02.000Z", "s2", { call_id: "t1", response_bytes: 8 }),
  decided("2026-11-22T08:00:00.000Z", "s1", { tool: "Agent", client: "claude-code", capability: "agent", decision: "allow", model: "claude-sonnet-4-5", input_bytes: 100, call_id: "t3" }),
  completed("2026-11-22T08:05:00.000Z", "s1", { call_id: "t3", response_bytes: 99_999, usage: { input_tokens: 1000, output_tokens: 300 } }),
  decided("2026-11-22T09:00:00.000Z", "s3", { ...bash, client: "codex", decision: "block", model: "gpt-5-codex", input_bytes: 400, call_id: "c1", usage: { input_tokens: 50, output_tokens: 7 } }),
  completed("2026-11-22T09:00:01.000Z", "s3", { call_id: "c1", response_bytes: 4000 }),
  completed("2026-11-22T09:00:02.000Z", "s3", { call_id: "never-decided", response_bytes: 4000 }),
  decided("2026-11-15T12:00:00.000Z", null, { tool: "Write", client: "gemini", capability: "write", decision: "ask" })
]

const rowsOf = (state: CostState) =>
  [...state.rows.values()].map((r) => [r.day, r.tool, r.client, r.decision, r.model, r.calls, r.input_tokens, r.output_tokens])

const at = (iso: string) => Date.parse(iso)

describe("the cost projection", () => {
  it("adds estimates and reported usage per UTC day, tool, client, capability, decision and model, by call", () => {
    const state = fold(costProjection, costProjection.initial(), LOG)
    expect(rowsOf(state)).toEqual([
      ["2026-11-21", "Bash", "claude-code", "allow", "claude-sonnet-4-5", 1, 101, 10],
      ["2026-11-22", "Read", "claude-code", "allow", null, 1, 2, 5],
      ["2026-11-22", "Agent", "claude-code", "allow", "claude-sonnet-4-5", 1, 1000, 300],
      ["2026-11-22", "Bash", "codex", "block", "gpt-5-codex", 1, 50, 7],
      ["2026-11-15", "Write", "gemini", "ask", null, 1, 0, 0]
    ])
    expect(state.pending.size).toBe(0)
  })

  it("sums the last N UTC days including today, grouped, with USD at the table's prices and unpriced models named", () => {
    const state = fold(costProjection, costProjection.initial(), LOG)
    const price = pricer({})
    const week = costSummary(state, { by: "tool", sinceDays: 7, now: at("2026-11-22T10:00:00Z"), price })
    expect(week).toEqual({
      by: "tool",
      since_days: 7,
      from: "2026-11-16",
      to: "2026-11-22",
      rows: [
        { key: "Agent", calls: 1, input_tokens: 1000, output_tokens: 300, usd: 0.0075, unpriced_calls: 0 },
        { key: "Bash", calls: 2, input_tokens: 151, output_tokens: 17, usd: 0.000586, unpriced_calls: 0 },
        { key: "Read", calls: 1, input_tokens: 2, output_tokens: 5, usd: 0, unpriced_calls: 1 }
      ],
      total: { calls: 4, input_tokens: 1153, output_tokens: 322, usd: 0.008086, unpriced_calls: 1 },
      unpriced_models: ["unknown"]
    })
    const today = costSummary(state, { by: "client", sinceDays: 1, now: at("2026-11-22T00:00:00Z"), price })
    expect(today.rows.map((r) => [r.key, r.calls])).toEqual([["claude-code", 2], ["codex", 1]])
    const lastMsOfDay = costSummary(state, { by: "decision", sinceDays: 1, now: at("2026-11-21T23:59:59.999Z"), price })
    expect(lastMsOfDay.rows).toEqual([{ key: "allow", calls: 1, input_tokens: 101, output_tokens: 10, usd: 0.000453, unpriced_calls: 0 }])
    const eight = costSummary(state, { by: "capability", sinceDays: 8, now: at("2026-11-22T23:59:59Z"), price })
    expect(eight.from).toBe("2026-11-15")
    expect(eight.rows.map((r) => r.key)).toEqual(["agent", "execute", "read", "write"])
    expect(eight.total.calls).toBe(5)
    const later = costSummary(state, { by: "tool", sinceDays: 7, now: at("2026-12-30T00:00:00Z"), price })
    expect(later).toMatchObject({ rows: [], total: { calls: 0, usd: 0 }, unpriced_models: [] })
  })

  it("prices with overrides at report time and never prices an unknown model at zero silently", () => {
    const log = [
      decided("2026-11-22T01:00:00Z", null, { ...bash, model: "mystery-1", input_bytes: 4_000_000 }),
      decided("2026-11-22T02:00:00Z", null, { ...bash, model: "claude-opus-4-9", input_bytes: 4 })
    ]
    const state = fold(costProjection, costProjection.initial(), log)
    const now = at("2026-11-22T12:00:00Z")
    const bare = costSummary(state, { by: "tool", sinceDays: 7, now, price: pricer({}) })
    expect(bare.unpriced_models).toEqual(["claude-opus-4-9", "mystery-1"])
    expect(bare.total).toEqual({ calls: 2, input_tokens: 0, output_tokens: 1_000_001, usd: 0, unpriced_calls: 2 })
    const priced = costSummary(state, { by: "tool", sinceDays: 7, now, price: pricer({ "mystery-1": { input: 1, output: 2 } }) })
    expect(priced.unpriced_models).toEqual(["claude-opus-4-9"])
    expect(priced.total).toMatchObject({ usd: 2, unpriced_calls: 1 })
  })

  it("waits for at most 10,000 completions; older calls keep their estimate only", () => {
    const log = Array.from({ length: PENDING_KEPT + 1 }, (_, i) =>
      decided("2026-11-22T01:00:00Z", "s", { ...bash, model: "gpt-5", input_bytes: 4, call_id: `c${i}` })
    )
    log.push(completed("2026-11-22T02:00:00Z", "s", { call_id: "c0", response_bytes: 4000 }))
    log.push(completed("2026-11-22T02:00:00Z", "s", { call_id: `c${PENDING_KEPT}`, response_bytes: 40 }))
    const state = fold(costProjection, costProjection.initial(), log)
    expect(rowsOf(state)).toEqual([["2026-11-22", "Bash", "claude-code", "allow", "gpt-5", PENDING_KEPT + 1, 10, PENDING_KEPT + 1]])
    expect(state.pending.size).toBe(PENDING_KEPT - 1)
  })

  it("still matches a call's completion after many more calls came and completed", () => {
    const call = (id: string) => decided("2026-11-22T01:00:00Z", "s", { ...bash, model: "gpt-5", input_bytes: 4, call_id: id })
    const log = [call("keep")]
    for (let i = 0; i < 25_000; i++) log.push(call(`c${i}`), completed("2026-11-22T01:00:00Z", "s", { call_id: `c${i}`, response_bytes: 4 }))
    log.push(completed("2026-11-22T03:00:00Z", "s", { call_id: "keep", response_bytes: 400 }))
    const state = fold(costProjection, costProjection.initial(), log)
    expect(rowsOf(state)).toEqual([["2026-11-22", "Bash", "claude-code", "allow", "gpt-5", 25_001, 25_100, 25_001]])
    expect(state.pending.size).toBe(0)
  })

  it("folds incrementally through encode/decode into exactly the state of one fold from the start (100 random logs)", () => {
    for (let s = 1; s <= 100; s++) {
      const next = random(s)
      const log = Array.from({ length: Math.floor(next() * 300) }, () => randomEnvelope(next))
      const { incremental, whole } = incrementalAndWhole(costProjection, log, next)
      expect(incremental, `seed ${s}`).toBe(whole)
    }
  })
})


const randomEnvelope = (next: () => number): Envelope => {
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(next() * xs.length)]!
  const timestamp = new Date(at("2026-11-20T00:00:00Z") + Math.floor(next() * 4 * 86_400_000)).toISOString()
  const session = pick(["s1", "s2", null])
  const callId = pick(["a", "b", "c", null])
  const usage = next() < 0.2 ? { input_tokens: Math.floor(next() * 500), output_tokens: Math.floor(next() * 500) } : undefined
  if (next() < 0.4) {
    return completed(timestamp, session, { call_id: callId, response_bytes: Math.floor(next() * 9000), ...(usage ? { usage } : {}) })
  }
  return decided(timestamp, session, {
    tool: pick(["Bash", "Read", "__proto__"]),
    client: pick(["claude-code", "codex", "constructor"]),
    capability: pick(["execute", "read"]),
    decision: pick(["allow", "block", "ask"]),
    model: pick(["gpt-5", "claude-haiku-4-5", null, "odd"]),
    input_bytes: Math.floor(next() * 2000),
    call_id: callId,
    ...(usage ? { usage } : {})
  })
}
