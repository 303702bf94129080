import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { useCliSandbox } from "../support/cli.js"
import { ssgUnprivileged } from "./unprivileged.js"
import { setDecision, setEnabled } from "../../src/domain/rules/Edit.js"
import { quoteString } from "../../src/domain/rules/Format.js"
import { parseRulesFile } from "../../src/domain/rules/Parser.js"

const sb = useCliSandbox("ssg-rule")
const { ssg, write } = sb

const read = (path: string): string => readFileSync(path, "utf8")

const json = (stdout: string): unknown => JSON.parse(stdout)

const SECRETS = `# secrets policy
rule no-env-read {
  enabled true # reviewed
  priority 90
  severity error
  DENY read # keep this note
  IF path ENDS_WITH ".env"
  MESSAGE "Reading \\"env\\" files leaks C:\\\\secrets"
}

# audit
rule log-writes {
  priority 10
  severity info
  LOG write
  IF path CONTAINS "src/"
  MESSAGE "write logged"
}
`

const TOOLS = `rule ask-deploy {
    ASK execution
    IF command STARTS_WITH "deploy"
    MESSAGE "Deploy?"
    PROMPT "Really deploy?"
}
rule no-env-read {
    DENY any
    IF content CONTAINS "ENV"
    MESSAGE "dup id"
}`

describe("Edit (pure)", () => {
  const one = (text: string, id: string) => parseRulesFile(text, "t.rules").rules.find((r) => r.id === id)!

  it("flips an existing enabled value and keeps indentation and the trailing comment", () => {
    const off = setEnabled(SECRETS, one(SECRETS, "no-env-read"), false)
    expect(off).toBe(SECRETS.replace("  enabled true # reviewed", "  enabled false # reviewed"))
    expect(setEnabled(off, one(off, "no-env-read"), true)).toBe(SECRETS)
  })

  it("inserts an enabled line after the header with the first body line's indentation, keeping CRLF", () => {
    const crlf = TOOLS.replace(/\n/g, "\r\n")
    const out = setEnabled(crlf, one(crlf, "no-env-read"), false)
    expect(out).toBe(crlf.replace("rule no-env-read {\r\n", "rule no-env-read {\r\n    enabled false\r\n"))
    expect(out.endsWith("}")).toBe(true)
  })

  it("replaces only the decision keyword and adds a PROMPT from the MESSAGE for ASK", () => {
    const out = setDecision(SECRETS, one(SECRETS, "no-env-read"), "ASK")
    const message = '  MESSAGE "Reading \\"env\\" files leaks C:\\\\secrets"\n'
    const expected = SECRETS.replace("  DENY read # keep this note", "  ASK read # keep this note").replace(
      message,
      message + message.replace("MESSAGE", "PROMPT")
    )
    expect(out).toBe(expected)
    const reparsed = parseRulesFile(out, "t.rules")
    expect(reparsed.diagnostics).toEqual([])
    expect(reparsed.rules[0]!.prompt).toBe(reparsed.rules[0]!.message)
  })

  it("keeps an existing PROMPT when switching to ASK", () => {
    const out = setDecision(TOOLS, one(TOOLS, "ask-deploy"), "ASK")
    expect(out).toBe(TOOLS)
  })

  it("quotes with the formatter's quoteString (no second escaping function)", async () => {
    const edit: Record<string, unknown> = await import("../../src/domain/rules/Edit.js")
    expect(Object.keys(edit).sort()).toEqual(["setDecision", "setEnabled"])
    const out = setDecision(TOOLS, one(TOOLS, "no-env-read"), "ASK")
    expect(out).toContain(`    PROMPT ${quoteString("dup id")}\n`)
  })

  it("re-escapes strings so they decode to the same value", () => {
    for (const value of ['a"b', "a\\b", "a\\", '\\"', "\\s+\\d", "plain"]) {
      const text = `rule r {\n  LOG any\n  IF tool EQUALS "x"\n  MESSAGE ${quoteString(value)}\n}\n`
      expect(parseRulesFile(text, "t").rules[0]!.message).toBe(value)
    }
  })
})

