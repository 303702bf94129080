import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { ROOT, useCliSandbox } from "../support/cli.js"

const sb = useCliSandbox("ssg-metrics")

const evaluate = (command: string) =>
  sb.ssgWithInput(JSON.stringify({ tool: "Bash", input: { command } }), "eval", "--rules", join(ROOT, "rules"))

describe("ssg metrics and ssg projections", () => {
  it("reports counters from the log, catching up on new entries, and rebuilds to the same figures", () => {
    const empty = sb.ssg("metrics")
    expect(empty).toMatchObject({ code: 0, stderr: "" })
    expect(empty.stdout).toMatch(/^no evaluations yet/)
    for (const c of ["ls", "rm -rf /", "rm -rf /", "git push origin main", "cat x.ts"]) expect(evaluate(c).code).toBe(0)
    const first = JSON.parse(sb.ssg("metrics", "--json").stdout)
    expect(first).toMatchObject({
      through_seq: 5,
      evaluations: 5,
      decisions: { block: 2, allow: 1, ask: 1, force: 1 },
      top_rules: [
        { rule_id: "block-rm-rf-critical-paths", count: 2 },
        { rule_id: "ask-push-to-default-branch", count: 1 },
        { rule_id: "force-read-tool-for-cat", count: 1 }
      ],
      clients: [{ client: "cli", evaluations: 5, blocked: 2 }]
    })
    expect(first.latency_ms.p50).toBeGreaterThan(0)
    expect(first.latency_ms.p99).toBeGreaterThanOrEqual(first.latency_ms.p50)
    expect(evaluate("ls").code).toBe(0)
    const second = JSON.parse(sb.ssg("metrics", "--json").stdout)
    expect(second).toMatchObject({ through_seq: 6, evaluations: 6, decisions: { allow: 2 } })
    const rebuilt = sb.ssg("projections", "rebuild", "metrics")
    expect(rebuilt.code).toBe(0)
    expect(rebuilt.stdout).toMatch(/^metrics: rebuilt from seq 1 to 6 in \d+ ms$/m)
    expect(JSON.parse(sb.ssg("metrics", "--json").stdout)).toEqual(second)
    const text = sb.ssg("metrics").stdout
    expect(text).toMatch(/^evaluations: 6 \(log entries through #6\)$/m)
    expect(text).toMatch(/^ +2 +block-rm-rf-critical-paths$/m)
  })

  it("rejects an unknown projection with one line and exit 2", () => {
    const r = sb.ssg("projections", "rebuild", "nope")
    expect(r).toMatchObject({ code: 2, stdout: "" })
    expect(r.stderr).toBe('ssg: unknown projection "nope" (known: metrics, blocked, cost, productivity, rca)\n')
  })

  it("lists recent blocked calls, newest first, with rule, reason and input summary", () => {
    for (const c of ["rm -rf /", "ls", "git reset --hard HEAD~1"]) expect(evaluate(c).code).toBe(0)
    const r = JSON.parse(sb.ssg("blocked", "--json").stdout)
    expect(r.rows.map((b: Record<string, unknown>) => [b["seq"], b["rule_id"], b["input_summary"], b["tool"], b["client"]])).toEqual([
      [3, "block-git-reset-hard", "git reset --hard HEAD~1", "Bash", "cli"],
      [1, "block-rm-rf-critical-paths", "rm -rf /", "Bash", "cli"]
    ])
    expect(r.rows[0].reason).toMatch(/^git reset --hard throws away uncommitted changes/)
    const text = sb.ssg("blocked", "--since", "7d").stdout
    expect(text).toMatch(/^#3 +\S+ +cli +Bash +block-git-reset-hard +git reset --hard HEAD~1$/m)
    expect(text).toMatch(/^2 blocked call\(s\) since /m)
    expect(JSON.parse(sb.ssg("blocked", "--since", "2999-01-01", "--json").stdout).rows).toEqual([])
    const bad = sb.ssg("blocked", "--since", "yesterday-ish")
    expect(bad).toMatchObject({ code: 2, stdout: "" })
    expect(bad.stderr).toMatch(/^ssg: --since: cannot read "yesterday-ish"/)
  })

  it("ssg usage reports entries, evaluations and the storage of the log and the projections", () => {
    for (const c of ["ls", "rm -rf /"]) expect(evaluate(c).code).toBe(0)
    const r = JSON.parse(sb.ssg("usage", "--json").stdout)
    expect(r).toMatchObject({ entries: 2, evaluations: 2, decisions: { allow: 1, block: 1 } })
    expect(r.log_bytes).toBeGreaterThan(4096)
    expect(r.projection_bytes).toBeGreaterThan(0)
    const text = sb.ssg("usage").stdout
    expect(text).toMatch(/^audit log: +2 entries, [\d.]+ (KiB|MiB) \(.*audit\.db\)$/m)
    expect(text).toMatch(/^evaluations: +2 \(1 allow, 1 block\)$|^evaluations: +2 \(1 block, 1 allow\)$/m)
  })
})
