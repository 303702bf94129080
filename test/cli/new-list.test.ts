import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { useCliSandbox } from "../support/cli.js"
import { scaffoldText } from "../../src/cli/new.js"
import { parseRulesFile } from "../../src/domain/rules/Parser.js"
import { DECISIONS, TARGETS } from "../../src/domain/rules/Rule.js"

const sb = useCliSandbox("ssg-new")
const { ssg, write } = sb

describe("scaffoldText", () => {
  it("parses with zero diagnostics for every decision and target", () => {
    for (const decision of DECISIONS) {
      for (const target of TARGETS) {
        const text = scaffoldText({ id: "r-1.x_y", decision, target, severity: "warning", priority: -5 })
        const file = parseRulesFile(text, "r.rules")
        expect(file.diagnostics).toEqual([])
        expect(file.rules).toHaveLength(1)
        const rule = file.rules[0]!
        expect([rule.id, rule.decision, rule.target, rule.severity, rule.priority, rule.enabled]).toEqual([
          "r-1.x_y",
          decision,
          target,
          "warning",
          -5,
          true
        ])
        expect(rule.explicit).toEqual({ enabled: true, priority: true, severity: true })
        expect(rule.message).not.toBeNull()
        expect(rule.prompt !== null).toBe(decision === "ASK")
        expect(rule.substitute !== null).toBe(decision === "FORCE")
        expect(text.startsWith("# r-1.x_y.rules\nrule r-1.x_y {\n")).toBe(true)
      }
    }
  })
})

