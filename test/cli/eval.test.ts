import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { ROOT, useCliSandbox } from "../support/cli.js"
import { DEMO_RULES as RULES } from "../support/fixtures.js"

const sb = useCliSandbox("ssg-eval")
const { ssgWithInput, write } = sb


const call = (tool: string, input: Record<string, unknown>): string => JSON.stringify({ tool, input })

const evalJson = (input: string, ...args: Array<string>) => {
  const r = ssgWithInput(input, "eval", ...args)
  expect(r.stderr).toBe("")
  expect(r.code).toBe(0)
  const out = JSON.parse(r.stdout) as Record<string, unknown>
  expect(typeof out["duration_ms"]).toBe("number")
  delete out["duration_ms"]
  return out
}

describe("ssg eval", () => {
  it("blocks with the rule's id and message", () => {
    write("r/a.rules", RULES)
    expect(evalJson(call("Bash", { command: "rm -rf /" }), "--rules", "r")).toEqual({
      decision: "block",
      rule_id: "no-rm",
      reason: "Destructive command blocked.",
      also_matched: []
    })
  })
  it("allows with a null rule when nothing matches", () => {
    write("r/a.rules", RULES)
    expect(evalJson(call("Bash", { command: "ls" }), "--rules", "r")).toEqual({
      decision: "allow",
      rule_id: null,
      reason: null,
      also_matched: []
    })
  })
  it("reports LOG and SHADOW matches and goes on to the terminal rule", () => {
    write("r/a.rules", RULES)
    expect(evalJson(call("Bash", { command: "git push && rm -rf /" }), "--rules", "r")).toEqual({
      decision: "block",
      rule_id: "no-rm",
      reason: "Destructive command blocked.",
      also_matched: [
        { rule_id: "log-git", decision: "log" },
        { rule_id: "shadow-push", decision: "shadow" }
      ]
    })
    expect(evalJson(call("Bash", { command: "git push" }), "--rules", "r")).toMatchObject({ decision: "log", rule_id: "log-git", reason: "git used" })
  })
  it("ASK carries the interpolated PROMPT; FORCE gives the SUBSTITUTE as reason", () => {
    write("r/a.rules", RULES)
    expect(evalJson(call("Bash", { command: "sudo ls" }), "--rules", "r")).toEqual({
      decision: "ask",
      rule_id: "ask-sudo",
      reason: "root",
      prompt: "Run sudo ls as root?",
      also_matched: []
    })
    expect(evalJson(call("Bash", { command: "cat a.txt" }), "--rules", "r")).toEqual({
      decision: "force",
      rule_id: "force-cat",
      reason: "Use the Read tool.",
      message: "cat is slow",
      also_matched: []
    })
  })
  it("targets capabilities: a read rule applies to Read, not to Bash", () => {
    write("r/a.rules", RULES)
    expect(evalJson(call("Read", { file_path: "/home/u/p/.env" }), "--rules", "r")).toMatchObject({ decision: "block", rule_id: "no-env" })
    expect(evalJson(call("Bash", { command: "echo", file_path: "/home/u/p/.env" }), "--rules", "r")).toMatchObject({ decision: "allow" })
  })
  it("--explain names the group and each condition with the value it saw", () => {
    write("r/a.rules", RULES)
    const out = evalJson(call("Bash", { command: "rm -rf /tmp" }), "--rules", "r", "--explain")
    expect(out["capability"]).toBe("execute")
    expect(out["explain"]).toEqual([
      {
        rule_id: "no-rm",
        decision: "block",
        file: join(sb.cwd, "r/a.rules"),
        line: 2,
        priority: 90,
        group: 1,
        conditions: [{ field: "command", operator: "REGEX", negated: false, value: "rm\\s+-rf\\s+/", actual: "rm -rf /tmp", matched: true }]
      }
    ])
  })
  it("reads .sigmashake/rules before $SSG_HOME/rules, and a project rule shadows a global one with its id", () => {
    write(".sigmashake/rules/p.rules", `rule shared {\n  DENY execution\n  IF command CONTAINS "x"\n  MESSAGE "project"\n}\n`)
    sb.writeHome(
      "rules/g.rules",
      `rule shared {\n  ALLOW execution\n  IF command CONTAINS "x"\n  MESSAGE "global"\n}\nrule global-only {\n  DENY execution\n  IF command CONTAINS "y"\n  MESSAGE "global y"\n}\n`
    )
    expect(evalJson(call("Bash", { command: "x" }))).toMatchObject({ decision: "block", reason: "project" })
    expect(evalJson(call("Bash", { command: "y" }))).toMatchObject({ decision: "block", rule_id: "global-only" })
  })
  it("evaluates the shipped starter ruleset", () => {
    expect(evalJson(call("Bash", { command: "rm -rf /" }), "--rules", join(ROOT, "rules"))).toMatchObject({ decision: "block" })
    expect(evalJson(call("Bash", { command: "npm test" }), "--rules", join(ROOT, "rules"))).toMatchObject({ decision: "allow", rule_id: null })
  })
  it("accepts tool_name/tool_input and argv-array commands", () => {
    write("r/a.rules", RULES)
    const input = JSON.stringify({ tool_name: "shell", tool_input: { command: ["bash", "-lc", "rm -rf /"] } })
    expect(evalJson(input, "--rules", "r")).toMatchObject({ decision: "block", rule_id: "no-rm" })
  })
})

