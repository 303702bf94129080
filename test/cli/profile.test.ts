import { describe, expect, it } from "vitest"
import { EvalDecided } from "../../src/domain/Event.js"
import { latencyStats } from "../../src/cli/profile.js"
import { useCliSandbox } from "../support/cli.js"
import { appendToLog } from "../support/log.js"

const sb = useCliSandbox("ssg-profile")

const evaluation = (rule_id: string | null, client: string, latency_ms: number) =>
  EvalDecided.make({ tool: "Bash", capability: "execute", client, decision: rule_id === null ? "allow" : "block", rule_id, also_matched: [], latency_ms, input_summary: `cmd ${latency_ms}`, input_sha256: "ab".repeat(32) })

describe("ssg profile", () => {
  it("nearest-rank percentiles by hand", () => {
    expect(latencyStats([5, 1, 4, 2, 3])).toEqual({ count: 5, p50: 3, p95: 5, p99: 5, max: 5, total: 15 })
    expect(latencyStats(Array.from({ length: 100 }, (_, i) => i + 1))).toMatchObject({ p50: 50, p95: 95, p99: 99, max: 100 })
  })

  it("profiles the newest N evaluations per rule and per client; --ai gives the compact triage JSON", async () => {
    await appendToLog(sb.home, [
      [evaluation(null, "cli", 9)],
      [evaluation("slow-regex", "claude-code", 4), evaluation("slow-regex", "claude-code", 2), evaluation(null, "claude-code", 0.2)],
      [evaluation("no-rm", "codex", 0.5), evaluation(null, "codex", 0.1)]
    ])
    const ai = JSON.parse(sb.ssg("profile", "--last=5", "--ai").stdout)
    expect(ai.window).toEqual({ evaluations: 5, from_seq: 2, to_seq: 6 })
    expect(ai.overall).toEqual({ p50: 0.5, p95: 4, p99: 4, max: 4 })
    expect(ai.hotspots[0]).toEqual({ kind: "client", key: "claude-code", count: 3, p95_ms: 4, share_of_time: Math.round((6.2 / 6.8) * 1000) / 1000 })
    expect(ai.hotspots[1]).toEqual({ kind: "rule", key: "slow-regex", count: 2, p95_ms: 4, share_of_time: Math.round((6 / 6.8) * 1000) / 1000 })
    expect(ai.slowest[0]).toEqual({ seq: 2, rule: "slow-regex", latency_ms: 4 })
    expect(ai.hints).toHaveLength(1)
    expect(ai.hints[0]).toMatch(/^slow-regex: p95 4 ms over 2 evaluations/)

    const text = sb.ssg("profile", "--last", "5")
    expect(text.code).toBe(0)
    expect(text.stdout).toContain("5 evaluations (#2–#6): p50 0.5 ms, p95 4 ms, p99 4 ms, max 4 ms")
    expect(text.stdout).toMatch(/ {2}slow-regex +2 +2\.000 +4\.000 +4\.000 +4\.000 +6\.0\n/)
    expect(text.stdout).toContain("verdict: slow-regex has a p95 above 1 ms")
    expect(sb.ssg("profile").stdout).toContain("6 evaluations (#1–#6)")
  })

  it("an empty log, and --last out of range", () => {
    expect(sb.ssg("profile").stdout).toContain("no evaluations yet")
    expect(JSON.parse(sb.ssg("profile", "--ai").stdout)).toMatchObject({ window: { evaluations: 0 }, hints: ["no evaluations yet"] })
    const bad = sb.ssg("profile", "--last=0")
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--last: 0 is out of range (1..100000)")
  })
})
