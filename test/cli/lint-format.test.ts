import { readdirSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { ROOT, useCliSandbox } from "../support/cli.js"

const sb = useCliSandbox("ssg-lint")
const { read, ssg, write } = sb

const GOOD = `rule ok-1 {
  enabled true
  priority 90
  severity error
  DENY execution
  IF command CONTAINS "rm -rf /"
  MESSAGE "no"
}
`

const MESSY = `# messy.rules — written by hand
rule messy {
    MESSAGE "Don't \\"eval\\" input"  # why
  if content line_regex "eval\\s*\\(" and path glob "**/*.js"
  deny write
    priority 70
}
rule second { # header note
  ASK execution
  IF command STARTS_WITH "sudo "
  PROMPT "ok?"
}`

const MESSY_FORMATTED = `# messy.rules — written by hand
rule messy {
  enabled true
  priority 70
  severity warning
  DENY write
  IF content LINE_REGEX "eval\\\\s*\\\\(" AND path GLOB "**/*.js"
  MESSAGE "Don't \\"eval\\" input" # why
}

rule second { # header note
  enabled true
  priority 50
  severity warning
  ASK execution
  IF command STARTS_WITH "sudo "
  PROMPT "ok?"
}
`

describe("ssg lint", () => {
  it("prints the summary and exits 0 for a valid rule set", () => {
    write(".sigmashake/rules/a.rules", GOOD)
    const r = ssg("lint")
    expect(r).toEqual({ code: 0, stdout: "1 file(s) valid, 0 errors, 0 warning(s) — 1/1 rule(s) native-compatible\n", stderr: "" })
  })
  it("locates every error and warning, keeps the good rules, and exits 1", () => {
    write(
      "r/bad.rules",
      `${GOOD}rule bad {\n  DENY execution\n  IF command REGEX "a(?!b)"\n  MESSAGE "x"\n}\nrule broken {\n  DENY somewhere\n  IF command CONTAINS "x"\n}\nrule asks {\n  ASK any\n  IF input.url CONTAINS "x"\n}\n`
    )
    const r = ssg("lint", "--rules", "r")
    expect(r.code).toBe(1)
    const lines = r.stdout.trimEnd().split("\n")
    expect(lines[0]).toMatch(/^r\/bad\.rules:11:6: error: .*RE2 does not support negative lookahead.* \[bad\]$/)
    expect(lines).toContain("r/bad.rules:15:8: error: unknown target `somewhere`: use execution, read, write, search, agent, network, any [broken]")
    expect(lines.some((l) => /^r\/bad\.rules:18:1: error: .*PROMPT.* \[asks\]$/.test(l))).toBe(true)
    expect(lines.some((l) => /^r\/bad\.rules:20:6: warning: .*input\./.test(l))).toBe(true)
    expect(lines[lines.length - 1]).toMatch(/^0 file\(s\) valid, 3 errors, \d+ warning\(s\) — 2\/3 rule\(s\) native-compatible$/)
  })
  it("reports duplicate ids across files and lints files given as arguments", () => {
    write("a.rules", GOOD)
    write("b.rules", GOOD)
    const r = ssg("lint", "a.rules", "b.rules")
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^b\.rules:1:1: error: .*ok-1.*a\.rules:1/m)
  })
  it("--json gives the findings and the summary", () => {
    write("r/a.rules", `rule w {\n  LOG any\n  IF tool EQUALS "a" OR tool EQUALS "b" AND tool EQUALS "c"\n  MESSAGE "m"\n}\n`)
    const r = ssg("lint", "--rules", "r", "--json")
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout) as { valid: boolean; summary: Record<string, number>; diagnostics: Array<Record<string, unknown>> }
    expect(out.valid).toBe(true)
    expect(out.summary).toEqual({ files: 1, valid_files: 1, errors: 0, warnings: 1, rules: 1, native_compatible: 1 })
    expect(out.diagnostics).toEqual([
      expect.objectContaining({ file: "r/a.rules", line: 3, severity: "warning", code: "lint.mixed-and-or", rule_id: "w" })
    ])
  })
  it("exits 2 when there is nothing to lint", () => {
    const r = ssg("lint")
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^ssg: no \.rules files found \(looked in \.sigmashake\/rules, .*\)\n$/)
  })
  it("lints the shipped starter ruleset without errors", () => {
    const r = ssg("lint", "--rules", join(ROOT, "rules"))
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^7 file\(s\) valid, 0 errors, \d+ warning\(s\) — \d+\/\d+ rule\(s\) native-compatible$/m)
  })
})

