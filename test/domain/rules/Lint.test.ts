import { describe, expect, it } from "vitest"
import {
  formatDiagnostic,
  formatSummary,
  isNativeCompatible,
  LINT_LIMITS,
  lintRuleSet,
  summarizeLint
} from "../../../src/domain/rules/Lint.js"
import { parseRulesFile } from "../../../src/domain/rules/Parser.js"
import type { Diagnostic, RulesFile } from "../../../src/domain/rules/Rule.js"

const file = (lines: ReadonlyArray<string>, path = "t.rules"): RulesFile =>
  parseRulesFile(lines.join("\n") + "\n", path)

const clean = (lines: ReadonlyArray<string>, path = "t.rules"): RulesFile => {
  const f = file(lines, path)
  expect(f.diagnostics).toEqual([])
  return f
}

const rule = (id: string, body: ReadonlyArray<string>): Array<string> => [
  `rule ${id} {`,
  ...body.map((l) => "  " + l),
  "}"
]

const lintOf = (lines: ReadonlyArray<string>): ReadonlyArray<Diagnostic> => lintRuleSet([clean(lines)])

const at = (ds: ReadonlyArray<Diagnostic>): Array<[string, number, number, string]> =>
  ds.map((d) => [d.code, d.line, d.column, d.severity])

const only = (ds: ReadonlyArray<Diagnostic>, code: string): Array<Diagnostic> => ds.filter((d) => d.code === code)

const deny = (condition: ReadonlyArray<string>): Array<string> =>
  rule("r1", ["DENY execution", ...condition, 'MESSAGE "m"'])

describe("lintRuleSet: a clean rule set", () => {
  it("reports nothing for a well-formed rule", () => {
    expect(lintOf(deny(['IF command REGEX "(?i)curl[^|]+\\\\|\\\\s*sh" AND path GLOB "**/*.(js|ts)"']))).toEqual([])
  })
  it("does not repeat parse errors", () => {
    const f = file(deny(['IF bogus CONTAINS "x"']))
    expect(f.diagnostics.map((d) => d.code)).toEqual(["parse.unknown-field"])
    expect(lintRuleSet([f])).toEqual([])
  })
})

