import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { BIN, ROOT, useCliSandbox } from "../support/cli.js"

const sb = useCliSandbox("ssg-cost")

const AMBIENT = ["SSG_MODEL", "SSG_CLIENT", "CLAUDE_CODE_VERSION", "CURSOR_SESSION_ID", "NEMOCLAW_AGENT", "CLAUDE_COWORK_VERSION", "ANTIGRAVITY_AGENT"]

/** Runs the built `ssg ARGS…` in the sandbox with `input` on stdin and only the variables in `env` of the ones ssg reads. */
const run = (env: Record<string, string>, input: string, ...args: Array<string>) => {
  const base: NodeJS.ProcessEnv = { ...process.env, SSG_HOME: sb.home, SSG_DEBUG: "" }
  for (const name of AMBIENT) delete base[name]
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: sb.cwd, env: { ...base, ...env }, input, encoding: "utf8" })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const evaluate = (call: Record<string, unknown>, env: Record<string, string> = {}) => {
  const r = run(env, JSON.stringify(call), "eval", "--rules", join(ROOT, "rules"))
  expect(r.stderr).toBe("")
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout) as { decision: string }
}

const summary = (...args: Array<string>) => {
  const r = run({}, "", "cost", "summary", ...args, "--json")
  expect(r).toMatchObject({ code: 0, stderr: "" })
  return JSON.parse(r.stdout)
}

