import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { genericCapability } from "../../src/adapters/Generic.js"
import { compileRuleSet } from "../../src/domain/rules/Evaluate.js"
import { lintRuleSet } from "../../src/domain/rules/Lint.js"
import { parseRulesFile } from "../../src/domain/rules/Parser.js"
import { DECISIONS } from "../../src/domain/rules/Rule.js"
import { STARTER_EXPECTATIONS } from "../support/starter-expectations.js"

const dir = fileURLToPath(new URL("../../rules/", import.meta.url))
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".rules"))
  .sort()
  .map((f) => parseRulesFile(readFileSync(join(dir, f), "utf8"), join(dir, f)))
const rules = files.flatMap((f) => f.rules)

describe("the starter ruleset", () => {
  it("parses and lints with no error", () => {
    expect(files.flatMap((f) => f.diagnostics)).toEqual([])
    expect(lintRuleSet(files).filter((d) => d.severity === "error")).toEqual([])
  })
  it("has 25 or more rules using every decision kind", () => {
    expect(rules.length).toBeGreaterThanOrEqual(25)
    expect(new Set(rules.map((r) => r.decision))).toEqual(new Set(DECISIONS))
  })
  it("decides every expected case, and every rule decides at least one", () => {
    const set = compileRuleSet(rules)
    const got = STARTER_EXPECTATIONS.map(({ call }) => {
      const r = set.evaluate(call, genericCapability(call.tool))
      return { call, decision: r.decision, ruleId: r.decisive?.rule.id ?? null }
    })
    expect(got).toEqual(STARTER_EXPECTATIONS.map(({ call, decision, ruleId }) => ({ call, decision, ruleId })))
    const deciding = new Set(got.map((g) => g.ruleId))
    expect(rules.filter((r) => !deciding.has(r.id)).map((r) => r.id)).toEqual([])
  })
})