describe("lintRuleSet: errors", () => {
  it("lint.regex-rejected at the field token, with RE2's reason and the fail-secure consequence", () => {
    const ds = lintOf(
      deny(['IF command REGEX "foo(?!bar)"', 'OR content NOT LINE_REGEX "(?<=a)b"', 'OR content MATCHES "x(?=y)"'])
    )
    expect(at(ds)).toEqual([
      ["lint.regex-rejected", 3, 6, "error"],
      ["lint.regex-rejected", 4, 6, "error"],
      ["lint.regex-rejected", 5, 6, "error"]
    ])
    expect(ds[0]!.ruleId).toBe("r1")
    expect(ds[0]!.file).toBe("t.rules")
    expect(ds[0]!.message).toContain("negative lookahead")
    expect(ds[0]!.message).toContain("match every call (fail-secure)")
    expect(ds[1]!.message).toContain("lookbehind")
    expect(ds[2]!.message).toMatch(/^MATCHES pattern rejected: .*lookahead/)
  })
  it("accepts inline flags and \\u escapes", () => {
    const condition = [
      'IF content LINE_REGEX "(?m)^\\\\s*root\\\\s+[^\\\\s]+;"',
      'OR content REGEX "[\\\\u202a-\\\\u202e]"'
    ]
    expect(lintOf(deny(condition))).toEqual([])
  })
  it("lint.empty-regex for an empty pattern, not lint.regex-rejected", () => {
    const ds = lintOf(deny(['IF path GLOB "**/*.ts" AND content REGEX ""']))
    expect(at(ds)).toEqual([["lint.empty-regex", 3, 30, "error"]])
    expect(ds[0]!.message).toContain("matches everything")
  })
  it("lint.glob-invalid at the field token, with the glob's reason", () => {
    const ds = lintOf(deny(['IF command CONTAINS "x"', 'AND path GLOB "src/[abc"']))
    expect(at(ds)).toEqual([["lint.glob-invalid", 4, 7, "error"]])
    expect(ds[0]!.message).toContain('unclosed "["')
  })
  it("lint.glob-invalid for alternatives nested too deep", () => {
    const ds = lintOf(deny([`IF path GLOB "${"{a,".repeat(20000)}"`]))
    expect(at(ds)).toEqual([["lint.glob-invalid", 3, 6, "error"]])
    expect(ds[0]!.message).toContain("alternatives nested more than 64 deep at offset 192")
  })
  it("lint.ask-without-prompt at the header", () => {
    const ds = lintOf(["", ...rule("ask1", ["ASK execution", 'IF command CONTAINS "rm"', 'MESSAGE "m"'])])
    expect(at(ds)).toEqual([["lint.ask-without-prompt", 2, 1, "error"]])
    expect(ds[0]!.ruleId).toBe("ask1")
  })
  it("lint.force-without-substitute at the header", () => {
    const ds = lintOf(rule("f1", ["FORCE execution", 'IF command STARTS_WITH "npm "', 'MESSAGE "m"']))
    expect(at(ds)).toEqual([["lint.force-without-substitute", 1, 1, "error"]])
  })
  it("an ASK with PROMPT and a FORCE with SUBSTITUTE are fine", () => {
    const ds = lintOf([
      ...rule("a", ["ASK execution", 'IF command CONTAINS "rm"', 'PROMPT "ok?"', 'MESSAGE "m"']),
      ...rule("b", ["FORCE execution", 'IF command STARTS_WITH "npm "', 'SUBSTITUTE "pnpm "', 'MESSAGE "m"'])
    ])
    expect(ds).toEqual([])
  })
  it("lint.duplicate-id within one file: every later occurrence, naming the first", () => {
    const one = rule("dup", ["DENY any", 'IF tool EQUALS "x"', 'MESSAGE "m"'])
    const ds = lintOf([...one, "", ...one, ...one])
    expect(at(ds)).toEqual([
      ["lint.duplicate-id", 7, 1, "error"],
      ["lint.duplicate-id", 12, 1, "error"]
    ])
    expect(ds.every((d) => d.message.includes("first defined at t.rules:1"))).toBe(true)
    expect(ds[0]!.ruleId).toBe("dup")
  })
  it("lint.duplicate-id across two files", () => {
    const a = clean(["# a", ...rule("x", ["DENY any", 'IF tool EQUALS "a"', 'MESSAGE "m"'])], "a.rules")
    const b = clean(
      [
        ...rule("y", ["DENY any", 'IF tool EQUALS "b"', 'MESSAGE "m"']),
        ...rule("x", ["LOG any", 'IF tool EQUALS "c"', 'MESSAGE "m"'])
      ],
      "b.rules"
    )
    const ds = lintRuleSet([a, b])
    expect(ds.map((d) => [d.file, d.line, d.column, d.code])).toEqual([["b.rules", 6, 1, "lint.duplicate-id"]])
    expect(ds[0]!.message).toContain("a.rules:2")
  })
})

