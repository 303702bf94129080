import { chmodSync, symlinkSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { useCliSandbox } from "../support/cli.js"
import { ssgUnprivileged } from "./unprivileged.js"
import { findOverlaps } from "../../src/cli/dedupe.js"
import { parseRulesFile } from "../../src/domain/rules/Parser.js"

const sb = useCliSandbox("ssg-dedupe")
const { ssg, write } = sb

const rule = (id: string, body: string): string => `rule ${id} {\n${body.trim().replace(/^\s*/gm, "  ")}\n}\n`

const CLEAN = [
  rule("no-rm", `priority 90\nDENY execution\nIF command CONTAINS "rm -rf /"\nMESSAGE "no"`),
  rule("log-src", `LOG write\nIF path CONTAINS "src/"\nMESSAGE "logged"`),
  rule("read-env", `DENY read\nIF path ENDS_WITH ".env"\nMESSAGE "env"`)
].join("\n")

const OVERLAPS = [
  rule("env-any", `priority 100\nDENY any\nIF path ENDS_WITH ".env" AND NOT content CONTAINS "example"\nMESSAGE "a"`),
  rule("env-write", `priority 80\nLOG write\nIF content NOT CONTAINS "example" AND path ENDS_WITH ".env"\nMESSAGE "b"`),
  rule("env-read", `priority 70\nLOG read\nIF path ENDS_WITH ".env"\nOR path ENDS_WITH ".env.local"\nMESSAGE "c"`),
  rule("env-read-narrow", `priority 60\nDENY read\nIF path ENDS_WITH ".env" AND path CONTAINS "prod"\nMESSAGE "d"`),
  rule("env-exec", `priority 100\nDENY execution\nIF path ENDS_WITH ".env"\nMESSAGE "e"`),
  rule("off", `enabled false\npriority 100\nDENY any\nIF path ENDS_WITH ".env"\nMESSAGE "f"`),
  rule("regex-a", `LOG any\nIF command MATCHES "^git"\nMESSAGE "g"`),
  rule("regex-b", `LOG execution\nIF command REGEX "^git"\nMESSAGE "h"`)
].join("\n")

describe("findOverlaps", () => {
  it("finds identical pairs, subsumptions and the winner by evaluation order", () => {
    const file = parseRulesFile(OVERLAPS, "o.rules")
    expect(file.diagnostics).toEqual([])
    const report = findOverlaps(file.rules, file.rules)
    expect(report.duplicateIds).toEqual([])
    expect(report.identical.map((p) => [p.first.id, p.second.id, p.winner.id])).toEqual([
      ["env-any", "env-write", "env-any"],
      ["regex-a", "regex-b", "regex-a"]
    ])
    expect(report.subsumed.map((s) => [s.rule.id, s.by.id, s.winner.id, s.neverDecides])).toEqual([
      ["env-read-narrow", "env-read", "env-read", false]
    ])
  })

  it("stays fast on a few thousand rules", () => {
    const text = Array.from({ length: 2500 }, (_, i) =>
      rule(
        `r${i}`,
        `DENY write\nIF path ENDS_WITH ".t${i % 50}" AND content CONTAINS "k${i}"\n` +
          `OR content CONTAINS "z${i}"\nMESSAGE "m"`
      )
    ).join("\n")
    const file = parseRulesFile(text, "big.rules")
    const start = performance.now()
    const report = findOverlaps(file.rules, file.rules)
    expect(performance.now() - start).toBeLessThan(2000)
    expect(report.identical).toEqual([])
    expect(report.subsumed).toEqual([])
  })
})

describe("ssg dedupe", () => {
  it("exits 0 and prints a summary when nothing overlaps", () => {
    write("rules/a.rules", CLEAN)
    const r = ssg("dedupe", "--rules", "rules")
    expect(r.code).toBe(0)
    expect(r.stderr).toBe("")
    expect(r.stdout).toBe("0 duplicate id(s), 0 identical pair(s), 0 subsumed pair(s) among 3 rule(s)\n")
    const j = ssg("dedupe", "--json", "--rules", "rules")
    expect(j.code).toBe(0)
    expect(JSON.parse(j.stdout)).toEqual({ duplicate_ids: [], identical: [], subsumed: [] })
  })

  it("reports duplicate ids with every location (exit 1)", () => {
    const a = write("rules/a.rules", CLEAN)
    const copy = rule("no-rm", `DENY execution\nIF command CONTAINS "rm -rf ~"\nMESSAGE "x"`)
    const b = write("rules/b.rules", `# copy\n${copy}`)
    const c = write("rules/sub/c.rules", rule("no-rm", `LOG execution\nIF command CONTAINS "rm"\nMESSAGE "y"`))
    const r = ssg("dedupe", "--rules", "rules")
    expect(r.code).toBe(1)
    expect(r.stdout).toBe(
      "duplicate-id: no-rm (rules/a.rules:1) also defined at rules/b.rules:2, rules/sub/c.rules:1\n" +
        "1 duplicate id(s), 0 identical pair(s), 0 subsumed pair(s) among 3 rule(s)\n"
    )
    expect(r.stderr).toBe("ssg: dedupe found 1 overlap(s)\n")
    const j = ssg("dedupe", "--json", "--rules", "rules")
    expect(j.code).toBe(1)
    expect(JSON.parse(j.stdout)).toEqual({
      duplicate_ids: [
        {
          id: "no-rm",
          locations: [
            { file: a, line: 1 },
            { file: b, line: 2 },
            { file: c, line: 1 }
          ]
        }
      ],
      identical: [],
      subsumed: []
    })
  })

  it("reports identical and subsumed rules, ignoring disabled ones, and takes rule files as arguments", () => {
    const o = write("policy/o.rules", OVERLAPS)
    const r = ssg("dedupe", "policy/o.rules")
    expect(r.code).toBe(1)
    expect(r.stdout.split("\n")).toEqual([
      "identical: env-write (policy/o.rules:8) has the same conditions as env-any (policy/o.rules:1); " +
        "env-any priority 100 DENY vs env-write priority 80 LOG; env-any evaluates first",
      "identical: regex-b (policy/o.rules:51) has the same conditions as regex-a (policy/o.rules:45); " +
        "regex-a priority 50 LOG vs regex-b priority 50 LOG; regex-a evaluates first",
      "subsumed: env-read-narrow (policy/o.rules:23) only matches where env-read (policy/o.rules:15) matches; " +
        "env-read priority 70 LOG vs env-read-narrow priority 60 DENY; env-read evaluates first",
      "0 duplicate id(s), 2 identical pair(s), 1 subsumed pair(s) among 8 rule(s)",
      ""
    ])
    const j = JSON.parse(ssg("dedupe", "--json", "policy").stdout) as Record<string, unknown>
    expect(j["subsumed"]).toEqual([
      {
        rule: { id: "env-read-narrow", file: o, line: 23, priority: 60, decision: "block", target: "read" },
        by: { id: "env-read", file: o, line: 15, priority: 70, decision: "log", target: "read" },
        winner: "env-read",
        never_decides: false
      }
    ])
    expect((j["identical"] as Array<{ winner: string }>).map((p) => p.winner)).toEqual(["env-any", "regex-a"])
  })

  it("says when a subsumed rule can never decide", () => {
    write("rules/a.rules", [
      rule("broad", `priority 100\nDENY write\nIF path ENDS_WITH ".pem"\nMESSAGE "a"`),
      rule(
        "narrow",
        `priority 50\nASK write\nIF path ENDS_WITH ".pem" AND content CONTAINS "PRIVATE"\nMESSAGE "b"\nPROMPT "b"`
      )
    ].join("\n"))
    const r = ssg("dedupe", "--rules", "rules")
    expect(r.code).toBe(1)
    expect(r.stdout.split("\n")[0]).toBe(
      "subsumed: narrow (rules/a.rules:8) only matches where broad (rules/a.rules:1) matches; " +
        "broad priority 100 DENY vs narrow priority 50 ASK; broad evaluates first, so narrow never decides"
    )
  })

  it("skips files with parse errors, warning about each on stderr, and still reports the rest", () => {
    write("rules/a.rules", "rule x {\n  DENY any\n}\n")
    write("rules/b.rules", CLEAN)
    write("rules/c.rules", `${rule("no-rm", `DENY execution\nIF command CONTAINS "rm"\nMESSAGE "x"`)}rule y {\n`)
    const clean = ssg("dedupe", "--rules", "rules")
    expect(clean).toEqual({
      code: 0,
      stdout: "0 duplicate id(s), 0 identical pair(s), 0 subsumed pair(s) among 3 rule(s)\n",
      stderr:
        "ssg: warning: rules/a.rules:1:1: rule `x` has no `IF` condition (file skipped)\n" +
        "ssg: warning: rules/c.rules:6:1: rule `y` is not closed: expected a `}` line (file skipped)\n"
    })
    write("rules/d.rules", rule("no-rm", `LOG execution\nIF command CONTAINS "rm"\nMESSAGE "y"`))
    const found = ssg("dedupe", "--rules", "rules")
    expect(found.code).toBe(1)
    expect(found.stdout).toBe(
      "duplicate-id: no-rm (rules/b.rules:1) also defined at rules/d.rules:1\n" +
        "1 duplicate id(s), 0 identical pair(s), 0 subsumed pair(s) among 3 rule(s)\n"
    )
    expect(found.stderr).toBe(
      "ssg: warning: rules/a.rules:1:1: rule `x` has no `IF` condition (file skipped)\n" +
        "ssg: warning: rules/c.rules:6:1: rule `y` is not closed: expected a `}` line (file skipped)\n" +
        "ssg: dedupe found 1 overlap(s)\n"
    )
  })
})

const AWS_RULES = [
  rule(
    "no-aws-keys",
    "priority 100\nseverity error\nDENY write\n" +
      `IF content REGEX "AKIA[0-9A-Z]{16}"\nMESSAGE "AWS access key in \${input.file_path}"`
  ),
  rule("log-env-reads", `LOG read\nIF path ENDS_WITH ".env"\nMESSAGE "env file"`),
  rule("off", `enabled false\nDENY any\nIF path CONTAINS "/"\nMESSAGE "disabled"`)
].join("\n")

const KEY = "AKIA" + "ABCDEFGHIJKLMNOP"

describe("ssg check", () => {
  it("reports a blocking violation for a fake AWS key (exit 1)", () => {
    write("policy/aws.rules", AWS_RULES)
    const secret = write("project/src/config.ts", `export const key = "${KEY}"\n`)
    write("project/README.md", "# hello\n")
    const r = ssg("check", "project", "--rules", "policy")
    expect(r.code).toBe(1)
    expect(r.stdout).toBe(
      `project/src/config.ts: block no-aws-keys — AWS access key in ${secret}\n` +
        "1 violation(s) in 2 file(s) (1 blocking)\n"
    )
    expect(r.stderr).toBe("ssg: 1 blocking violation(s)\n")
    const j = ssg("check", "--json", "--rules", "policy", "project")
    expect(j.code).toBe(1)
    expect(JSON.parse(j.stdout)).toEqual({
      violations: [
        {
          file: secret,
          rule_id: "no-aws-keys",
          decision: "block",
          severity: "error",
          message: `AWS access key in ${secret}`,
          capability: "write"
        }
      ],
      files_scanned: 2
    })
  })

  it("exits 0 on a clean project and when only non-blocking rules match", () => {
    write("policy/aws.rules", AWS_RULES)
    write("project/src/main.ts", "console.log('hi')\n")
    const clean = ssg("check", "project", "--rules", "policy")
    expect(clean.code).toBe(0)
    expect(clean.stderr).toBe("")
    expect(clean.stdout).toBe("0 violation(s) in 1 file(s) (0 blocking)\n")
    const env = write("project/.env", "A=1\n")
    const logged = ssg("check", "project", "--json", "--rules", "policy")
    expect(logged.code).toBe(0)
    expect(JSON.parse(logged.stdout)).toEqual({
      violations: [
        {
          file: env,
          rule_id: "log-env-reads",
          decision: "log",
          severity: "warning",
          message: "env file",
          capability: "read"
        }
      ],
      files_scanned: 2
    })
  })

  it("skips .git, node_modules, .sigmashake, binary and oversized files", () => {
    write("policy/aws.rules", AWS_RULES)
    write("project/.git/config", KEY)
    write("project/node_modules/pkg/index.js", KEY)
    write("project/.sigmashake/rules/keys.txt", KEY)
    write("project/blob.bin", Buffer.concat([Buffer.from(KEY), Buffer.from([0])]))
    write("project/huge.txt", KEY + "x".repeat(1024 * 1024))
    write("project/ok.txt", "nothing here\n")
    const r = ssg("check", "project", "--json", "--rules", "policy")
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ violations: [], files_scanned: 1 })
  })

  it("checks single files and uses the default rule directories", () => {
    write(".sigmashake/rules/aws.rules", AWS_RULES)
    write("a.txt", KEY)
    const r = ssg("check", "a.txt")
    expect(r.code).toBe(1)
    expect(r.stdout.split("\n")[0]).toBe(`a.txt: block no-aws-keys — AWS access key in ${join(sb.cwd, "a.txt")}`)
    const missing = ssg("check", "nope.txt")
    expect(missing.code).toBe(2)
    expect(missing.stderr).toBe(`ssg: no such file or directory: ${join(sb.cwd, "nope.txt")}\n`)
  })
  it("decides each Write and Read call as eval does: ALLOW exceptions win, one line per rule and file", () => {
    write(
      "policy/env.rules",
      [
        rule("allow-env-example", `priority 100\nALLOW any\nIF path GLOB "*.env.example"\nMESSAGE "template"`),
        rule(
          "ask-deploy",
          `priority 60\nASK write\nIF content CONTAINS "deploy"\nMESSAGE "deploy in \${input.file_path}?"\nPROMPT "ok?"`
        ),
        rule("no-env", `priority 50\nseverity error\nDENY any\nIF path GLOB "*.env*"\nMESSAGE "env file"`),
        rule("log-md", `LOG write\nIF path ENDS_WITH ".md"\nMESSAGE "markdown"`)
      ].join("\n")
    )
    const env = write("project/.env", "A=1\n")
    write("project/.env.example", "A=\n")
    const readme = write("project/README.md", "# how to deploy\n")
    const notes = write("project/notes.md", "hello\n")
    const r = ssg("check", "project", "--rules", "policy")
    expect(r).toEqual({
      code: 1,
      stdout:
        "project/.env: block no-env — env file\n" +
        `project/README.md: ask ask-deploy — deploy in ${readme}?\n` +
        "project/notes.md: log log-md — markdown\n" +
        "3 violation(s) in 4 file(s) (1 blocking)\n",
      stderr: "ssg: 1 blocking violation(s)\n"
    })
    expect(JSON.parse(ssg("check", "project", "--json", "--rules", "policy").stdout)).toEqual({
      violations: [
        {
          file: env,
          rule_id: "no-env",
          decision: "block",
          severity: "error",
          message: "env file",
          capability: "write+read"
        },
        {
          file: readme,
          rule_id: "ask-deploy",
          decision: "ask",
          severity: "warning",
          message: `deploy in ${readme}?`,
          capability: "write"
        },
        {
          file: notes,
          rule_id: "log-md",
          decision: "log",
          severity: "warning",
          message: "markdown",
          capability: "write"
        }
      ],
      files_scanned: 4
    })
    const nonBlocking = ssg("check", "project/README.md", "project/.env.example", "--rules", "policy")
    expect(nonBlocking).toEqual({
      code: 0,
      stdout: `project/README.md: ask ask-deploy — deploy in ${readme}?\n1 violation(s) in 2 file(s) (0 blocking)\n`,
      stderr: ""
    })
  })

  it("follows no symlink out of the scanned roots, survives cycles and scans each real file once", () => {
    write("policy/aws.rules", AWS_RULES)
    const config = write("project/src/config.ts", `export const key = "${KEY}"\n`)
    write("outside/secret.ts", KEY)
    symlinkSync(join(sb.cwd, "outside"), join(sb.cwd, "project", "out-dir"))
    symlinkSync(join(sb.cwd, "outside", "secret.ts"), join(sb.cwd, "project", "out-file.ts"))
    symlinkSync("src/config.ts", join(sb.cwd, "project", "a-alias.ts"))
    symlinkSync("..", join(sb.cwd, "project", "src", "loop"))
    symlinkSync("nowhere.ts", join(sb.cwd, "project", "dangling.ts"))
    const expected = {
      violations: [
        {
          file: config,
          rule_id: "no-aws-keys",
          decision: "block",
          severity: "error",
          message: `AWS access key in ${config}`,
          capability: "write"
        }
      ],
      files_scanned: 1
    }
    const r = ssg("check", "project", "--json", "--rules", "policy")
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toEqual(expected)
    const twice = ssg("check", "project", "project/src/config.ts", "project/a-alias.ts", "--json", "--rules", "policy")
    expect(JSON.parse(twice.stdout)).toEqual(expected)
    const explicit = JSON.parse(ssg("check", "project/out-file.ts", "--json", "--rules", "policy").stdout) as {
      files_scanned: number
    }
    expect(explicit.files_scanned).toBe(1)
  })

  it("warns about an unreadable file, counts it and still applies path-only rules to its Read call", () => {
    write(
      "policy/p.rules",
      AWS_RULES + rule("no-locked", `DENY read\nIF path ENDS_WITH "locked.txt"\nMESSAGE "locked file"`)
    )
    const locked = write("project/locked.txt", KEY)
    chmodSync(locked, 0o000)
    write("project/ok.txt", "fine\n")
    const r = ssgUnprivileged(sb, "check", "project", "--json", "--rules", "policy")
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      "ssg: warning: cannot read project/locked.txt: EACCES: permission denied\nssg: 1 blocking violation(s)\n"
    )
    expect(JSON.parse(r.stdout)).toEqual({
      violations: [
        {
          file: locked,
          rule_id: "no-locked",
          decision: "block",
          severity: "warning",
          message: "locked file",
          capability: "read"
        }
      ],
      files_scanned: 2
    })
  })
})