describe("ssg rule list / search", () => {
  it("lists every rule occurrence of the loaded files in load order as JSON", () => {
    const a = write("rules/a.rules", SECRETS)
    const b = write("rules/b.rules", TOOLS)
    const expected = [
      {
        id: "no-env-read",
        file: a,
        line: 2,
        enabled: true,
        priority: 90,
        severity: "error",
        decision: "block",
        target: "read",
        message: 'Reading "env" files leaks C:\\secrets'
      },
      {
        id: "log-writes",
        file: a,
        line: 12,
        enabled: true,
        priority: 10,
        severity: "info",
        decision: "log",
        target: "write",
        message: "write logged"
      },
      {
        id: "ask-deploy",
        file: b,
        line: 1,
        enabled: true,
        priority: 50,
        severity: "warning",
        decision: "ask",
        target: "execution",
        message: "Deploy?"
      },
      {
        id: "no-env-read",
        file: b,
        line: 7,
        enabled: true,
        priority: 50,
        severity: "warning",
        decision: "block",
        target: "any",
        message: "dup id"
      }
    ]
    const r = ssg("rule", "list", "--rules", "rules")
    expect(r.code).toBe(0)
    expect(r.stderr).toBe("")
    expect(json(r.stdout)).toEqual(expected)
    const withFlag = ssg("rule", "list", "--json", "--rules", "rules")
    expect(withFlag.stdout).toBe(r.stdout)
  })

  it("reads the project and SSG_HOME rule directories by default", () => {
    write(".sigmashake/rules/a.rules", SECRETS)
    mkdirSync(join(sb.home, "rules"))
    writeFileSync(join(sb.home, "rules", "g.rules"), TOOLS)
    const r = ssg("rule", "list")
    expect(r.code).toBe(0)
    const ids = (json(r.stdout) as Array<{ id: string }>).map((x) => x.id)
    expect(ids).toEqual(["no-env-read", "log-writes", "ask-deploy", "no-env-read"])
  })

  it("searches ids and messages case-insensitively", () => {
    write("rules/a.rules", SECRETS)
    write("rules/b.rules", TOOLS)
    const byId = ssg("rule", "search", "ENV-READ", "--rules", "rules")
    expect(byId.code).toBe(0)
    expect((json(byId.stdout) as Array<{ id: string; line: number }>).map((x) => [x.id, x.line])).toEqual([
      ["no-env-read", 2],
      ["no-env-read", 7]
    ])
    const byMessage = ssg("rule", "search", "deploy?", "--json", "--rules", "rules")
    expect((json(byMessage.stdout) as Array<{ id: string }>).map((x) => x.id)).toEqual(["ask-deploy"])
    const none = ssg("rule", "search", "nothing-like-this", "--rules", "rules")
    expect(none.code).toBe(0)
    expect(json(none.stdout)).toEqual([])
  })
})

