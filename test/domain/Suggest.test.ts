import { describe, expect, it } from "vitest"
import type { Envelope } from "../../src/domain/Event.js"
import { compileRuleSet } from "../../src/domain/rules/Evaluate.js"
import { lintRuleSet } from "../../src/domain/rules/Lint.js"
import { parseRulesFile } from "../../src/domain/rules/Parser.js"
import { suggestionId, suggestionRule, unmatchedGroups } from "../../src/domain/rules/Suggest.js"
import type { Capability } from "../../src/domain/ToolCall.js"

let seq = 0
const decided = (tool: string, capability: string, input_summary: string, rule_id: string | null = null, also: Array<unknown> = []): Envelope => ({
  seq: ++seq,
  id: `e${seq}`,
  timestamp: "2026-11-22T10:00:00.000Z",
  type: "v1.EvalDecided",
  source: { log_id: "l", host: "h", user: "u", client: "c", session: null, cwd: "/" },
  data: { tool, capability, client: "c", decision: "allow", rule_id, also_matched: also, input_summary, input_sha256: "x" }
})

const inputOf = (tool: string, summary: string): Record<string, unknown> =>
  tool === "Bash" ? { command: summary } : tool === "WebFetch" ? { url: summary } : { file_path: summary }

describe("ssg suggest's grouping and rules", () => {
  it("groups unmatched calls by command head (two words for multi-command tools), extension, top directory, host or tool", () => {
    const groups = unmatchedGroups([
      decided("Bash", "execute", "npm test"),
      decided("Bash", "execute", "npm test -- --watch"),
      decided("Bash", "execute", "npm --version"),
      decided("Bash", "execute", "ls -la"),
      decided("Bash", "execute", "rm -rf /", "no-rm"),
      decided("Bash", "execute", "git log", null, [{ rule_id: "log-git", decision: "log" }]),
      decided("Read", "read", "src/a.ts"),
      decided("Read", "read", "/etc/hosts.d/Makefile"),
      decided("WebFetch", "network", "https://docs.example.com/page"),
      decided("Task", "agent", "{}")
    ])
    expect(groups.map((g) => [g.tool, g.pattern, g.count])).toEqual([
      ["Bash", "npm test", 2],
      ["Read", "*.ts", 1],
      ["Read", "/etc/**", 1],
      ["Task", "Task", 1],
      ["WebFetch", "docs.example.com", 1],
      ["Bash", "ls", 1],
      ["Bash", "npm", 1]
    ])
    expect(groups[0]!.examples).toEqual(["npm test", "npm test -- --watch"])
  })

  it("every proposed rule parses, passes lint, matches its group's calls and has an id no rule has", () => {
    const awkward = [
      'echo "a\\"b" \\\\ $HOME [a-z]+ (x|y) ünïcödé ☃',
      "\"quoted cmd\" --flag",
      "weird\\\\name arg",
      "git commit -m 'fix: a \"quote\" and a \\\\ backslash'",
      ".*+?^${}()|[]\\ regex-chars",
      "docker run --rm -it ubuntu"
    ]
    const envelopes = [
      ...awkward.map((c) => decided("Bash", "execute", c)),
      decided("Write", "write", "docs/ünï code/fïlé.MD"),
      decided("Edit", "write", "Makefile"),
      decided("mcp__srv__do_thing", "unknown", '{"a":"b\\"c"}')
    ]
    const taken = new Set(["suggested-bash-echo"])
    for (const group of unmatchedGroups(envelopes)) {
      const id = suggestionId(group, taken)
      expect(id).toMatch(/^suggested-[a-z0-9-]+$/)
      const rule = suggestionRule(group, id)
      expect(rule.ok, `${group.pattern}: ${rule.ok ? "" : rule.problem}`).toBe(true)
      if (!rule.ok) continue
      const file = parseRulesFile(rule.text, `${id}.rules`)
      expect(file.diagnostics).toEqual([])
      expect(lintRuleSet([file]).filter((d) => d.severity === "error")).toEqual([])
      const compiled = compileRuleSet(file.rules)
      for (const example of group.examples) {
        const result = compiled.evaluate({ tool: group.tool, input: inputOf(group.tool, example) }, group.capability as Capability)
        expect(result.decision, `${id} on ${example}`).toBe("log")
      }
    }
    expect(taken.has("suggested-bash-echo-2")).toBe(true)
  })
})
