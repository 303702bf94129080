import { describe, expect, it } from "vitest"
import { parseRulesFile, tokenizeLine } from "../../../src/domain/rules/Parser.js"
import type { Atom, Rule } from "../../../src/domain/rules/Rule.js"

const one = (body: string, header = "rule r1 {"): Rule => {
  const file = parseRulesFile(`${header}\n${body}\n}\n`, "t.rules")
  expect(file.diagnostics).toEqual([])
  expect(file.rules).toHaveLength(1)
  return file.rules[0]!
}

const groups = (rule: Rule): Array<Array<string>> =>
  rule.groups.map((g) => g.map((a: Atom) => `${a.negated ? "!" : ""}${a.field} ${a.operator} ${a.value}`))

const cond = (condition: string): Array<Array<string>> => groups(one(`  DENY any\n  ${condition}\n  MESSAGE "m"`))

describe("strings", () => {
  it("decodes \\\\ and \\\" and keeps any other escape as two characters", () => {
    const t = tokenizeLine(String.raw`IF command REGEX "a\\b\"c\s\-\n\u202a"`, 1)
    expect(t.tokens[3]!.text).toBe('a\\b"c\\s\\-\\n\\u202a')
  })
  it("never trims string values", () => {
    expect(cond(`IF command CONTAINS " sudo "`)).toEqual([["command CONTAINS  sudo "]].map((g) => g.map((s) => s.slice(0, -1) + " ")))
  })
  it("keeps # inside strings and strips trailing comments", () => {
    const rule = one(`  DENY any\n  IF content LINE_REGEX "^[^#].*" # trailing note\n  MESSAGE "m # not a comment"`)
    expect(rule.groups[0]![0]!.value).toBe("^[^#].*")
    expect(rule.message).toBe("m # not a comment")
    expect(rule.body.find((b) => b.key === "condition")!.trailingComment).toBe("# trailing note")
  })
  it("reports an unterminated string at its opening quote", () => {
    const file = parseRulesFile(`rule x {\n  DENY any\n  IF content CONTAINS "v-html=""\n  MESSAGE "m"\n}\n`, "f.rules")
    expect(file.rules).toEqual([])
    expect(file.diagnostics.map((d) => [d.line, d.column, d.code])).toEqual([[3, 32, "parse.unterminated-string"]])
  })
  it("points at an unescaped inner quote", () => {
    const file = parseRulesFile(`rule x {\n  DENY any\n  IF content CONTAINS "a "shell""\n}\n`, "f.rules")
    expect(file.diagnostics).toHaveLength(1)
    expect(file.diagnostics[0]).toMatchObject({ line: 3, column: 27, code: "parse.condition" })
    expect(file.diagnostics[0]!.message).toContain("unescaped quote")
  })
})

describe("operators and fields", () => {
  it.each([
    "CONTAINS",
    "STARTS_WITH",
    "ENDS_WITH",
    "EQUALS",
    "REGEX",
    "MATCHES",
    "WORD",
    "GLOB",
    "LINE_REGEX",
    "LINE_CONTAINS"
  ])("parses %s case-insensitively", (op) => {
    expect(cond(`IF command ${op.toLowerCase()} "x"`)).toEqual([[`command ${op} x`]])
  })
  it("accepts core fields case-insensitively and input.<key> with its case", () => {
    expect(cond(`IF Command CONTAINS "a" AND input.Agent_model EQUALS "b" AND TOOL EQUALS "c"`)).toEqual([
      ["command CONTAINS a", "input.Agent_model EQUALS b", "tool EQUALS c"]
    ])
  })
  it("rejects unknown fields and operators with their column", () => {
    const file = parseRulesFile(`rule x {\n  DENY any\n  IF cmd CONTAINS "a"\n}\nrule y {\n  DENY any\n  IF command HAS "a"\n}\n`, "f")
    expect(file.diagnostics.map((d) => [d.line, d.column, d.code])).toEqual([
      [3, 6, "parse.unknown-field"],
      [7, 14, "parse.unknown-operator"]
    ])
  })
})

describe("negation", () => {
  it("infix NOT negates the atom", () => {
    expect(cond(`IF content NOT CONTAINS "set -e"`)).toEqual([["!content CONTAINS set -e"]])
  })
  it("prefix NOT negates the atom", () => {
    expect(cond(`IF NOT content CONTAINS "rel"`)).toEqual([["!content CONTAINS rel"]])
  })
  it("NOT before parentheses is pushed down with De Morgan", () => {
    expect(cond(`IF NOT (command CONTAINS "a" OR command CONTAINS "b")`)).toEqual([["!command CONTAINS a", "!command CONTAINS b"]])
    expect(cond(`IF NOT (command CONTAINS "a" AND command CONTAINS "b")`)).toEqual([["!command CONTAINS a"], ["!command CONTAINS b"]])
  })
  it("double negation cancels", () => {
    expect(cond(`IF NOT command NOT CONTAINS "a"`)).toEqual([["command CONTAINS a"]])
  })
})