describe("ssg rule enable / disable", () => {
  it("disable then enable restores a file with an `enabled true` line byte for byte", () => {
    const a = write("rules/a.rules", SECRETS)
    const off = ssg("rule", "disable", "no-env-read", "--rules", "rules")
    expect(off.code).toBe(0)
    expect(json(off.stdout)).toEqual({ ok: true, rule_id: "no-env-read", files: [a], enabled: false, changed: true })
    expect(read(a)).toBe(SECRETS.replace("enabled true # reviewed", "enabled false # reviewed"))
    const on = ssg("rule", "enable", "no-env-read", "--rules", "rules")
    expect(on.code).toBe(0)
    expect(json(on.stdout)).toEqual({ ok: true, rule_id: "no-env-read", files: [a], enabled: true, changed: true })
    expect(read(a)).toBe(SECRETS)
  })

  it("edits every file that defines the id, inserting `enabled false` and keeping a missing final newline", () => {
    const a = write("rules/a.rules", SECRETS)
    const b = write("rules/b.rules", TOOLS)
    const r = ssg("rule", "disable", "no-env-read", "--rules", "rules")
    expect(r.code).toBe(0)
    expect(json(r.stdout)).toEqual({ ok: true, rule_id: "no-env-read", files: [a, b], enabled: false, changed: true })
    expect(read(b)).toBe(TOOLS.replace("rule no-env-read {\n", "rule no-env-read {\n    enabled false\n"))
    expect(read(b).endsWith("}")).toBe(true)
    const listed = json(ssg("rule", "list", "--rules", "rules").stdout) as Array<{ id: string; enabled: boolean }>
    expect(listed.map((x) => [x.id, x.enabled])).toEqual([
      ["no-env-read", false],
      ["log-writes", true],
      ["ask-deploy", true],
      ["no-env-read", false]
    ])
  })

  it("keeps CRLF line endings", () => {
    const crlf = SECRETS.replace(/\n/g, "\r\n")
    const a = write("rules/a.rules", crlf)
    expect(ssg("rule", "disable", "log-writes", "--rules", "rules").code).toBe(0)
    expect(read(a)).toBe(crlf.replace("rule log-writes {\r\n", "rule log-writes {\r\n  enabled false\r\n"))
  })

  it("exits 1 for an unknown id and leaves files alone", () => {
    const a = write("rules/a.rules", SECRETS)
    const r = ssg("rule", "disable", "no-such-rule", "--rules", "rules")
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    expect(r.stderr).toBe('ssg: no rule with id "no-such-rule" in the loaded rules\n')
    expect(read(a)).toBe(SECRETS)
  })

  it("is all-or-nothing: when a later file cannot be written, the files already written are restored", () => {
    const a = write("rules/a/x.rules", SECRETS)
    const b = write("rules/b/y.rules", TOOLS)
    chmodSync(join(sb.cwd, "rules", "a"), 0o777)
    chmodSync(join(sb.cwd, "rules", "b"), 0o555)
    try {
      const r = ssgUnprivileged(sb, "rule", "disable", "no-env-read", "--rules", "rules")
      expect(r).toEqual({
        code: 2,
        stdout: "",
        stderr: `ssg: cannot write ${b}: EACCES: permission denied; restored ${a}; no file was changed\n`
      })
      expect(read(a)).toBe(SECRETS)
      expect(read(b)).toBe(TOOLS)
      expect(readdirSync(join(sb.cwd, "rules", "a"))).toEqual(["x.rules"])
      expect(readdirSync(join(sb.cwd, "rules", "b"))).toEqual(["y.rules"])
    } finally {
      chmodSync(join(sb.cwd, "rules", "b"), 0o755)
    }
  })

  it("without --rules edits the project and the $SSG_HOME definitions and names both files", () => {
    const project = write(".sigmashake/rules/a.rules", SECRETS)
    const global = sb.writeHome("rules/b.rules", TOOLS)
    const r = ssg("rule", "disable", "no-env-read")
    expect(r.code).toBe(0)
    expect(json(r.stdout)).toEqual({ ok: true, rule_id: "no-env-read", files: [project, global], enabled: false, changed: true })
    expect(read(project)).toBe(SECRETS.replace("enabled true # reviewed", "enabled false # reviewed"))
    expect(read(global)).toBe(TOOLS.replace("rule no-env-read {\n", "rule no-env-read {\n    enabled false\n"))
  })

  it("takes the shared --json option", () => {
    const help = ssg("rule", "enable", "--help").stdout.replace(/\u001b\[[0-9;]*m/g, "")
    expect(help).toContain("print JSON instead of text")
    expect(help).toContain("ssg rule always prints JSON; the flag is accepted for symmetry")
    write("rules/a.rules", SECRETS)
    expect(json(ssg("rule", "disable", "log-writes", "--json", "--rules", "rules").stdout)).toMatchObject({ ok: true })
  })

  it("exits 2 with file:line:col when a loaded file does not parse", () => {
    const a = write("rules/a.rules", SECRETS)
    write("rules/bad.rules", 'rule broken {\n  DENY any\n  IF content CONTAINS "oops\n  MESSAGE "m"\n}\n')
    const r = ssg("rule", "disable", "no-env-read", "--rules", "rules")
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr).toMatch(/^ssg: rules\/bad\.rules:3:23: unterminated string/)
    expect(read(a)).toBe(SECRETS)
    const list = ssg("rule", "list", "--rules", "rules")
    expect(list.code).toBe(2)
    expect(list.stderr).toContain("rules/bad.rules:3:23")
  })
})

