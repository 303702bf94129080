import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { useCliSandbox } from "../support/cli.js"

const sb = useCliSandbox("ssg-suggest")

const evaluate = (tool: string, input: Record<string, unknown>) => {
  const r = sb.ssgWithInput(JSON.stringify({ tool, input }), "eval")
  expect(r.code).toBe(0)
}

describe("ssg suggest", () => {
  it("groups unmatched calls, proposes lint-clean rules, and --write saves files ssg lint and format --check accept", () => {
    expect(sb.ssg("init", "--client", "claude-code").code).toBe(0)
    evaluate("Bash", { command: "npm test" })
    evaluate("Bash", { command: "npm test -- --coverage" })
    evaluate("Bash", { command: 'echo "it\'s \\"quoted\\" \\\\ ünï"' })
    evaluate("Bash", { command: "rm -rf /" })
    evaluate("Read", { file_path: "src/index.ts" })
    const r = sb.ssg("suggest", "--json")
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as { last: number; unmatched: number; groups: Array<Record<string, any>> }
    expect(report.last).toBe(100)
    expect(report.unmatched).toBe(4)
    expect(report.groups.map((g) => [g["tool"], g["pattern"], g["count"], g["rule_id"], g["file"]])).toEqual([
      ["Bash", "npm test", 2, "suggested-bash-npm-test", null],
      ["Read", "*.ts", 1, "suggested-read-ts", null],
      ["Bash", "echo", 1, "suggested-bash-echo", null]
    ])
    expect(report.groups[0]!["examples"]).toEqual(["npm test", "npm test -- --coverage"])
    expect(report.groups[0]!["rule"]).toContain('IF command EQUALS "npm test"')

    const written = sb.ssg("suggest", "--write")
    expect(written.code).toBe(0)
    expect(written.stdout).toContain("→ wrote .sigmashake/rules/suggested/suggested-bash-npm-test.rules")
    const dir = join(sb.cwd, ".sigmashake", "rules", "suggested")
    expect(readdirSync(dir).sort()).toEqual(["suggested-bash-echo.rules", "suggested-bash-npm-test.rules", "suggested-read-ts.rules"])
    const lint = sb.ssg("lint", ".sigmashake/rules/suggested")
    expect(lint.stdout).toContain("3 file(s) valid, 0 errors")
    expect(lint.code).toBe(0)
    expect(sb.ssg("format", "--check", ".sigmashake/rules/suggested").code).toBe(0)

    evaluate("Bash", { command: "npm test" })
    const logged = JSON.parse(sb.ssg("audit", "log", "--json", "--type", "v1.EvalDecided").stdout) as Array<{ data: { decision: string; rule_id: string } }>
    expect(logged[logged.length - 1]!.data).toMatchObject({ decision: "log", rule_id: "suggested-bash-npm-test" })
  })

  it("leaves out groups whose suggested rule is already in the rule set; never overwrites a file with other content", () => {
    evaluate("Bash", { command: "make build" })
    evaluate("Bash", { command: "cargo test" })
    expect(sb.ssg("suggest", "--write").code).toBe(0)
    const suggested = join(sb.cwd, ".sigmashake", "rules", "suggested")
    expect(readdirSync(suggested).sort()).toEqual(["suggested-bash-cargo-test.rules", "suggested-bash-make-build.rules"])
    const again = JSON.parse(sb.ssg("suggest", "--json").stdout) as { unmatched: number; groups: Array<unknown> }
    expect(again.groups).toEqual([])

    const path = join(suggested, "suggested-bash-make-build.rules")
    const edited = readFileSync(path, "utf8").replace("rule suggested-bash-make-build {", "rule my-make-build {")
    sb.write(".sigmashake/rules/suggested/suggested-bash-make-build.rules", edited)
    const kept = sb.ssg("suggest", "--write")
    expect(kept.code).toBe(0)
    expect(kept.stderr).toContain("ssg: warning: .sigmashake/rules/suggested/suggested-bash-make-build.rules exists with other content; left as it is")
    expect(readFileSync(path, "utf8")).toBe(edited)
    expect(existsSync(join(suggested, "suggested-bash-make-build-2.rules"))).toBe(false)
  })

  it("an empty log, and --last out of range", () => {
    expect(sb.ssg("suggest").stdout).toContain("nothing to suggest")
    expect(JSON.parse(sb.ssg("suggest", "--json").stdout)).toEqual({ last: 100, unmatched: 0, groups: [] })
    const bad = sb.ssg("suggest", "--last=0")
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--last: 0 is out of range")
  })
})