describe("ssg format", () => {
  it("rewrites a file in canonical form, atomically, and is idempotent", () => {
    write(".sigmashake/rules/messy.rules", MESSY)
    const first = ssg("format")
    expect(first).toEqual({ code: 0, stdout: "formatted .sigmashake/rules/messy.rules\n1 file(s) formatted, 0 unchanged\n", stderr: "" })
    expect(read(".sigmashake/rules/messy.rules")).toBe(MESSY_FORMATTED)
    expect(readdirSync(join(sb.cwd, ".sigmashake/rules"))).toEqual(["messy.rules"])
    expect(ssg("format").stdout).toBe("0 file(s) formatted, 1 unchanged\n")
    expect(read(".sigmashake/rules/messy.rules")).toBe(MESSY_FORMATTED)
  })
  it("--check exits 1 and writes nothing; --diff prints the change and writes nothing", () => {
    write("r/messy.rules", MESSY)
    const check = ssg("format", "--check", "--rules", "r")
    expect(check.code).toBe(1)
    expect(check.stdout).toBe("would reformat r/messy.rules\n")
    const diff = ssg("format", "--diff", "r/messy.rules")
    expect(diff.code).toBe(0)
    expect(diff.stdout).toMatch(/^--- a\/r\/messy\.rules\n\+\+\+ b\/r\/messy\.rules\n@@ /)
    expect(diff.stdout).toContain("+  severity warning")
    expect(read("r/messy.rules")).toBe(MESSY)
    write("r/messy.rules", MESSY_FORMATTED)
    expect(ssg("format", "--check", "--rules", "r")).toEqual({ code: 0, stdout: "", stderr: "" })
  })
  it("splits a rule with more than 16 OR groups into parts", () => {
    const ors = Array.from({ length: 19 }, (_, i) => `  OR command CONTAINS "c${i}"`).join("\n")
    write("r/big.rules", `rule big {\n  DENY execution\n  IF command CONTAINS "start"\n${ors}\n  MESSAGE "m"\n}\n`)
    const r = ssg("format", "--rules", "r")
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("split big into 2 parts")
    const text = read("r/big.rules")
    expect(text).toMatch(/^rule big-part-1 \{$/m)
    expect(text).toMatch(/^rule big-part-2 \{$/m)
    expect(ssg("lint", "--rules", "r").code).toBe(0)
  })
  it("refuses, writing nothing at all, on a parse error or an AND group over 8 conditions", () => {
    write("r/a-messy.rules", MESSY)
    write("r/b-broken.rules", `rule x {\n  DENY execution\n  IF command CONTAINS "a\n}\n`)
    const broken = ssg("format", "--rules", "r")
    expect(broken.code).toBe(2)
    expect(broken.stderr).toBe("ssg: r/b-broken.rules:3:23: unterminated string (nothing was written)\n")
    expect(read("r/a-messy.rules")).toBe(MESSY)

    const ands = Array.from({ length: 9 }, (_, i) => `command CONTAINS "c${i}"`).join(" AND ")
    write("r/b-broken.rules", `rule wide {\n  DENY execution\n  IF ${ands}\n  MESSAGE "m"\n}\n`)
    const wide = ssg("format", "--rules", "r")
    expect(wide.code).toBe(2)
    expect(wide.stderr).toMatch(/^ssg: r\/b-broken\.rules:1:1: .*wide.*9.*\(nothing was written\)\n$/)
    expect(read("r/a-messy.rules")).toBe(MESSY)
  })
})

describe("the command line", () => {
  it("--version and --help", () => {
    expect(ssg("--version")).toMatchObject({ code: 0, stdout: "0.1.0\n" })
    const help = ssg("--help")
    expect(help.code).toBe(0)
    for (const name of ["eval", "test-rule", "lint", "format", "new", "list", "rule", "dedupe", "check", "demo"]) {
      expect(help.stdout).toContain(name)
    }
    for (const name of ["eval", "lint", "format", "rule"]) expect(ssg(name, "--help").code).toBe(0)
  })
  it("usage errors are one line on stderr with exit 2", () => {
    for (const args of [["eval", "--bogus"], ["frobnicate"], ["test-rule"], ["new", "--name", "x"]]) {
      const r = ssg(...args)
      expect(r.code).toBe(2)
      expect(r.stdout).toBe("")
      expect(r.stderr).toMatch(/^ssg: \S.*\n$/)
    }
  })
  it("demo evaluates the sample calls against the starter ruleset, showing every decision", () => {
    const r = ssg("demo")
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^lint: 7 file\(s\) valid, 0 errors/m)
    for (const d of ["block", "allow", "log", "shadow", "ask", "force"]) expect(r.stdout).toMatch(new RegExp(`^\\s+\\d+ .* ${d} `, "m"))
    expect(r.stdout).toMatch(/^30 calls: /m)
  })
})