describe("lintRuleSet: precedence warnings", () => {
  it("lint.mixed-and-or on the condition line of `A OR B AND C`", () => {
    const ds = lintOf(deny(['IF path GLOB "**/*.yml" OR path GLOB "**/*.yaml" AND content CONTAINS "eval "']))
    expect(at(ds)).toEqual([["lint.mixed-and-or", 3, 3, "warning"]])
    expect(ds[0]!.message).toContain("A OR (B AND C)")
    expect(ds[0]!.message).toContain("parentheses")
  })
  it("lint.mixed-and-or inside one pair of parentheses", () => {
    const ds = lintOf(
      deny(['IF path GLOB "*.js" AND (content CONTAINS "a" OR content CONTAINS "b" AND content CONTAINS "c")'])
    )
    expect(at(ds)).toEqual([["lint.mixed-and-or", 3, 3, "warning"]])
  })
  it("no lint.mixed-and-or when parentheses separate AND from OR, or for a keyword plus one inline operator", () => {
    const ds = lintOf(
      deny([
        'IF (path GLOB "*.yml" OR path GLOB "*.yaml") AND content CONTAINS "eval "',
        'OR path GLOB "*.sh" AND (content CONTAINS "a" OR content CONTAINS "b")',
        'OR (command CONTAINS "a" AND command CONTAINS "b") OR (command CONTAINS "c" AND command CONTAINS "d")'
      ])
    )
    expect(ds).toEqual([])
  })
  it("lint.and-after-or on the first AND line after OR lines", () => {
    const ds = lintOf(
      deny([
        'IF command CONTAINS "kubectl apply"',
        'OR command CONTAINS "kubectl create"',
        'AND command CONTAINS "privileged"',
        'AND command CONTAINS "true"'
      ])
    )
    expect(at(ds)).toEqual([["lint.and-after-or", 5, 3, "warning"]])
    expect(ds[0]!.message).toContain("AND binds tighter")
    expect(ds[0]!.message).toContain("parentheses")
  })
  it("lint.and-after-or also after an inline OR at the same depth", () => {
    const ds = lintOf(deny(['IF command CONTAINS "a" OR command CONTAINS "b"', 'AND command CONTAINS "c"']))
    expect(at(ds)).toEqual([["lint.and-after-or", 4, 3, "warning"]])
  })
  it("no lint.and-after-or when the OR is inside parentheses", () => {
    const ds = lintOf(
      deny([
        'IF (command CONTAINS "a" OR command CONTAINS "b")',
        'AND command CONTAINS "c"',
        'AND (command CONTAINS "d"',
        'OR command CONTAINS "e")',
        'AND command CONTAINS "f"'
      ])
    )
    expect(ds).toEqual([])
  })
  it("locates line-level warnings at the keyword whatever the indentation", () => {
    const f = clean([
      "rule r {",
      "DENY any",
      'IF tool EQUALS "a"',
      '    OR tool EQUALS "b"',
      '      AND tool EQUALS "c"',
      'MESSAGE "m"',
      "}"
    ])
    expect(at(lintRuleSet([f]))).toEqual([["lint.and-after-or", 5, 7, "warning"]])
  })
})