describe("ssg eval with text beyond the recorded lengths", () => {
  it("cuts the input summary and the reason on a character boundary, so an emoji at the cut is recorded", () => {
    write("r/emoji.rules", `rule emoji {\n  DENY execution\n  IF command CONTAINS "echo"\n  MESSAGE "${"m".repeat(498)}🚫 {command}"\n}\n`)
    const command = `echo ${"a".repeat(193)}😀😀 tail`
    expect(command.indexOf("😀")).toBe(198)
    const r = ssgWithInput(call("Bash", { command }), "eval", "--rules", "r")
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ decision: "block", rule_id: "emoji" })
    const [entry] = JSON.parse(sb.ssg("audit", "log", "--json").stdout) as Array<{ data: { input_summary: string; reason: string } }>
    expect(entry?.data.input_summary).toBe(`echo ${"a".repeat(193)}…`)
    expect(entry?.data.reason).toBe(`${"m".repeat(498)}…`)
    expect(sb.ssg("audit", "verify").code).toBe(0)
  })
})

describe("ssg eval errors", () => {
  const failsWith = (input: string, args: Array<string>, pattern: RegExp) => {
    const r = ssgWithInput(input, "eval", ...args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr.split("\n").filter((l) => l !== "")).toHaveLength(1)
    expect(r.stderr).toMatch(pattern)
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/)
  }
  it("bad JSON, empty input and a non-object exit 2 with one line", () => {
    write("r/a.rules", RULES)
    failsWith("{nope", ["--rules", "r"], /^ssg: bad JSON on standard input: /)
    failsWith("", ["--rules", "r"], /^ssg: bad JSON on standard input: input is empty/)
    failsWith("[1]", ["--rules", "r"], /^ssg: bad tool call on standard input: expected a JSON object/)
    failsWith(`{"tool":"Bash","input":"rm"}`, ["--rules", "r"], /field "input" must be a JSON object/)
  })
  it("an input with no canonical form (a lone surrogate, a number beyond double range) exits 2 naming the field", () => {
    write("r/a.rules", RULES)
    failsWith(`{"tool":"Bash","input":{"command":"ls \\ud800"}}`, ["--rules", "r"], /^ssg: bad tool call on standard input: field "input" cannot be recorded: string with a lone surrogate at input\.command\n/)
    failsWith(`{"tool":"Bash","input":{"command":"ls","n":[1e400]}}`, ["--rules", "r"], /^ssg: bad tool call on standard input: field "input" cannot be recorded: non-finite number Infinity at input\.n\[0\]\n/)
    expect(sb.ssg("audit", "log", "--json").stdout.trim()).toBe("[]")
  })
  it("a missing rules directory exits 2", () => {
    failsWith(call("Bash", { command: "ls" }), ["--rules", "nowhere"], /^ssg: rules directory not found: .*nowhere/)
  })
  it("a rules file that does not parse exits 2 naming file:line:col", () => {
    write("r/bad.rules", `rule x {\n  DENY execution\n  IF command CONTAINS "a\n}\n`)
    failsWith(call("Bash", { command: "ls" }), ["--rules", "r"], /^ssg: r\/bad\.rules:3:23: unterminated string/)
  })
})

describe("ssg test-rule", () => {
  it("tests one rule, enabled or not, and says whether it matched", () => {
    write("r/a.rules", RULES.replace("rule no-rm {\n", "rule no-rm {\n  enabled false\n"))
    const run = (command: string) => {
      const r = ssgWithInput(call("Bash", { command }), "test-rule", "--rule", "no-rm", "--rules", "r")
      expect(r.code).toBe(0)
      const out = JSON.parse(r.stdout) as Record<string, unknown>
      delete out["duration_ms"]
      return out
    }
    expect(run("rm -rf /")).toEqual({
      matched: true,
      decision: "block",
      rule_id: "no-rm",
      reason: "Destructive command blocked.",
      enabled: false
    })
    expect(run("ls")).toEqual({ matched: false, decision: "allow", rule_id: "no-rm", reason: null, enabled: false })
  })
  it("exits 1 for an unknown rule id", () => {
    write("r/a.rules", RULES)
    const r = ssgWithInput(call("Bash", { command: "ls" }), "test-rule", "--rule", "nope", "--rules", "r")
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('ssg: no rule with id "nope" in the loaded rules\n')
  })
})
