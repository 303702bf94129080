import { chmodSync, readdirSync, symlinkSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { ROOT, useCliSandbox } from "../support/cli.js"
import { parseRulesFile } from "../../src/domain/rules/Parser.js"
import { ssgUnprivileged } from "./unprivileged.js"

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
  it("reports an unreadable or non-UTF-8 rules file as an error in its place and lints the rest", () => {
    write("r/a.rules", GOOD)
    const locked = write("r/b-locked.rules", GOOD.replace("ok-1", "ok-2"))
    chmodSync(locked, 0o000)
    const dangling = join(sb.cwd, "r", "c-dangling.rules")
    symlinkSync("gone.rules", dangling)
    write("r/d-latin1.rules", Buffer.concat([Buffer.from("# caf"), Buffer.from([0xe9]), Buffer.from(`\n${GOOD}`)]))
    const r = ssgUnprivileged(sb, "lint", "--rules", "r")
    expect(r).toEqual({
      code: 1,
      stdout:
        `r/b-locked.rules:1:1: error: cannot read ${locked}: EACCES: permission denied\n` +
        `r/c-dangling.rules:1:1: error: cannot read ${dangling}: ENOENT: no such file or directory\n` +
        "r/d-latin1.rules:1:6: error: not valid UTF-8 (byte 0xE9 at offset 5); none of this file's rules were loaded\n" +
        "1 file(s) valid, 3 errors, 0 warning(s) — 1/1 rule(s) native-compatible\n",
      stderr: ""
    })
  })

  it("lints the shipped starter ruleset without errors", () => {
    const r = ssg("lint", "--rules", join(ROOT, "rules"))
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^7 file\(s\) valid, 0 errors, \d+ warning\(s\) — \d+\/\d+ rule\(s\) native-compatible$/m)
  })
})

const BIG_ORS = Array.from({ length: 19 }, (_, i) => `  OR command CONTAINS "c${i}"`).join("\n")

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
  it("keeps the comments of a split rule's condition lines in the file, directly above the first part", () => {
    write(
      "r/big.rules",
      "rule first {\n  LOG any\n  IF tool EQUALS \"x\"\n}\n" +
        `rule big { # header\n  DENY execution\n  # why start\n  IF command CONTAINS "start" # trailing\n${BIG_ORS}\n` +
        '  # about the message\n  MESSAGE "m"\n}\n'
    )
    expect(ssg("format", "--rules", "r").code).toBe(0)
    const lines = read("r/big.rules").split("\n")
    const part1 = lines.indexOf("rule big-part-1 { # header")
    expect(lines.slice(part1 - 3, part1)).toEqual(["", "# why start", "# trailing"])
    expect(lines.slice(0, part1 - 3).join("\n")).toMatch(/^rule first \{\n[^]*\n\}$/)
    expect(lines).toContain("  # about the message")
    const reparsed = parseRulesFile(read("r/big.rules"), "big.rules")
    expect(reparsed.diagnostics).toEqual([])
    expect(reparsed.items.filter((i) => i._tag === "Comment").map((i) => i._tag === "Comment" && [i.text, i.line]))
      .toEqual([
        ["# why start", part1 - 1],
        ["# trailing", part1]
      ])
  })

  it("refuses a split whose part ids already exist, naming both places, and writes nothing", () => {
    const text = `rule big {\n  DENY execution\n  IF command CONTAINS "start"\n${BIG_ORS}\n  MESSAGE "m"\n}\n`
    write("r/a-messy.rules", MESSY)
    write("r/big.rules", text)
    write("r/other.rules", `# taken\nrule big-part-2 {\n  LOG any\n  IF tool EQUALS "x"\n}\n`)
    const r = ssg("format", "--rules", "r")
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "ssg: r/big.rules:1:1: cannot split rule big into 2 parts: big-part-2 is already defined at r/other.rules:2 " +
        "(nothing was written)\n"
    })
    expect(read("r/big.rules")).toBe(text)
    expect(read("r/a-messy.rules")).toBe(MESSY)
    expect(ssg("format", "r/big.rules").code).toBe(0)
  })

  it("prints every refusal, one line each, before failing", () => {
    write("r/a.rules", `rule x {\n  DENY execution\n  IF command CONTAINS "a\n}\n`)
    write("r/b.rules", `rule y {\n  DENY execution\n}\n`)
    const r = ssg("format", "--rules", "r")
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "ssg: r/a.rules:3:23: unterminated string\n" +
        "ssg: r/b.rules:1:1: rule `y` has no `IF` condition (nothing was written)\n"
    })
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
})
