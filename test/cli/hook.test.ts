import { spawnSync } from "node:child_process"
import { cpSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { BIN, ROOT, useCliSandbox } from "../support/cli.js"

const sb = useCliSandbox("ssg-hook")

const CLIENT_VARIABLES = ["CLAUDE_CODE_VERSION", "CURSOR_SESSION_ID", "NEMOCLAW_AGENT", "CLAUDE_COWORK_VERSION", "ANTIGRAVITY_AGENT"]

/** Runs the built `ssg hook VERB` in the sandbox with `payload` on stdin; `env` adds or overrides variables. */
const hook = (verb: string, payload: string, env: Record<string, string> = {}) => {
  const base: NodeJS.ProcessEnv = { ...process.env, SSG_HOME: sb.home, SSG_DEBUG: "", ...env }
  for (const name of [...CLIENT_VARIABLES, ...(env["SSG_CLIENT"] === undefined ? ["SSG_CLIENT"] : [])]) delete base[name]
  const r = spawnSync(process.execPath, [BIN, "hook", verb], { cwd: sb.cwd, env: base, input: payload, encoding: "utf8" })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

let useIds = 0
const claude = (tool: string, input: Record<string, unknown>, session = "sess-1", event = "PreToolUse", extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    session_id: session,
    transcript_path: join(sb.cwd, "transcript.jsonl"),
    cwd: sb.cwd,
    permission_mode: "default",
    hook_event_name: event,
    tool_name: tool,
    tool_input: input,
    tool_use_id: `toolu_${++useIds}`,
    ...extra
  })

const starterRules = () => cpSync(join(ROOT, "rules"), join(sb.cwd, ".sigmashake", "rules"), { recursive: true })

const auditLog = (): Array<{ seq: number; type: string; data: Record<string, unknown>; source: Record<string, unknown> }> => {
  const r = sb.ssg("audit", "log", "--json")
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout)
}

const denial = (stdout: string) => JSON.parse(stdout).hookSpecificOutput as Record<string, unknown>

