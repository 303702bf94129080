import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { BIN, ROOT, ssgAt, useCliSandbox } from "../support/cli.js"
import { DEMO_RULES } from "../support/fixtures.js"

const sb = useCliSandbox("ssg-certify")

const SHIPPED_RULES = join(ROOT, "rules")
const SHIPPED_SCENARIOS = join(ROOT, "rules", "scenarios")

const META = { kind: "meta", name: "demo", description: "demo scenario", claude_code_version: "current", tags: ["demo"] }

const step = (tool: string, input: unknown, expected: string, description: string, ruleId?: unknown) => ({
  kind: "step",
  tool_name: tool,
  tool_input: input,
  expected_decision: expected,
  ...(ruleId !== undefined ? { expected_rule_id: ruleId } : {}),
  description
})

const jsonl = (...lines: Array<unknown>): string => lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n"

const certify = (...args: Array<string>) => sb.ssg("certify", "--dir", "s", "--rules-dir", "r", ...args)

interface StepReport {
  readonly line: number
  readonly description: string
  readonly tool_name: string
  readonly expected_decision: string
  readonly decision: string
  readonly expected_rule_id: string | null
  readonly rule_id: string | null
  readonly pass: boolean
}

interface Report {
  readonly passed: number
  readonly failed: number
  readonly scenarios: ReadonlyArray<{ readonly file: string; readonly name: string; readonly steps: ReadonlyArray<StepReport> }>
}

const expectUsageError = (r: { code: number | null; stdout: string; stderr: string }, message: RegExp) => {
  expect(r.code).toBe(2)
  expect(r.stdout).toBe("")
  expect(r.stderr.endsWith("\n")).toBe(true)
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1)
  expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+/)
  expect(r.stderr).toMatch(message)
}