describe("ssg rule set-decision", () => {
  it("accepts wire names, keeps the decision line's comment and adds a PROMPT for ASK", () => {
    const a = write("rules/a.rules", SECRETS)
    const r = ssg("rule", "set-decision", "no-env-read", "ask", "--rules", "rules")
    expect(r.code).toBe(0)
    expect(json(r.stdout)).toEqual({ ok: true, rule_id: "no-env-read", files: [a], decision: "ask", changed: true })
    expect(read(a)).toBe(
      SECRETS.replace("  DENY read # keep this note", "  ASK read # keep this note").replace(
        'leaks C:\\\\secrets"\n',
        'leaks C:\\\\secrets"\n  PROMPT "Reading \\"env\\" files leaks C:\\\\secrets"\n'
      )
    )
    const back = ssg("rule", "set-decision", "no-env-read", "DENY", "--rules", "rules")
    expect(json(back.stdout)).toEqual({ ok: true, rule_id: "no-env-read", files: [a], decision: "block", changed: true })
    expect(parseRulesFile(read(a), a).rules[0]!.decision).toBe("DENY")
  })

  it("accepts DSL names case-insensitively", () => {
    const a = write("rules/a.rules", SECRETS)
    const r = ssg("rule", "set-decision", "log-writes", "Shadow", "--rules", "rules")
    expect(r.code).toBe(0)
    expect(json(r.stdout)).toEqual({ ok: true, rule_id: "log-writes", files: [a], decision: "shadow", changed: true })
    expect(read(a)).toBe(SECRETS.replace("  LOG write", "  SHADOW write"))
  })

  it("refuses FORCE on a rule without SUBSTITUTE (exit 1)", () => {
    const a = write("rules/a.rules", SECRETS)
    const r = ssg("rule", "set-decision", "log-writes", "force", "--rules", "rules")
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    expect(r.stderr).toContain("add a SUBSTITUTE line")
    expect(read(a)).toBe(SECRETS)
  })

  it("exits 1 for an unknown decision or rule", () => {
    const a = write("rules/a.rules", SECRETS)
    const bad = ssg("rule", "set-decision", "log-writes", "maybe", "--rules", "rules")
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^ssg: unknown decision "maybe"/)
    const missing = ssg("rule", "set-decision", "nope", "block", "--rules", "rules")
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe('ssg: no rule with id "nope" in the loaded rules\n')
    expect(read(a)).toBe(SECRETS)
  })
})

describe("rule changes in the audit log", () => {
  it("enable, disable and set-decision each append one v1.RuleChanged event", () => {
    const file = write("r/secrets.rules", SECRETS)
    expect(ssg("rule", "disable", "no-env-read", "--rules", "r").code).toBe(0)
    expect(ssg("rule", "enable", "no-env-read", "--rules", "r").code).toBe(0)
    expect(ssg("rule", "set-decision", "no-env-read", "ask", "--rules", "r").code).toBe(0)
    expect(ssg("rule", "disable", "nope", "--rules", "r").code).toBe(1)
    const log = ssg("audit", "log", "--json")
    expect(log.code).toBe(0)
    const entries = json(log.stdout) as Array<{ seq: number; type: string; data: Record<string, unknown> }>
    expect(entries.map((e) => [e.seq, e.type, e.data])).toEqual([
      [1, "v1.RuleChanged", { rule_id: "no-env-read", change: "disabled", from: "enabled", to: "disabled", files: [file] }],
      [2, "v1.RuleChanged", { rule_id: "no-env-read", change: "enabled", from: "disabled", to: "enabled", files: [file] }],
      [3, "v1.RuleChanged", { rule_id: "no-env-read", change: "decision", from: "block", to: "ask", files: [file] }]
    ])
    expect(ssg("audit", "verify").stdout).toContain("Chain integrity: VALID ✓")
  })
  it("a change that is already in effect writes nothing and appends nothing", () => {
    const file = write("r/secrets.rules", SECRETS)
    const on = ssg("rule", "enable", "no-env-read", "--rules", "r")
    expect(on.code).toBe(0)
    expect(json(on.stdout)).toEqual({ ok: true, rule_id: "no-env-read", files: [file], enabled: true, changed: false })
    const same = ssg("rule", "set-decision", "no-env-read", "block", "--rules", "r")
    expect(json(same.stdout)).toEqual({ ok: true, rule_id: "no-env-read", files: [file], decision: "block", changed: false })
    expect(read(file)).toBe(SECRETS)
    expect(json(ssg("audit", "log", "--json").stdout)).toEqual([])
  })
})