describe("ssg hook eval (Claude Code payloads through the built CLI)", () => {
  it("answers each decision in Claude Code's format and records exactly one v1.EvalDecided per call", () => {
    starterRules()
    const blocked = hook("eval", claude("Bash", { command: "rm -rf ~/" }))
    expect(blocked.code).toBe(2)
    expect(denial(blocked.stdout)).toMatchObject({ hookEventName: "PreToolUse", permissionDecision: "deny" })
    expect(String(denial(blocked.stdout)["permissionDecisionReason"])).toMatch(/^Recursive delete of the filesystem root/)
    expect(blocked.stderr).toMatch(/^Recursive delete of the filesystem root/)

    const allowed = hook("eval", claude("Bash", { command: "git status" }))
    expect(allowed).toEqual({ code: 0, stdout: "", stderr: "" })

    const asked = hook("eval", claude("Bash", { command: "git push origin main" }))
    expect(asked.code).toBe(0)
    expect(denial(asked.stdout)).toMatchObject({ permissionDecision: "ask" })

    const forced = hook("eval", claude("Bash", { command: "cat src/app.ts" }))
    expect(forced.code).toBe(2)
    expect(String(denial(forced.stdout)["permissionDecisionReason"])).toMatch(/^Use the Read tool/)

    const entries = auditLog()
    const decided = entries.filter((e) => e.type === "v1.EvalDecided")
    expect(decided.map((e) => [e.data["decision"], e.data["rule_id"]])).toEqual([
      ["block", "block-rm-rf-critical-paths"],
      ["allow", null],
      ["ask", "ask-push-to-default-branch"],
      ["force", "force-read-tool-for-cat"]
    ])
    expect(decided[0]!.source).toMatchObject({ client: "claude-code", session: "sess-1", cwd: sb.cwd })
    expect(decided[0]!.data["call_id"]).toMatch(/^toolu_/)
    expect(entries.filter((e) => e.type === "v1.RulesetLoaded")).toHaveLength(1)
    const verify = sb.ssg("audit", "verify", "--json")
    expect(verify.code).toBe(0)
    expect(JSON.parse(verify.stdout)).toMatchObject({ valid: true, length: entries.length })
  })

  it("blocks, not crashes, when the rules are corrupt, the payload is malformed or the database is unreadable", () => {
    starterRules()
    writeFileSync(join(sb.cwd, ".sigmashake", "rules", "broken.rules"), 'rule broken {\n  DENY execution\n  IF command CONTAINS "x\n}\n')
    const corrupt = hook("eval", claude("Bash", { command: "ls" }))
    expect(corrupt.code).toBe(2)
    expect(String(denial(corrupt.stdout)["permissionDecisionReason"])).toMatch(
      /^ssg: the rules do not load, so every call is blocked: \.sigmashake\/rules\/broken\.rules:\d+:\d+: /
    )
    expect(corrupt.stderr).not.toMatch(/\n\s+at /)
    const recorded = auditLog().filter((e) => e.type === "v1.EvalDecided")
    expect(recorded.map((e) => e.data["rule_id"])).toEqual(["ssg-fail-closed"])

    for (const bad of ["", "not json", "[]", JSON.stringify({ hook_event_name: "PreToolUse", tool_input: {} })]) {
      const r = hook("eval", bad, { SSG_CLIENT: "claude-code" })
      expect(r.code, bad).toBe(2)
      expect(denial(r.stdout)["permissionDecision"], bad).toBe("deny")
      expect(r.stderr, bad).toMatch(/^ssg: bad hook payload: /)
    }

    writeFileSync(join(sb.home, "audit.db"), "this is not a database, just text that is long enough to be read as a header")
    const db = hook("eval", claude("Bash", { command: "ls" }))
    expect(db.code).toBe(2)
    expect(String(denial(db.stdout)["permissionDecisionReason"])).toMatch(/^ssg: cannot write the audit log, so the call is blocked: /)
  })

  it("allows a call whose long command cuts through an emoji, and blocks an input that cannot be recorded", () => {
    starterRules()
    const command = `echo ${"a".repeat(193)}😀😀 tail`
    expect(hook("eval", claude("Bash", { command }))).toEqual({ code: 0, stdout: "", stderr: "" })
    const [entry] = auditLog().filter((e) => e.type === "v1.EvalDecided")
    expect(entry?.data["input_summary"]).toBe(`echo ${"a".repeat(193)}…`)

    const lone = claude("Bash", { command: "ls" }).replace('"command":"ls"', '"command":"ls \\ud800"')
    const r = hook("eval", lone)
    expect(r.code).toBe(2)
    expect(denial(r.stdout)["permissionDecision"]).toBe("deny")
    expect(r.stderr).toBe("ssg: bad hook payload: the tool input cannot be recorded: string with a lone surrogate at input.command\n")
    expect(sb.ssg("audit", "verify").code).toBe(0)
  })
  it("blocks the third identical consecutive shell command of a session (loop guard from the log)", () => {
    starterRules()
    const run = (session: string) => hook("eval", claude("Bash", { command: "npm test" }, session))
    expect(run("a").code).toBe(0)
    expect(run("a").code).toBe(0)
    expect(run("b").code).toBe(0)
    const third = run("a")
    expect(third.code).toBe(2)
    expect(String(denial(third.stdout)["permissionDecisionReason"])).toMatch(/^loop guard: /)
    expect(hook("eval", claude("Bash", { command: "npm run lint" }, "a")).code).toBe(0)
    expect(run("a").code).toBe(0)
    const decided = auditLog().filter((e) => e.type === "v1.EvalDecided")
    expect(decided.map((e) => e.data["rule_id"])).toEqual([null, null, null, "loop-guard", null, null])
  })

  it("lets the sixth call through after five denials only with the circuit breaker on, and resets on a non-deny", () => {
    starterRules()
    const deny = (env: Record<string, string> = {}) => hook("eval", claude("Bash", { command: "rm -rf ~/" }, "cb"), env)
    for (let i = 0; i < 6; i++) expect(deny().code).toBe(2)
    const on = { SSG_HOOK_CIRCUIT_BREAKER: "1" }
    expect(deny(on)).toEqual({ code: 0, stdout: "", stderr: "" })
    for (let i = 0; i < 5; i++) expect(deny(on).code).toBe(2)
    expect(deny(on).code).toBe(0)
    const ids = auditLog()
      .filter((e) => e.type === "v1.EvalDecided")
      .map((e) => e.data["rule_id"])
    expect(ids.filter((id) => id === "circuit-breaker")).toHaveLength(2)
    expect(ids.at(-1)).toBe("circuit-breaker")

    sb.write(".sigmashake/config.toml", "[hook]\ncircuit_breaker = true\n")
    for (let i = 0; i < 5; i++) expect(hook("eval", claude("Bash", { command: "rm -rf ~/" }, "cb2")).code).toBe(2)
    expect(hook("eval", claude("Bash", { command: "rm -rf ~/" }, "cb2")).code).toBe(0)
  })

  it("appends v1.RulesetLoaded when the rule files change, naming the rules added, removed and changed", () => {
    starterRules()
    expect(hook("eval", claude("Bash", { command: "ls" })).code).toBe(0)
    expect(hook("eval", claude("Bash", { command: "pwd" })).code).toBe(0)
    const file = join(sb.cwd, ".sigmashake", "rules", "mine.rules")
    writeFileSync(file, 'rule no-make {\n  DENY execution\n  IF command STARTS_WITH "make"\n  MESSAGE "no make"\n}\n')
    expect(hook("eval", claude("Bash", { command: "make all" })).code).toBe(2)
    writeFileSync(file, 'rule no-make {\n  DENY execution\n  IF command STARTS_WITH "make "\n  MESSAGE "no make"\n}\n')
    expect(hook("eval", claude("Bash", { command: "make all" })).code).toBe(2)
    const loaded = auditLog().filter((e) => e.type === "v1.RulesetLoaded")
    expect(loaded).toHaveLength(3)
    expect((loaded[0]!.data["added"] as Array<string>).length).toBe(51)
    expect(loaded[1]!.data).toMatchObject({ added: ["no-make"], removed: [], changed: [], rules: 52 })
    expect(loaded[2]!.data).toMatchObject({ added: [], removed: [], changed: ["no-make"], rules: 52 })
    expect(loaded[1]!.data["content_sha256"]).not.toBe(loaded[2]!.data["content_sha256"])
  })

  it("records post-tool payloads as v1.ToolCompleted linked to the call, and answers nothing", () => {
    starterRules()
    const pre = claude("Bash", { command: "npm test" })
    expect(hook("eval", pre).code).toBe(0)
    const id = JSON.parse(pre).tool_use_id as string
    const post = JSON.stringify({
      ...JSON.parse(pre),
      hook_event_name: "PostToolUse",
      tool_response: { stdout: "42 passed\n", stderr: "", interrupted: false, isImage: false },
      duration_ms: 1234
    })
    expect(hook("post", post)).toEqual({ code: 0, stdout: "", stderr: "" })
    const failed = JSON.stringify({ ...JSON.parse(pre), hook_event_name: "PostToolUseFailure", error: "Exit code 1\nsecret ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", duration_ms: 5 })
    expect(hook("post", failed).code).toBe(0)
    const completed = auditLog().filter((e) => e.type === "v1.ToolCompleted")
    expect(completed.map((e) => e.data)).toEqual([
      { tool: "Bash", call_id: id, success: true, duration_ms: 1234, response_bytes: expect.any(Number), error: null },
      { tool: "Bash", call_id: id, success: false, duration_ms: 5, response_bytes: null, error: expect.stringMatching(/^Exit code 1/) }
    ])
    expect(JSON.stringify(completed[1]!.data)).not.toContain("ghp_aaaa")
    expect(hook("post", "{").code).toBe(1)
  })

  it("answers usage problems with one line and exit 2", () => {
    expect(hook("nope", "")).toMatchObject({ code: 2, stdout: "", stderr: expect.stringMatching(/^ssg hook: unknown subcommand nope/) })
    const help = hook("--help", "")
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/ssg hook eval/)
  })
})

