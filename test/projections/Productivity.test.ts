import { describe, expect, it } from "vitest"
import type { Envelope } from "../../src/domain/Event.js"
import { fold } from "../../src/projections/Projection.js"
import { incrementalAndWhole, random } from "../support/projection.js"
import {
  dayReport,
  median,
  productivityProjection,
  productivityScore,
  RETRY_WINDOW_MS
} from "../../src/projections/Productivity.js"

let seq = 0
const envelope = (timestamp: string, type: string, data: Record<string, unknown>): Envelope => ({
  seq: ++seq,
  id: `id-${seq}`,
  timestamp,
  type,
  source: { log_id: "l", host: "h", user: "u", client: "c", session: null, cwd: "/" },
  data
})

const evaluation = (timestamp: string, decision: string, input = `in-${timestamp}`, tool = "Bash") =>
  envelope(timestamp, "v1.EvalDecided", { tool, decision, input_sha256: input, capability: "execute", client: "c" })

const requested = (timestamp: string, id: string) => envelope(timestamp, "v1.ApprovalRequested", { approval_id: id })
const resolved = (timestamp: string, id: string) => envelope(timestamp, "v1.ApprovalResolved", { approval_id: id, resolution: "approved", by: "me" })

const run = (envelopes: ReadonlyArray<Envelope>) => fold(productivityProjection, productivityProjection.initial(), envelopes)
const PAST = new Date("2026-11-22T12:00:00.000Z")

describe("productivityScore, input by input", () => {
  const none = { blockedRatio: 0, forceRate: 0, retryRate: 0, approvalLatencyP50Ms: 0 }
  it("is 100 with nothing against it", () => expect(productivityScore(none)).toBe(100))
  it("takes 40 per whole blocked ratio", () => {
    expect(productivityScore({ ...none, blockedRatio: 1 })).toBe(60)
    expect(productivityScore({ ...none, blockedRatio: 0.25 })).toBe(90)
  })
  it("takes 30 per whole force rate", () => expect(productivityScore({ ...none, forceRate: 0.5 })).toBe(85))
  it("takes 20 per whole retry rate", () => expect(productivityScore({ ...none, retryRate: 0.1 })).toBe(98))
  it("takes up to 10 for the approval latency, reaching it at 60 s", () => {
    expect(productivityScore({ ...none, approvalLatencyP50Ms: 30_000 })).toBe(95)
    expect(productivityScore({ ...none, approvalLatencyP50Ms: 60_000 })).toBe(90)
    expect(productivityScore({ ...none, approvalLatencyP50Ms: 600_000 })).toBe(90)
  })
  it("rounds to one decimal and clamps at 0", () => {
    expect(productivityScore({ ...none, blockedRatio: 1 / 3 })).toBe(86.7)
    expect(productivityScore({ blockedRatio: 1, forceRate: 1, retryRate: 1, approvalLatencyP50Ms: 60_000 })).toBe(0)
  })
  it("medians: middle value, mean of the two middle ones, 0 when empty", () => {
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBe(0)
  })
})