describe("ssg new", () => {
  it("writes .sigmashake/rules/<id>.rules with defaults and prints the path", () => {
    const r = ssg("new", "--name", "block-secrets", "--decision", "DENY", "--target", "read")
    const path = join(sb.cwd, ".sigmashake", "rules", "block-secrets.rules")
    expect(r.code).toBe(0)
    expect(r.stderr).toBe("")
    expect(r.stdout).toBe(`${path}\n`)
    expect(readFileSync(path, "utf8")).toBe(
      [
        "# block-secrets.rules",
        "rule block-secrets {",
        "  enabled true",
        "  priority 100",
        "  severity error",
        "  DENY read",
        '  IF path GLOB "**/*.example"',
        '  MESSAGE "block-secrets: explain why this call is blocked and what to do instead"',
        "}",
        ""
      ].join("\n")
    )
    const listed = JSON.parse(ssg("rule", "list").stdout) as Array<{ id: string; file: string }>
    expect(listed.map((x) => [x.id, x.file])).toEqual([["block-secrets", path]])
  })

  it("uses the placeholder condition of the target, wire decision names and --rules/--severity/--priority", () => {
    const r = ssg(
      "new",
      "--name",
      "ask-exec",
      "--decision",
      "ask",
      "--target",
      "EXECUTION",
      "--severity",
      "Info",
      "--priority",
      "77",
      "--rules",
      "custom/dir"
    )
    const path = join(sb.cwd, "custom", "dir", "ask-exec.rules")
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${path}\n`)
    expect(readFileSync(path, "utf8")).toBe(
      [
        "# ask-exec.rules",
        "rule ask-exec {",
        "  enabled true",
        "  priority 77",
        "  severity info",
        "  ASK execution",
        '  IF command CONTAINS "example-command --flag"',
        '  MESSAGE "ask-exec: explain why this call is held for approval and what to do instead"',
        '  PROMPT "Allow this call? (rule ask-exec)"',
        "}",
        ""
      ].join("\n")
    )
    expect(ssg("new", "--name", "force-any", "--decision", "force", "--target", "any").code).toBe(0)
    const force = readFileSync(join(sb.cwd, ".sigmashake", "rules", "force-any.rules"), "utf8")
    expect(force).toContain('  FORCE any\n  SUBSTITUTE "')
    expect(force).toContain('  IF tool EQUALS "ExampleTool"\n')
    const out = ssg("list", "--json", "--rules", ".sigmashake/rules", "--rules", "custom").stdout
    const listed = JSON.parse(out) as Array<{ id: string; order: number }>
    expect(listed.map((x) => [x.order, x.id])).toEqual([
      [1, "force-any"],
      [2, "ask-exec"]
    ])
  })

  it("never overwrites an existing file (exit 1)", () => {
    const path = write(".sigmashake/rules/mine.rules", "# hand written\n")
    const r = ssg("new", "--name", "mine", "--decision", "LOG", "--target", "write")
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    expect(r.stderr).toBe(`ssg: ${path} already exists; not overwriting it\n`)
    expect(readFileSync(path, "utf8")).toBe("# hand written\n")
  })

  it("exits 2 on an invalid id, decision, target or severity and writes nothing", () => {
    const cases: Array<[Array<string>, string]> = [
      [["--name", "../escape", "--decision", "DENY", "--target", "read"], 'invalid rule id "../escape"'],
      [["--name", "-x", "--decision", "DENY", "--target", "read"], 'invalid rule id "-x"'],
      [["--name", "ok", "--decision", "BLOCKED", "--target", "read"], 'unknown decision "BLOCKED"'],
      [["--name", "ok", "--decision", "DENY", "--target", "disk"], 'unknown target "disk"'],
      [["--name", "ok", "--decision", "DENY", "--target", "read", "--severity", "fatal"], 'unknown severity "fatal"']
    ]
    for (const [args, message] of cases) {
      const r = ssg("new", ...args)
      expect(r.code).toBe(2)
      expect(r.stdout).toBe("")
      expect(r.stderr.startsWith(`ssg: ${message}`)).toBe(true)
    }
    expect(ssg("new", "--name", "ok", "--decision", "DENY", "--target", "read", "--priority", "high").code).toBe(2)
    expect(existsSync(join(sb.cwd, ".sigmashake"))).toBe(false)
  })
})

const RULES_A = `rule low-log {
  priority 10
  LOG write
  IF path CONTAINS "src/"
  MESSAGE "logged"
}
rule top-allow {
  priority 90
  ALLOW any
  IF tool EQUALS "Read"
  MESSAGE "fine"
}
rule top-deny {
  enabled false
  priority 90
  severity error
  DENY execution
  IF command CONTAINS "rm -rf /"
  MESSAGE "no"
}
`

const RULES_B = `rule mid-ask {
  ASK execution
  IF command STARTS_WITH "git push"
  MESSAGE "push?"
  PROMPT "push?"
}
rule low-log {
  priority 99
  DENY any
  IF tool EQUALS "X"
  MESSAGE "shadowed duplicate"
}
`

describe("ssg list", () => {
  it("prints the effective rules in evaluation order as a table", () => {
    write("r/a.rules", RULES_A)
    write("r/b.rules", RULES_B)
    const r = ssg("list", "--rules", "r")
    expect(r.code).toBe(0)
    expect(r.stderr).toBe("")
    expect(r.stdout).toBe(
      [
        "PRIORITY  DECISION    TARGET     ID         FILE:LINE",
        "90        DENY (off)  execution  top-deny   r/a.rules:13",
        "90        ALLOW       any        top-allow  r/a.rules:7",
        "50        ASK         execution  mid-ask    r/b.rules:1",
        "10        LOG         write      low-log    r/a.rules:1",
        "4 rule(s) from 2 file(s)",
        ""
      ].join("\n")
    )
  })

  it("prints JSON with the 1-based evaluation order", () => {
    const a = write("r/a.rules", RULES_A)
    const b = write("r/b.rules", RULES_B)
    const r = ssg("list", "--json", "--rules", "r")
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual([
      {
        order: 1,
        id: "top-deny",
        file: a,
        line: 13,
        enabled: false,
        priority: 90,
        severity: "error",
        decision: "block",
        target: "execution",
        message: "no"
      },
      {
        order: 2,
        id: "top-allow",
        file: a,
        line: 7,
        enabled: true,
        priority: 90,
        severity: "warning",
        decision: "allow",
        target: "any",
        message: "fine"
      },
      {
        order: 3,
        id: "mid-ask",
        file: b,
        line: 1,
        enabled: true,
        priority: 50,
        severity: "warning",
        decision: "ask",
        target: "execution",
        message: "push?"
      },
      {
        order: 4,
        id: "low-log",
        file: a,
        line: 1,
        enabled: true,
        priority: 10,
        severity: "warning",
        decision: "log",
        target: "write",
        message: "logged"
      }
    ])
  })

  it("lists nothing when no rules directory exists", () => {
    const r = ssg("list")
    expect(r.code).toBe(0)
    expect(r.stdout).toBe("PRIORITY  DECISION  TARGET  ID  FILE:LINE\n0 rule(s) from 0 file(s)\n")
    expect(JSON.parse(ssg("list", "--json").stdout)).toEqual([])
  })

  it("exits 2 with the location of a parse error", () => {
    write("r/a.rules", RULES_A)
    write("r/bad.rules", "rule x {\n  DENY nowhere\n  IF tool EQUALS \"a\"\n}\n")
    const r = ssg("list", "--rules", "r")
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr).toMatch(/^ssg: r\/bad\.rules:2:8: unknown target `nowhere`/)
  })
})