describe("ssg demo", () => {
  it("replays over 200 calls from three clients through the hook and verifies the log", () => {
    const r = sb.ssg("demo")
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const calls = Number(/replayed (\d+) tool calls and (\d+) post-tool events/.exec(r.stdout)?.[1])
    expect(calls).toBeGreaterThanOrEqual(200)
    for (const client of ["claude-code", "codex", "gemini"]) expect(r.stdout).toMatch(new RegExp(`^  ${client} +\\d+ allow`, "m"))
    for (const d of ["block", "ask", "force", "log", "shadow"]) expect(r.stdout).toMatch(new RegExp(`^ +\\d+ +. ${d} +\\S+`, "m"))
    expect(r.stdout).toMatch(/loop-guard/)
    expect(r.stdout).toMatch(/^Chain integrity: VALID ✓$/m)
    expect(r.stdout).toMatch(/^ssg\.local\/[0-9a-f]{16}\n\d+\n[A-Za-z0-9+/]{43}=\n\n— ssg\.local\/[0-9a-f]{16} \S+$/m)
    expect(r.stdout).toMatch(/^ {2}total +\d+ +[\d,]+ +[\d,]+ +\$\d+\.\d{4} +100\.0%$/m)
    expect(r.stdout).toMatch(/^productivity today \(ssg productivity show\): \d+(\.\d)? \/ 100 — \d+ evaluations/m)
    expect(r.stdout).toMatch(/^# RCA [0-9a-f-]{36}$/m)
    expect(r.stdout).toContain("## Next steps")
    const entries = Number(/^ssg audit verify: (\d+) entries/m.exec(r.stdout)?.[1])
    expect(r.stdout).toMatch(new RegExp(`^  splunk: caught-up at #${entries}, \\d+ records delivered$`, "m"))
    expect(r.stdout).toMatch(new RegExp(`HEC test server at http://127\\.0\\.0\\.1:\\d+ received ${entries} entries and \\d+ signed checkpoints`))
  })
})