describe("ssg certify: the shipped starter scenarios", () => {
  const files = readdirSync(SHIPPED_SCENARIOS).filter((n) => n.endsWith(".jsonl")).sort()
  const stepLines = files.flatMap((f) =>
    readFileSync(join(SHIPPED_SCENARIOS, f), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as { kind: string; expected_rule_id?: string; expected_decision: string })
      .filter((o) => o.kind === "step")
  )

  it("has one scenario file per rules file", () => {
    const rulesFiles = readdirSync(SHIPPED_RULES).filter((n) => n.endsWith(".rules")).map((n) => n.replace(/\.rules$/, ".jsonl"))
    expect(files).toEqual(rulesFiles.sort())
  })

  it("names every starter rule as the deciding rule of some step and covers every decision", () => {
    const ids = readdirSync(SHIPPED_RULES)
      .filter((n) => n.endsWith(".rules"))
      .flatMap((n) => [...readFileSync(join(SHIPPED_RULES, n), "utf8").matchAll(/^rule (\S+) \{/gm)].map((m) => m[1]!))
    expect(ids.length).toBeGreaterThan(0)
    const named = new Set(stepLines.map((s) => s.expected_rule_id))
    expect(ids.filter((id) => !named.has(id))).toEqual([])
    expect([...named].filter((id) => id !== undefined && !ids.includes(id))).toEqual([])
    expect(new Set(stepLines.map((s) => s.expected_decision))).toEqual(new Set(["allow", "block", "ask", "force", "log", "shadow"]))
  })

  it("pass against the shipped rules", () => {
    const r = sb.ssg("certify", "--dir", SHIPPED_SCENARIOS, "--rules-dir", SHIPPED_RULES, "--json")
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as Report
    expect(report.failed).toBe(0)
    expect(report.passed).toBe(stepLines.length)
    expect(report.scenarios.map((s) => s.name)).toEqual(files.map((f) => f.replace(/\.jsonl$/, "")))
    expect(report.scenarios.flatMap((s) => s.steps).filter((s) => !s.pass)).toEqual([])
  })
})

describe("ssg certify: reports", () => {
  it("fails a wrong expectation with exit 1, naming file:line, the expected and the actual decision", () => {
    sb.write("r/demo.rules", DEMO_RULES)
    sb.write(
      "s/demo.jsonl",
      jsonl(
        META,
        step("Bash", { command: "rm -rf /" }, "block", "rm is blocked", "no-rm"),
        "",
        step("Bash", { command: "ls -la" }, "block", "ls wrongly expected blocked"),
        step("Bash", { command: "sudo ls" }, "ask", "sudo asks, wrong rule expected", "no-rm")
      )
    )
    const r = certify()
    expect(r.code).toBe(1)
    expect(r.stderr).toBe("")
    expect(r.stdout.split("\n")).toEqual([
      "FAIL s/demo.jsonl (demo): 1/3 steps",
      "  FAIL s/demo.jsonl:4 ls wrongly expected blocked: expected block, got allow",
      "  FAIL s/demo.jsonl:5 sudo asks, wrong rule expected: expected ask by no-rm, got ask by ask-sudo",
      "1 passed, 2 failed",
      ""
    ])
    const verbose = certify("--verbose")
    expect(verbose.code).toBe(1)
    expect(verbose.stdout).toContain("  ok   s/demo.jsonl:2 rm is blocked: expected block by no-rm, got block by no-rm\n")
  })

  it("passes with exit 0 and lists every step only with --verbose", () => {
    sb.write("r/demo.rules", DEMO_RULES)
    sb.write("s/a.jsonl", jsonl(META, step("Bash", { command: "git status" }, "log", "git is logged", "log-git")))
    sb.write("s/b.jsonl", jsonl({ ...META, name: "second" }, step("Read", { file_path: "/home/dev/p/.env" }, "block", ".env read", "no-env")))
    const quiet = certify()
    expect(quiet).toEqual({
      code: 0,
      stdout: "PASS s/a.jsonl (demo): 1/1 steps\nPASS s/b.jsonl (second): 1/1 steps\n2 passed, 0 failed\n",
      stderr: ""
    })
    const verbose = certify("--verbose")
    expect(verbose.code).toBe(0)
    expect(verbose.stdout).toContain("  ok   s/b.jsonl:2 .env read: expected block by no-env, got block by no-env\n")
  })

  it("--json gives passed, failed and each step with its line, expectation and outcome", () => {
    sb.write("r/demo.rules", DEMO_RULES)
    sb.write(
      "s/demo.jsonl",
      jsonl(
        META,
        step("Bash", { command: "cat src/a.ts" }, "force", "cat is forced", "force-cat"),
        step("Bash", { command: "git push" }, "log", "push is logged, not shadowed", "shadow-push")
      )
    )
    const r = certify("--json")
    expect(r.code).toBe(1)
    expect(r.stderr).toBe("")
    expect(JSON.parse(r.stdout)).toEqual({
      passed: 1,
      failed: 1,
      scenarios: [
        {
          file: "s/demo.jsonl",
          name: "demo",
          steps: [
            {
              line: 2,
              description: "cat is forced",
              tool_name: "Bash",
              expected_decision: "force",
              decision: "force",
              expected_rule_id: "force-cat",
              rule_id: "force-cat",
              pass: true
            },
            {
              line: 3,
              description: "push is logged, not shadowed",
              tool_name: "Bash",
              expected_decision: "log",
              decision: "log",
              expected_rule_id: "shadow-push",
              rule_id: "log-git",
              pass: false
            }
          ]
        }
      ]
    })
  })

  it("uses .sigmashake/scenarios and .sigmashake/rules by default", () => {
    sb.write(".sigmashake/rules/demo.rules", DEMO_RULES)
    sb.write(".sigmashake/scenarios/a.jsonl", jsonl(META, step("Bash", { command: "sudo ls" }, "ask", "sudo asks", "ask-sudo")))
    const r = sb.ssg("certify", "--json")
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ passed: 1, failed: 0, scenarios: [{ file: ".sigmashake/scenarios/a.jsonl" }] })
  })
})