describe("lintRuleSet: native-compatibility warnings", () => {
  const ors = (n: number): Array<string> => [
    'IF command CONTAINS "x0"',
    ...Array.from({ length: n - 1 }, (_, i) => `OR command CONTAINS "x${i + 1}"`)
  ]
  const ands = (n: number): Array<string> => [
    "IF " + Array.from({ length: n }, (_, i) => `command CONTAINS "y${i}"`).join(" AND ")
  ]
  it("lint.too-many-groups above 16 OR groups, at the header", () => {
    expect(lintOf(deny(ors(16)))).toEqual([])
    const ds = lintOf(deny(ors(17)))
    expect(at(ds)).toEqual([["lint.too-many-groups", 1, 1, "warning"]])
    expect(ds[0]!.message).toContain("17")
  })
  it("counts groups after flattening parentheses", () => {
    const pairs = Array.from({ length: 5 }, (_, i) => `(command CONTAINS "a${i}" OR command CONTAINS "b${i}")`)
    const cond = "IF " + pairs.join(" AND ")
    expect(at(lintOf(deny([cond])))).toEqual([["lint.too-many-groups", 1, 1, "warning"]])
  })
  it("lint.group-too-large above 8 conditions in a group, at the header", () => {
    expect(lintOf(deny(ands(8)))).toEqual([])
    const ds = lintOf(deny(ands(9)))
    expect(at(ds)).toEqual([["lint.group-too-large", 1, 1, "warning"]])
    expect(ds[0]!.message).toContain("9")
  })
  it("lint.regex-too-long above 500 characters, at the field token", () => {
    expect(lintOf(deny([`IF command REGEX "${"a".repeat(500)}"`]))).toEqual([])
    const ds = lintOf(deny([`IF command REGEX "${"a".repeat(501)}"`]))
    expect(at(ds)).toEqual([["lint.regex-too-long", 3, 6, "warning"]])
  })
  it("lint.input-field at each input.* field token", () => {
    const ds = lintOf(
      deny(['IF tool EQUALS "mcp" AND input.query CONTAINS "DROP"', 'OR NOT input.url STARTS_WITH "https://"'])
    )
    expect(at(ds)).toEqual([
      ["lint.input-field", 3, 28, "warning"],
      ["lint.input-field", 4, 10, "warning"]
    ])
    expect(ds[0]!.message).toContain("input.query")
  })
  it("isNativeCompatible is false exactly for the four native-compatibility findings", () => {
    const rulesOf = (lines: ReadonlyArray<string>) => clean(lines).rules
    expect(rulesOf(deny(ors(16))).every(isNativeCompatible)).toBe(true)
    expect(rulesOf(deny(ands(8))).every(isNativeCompatible)).toBe(true)
    expect(isNativeCompatible(rulesOf(deny(ors(17)))[0]!)).toBe(false)
    expect(isNativeCompatible(rulesOf(deny(ands(9)))[0]!)).toBe(false)
    expect(isNativeCompatible(rulesOf(deny([`IF content LINE_REGEX "${"b".repeat(501)}"`]))[0]!)).toBe(false)
    expect(isNativeCompatible(rulesOf(deny(['IF input.command CONTAINS "x"']))[0]!)).toBe(false)
    const otherwiseFlawed = deny([
      'IF command REGEX "a(?!b)"',
      'OR command CONTAINS "a" OR command CONTAINS "b" AND command CONTAINS "c"'
    ])
    expect(isNativeCompatible(rulesOf(otherwiseFlawed)[0]!)).toBe(true)
  })
  it("LINT_LIMITS", () => {
    expect(LINT_LIMITS).toEqual({ maxGroups: 16, maxConditionsPerGroup: 8, maxRegexLength: 500 })
  })
})

describe("lintRuleSet: other warnings", () => {
  it("lint.missing-message at the header", () => {
    const ds = lintOf(["# c", ...rule("nm", ["LOG write", 'IF path GLOB "**/*.md"'])])
    expect(at(ds)).toEqual([["lint.missing-message", 2, 1, "warning"]])
  })
  it("lint.word-number at the field token for a numeric WORD value only", () => {
    const ds = lintOf(
      deny(['IF tool EQUALS "Composer"', 'AND input.file_count WORD "5" # generic field', 'OR command WORD "curl"'])
    )
    expect(at(only(ds, "lint.word-number"))).toEqual([["lint.word-number", 4, 7, "warning"]])
    expect(only(ds, "lint.word-number")[0]!.message).toContain("not magnitude")
  })
  it("lint.prompt-without-ask and lint.substitute-without-force at the ignored line", () => {
    const ds = lintOf(
      rule("p", [
        "DENY execution",
        'IF command CONTAINS "x"',
        'PROMPT "ignored"',
        'SUBSTITUTE "also ignored"',
        'MESSAGE "m"'
      ])
    )
    expect(at(ds)).toEqual([
      ["lint.prompt-without-ask", 4, 3, "warning"],
      ["lint.substitute-without-force", 5, 3, "warning"]
    ])
    expect(ds[0]!.message).toContain("DENY")
  })
})