describe("the productivity projection", () => {
  it("counts one day by hand: 10 evaluations, 2 blocks + 1 ask, 1 force, 3 retries, approvals of 10 s and 40 s", () => {
    const day = "2026-11-20"
    const state = run([
      evaluation(`${day}T09:00:00.000Z`, "allow", "a"),
      evaluation(`${day}T09:00:30.000Z`, "allow", "a"),
      evaluation(`${day}T09:01:30.000Z`, "block", "a"),
      evaluation(`${day}T09:02:00.000Z`, "block", "b"),
      evaluation(`${day}T09:02:10.000Z`, "ask", "b"),
      evaluation(`${day}T09:03:00.000Z`, "force", "c"),
      evaluation(`${day}T09:03:00.000Z`, "allow", "c", "Read"),
      evaluation(`${day}T09:04:00.000Z`, "log", "d"),
      evaluation(`${day}T09:05:00.000Z`, "shadow", "e"),
      evaluation(`${day}T09:06:00.000Z`, "allow", "f"),
      requested(`${day}T10:00:00.000Z`, "p1"),
      resolved(`${day}T10:00:10.000Z`, "p1"),
      requested(`${day}T10:00:00.000Z`, "p2"),
      resolved(`${day}T10:00:40.000Z`, "p2"),
      resolved(`${day}T10:00:40.000Z`, "unknown")
    ])
    const report = dayReport(state, day, PAST)
    expect(report).toEqual({
      date: day,
      score: 74.8,
      total: 10,
      decisions_per_min: 0.007,
      blocked_ratio: 0.3,
      force_rate: 0.1,
      retry_rate: 0.3,
      approval_latency_p50_ms: 25_000
    })
    expect(Math.round((100 - 0.3 * 40 - 0.1 * 30 - 0.3 * 20 - (25_000 / 60_000) * 10) * 10) / 10).toBe(report.score)
  })

  it("splits days at 00:00 UTC, attributes approvals to the day they are resolved, and counts retries across midnight", () => {
    const state = run([
      evaluation("2026-11-20T23:59:50.000Z", "block", "x"),
      requested("2026-11-20T23:59:55.000Z", "p"),
      evaluation("2026-11-21T00:00:05.000Z", "allow", "x"),
      resolved("2026-11-21T00:00:15.000Z", "p")
    ])
    expect(dayReport(state, "2026-11-20", PAST)).toMatchObject({ total: 1, blocked_ratio: 1, retry_rate: 0, approval_latency_p50_ms: 0, score: 60 })
    expect(dayReport(state, "2026-11-21", PAST)).toMatchObject({ total: 1, blocked_ratio: 0, retry_rate: 1, approval_latency_p50_ms: 20_000 })
  })

  it("a repeat more than 60 s later is not a retry; the window is inclusive at 60 s", () => {
    const state = run([
      evaluation("2026-11-20T08:00:00.000Z", "allow", "k"),
      evaluation(new Date(Date.parse("2026-11-20T08:00:00.000Z") + RETRY_WINDOW_MS).toISOString(), "allow", "k"),
      evaluation("2026-11-20T08:02:01.000Z", "allow", "k")
    ])
    expect(state.days.get("2026-11-20")!.retries).toBe(1)
  })

  it("an empty day has no score; today's rate is per minute elapsed since 00:00 UTC", () => {
    const state = run([evaluation("2026-11-22T00:00:00.000Z", "allow"), evaluation("2026-11-22T00:01:00.000Z", "allow")])
    expect(dayReport(state, "2026-11-19", PAST)).toMatchObject({ score: null, total: 0, decisions_per_min: 0 })
    expect(dayReport(state, "2026-11-22", PAST).decisions_per_min).toBe(Math.round((2 / 720) * 1000) / 1000)
  })

  it("folds incrementally through encode/decode into exactly the state of one fold (100 random logs)", () => {
    for (let s = 1; s <= 100; s++) {
      const next = random(s)
      let t = Date.parse("2026-11-19T22:00:00.000Z")
      const events: Array<Envelope> = []
      const length = Math.floor(next() * 300)
      for (let i = 0; i < length; i++) {
        t += Math.floor(next() * 90_000)
        const ts = new Date(t).toISOString()
        const r = next()
        if (r < 0.1) events.push(requested(ts, `p${Math.floor(next() * 8)}`))
        else if (r < 0.2) events.push(resolved(ts, `p${Math.floor(next() * 8)}`))
        else events.push(evaluation(ts, ["allow", "block", "ask", "force", "log"][Math.floor(next() * 5)]!, `i${Math.floor(next() * 6)}`))
      }
      const { incremental, whole } = incrementalAndWhole(productivityProjection, events, next)
      expect(incremental, `seed ${s}`).toBe(whole)
    }
  })
})