describe("ssg certify: bad input", () => {
  const bad: ReadonlyArray<readonly [string, string, RegExp]> = [
    ["not JSON", jsonl(META, '{"kind":"step",'), /^ssg: s\/bad\.jsonl:2: not JSON: /],
    ["a JSON value that is not an object", jsonl(META, "[1,2]"), /^ssg: s\/bad\.jsonl:2: expected a JSON object$/m],
    ["a missing meta line", jsonl(step("Bash", { command: "ls" }, "allow", "ls")), /^ssg: s\/bad\.jsonl:1: the first line must be \{"kind":"meta",\.\.\.\}$/m],
    ["an empty file", "\n\n", /^ssg: s\/bad\.jsonl:1: empty scenario file \(expected a meta line\)$/m],
    ["meta without tags", jsonl({ ...META, tags: undefined }), /^ssg: s\/bad\.jsonl:1: meta field "tags" must be an array of strings$/m],
    [
      "an unknown expected_decision",
      jsonl(META, step("Bash", { command: "ls" }, "allow", "ok"), step("Bash", { command: "ls" }, "deny", "deny is not a wire name")),
      /^ssg: s\/bad\.jsonl:3: step field "expected_decision" must be one of allow, block, log, shadow, ask, force$/m
    ],
    ["an array tool_input", jsonl(META, step("Bash", ["ls"], "allow", "ls")), /^ssg: s\/bad\.jsonl:2: step field "tool_input" must be an object$/m],
    ["a string tool_input", jsonl(META, step("Bash", "ls", "allow", "ls")), /^ssg: s\/bad\.jsonl:2: step field "tool_input" must be an object$/m],
    ["a missing tool_name", jsonl(META, { ...step("Bash", {}, "allow", "x"), tool_name: "" }), /^ssg: s\/bad\.jsonl:2: step field "tool_name" must be a non-empty string$/m],
    ["a non-string expected_rule_id", jsonl(META, step("Bash", {}, "allow", "x", 7)), /^ssg: s\/bad\.jsonl:2: step field "expected_rule_id" must be a string$/m],
    ["a step without kind", jsonl(META, { ...step("Bash", {}, "allow", "x"), kind: undefined }), /^ssg: s\/bad\.jsonl:2: expected \{"kind":"step",\.\.\.\}$/m]
  ]
  for (const [what, text, message] of bad) {
    it(`exits 2 with one file:line error and runs nothing for ${what}`, () => {
      sb.write("r/demo.rules", DEMO_RULES)
      sb.write("s/a-good.jsonl", jsonl(META, step("Bash", { command: "ls" }, "allow", "ls")))
      sb.write("s/bad.jsonl", text)
      expectUsageError(certify(), message)
      expectUsageError(certify("--json"), message)
    })
  }

  it("exits 2 with one line for a missing scenario or rules directory, or no scenario files", () => {
    sb.write("r/demo.rules", DEMO_RULES)
    sb.write("s/a.jsonl", jsonl(META, step("Bash", { command: "ls" }, "allow", "ls")))
    expectUsageError(sb.ssg("certify", "--dir", "missing", "--rules-dir", "r"), /^ssg: scenario directory not found: missing$/m)
    expectUsageError(sb.ssg("certify", "--dir", "s", "--rules-dir", "missing"), /^ssg: rules directory not found: missing$/m)
    expectUsageError(sb.ssg("certify", "--json"), /^ssg: scenario directory not found: \.sigmashake\/scenarios$/m)
    sb.write("empty/notes.txt", "not a scenario")
    expectUsageError(sb.ssg("certify", "--dir", "empty", "--rules-dir", "r"), /^ssg: no \*\.jsonl scenario files in empty$/m)
  })

  it("exits 2 naming file:line:col when the rules under test do not parse", () => {
    sb.write("r/broken.rules", 'rule broken {\n  DENY execution\n  IF command CONTAINS "x\n}\n')
    sb.write("s/a.jsonl", jsonl(META, step("Bash", { command: "ls" }, "allow", "ls")))
    expectUsageError(certify(), /^ssg: r\/broken\.rules:\d+:\d+: /m)
  })
})