describe("precedence", () => {
  it("AND binds tighter than OR on one line", () => {
    expect(cond(`IF path GLOB "a" OR path GLOB "b" AND content CONTAINS "c"`)).toEqual([
      ["path GLOB a"],
      ["path GLOB b", "content CONTAINS c"]
    ])
  })
  it("line keywords join the same token stream: an AND line binds only to the last OR group", () => {
    const rule = one(`  ASK any\n  IF tool CONTAINS "github_"\n  OR tool CONTAINS "gitlab_"\n  AND tool CONTAINS "delete_branch"\n  PROMPT "p"`)
    expect(groups(rule)).toEqual([["tool CONTAINS github_"], ["tool CONTAINS gitlab_", "tool CONTAINS delete_branch"]])
  })
  it("parentheses group and distribute over OR (nested depth 3)", () => {
    expect(
      cond(`IF path GLOB "**/*" AND (content CONTAINS "a" OR (content CONTAINS "b" AND (content CONTAINS "c" OR content CONTAINS "d")))`)
    ).toEqual([
      ["path GLOB **/*", "content CONTAINS a"],
      ["path GLOB **/*", "content CONTAINS b", "content CONTAINS c"],
      ["path GLOB **/*", "content CONTAINS b", "content CONTAINS d"]
    ])
  })
  it("parentheses stick to neighbouring tokens", () => {
    expect(cond(`IF (tool EQUALS "A" OR tool EQUALS "B")AND(command CONTAINS "x")`)).toEqual([
      ["tool EQUALS A", "command CONTAINS x"],
      ["tool EQUALS B", "command CONTAINS x"]
    ])
  })
  it("reports parentheses and NOT nested more than 64 deep at the token past the limit, without overflowing", () => {
    const deep = (n: number): string => `${"(".repeat(n)}command CONTAINS "x"${")".repeat(n)}`
    expect(cond(`IF ${deep(64)}`)).toEqual([["command CONTAINS x"]])
    for (const n of [65, 20000]) {
      const file = parseRulesFile(`rule x {\n  DENY any\n  IF ${deep(n)}\n}\n`, "f")
      expect(file.rules).toEqual([])
      expect(file.diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual([
        ["parse.too-deep", 3, 6 + 64, "parentheses nested more than 64 deep"]
      ])
    }
    expect(cond(`IF ${"NOT ".repeat(64)}command CONTAINS "x"`)).toEqual([["command CONTAINS x"]])
    const nots = parseRulesFile(`rule x {\n  DENY any\n  IF ${"NOT ".repeat(20000)}command CONTAINS "x"\n}\n`, "f")
    expect(nots.diagnostics.map((d) => [d.code, d.column, d.message])).toEqual([
      ["parse.too-deep", 6 + 64 * 4, "NOT nested more than 64 deep"]
    ])
  })
  it("reports a missing closing parenthesis", () => {
    const file = parseRulesFile(`rule x {\n  DENY any\n  IF (command CONTAINS "a"\n}\n`, "f")
    expect(file.diagnostics.map((d) => d.code)).toEqual(["parse.paren"])
  })
})

describe("rule structure", () => {
  it("accepts body lines in any order, with defaults for enabled/priority/severity", () => {
    const rule = one(`  MESSAGE "m"\n  IF command CONTAINS "x"\n  ASK execution\n  PROMPT "Allow \${input.command}?"`)
    expect(rule).toMatchObject({ enabled: true, priority: 50, severity: "warning", decision: "ASK", target: "execution" })
    expect(rule.prompt).toBe("Allow ${input.command}?")
    expect(rule.explicit).toEqual({ enabled: false, priority: false, severity: false })
  })
  it("reads every keyword, case-insensitively", () => {
    const rule = one(
      [
        "  ENABLED FALSE",
        "  Priority 95",
        "  severity ERROR",
        "  force Execution",
        '  substitute "Use Read"',
        '  if command STARTS_WITH "cat "',
        '  or command REGEX "^cat$"',
        '  message "m"',
        '  run "notify-send x"',
        '  webhook "https://hooks.example/x"'
      ].join("\n")
    )
    expect(rule).toMatchObject({
      enabled: false,
      priority: 95,
      severity: "error",
      decision: "FORCE",
      target: "execution",
      substitute: "Use Read",
      run: ["notify-send x"],
      webhook: ["https://hooks.example/x"]
    })
    expect(groups(rule)).toEqual([["command STARTS_WITH cat "], ["command REGEX ^cat$"]])
  })
  it("keeps the raw text of each rule for content hashing", () => {
    const text = `# c\nrule a {\n  DENY any\n  IF tool EQUALS "x"\n}\n\nrule b {\n    LOG any\n    IF tool EQUALS "y"\n}`
    const file = parseRulesFile(text, "f")
    expect(file.rules.map((r) => r.rawText)).toEqual([
      `rule a {\n  DENY any\n  IF tool EQUALS "x"\n}`,
      `rule b {\n    LOG any\n    IF tool EQUALS "y"\n}`
    ])
  })
  it("one bad rule never hides the rest of the file", () => {
    const text = [
      "rule good-1 {",
      "  DENY any",
      '  IF tool EQUALS "a"',
      "}",
      "rule bad {",
      "  DENY everything",
      '  IF tool EQUALS "b"',
      "  FROB 1",
      "}",
      "rule good-2 {",
      "  LOG any",
      '  IF tool EQUALS "c"',
      "}"
    ].join("\n")
    const file = parseRulesFile(text, "f.rules")
    expect(file.rules.map((r) => r.id)).toEqual(["good-1", "good-2"])
    expect(file.diagnostics.map((d) => [d.line, d.column, d.code, d.ruleId])).toEqual([
      [6, 8, "parse.target", "bad"],
      [8, 3, "parse.unknown-keyword", "bad"]
    ])
  })
  it("recovers from a rule that is never closed", () => {
    const file = parseRulesFile(`rule a {\n  DENY any\n  IF tool EQUALS "a"\nrule b {\n  DENY any\n  IF tool EQUALS "b"\n}\n`, "f")
    expect(file.rules.map((r) => r.id)).toEqual(["b"])
    expect(file.diagnostics.map((d) => [d.line, d.code])).toEqual([[1, "parse.unclosed-rule"]])
  })
  it("requires a decision and an IF, and rejects repeated keywords", () => {
    const file = parseRulesFile(
      `rule a {\n  IF tool EQUALS "a"\n}\nrule b {\n  DENY any\n}\nrule c {\n  DENY any\n  LOG any\n  IF tool EQUALS "c"\n  MESSAGE "x"\n  MESSAGE "y"\n}\n`,
      "f"
    )
    expect(file.diagnostics.map((d) => [d.line, d.code])).toEqual([
      [1, "parse.missing-decision"],
      [4, "parse.missing-condition"],
      [9, "parse.duplicate-keyword"],
      [12, "parse.duplicate-keyword"]
    ])
  })
  it("rejects OR before IF and a second IF", () => {
    const file = parseRulesFile(`rule a {\n  DENY any\n  OR tool EQUALS "a"\n  IF tool EQUALS "b"\n  IF tool EQUALS "c"\n}\n`, "f")
    expect(file.diagnostics.map((d) => [d.line, d.code])).toEqual([
      [3, "parse.condition-order"],
      [5, "parse.condition-order"]
    ])
  })
  it("reports text outside rules and keeps going", () => {
    const file = parseRulesFile(`hello\nrule a {\n  DENY any\n  IF tool EQUALS "a"\n}\n`, "f")
    expect(file.rules).toHaveLength(1)
    expect(file.diagnostics.map((d) => [d.line, d.column, d.code])).toEqual([[1, 1, "parse.header"]])
  })
  it("tolerates CRLF line endings and a missing final newline", () => {
    const file = parseRulesFile(`rule a {\r\n  DENY any\r\n  IF tool EQUALS "a"\r\n}`, "f")
    expect(file.diagnostics).toEqual([])
    expect(file.rules[0]!.groups[0]![0]!.value).toBe("a")
  })
  it("keeps comments attached to the body line below them", () => {
    const rule = one(`  # why\n  DENY any\n  IF tool EQUALS "a"\n  # closing`)
    expect(rule.body.find((b) => b.key === "decision")!.leadingComments).toEqual(["# why"])
    expect(rule.closingComments).toEqual(["# closing"])
  })
})

describe("condition line keywords", () => {
  it("locates a dangling AND at the next line's keyword, wherever it is indented", () => {
    const file = parseRulesFile(`rule r {\nDENY any\nIF tool EQUALS "a" AND\nOR tool EQUALS "b"\nMESSAGE "m"\n}\n`, "f")
    expect(file.diagnostics.map((d) => [d.line, d.column, d.code, d.message])).toEqual([
      [4, 1, "parse.condition", "expected a condition, got `OR`"]
    ])
  })
})