describe("lintRuleSet: one bad rule does not hide the rest", () => {
  const text = [
    "# mixed",
    ...rule("broken", ["DENY any", 'IF content CONTAINS "v-html=""', 'MESSAGE "m"']),
    ...rule("lookaround", [
      "DENY write",
      'IF path GLOB "**/*.sql" AND content LINE_REGEX "DROP\\\\s+TABLE\\\\s+(?!IF\\\\s+EXISTS)"',
      'MESSAGE "m"'
    ]),
    ...rule("good", ["LOG write", 'IF path ENDS_WITH ".env"', 'MESSAGE "m"'])
  ]
  const f = file(text, "mixed.rules")
  const lint = lintRuleSet([f])
  it("reports the parse error and the lint error, each located, and keeps the good rules", () => {
    const located = (ds: ReadonlyArray<Diagnostic>) => ds.map((d) => [d.code, d.line, d.column, d.ruleId])
    expect(located(f.diagnostics)).toEqual([["parse.unterminated-string", 4, 32, "broken"]])
    expect(located(lint)).toEqual([["lint.regex-rejected", 9, 31, "lookaround"]])
    expect(f.rules.map((r) => r.id)).toEqual(["lookaround", "good"])
  })
  it("summarizes: the good rule is counted, the file is not valid", () => {
    const s = summarizeLint([f], lint)
    expect(s).toEqual({ files: 1, validFiles: 0, errors: 2, warnings: 0, rules: 2, nativeCompatible: 2 })
    expect(formatSummary(s)).toBe("0 file(s) valid, 2 errors, 0 warning(s) — 2/2 rule(s) native-compatible")
  })
})

describe("sorting and formatting", () => {
  it("sorts by file, line, column over the whole set", () => {
    const b = clean(rule("b1", ["DENY any", 'IF input.x CONTAINS "a" AND input.y CONTAINS "b"']), "b.rules")
    const a = clean(["", ...rule("a1", ["ASK any", 'IF tool EQUALS "t"', 'MESSAGE "m"'])], "a.rules")
    const ds = lintRuleSet([b, a])
    expect(ds.map((d) => [d.file, d.line, d.column, d.code])).toEqual([
      ["a.rules", 2, 1, "lint.ask-without-prompt"],
      ["b.rules", 1, 1, "lint.missing-message"],
      ["b.rules", 3, 6, "lint.input-field"],
      ["b.rules", 3, 31, "lint.input-field"]
    ])
  })
  it("formatDiagnostic: path:line:col: severity: message [rule-id]", () => {
    const d: Diagnostic = {
      file: "x.rules",
      line: 3,
      column: 6,
      severity: "error",
      code: "lint.empty-regex",
      message: "boom",
      ruleId: "r1"
    }
    expect(formatDiagnostic(d)).toBe("x.rules:3:6: error: boom [r1]")
    expect(formatDiagnostic({ ...d, severity: "warning", ruleId: null })).toBe("x.rules:3:6: warning: boom")
  })
  it("formatSummary: exact text and error plurals", () => {
    const s = { files: 25, validFiles: 25, errors: 0, warnings: 3, rules: 109, nativeCompatible: 108 }
    expect(formatSummary(s)).toBe("25 file(s) valid, 0 errors, 3 warning(s) \u2014 108/109 rule(s) native-compatible")
    expect(formatSummary({ ...s, validFiles: 24, errors: 1 })).toBe(
      "24 file(s) valid, 1 error, 3 warning(s) — 108/109 rule(s) native-compatible"
    )
    expect(formatSummary({ ...s, errors: 2 })).toContain(", 2 errors, ")
  })
  it("summarizeLint counts parse and lint diagnostics, valid files and native-compatible rules", () => {
    const ok = clean(rule("ok", ["DENY any", 'IF tool EQUALS "a"', 'MESSAGE "m"']), "ok.rules")
    const warn = clean(rule("w", ["LOG any", 'IF input.q CONTAINS "a"']), "warn.rules")
    const bad = file(
      [
        ...rule("e", ["DENY any", 'IF command REGEX "(?<=x)y"', 'MESSAGE "m"']),
        ...rule("p", ["DENY any", 'IF nope EQUALS "a"'])
      ],
      "bad.rules"
    )
    const files = [ok, warn, bad]
    const lint = lintRuleSet(files)
    const s = summarizeLint(files, lint)
    expect(s).toEqual({ files: 3, validFiles: 2, errors: 2, warnings: 2, rules: 3, nativeCompatible: 2 })
    expect(formatSummary(s)).toBe("2 file(s) valid, 2 errors, 2 warning(s) — 2/3 rule(s) native-compatible")
  })
})