describe("ssg certify: isolation", () => {
  const loopSteps = jsonl(
    META,
    step("Bash", { command: "npm test" }, "allow", "first npm test"),
    step("Bash", { command: "npm test" }, "allow", "second npm test"),
    step("Bash", { command: "npm test" }, "allow", "third npm test is not caught by the loop guard")
  )

  it("shares no state between steps: three identical commands all pass, where one session's hook blocks the third", () => {
    sb.write("r/demo.rules", DEMO_RULES)
    sb.write("s/loop.jsonl", loopSteps)
    const r = certify("--json")
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as Report
    expect(report.scenarios[0]!.steps.map((s) => [s.decision, s.rule_id])).toEqual([
      ["allow", null],
      ["allow", null],
      ["allow", null]
    ])

    cpSync(join(sb.cwd, "r"), join(sb.cwd, ".sigmashake", "rules"), { recursive: true })
    const hook = () => {
      const payload = JSON.stringify({
        session_id: "one-session",
        transcript_path: join(sb.cwd, "transcript.jsonl"),
        cwd: sb.cwd,
        permission_mode: "default",
        hook_event_name: "PreToolUse",
        tool_name: "Bash",
        tool_input: { command: "npm test" }
      })
      const env = { ...process.env, SSG_HOME: sb.home, SSG_DEBUG: "", SSG_CLIENT: "claude-code" }
      return spawnSync(process.execPath, [BIN, "hook", "eval"], { cwd: sb.cwd, env, input: payload, encoding: "utf8" })
    }
    expect([hook().status, hook().status]).toEqual([0, 0])
    const third = hook()
    expect(third.status).toBe(2)
    expect(third.stdout).toContain("loop guard")
  })

  it("leaves the caller's SSG_HOME untouched and removes every per-step directory", () => {
    sb.write("r/demo.rules", DEMO_RULES)
    sb.write("s/loop.jsonl", loopSteps)
    const tmp = mkdtempSync(join(tmpdir(), "ssg-certify-tmp-"))
    try {
      mkdirSync(join(tmp, "t"))
      const env = { ...process.env, SSG_HOME: sb.home, SSG_DEBUG: "", TMPDIR: join(tmp, "t") }
      const r = spawnSync(process.execPath, [BIN, "certify", "--dir", "s", "--rules-dir", "r"], { cwd: sb.cwd, env, encoding: "utf8" })
      expect(r.status).toBe(0)
      expect(r.stdout).toContain("3 passed, 0 failed")
      expect(readdirSync(join(tmp, "t"))).toEqual([])
      expect(existsSync(join(sb.home, "audit.db"))).toBe(false)
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  })

  it("does not read the project's own rules or SSG_HOME rules in place of --rules-dir", () => {
    sb.write("r/demo.rules", DEMO_RULES)
    sb.write(".sigmashake/rules/deny-all.rules", 'rule deny-all {\n  priority 100\n  DENY any\n  IF tool NOT EQUALS ""\n  MESSAGE "no"\n}\n')
    sb.writeHome("rules/deny-all.rules", 'rule deny-all-home {\n  priority 100\n  DENY any\n  IF tool NOT EQUALS ""\n  MESSAGE "no"\n}\n')
    sb.write("s/a.jsonl", jsonl(META, step("Bash", { command: "npm test" }, "allow", "only r/ applies")))
    const r = ssgAt(sb.cwd, sb.home, "", "certify", "--dir", "s", "--rules-dir", "r", "--json")
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ passed: 1, failed: 0 })
  })
})
