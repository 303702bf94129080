import { spawn } from "node:child_process"
import { describe, expect, it } from "vitest"
import { BIN, useCliSandbox } from "../support/cli.js"

const sb = useCliSandbox("ssg-debug")

const evaluate = (command: string) => {
  const r = sb.ssgWithInput(JSON.stringify({ tool: "Bash", input: { command } }), "eval")
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout) as { decision: string; rule_id: string | null }
}

const withStarterRules = () => {
  expect(sb.ssg("init", "--client", "claude-code").code).toBe(0)
}

const snapshot = (uri: string, ...flags: Array<string>) => {
  const r = sb.ssg("debug", "snapshot", uri, "--json", ...flags)
  expect(r.stderr).toBe("")
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout) as { uri: string; snapshot_hash: string; generated_at: string; data: any; unchanged?: boolean }
}

describe("ssg debug rca", () => {
  it("gives the top pack (most severe, then newest) as markdown and JSON, and any pack by trace id", () => {
    withStarterRules()
    process.env["SSG_SESSION_ID"] = "s1"
    try {
      for (let i = 0; i < 3; i++) expect(evaluate("rm -rf /").decision).toBe("block")
      evaluate("cat README.md")
    } finally {
      delete process.env["SSG_SESSION_ID"]
    }
    const current = JSON.parse(sb.ssg("debug", "rca", "--current", "--json").stdout) as Record<string, any>
    expect(current).toMatchObject({
      seq: 3,
      trigger: "block",
      severity: "high",
      session: "s1",
      attempted: { tool: "Bash", input_summary: "rm -rf /" },
      why: { rule_id: "block-rm-rf-critical-paths" },
      pattern: { kind: "repeated-block", count: 3 },
      rule: { id: "block-rm-rf-critical-paths", decision: "DENY" },
      rule_missing: false
    })
    expect(current["rule"]["location"]).toMatch(/^\.sigmashake\/rules\/system\.rules:\d+$/)
    expect(current["rule"]["conditions"][0]).toMatch(/^IF command REGEX /)
    expect(current["context"].map((c: { seq: number }) => c.seq)).toEqual([1, 2])
    expect(current["next_steps"][1]).toContain("ssg rule disable block-rm-rf-critical-paths")

    const markdown = sb.ssg("debug", "rca", "--current")
    expect(markdown.code).toBe(0)
    for (const heading of ["# RCA ", "## What was attempted", "## Why", "## Session context (before)", "## Pattern", "## Next steps"]) {
      expect(markdown.stdout).toContain(heading)
    }
    const force = JSON.parse(sb.ssg("audit", "log", "--json", "--type", "v1.EvalDecided").stdout).find((e: any) => e.data.decision === "force")
    const byTrace = JSON.parse(sb.ssg("debug", "rca", `--trace=${force.id}`, "--json").stdout)
    expect(byTrace).toMatchObject({ trace_id: force.id, trigger: "force", severity: "medium" })
    expect(byTrace.next_steps[0]).toMatch(/^Do this instead: Use the Read tool/)
  })

  it("says when there are no packs, refuses a wrong flag combination (2) and reports an unknown trace (1)", () => {
    expect(sb.ssg("debug", "rca", "--current").stdout).toContain("no RCA packs yet")
    expect(sb.ssg("debug", "rca", "--current", "--json").stdout.trim()).toBe("null")
    const neither = sb.ssg("debug", "rca")
    expect(neither.code).toBe(2)
    expect(neither.stderr).toContain("give exactly one of --current and --trace=ID")
    expect(sb.ssg("debug", "rca", "--current", "--trace=x").code).toBe(2)
    const unknown = sb.ssg("debug", "rca", "--trace=nope")
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("no RCA pack with trace id nope")
  })
})

describe("ssg debug snapshot and watch", () => {
  it("answers every URI in an envelope whose hash is the SHA-256 of the data; --since with the current hash says unchanged", () => {
    withStarterRules()
    evaluate("rm -rf /")
    evaluate("ls")
    const recent = snapshot("ssg://audit/recent?limit=2")
    expect(Object.keys(recent)).toEqual(["uri", "snapshot_hash", "generated_at", "data"])
    expect(recent.data.map((e: { seq: number }) => e.seq)).toEqual([2, 1])
    expect(recent.snapshot_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(snapshot("ssg://audit/recent?limit=2", `--since=${recent.snapshot_hash}`)).toEqual({ unchanged: true, snapshot_hash: recent.snapshot_hash })
    expect(snapshot("ssg://audit/recent?limit=2", "--since=0000").data).toHaveLength(2)
    const bySeq = snapshot("ssg://audit/1").data
    expect(snapshot(`ssg://audit/${bySeq.id}`).data).toEqual(bySeq)
    expect(bySeq.data.input_summary).toBe("rm -rf /")
    const rules = snapshot("ssg://rules/list?filter=rm-rf").data as Array<{ id: string }>
    expect(rules.length).toBeGreaterThan(0)
    expect(rules.every((r) => r.id.includes("rm-rf"))).toBe(true)
    const current = snapshot("ssg://rca/current").data
    expect(current.trace_id).toBe(bySeq.id)
    expect(snapshot(`ssg://rca/${bySeq.id}`).data.trace_id).toBe(bySeq.id)
    const metrics = snapshot("ssg://metrics").data
    expect(metrics).toEqual(JSON.parse(sb.ssg("metrics", "--json").stdout))
    expect(metrics.evaluations).toBe(2)
  })

  it("refuses unknown URIs and bad limits (2) and reports a missing entry (1)", () => {
    for (const uri of ["ssg://nothing", "http://audit/recent", "ssg://audit/recent?limit=0", "not a uri"]) {
      const r = sb.ssg("debug", "snapshot", uri)
      expect(r.code, uri).toBe(2)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
    }
    expect(sb.ssg("debug", "snapshot", "ssg://audit/99").code).toBe(1)
    expect(sb.ssg("debug", "watch", "ssg://metrics", "--interval=10").code).toBe(2)
  })

  it("watch prints one JSON line now and another when the answer changes", async () => {
    const child = spawn(process.execPath, [BIN, "debug", "watch", "ssg://audit/recent?limit=1", "--interval=50"], {
      cwd: sb.cwd,
      env: { ...process.env, SSG_HOME: sb.home },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d))
    const lines = () => out.split("\n").filter((l) => l !== "")
    const until = async (n: number) => {
      for (let i = 0; i < 300 && lines().length < n; i++) await new Promise((r) => setTimeout(r, 50))
    }
    try {
      await until(1)
      expect(JSON.parse(lines()[0]!).data).toEqual([])
      await new Promise((r) => setTimeout(r, 200))
      expect(lines()).toHaveLength(1)
      evaluate("ls")
      await until(2)
      const second = JSON.parse(lines()[1]!)
      expect(second.data[0].seq).toBe(1)
      expect(second.snapshot_hash).not.toBe(JSON.parse(lines()[0]!).snapshot_hash)
    } finally {
      child.kill("SIGTERM")
      await new Promise((r) => child.on("close", r))
    }
  })
})
