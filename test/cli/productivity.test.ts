import { describe, expect, it } from "vitest"
import { ApprovalRequested, ApprovalResolved, EvalDecided } from "../../src/domain/Event.js"
import { join } from "node:path"
import { openRaw } from "../support/audit.js"
import { useCliSandbox } from "../support/cli.js"
import { appendToLog } from "../support/log.js"

const sb = useCliSandbox("ssg-productivity")

const evaluation = (decision: "allow" | "block" | "force", input: string) =>
  EvalDecided.make({
    tool: "Bash",
    capability: "execute",
    client: "claude-code",
    decision,
    rule_id: decision === "allow" ? null : "r",
    also_matched: [],
    latency_ms: 0.1,
    input_summary: input,
    input_sha256: input.repeat(64).slice(0, 64)
  })

const DAY_MS = 86_400_000
const today = () => new Date().toISOString().slice(0, 10)
const yesterday = () => new Date(Date.now() - DAY_MS).toISOString().slice(0, 10)

const json = (...args: Array<string>) => {
  const r = sb.ssg(...args)
  expect(r.stderr).toBe("")
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout) as Record<string, unknown>
}

describe("ssg productivity", () => {
  it("scores today from the log: 4 evaluations with a block, a force and a retry, one approval", async () => {
    await appendToLog(sb.home, [
      [evaluation("allow", "a")],
      [evaluation("allow", "a")],
      [evaluation("block", "b")],
      [evaluation("force", "c")],
      [ApprovalRequested.make({ approval_id: "p1", tool: "Bash", rule_id: "r", prompt: "ok?", input_sha256: "c".repeat(64) })],
      [ApprovalResolved.make({ approval_id: "p1", resolution: "approved", by: "me" })]
    ])
    const report = json("productivity", "show", "--json")
    expect(Object.keys(report)).toEqual(["date", "score", "total", "decisions_per_min", "blocked_ratio", "force_rate", "retry_rate", "approval_latency_p50_ms"])
    expect(report).toMatchObject({ date: today(), total: 4, blocked_ratio: 0.25, force_rate: 0.25, retry_rate: 0.25 })
    expect(report["approval_latency_p50_ms"]).toBeLessThan(60_000)
    expect(report["score"]).toBe(Math.round((100 - 10 - 7.5 - 5 - Math.min((report["approval_latency_p50_ms"] as number) / 60_000, 1) * 10) * 10) / 10)
    const text = sb.ssg("productivity", "show")
    expect(text.stdout).toContain(`productivity ${today()} (UTC): ${report["score"]} / 100`)
    expect(text.stdout).toContain("blocked ratio        25.0%")
    expect(text.stdout).toContain("retry rate           25.0%")

    const trend = json("productivity", "trend", "--days=3", "--json")
    expect(trend).toEqual({
      days: 3,
      scores: [
        { date: new Date(Date.now() - 2 * DAY_MS).toISOString().slice(0, 10), score: null, total: 0 },
        { date: yesterday(), score: null, total: 0 },
        { date: today(), score: report["score"], total: 4 }
      ]
    })
    const chart = sb.ssg("productivity", "trend", "--days", "3")
    expect(chart.stdout).toMatch(/\(UTC\): ··[▁▂▃▄▅▆▇█]\n/)
    expect(chart.stdout).toContain(`${today()}   ${(report["score"] as number).toFixed(1)}  ${"█".repeat(Math.round((report["score"] as number) / 4))}`)
  })

  it("an empty log: no score today, and the JSON says so with zeros", () => {
    expect(json("productivity", "show", "--json")).toEqual({
      date: today(),
      score: null,
      total: 0,
      decisions_per_min: 0,
      blocked_ratio: 0,
      force_rate: 0,
      retry_rate: 0,
      approval_latency_p50_ms: 0
    })
    expect(sb.ssg("productivity", "show").stdout).toBe(`${today()}: no evaluations that day (UTC), so no score\n`)
    expect(sb.ssg("productivity", "trend").stdout).toContain("no evaluations in this window")
  })

  it("caches past days in productivity_daily and serves them from there; today is never cached", async () => {
    await appendToLog(sb.home, [[evaluation("allow", "a")]])
    const first = json("productivity", "show", `--date=${yesterday()}`, "--json")
    expect(json("productivity", "show", `--date=${yesterday()}`, "--json")).toEqual(first)
    json("productivity", "show", "--json")
    const db = openRaw(join(sb.home, "projections.db"))
    try {
      const rows = db.prepare("SELECT date, report FROM productivity_daily ORDER BY date").all() as Array<{ date: string; report: string }>
      expect(rows.map((r) => r.date)).toEqual([yesterday()])
      expect(JSON.parse(rows[0]!.report)).toEqual(first)
      db.prepare("UPDATE productivity_daily SET report = ? WHERE date = ?").run(JSON.stringify({ ...first, score: 12.3 }), yesterday())
    } finally {
      db.close()
    }
    expect(json("productivity", "show", `--date=${yesterday()}`, "--json")["score"]).toBe(12.3)
  })

  it("refuses a malformed or future --date and --days outside 1..365 (exit 2, one line)", () => {
    for (const [args, message] of [
      [["show", "--date=2026-02-30"], '--date: "2026-02-30" is not a date (use YYYY-MM-DD)'],
      [["show", "--date=yesterday"], '--date: "yesterday" is not a date (use YYYY-MM-DD)'],
      [["show", "--date=2999-01-01"], "--date: 2999-01-01 is in the future"],
      [["trend", "--days=0"], "--days: 0 is out of range (1..365)"],
      [["trend", "--days=366"], "--days: 366 is out of range (1..365)"]
    ] as const) {
      const r = sb.ssg("productivity", ...args)
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(message)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
    }
  })
})
