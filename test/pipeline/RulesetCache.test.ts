import { afterEach, describe, expect, it } from "vitest"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { compileRuleSet } from "../../src/domain/rules/Evaluate.js"
import { loadRuleset, rulesetContentHash, rulesetDiff } from "../../src/pipeline/RulesetCache.js"

const dirs: Array<string> = []
const fresh = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "ssg-ruleset-"))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const rule = (id: string, word: string) =>
  `rule ${id} {\n  DENY execution\n  IF command CONTAINS "${word}"\n  MESSAGE "no ${word}"\n}\n`

describe("rule set cache", () => {
  it("parses once per content, keys the cache by the files' bytes and hashes rules as the reference defines", () => {
    const home = fresh()
    const rules = join(fresh(), "rules")
    mkdirSync(join(rules, "nested"), { recursive: true })
    writeFileSync(join(rules, "b.rules"), rule("zeta", "shred") + "# a comment\n" + rule("alpha", "mkfs"))
    writeFileSync(join(rules, "nested", "a.rules"), rule("mid", "dd"))
    const first = loadRuleset(home, [rules, join(home, "missing")])
    expect(first.errors).toEqual([])
    expect(first.files).toBe(2)
    expect(first.rules.map((r) => r.id)).toEqual(["zeta", "alpha", "mid"])
    const expected = createHash("sha256")
      .update([rule("alpha", "mkfs"), rule("mid", "dd"), rule("zeta", "shred")].map((t) => t.trimEnd()).join("\n---\n"))
      .digest("hex")
    expect(first.contentSha256).toBe(expected)
    expect(rulesetContentHash(first.rules)).toBe(expected)
    expect(readdirSync(join(home, "cache", "rulesets"))).toEqual([`${first.filesSha256}.json`])
    const cached = loadRuleset(home, [rules])
    expect({ ...cached, rules: [] }).toEqual({ ...first, dirs: [rules], rules: [] })
    expect(cached.rules.map((r) => [r.id, r.decision, r.target, r.message, r.groups])).toEqual(
      first.rules.map((r) => [r.id, r.decision, r.target, r.message, r.groups])
    )
    const set = compileRuleSet(cached.rules, { facts: cached.facts })
    expect(set.evaluate({ tool: "Bash", input: { command: "dd if=/dev/zero" } }, "execute").decisive?.rule.id).toBe("mid")

    writeFileSync(join(rules, "b.rules"), rule("zeta", "shred") + "\n" + rule("alpha", "mkfs"))
    const comments = loadRuleset(home, [rules])
    expect(comments.filesSha256).not.toBe(first.filesSha256)
    expect(comments.contentSha256).toBe(first.contentSha256)
    writeFileSync(join(rules, "nested", "a.rules"), rule("mid", "dd if=") + rule("new-one", "x"))
    const changed = loadRuleset(home, [rules])
    expect(rulesetDiff(first.ruleHashes, changed.ruleHashes)).toEqual({ added: ["new-one"], removed: [], changed: ["mid"] })
    expect(rulesetDiff(changed.ruleHashes, first.ruleHashes)).toEqual({ added: [], removed: ["new-one"], changed: ["mid"] })
    expect(rulesetDiff(null, first.ruleHashes).added).toEqual(["alpha", "mid", "zeta"])
  })

  it("reports broken files as errors instead of throwing, and still caches nothing wrong", () => {
    const home = fresh()
    const rules = join(fresh(), "rules")
    mkdirSync(rules)
    writeFileSync(join(rules, "bad.rules"), 'rule broken {\n  DENY execution\n  IF command CONTAINS "unterminated\n}\n')
    writeFileSync(join(rules, "latin1.rules"), Buffer.from([0x23, 0x20, 0xe9, 0x0a]))
    const loaded = loadRuleset(home, [rules])
    expect(loaded.errors.map((e) => e.file)).toEqual([join(rules, "bad.rules"), join(rules, "latin1.rules")])
    expect(loaded.errors[1]!.message).toMatch(/not valid UTF-8/)
    expect(loadRuleset(home, [rules]).errors).toEqual(loaded.errors)
    expect(existsSync(join(home, "cache", "rulesets", `${loaded.filesSha256}.json`))).toBe(true)
  })
})