describe("ssg cost summary", () => {
  it("says there are no cost rows yet on an empty log, in text and JSON", () => {
    const text = run({}, "", "cost", "summary")
    expect(text).toMatchObject({ code: 0, stderr: "" })
    expect(text.stdout).toMatch(/^no cost rows yet in the last 7 days \(UTC \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d\)\n/)
    expect(text.stdout).toMatch(/^hint: run a few evaluations first .*check that the hook is installed/m)
    expect(summary()).toEqual({
      by: "tool",
      since_days: 7,
      rows: [],
      total: { calls: 0, input_tokens: 0, output_tokens: 0, usd: 0 },
      unpriced_models: []
    })
  })

  it("attributes ssg eval calls by tool, client, capability and decision: payload model, SSG_MODEL, [cost] model, usage, overrides", () => {
    expect(evaluate({ tool: "Write", input: { file_path: "/x", content: "hello" } }).decision).toBe("allow")
    expect(evaluate({ tool: "Bash", input: { command: "ls" }, model: "claude-sonnet-4-5" }).decision).toBe("allow")
    expect(evaluate({ tool: "Bash", input: { command: "rm -rf /" } }, { SSG_MODEL: "gpt-5" }).decision).toBe("block")
    sb.writeHome("config.toml", '[cost.prices."my-model"]\ninput = 2.0\noutput = 8\n')
    sb.write(".sigmashake/config.toml", '[cost]\nmodel = "my-model"\n')
    expect(evaluate({ tool: "Read", input: { file_path: "/a.ts" }, usage: { input_tokens: 1000, output_tokens: 100 } }).decision).toBe("allow")

    expect(summary()).toEqual({
      by: "tool",
      since_days: 7,
      rows: [
        { key: "Read", calls: 1, input_tokens: 1000, output_tokens: 100, usd: 0.0028 },
        { key: "Bash", calls: 2, input_tokens: 0, output_tokens: 10, usd: 0.00012 },
        { key: "Write", calls: 1, input_tokens: 0, output_tokens: 9, usd: 0 }
      ],
      total: { calls: 4, input_tokens: 1000, output_tokens: 119, usd: 0.00292 },
      unpriced_models: ["unknown"]
    })
    expect(summary("--by=decision", "--since=2d").rows).toEqual([
      { key: "allow", calls: 3, input_tokens: 1000, output_tokens: 113, usd: 0.00286 },
      { key: "block", calls: 1, input_tokens: 0, output_tokens: 6, usd: 0.00006 }
    ])
    expect(summary("--by", "capability", "--since", "30").rows.map((r: { key: string }) => r.key)).toEqual(["read", "execute", "write"])
    expect(summary("--by=client")).toMatchObject({ since_days: 7, rows: [{ key: "cli", calls: 4, usd: 0.00292 }] })

    const text = run({}, "", "cost", "summary")
    expect(text).toMatchObject({ code: 0, stderr: "" })
    const lines = text.stdout.split("\n")
    expect(lines[0]).toMatch(/^cost by tool, last 7 days \(UTC .*\); prices as of \d{4}-\d\d-\d\d$/)
    expect(lines[1]).toMatch(/^tool +calls +input tokens +output tokens +USD +share$/)
    expect(lines[2]).toMatch(/^Read +1 +1,000 +100 +\$0\.0028 +95\.9%$/)
    expect(lines[3]).toMatch(/^Bash +2 +0 +10 +\$0\.0001 +4\.1%$/)
    expect(lines[4]).toMatch(/^Write +1 +0 +9 +— +—$/)
    expect(lines[5]).toMatch(/^total +4 +1,000 +119 +\$0\.0029\* +100\.0%$/)
    expect(new Set(lines.slice(1, 6).map((l) => l.length)).size).toBe(1)
    expect(lines[6]).toMatch(/^not priced: 1 call\(s\) of model\(s\) unknown have no price and are left out of USD/)
  })

  it("records the model and tokens the hook sees: Codex's payload model and response size, Claude Code's Agent usage", () => {
    const codex = { SSG_CLIENT: "codex" }
    const base = { session_id: "s1", cwd: sb.cwd, turn_id: "turn-1", tool_name: "Bash", tool_input: { command: "echo hi" }, tool_use_id: "u1" }
    expect(run(codex, JSON.stringify({ ...base, hook_event_name: "PreToolUse", model: "gpt-5-codex" }), "hook", "eval").code).toBe(0)
    const post = { ...base, hook_event_name: "PostToolUse", tool_response: "x".repeat(400) }
    expect(run(codex, JSON.stringify(post), "hook", "post")).toEqual({ code: 0, stdout: "", stderr: "" })

    const claude = { SSG_CLIENT: "claude-code", SSG_MODEL: "claude-haiku-4-5" }
    const agent = { session_id: "s2", cwd: sb.cwd, tool_name: "Agent", tool_input: { prompt: "look around" }, tool_use_id: "a1" }
    expect(run(claude, JSON.stringify({ ...agent, hook_event_name: "PreToolUse" }), "hook", "eval").code).toBe(0)
    const response = { content: [], usage: { input_tokens: 2000, output_tokens: 500, cache_read_input_tokens: 90_000 } }
    expect(run(claude, JSON.stringify({ ...agent, hook_event_name: "PostToolUse", tool_response: response }), "hook", "post").code).toBe(0)

    const log = JSON.parse(run({}, "", "audit", "log", "--json").stdout) as Array<{ type: string; data: Record<string, unknown> }>
    expect(log.filter((e) => e.type !== "v1.RulesetLoaded").map((e) => [e.type, e.data["model"], e.data["input_bytes"], e.data["usage"]])).toEqual([
      ["v1.EvalDecided", "gpt-5-codex", 21, undefined],
      ["v1.ToolCompleted", undefined, undefined, undefined],
      ["v1.EvalDecided", "claude-haiku-4-5", 24, undefined],
      ["v1.ToolCompleted", undefined, undefined, { input_tokens: 2000, output_tokens: 500 }]
    ])
    expect(summary("--by=client")).toEqual({
      by: "client",
      since_days: 7,
      rows: [
        { key: "claude-code", calls: 1, input_tokens: 2000, output_tokens: 500, usd: 0.0045 },
        { key: "codex", calls: 1, input_tokens: 100, output_tokens: 6, usd: 0.000185 }
      ],
      total: { calls: 2, input_tokens: 2100, output_tokens: 506, usd: 0.004685 },
      unpriced_models: []
    })
  })

  it("names an unknown model plainly and leaves it out of USD", () => {
    evaluate({ tool: "Bash", input: { command: "ls" }, model: "mystery-9000" })
    expect(summary()).toMatchObject({ total: { calls: 1, output_tokens: 4, usd: 0 }, unpriced_models: ["mystery-9000"] })
    expect(run({}, "", "cost", "summary").stdout).toMatch(/^not priced: 1 call\(s\) of model\(s\) mystery-9000 have no price/m)
  })

  it.each([
    [["--by=model"], 'ssg: --by: "model" is not a dimension (use tool, client, capability, decision)\n'],
    [["--since=yesterday"], 'ssg: --since: cannot read "yesterday" (use a number of days from 1 to 36500, e.g. 7d or 30)\n'],
    [["--since=0"], 'ssg: --since: cannot read "0" (use a number of days from 1 to 36500, e.g. 7d or 30)\n'],
    [["--since=7h"], 'ssg: --since: cannot read "7h" (use a number of days from 1 to 36500, e.g. 7d or 30)\n']
  ])("refuses %j with one line and exit 2", (args, stderr) => {
    expect(run({}, "", "cost", "summary", ...args)).toEqual({ code: 2, stdout: "", stderr })
  })

  it("refuses a bad price override naming the file and the key, and a hook with that config fails closed", () => {
    sb.write(".sigmashake/config.toml", '[cost.prices."my-model"]\ninput = "cheap"\noutput = 1\n')
    expect(run({}, "", "cost", "summary")).toEqual({
      code: 2,
      stdout: "",
      stderr: 'ssg: .sigmashake/config.toml: cost.prices."my-model".input must be a non-negative number (USD per million tokens)\n'
    })
    sb.write(".sigmashake/config.toml", "[cost]\nmodel = 42\n")
    expect(run({}, "", "cost", "summary").stderr).toBe(
      'ssg: .sigmashake/config.toml: cost.model must be a non-empty string (a model name such as "claude-sonnet-4-5")\n'
    )
    sb.write(".sigmashake/config.toml", '[cost.prices."m"]\ninput = 1\noutput = 2\ncached = 0.1\n')
    expect(run({}, "", "cost", "summary").stderr).toBe('ssg: .sigmashake/config.toml: cost.prices."m".cached is not a price key (use input and output)\n')
    const payload = { hook_event_name: "PreToolUse", session_id: "s", cwd: sb.cwd, tool_name: "Bash", tool_input: { command: "ls" } }
    const blocked = run({ SSG_CLIENT: "claude-code" }, JSON.stringify(payload), "hook", "eval")
    expect(blocked.code).toBe(2)
    expect(blocked.stderr).toMatch(/^ssg: cannot evaluate, so the call is blocked: \.sigmashake\/config\.toml: cost\.prices\."m"\.cached is not a price key/)
  })
})
