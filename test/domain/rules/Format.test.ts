import { describe, expect, it } from "vitest"
import { formatRulesFile, sameMeaning, unifiedDiff } from "../../../src/domain/rules/Format.js"
import { parseRulesFile } from "../../../src/domain/rules/Parser.js"

const parse = (text: string) => parseRulesFile(text, "t.rules")

const format = (text: string): string => {
  const result = formatRulesFile(parse(text))
  if (!result.ok) throw new Error(`refused: ${result.errors.map((e) => e.message).join("; ")}`)
  expect(sameMeaning(parse(text), parse(result.text))).toBeNull()
  const again = formatRulesFile(parse(result.text))
  expect(again.ok && again.text).toBe(result.text)
  return result.text
}

const lines = (...ls: Array<string>): string => ls.join("\n") + "\n"

describe("canonical ordering", () => {
  it("reorders a MESSAGE-first rule without `enabled` and fills the defaults it leaves out", () => {
    const source = lines(
      "rule block-git-hard-reset {",
      '  MESSAGE "Blocked \'git reset --hard\'."',
      '  IF command CONTAINS "git reset --hard"',
      "  severity warning",
      "  priority 90",
      "  ASK execution",
      '  PROMPT "Are you sure?"',
      "}"
    )
    expect(format(source)).toBe(
      lines(
        "rule block-git-hard-reset {",
        "  enabled true",
        "  priority 90",
        "  severity warning",
        "  ASK execution",
        '  IF command CONTAINS "git reset --hard"',
        '  MESSAGE "Blocked \'git reset --hard\'."',
        '  PROMPT "Are you sure?"',
        "}"
      )
    )
  })

  it("puts PROMPT after MESSAGE", () => {
    const head = ["rule r {", "  enabled true", "  priority 80", "  severity info", "  ASK any", '  IF tool EQUALS "x"']
    const expected = lines(...head, '  MESSAGE "m"', '  PROMPT "p"', "}")
    expect(format(lines(...head, '  PROMPT "p"', '  MESSAGE "m"', "}"))).toBe(expected)
  })

  it("puts SUBSTITUTE right after the decision line", () => {
    const source = lines(
      "rule use-read {",
      "  enabled true",
      "  priority 70",
      "  severity info",
      "  FORCE execution",
      '  IF command STARTS_WITH "cat "',
      '  OR command REGEX "^cat$"',
      '  SUBSTITUTE "Use the Read tool instead of \'cat\'."',
      '  MESSAGE "Use Read."',
      "}"
    )
    expect(format(source)).toBe(
      lines(
        "rule use-read {",
        "  enabled true",
        "  priority 70",
        "  severity info",
        "  FORCE execution",
        '  SUBSTITUTE "Use the Read tool instead of \'cat\'."',
        '  IF command STARTS_WITH "cat "',
        '  OR command REGEX "^cat$"',
        '  MESSAGE "Use Read."',
        "}"
      )
    )
  })

  it("writes priority 50 and severity warning when absent, and keeps RUN and WEBHOOK lines in order at the end", () => {
    const source = lines(
      "rule r {",
      '  WEBHOOK "https://h"',
      '  RUN "a"',
      "  LOG any",
      '  RUN "b"',
      '  IF tool EQUALS "x"',
      "}"
    )
    expect(format(source)).toBe(
      lines(
        "rule r {",
        "  enabled true",
        "  priority 50",
        "  severity warning",
        "  LOG any",
        '  IF tool EQUALS "x"',
        '  RUN "a"',
        '  RUN "b"',
        '  WEBHOOK "https://h"',
        "}"
      )
    )
  })
})

describe("casing", () => {
  it("upper-cases keywords and operators, lower-cases values, core fields and `input.` (not its key)", () => {
    const source = lines(
      "RULE r {",
      "  ENABLED FALSE",
      "  Priority 7",
      "  Severity ERROR",
      "  deny EXECUTION",
      '  if Command contains "X" and input.Agent_Model not regex "Y"',
      '  or not PATH glob "**/*.TS"',
      '  and TOOL Equals "Bash"',
      '  message "M"',
      '  prompt "P"',
      "}"
    )
    expect(format(source)).toBe(
      lines(
        "rule r {",
        "  enabled false",
        "  priority 7",
        "  severity error",
        "  DENY execution",
        '  IF command CONTAINS "X" AND input.Agent_Model NOT REGEX "Y"',
        '  OR NOT path GLOB "**/*.TS"',
        '  AND tool EQUALS "Bash"',
        '  MESSAGE "M"',
        '  PROMPT "P"',
        "}"
      )
    )
  })
})

describe("strings", () => {
  const rule = (condition: string, message = '"m"') =>
    lines(
      "rule r {",
      "  enabled true",
      "  priority 50",
      "  severity error",
      "  DENY any",
      `  ${condition}`,
      `  MESSAGE ${message}`,
      "}"
    )

  it("doubles the backslash of a singly escaped regex (same decoded value)", () => {
    const expected = rule(String.raw`IF command REGEX "rm\\s+(-rf)"`)
    expect(format(rule(String.raw`IF command REGEX "rm\s+(-rf)"`))).toBe(expected)
  })

  it("keeps doubly escaped regexes and escaped quotes as they are", () => {
    const canonical = rule(
      String.raw`IF content CONTAINS "target=\"_blank\"" AND content REGEX "\"vue\"\\s*:\\s*\"[~^]?2\\."`,
      String.raw`"Use \"rel\" with a backslash \\ here"`
    )
    expect(format(canonical)).toBe(canonical)
  })

  it("keeps a trailing backslash and mixed escapes decodable", () => {
    expect(format(rule(String.raw`IF command REGEX "a\-b\\"`))).toBe(rule(String.raw`IF command REGEX "a\\-b\\"`))
  })

  it("never trims string values", () => {
    const canonical = rule(`IF command CONTAINS " sudo " OR command EQUALS ""`)
    expect(format(canonical)).toBe(canonical)
  })
})

describe("comments", () => {
  it("keeps top-level, leading, trailing and closing comments, and leaves # inside strings alone", () => {
    const source = lines(
      "# file.rules — things",
      "# Technology: bash | Capability: exec",
      "",
      "rule r {",
      "  # the message",
      '  MESSAGE "no # here"',
      "  # the condition",
      '  IF content LINE_REGEX "^[^#].*"   # trailing note',
      '  AND content NOT CONTAINS "#!"',
      "  DENY write # decision note",
      "  # closing",
      "}",
      "# footer"
    )
    expect(format(source)).toBe(
      lines(
        "# file.rules — things",
        "# Technology: bash | Capability: exec",
        "",
        "rule r {",
        "  enabled true",
        "  priority 50",
        "  severity warning",
        "  DENY write # decision note",
        "  # the condition",
        '  IF content LINE_REGEX "^[^#].*" # trailing note',
        '  AND content NOT CONTAINS "#!"',
        "  # the message",
        '  MESSAGE "no # here"',
        "  # closing",
        "}",
        "",
        "# footer"
      )
    )
  })

  it("keeps a comment directly above a rule attached to it and indents comments at column 0", () => {
    const source = lines(
      "   # indented",
      "rule a {",
      "  LOG any",
      '  IF tool EQUALS "x"',
      "}",
      "# about b",
      "rule b {",
      "  LOG any",
      '  IF tool EQUALS "y"',
      "}"
    )
    expect(format(source)).toBe(
      lines(
        "# indented",
        "rule a {",
        "  enabled true",
        "  priority 50",
        "  severity warning",
        "  LOG any",
        '  IF tool EQUALS "x"',
        "}",
        "",
        "# about b",
        "rule b {",
        "  enabled true",
        "  priority 50",
        "  severity warning",
        "  LOG any",
        '  IF tool EQUALS "y"',
        "}"
      )
    )
  })
})

describe("layout", () => {
  const rule = (id: string) =>
    [`rule ${id} {`, "  enabled true", "  priority 50", "  severity warning", "  LOG any", '  IF tool EQUALS "x"', "}"]

  it("drops leading blanks, collapses runs of blanks, puts one blank line after a rule, ends with one newline", () => {
    const source = ["", "", "# head", "", "", "", ...rule("a"), ...rule("b"), "", "", ...rule("c"), "", ""].join("\n")
    expect(format(source)).toBe(lines("# head", "", ...rule("a"), "", ...rule("b"), "", ...rule("c")))
  })

  it("drops blank lines inside a rule", () => {
    const [header, ...rest] = rule("a")
    const source = [header, "", ...rest.slice(0, 2), "", ...rest.slice(2, -1), "", "}"].join("\n")
    expect(format(source)).toBe(lines(...rule("a")))
  })

  it("adds the missing trailing newline", () => {
    expect(format(rule("a").join("\n"))).toBe(lines(...rule("a")))
  })

  it("formats an empty file as empty", () => {
    expect(format("")).toBe("")
    expect(format("\n\n")).toBe("")
  })

  it("spaces parentheses: none after `(`, none before `)`, single spaces elsewhere", () => {
    const source = lines(
      "rule a {",
      "  DENY any",
      '  IF  ( tool   EQUALS "A" OR tool EQUALS "B" )AND(command CONTAINS "x" OR ((command CONTAINS "y")))',
      "}"
    )
    expect(format(source)).toBe(
      lines(
        "rule a {",
        "  enabled true",
        "  priority 50",
        "  severity warning",
        "  DENY any",
        '  IF (tool EQUALS "A" OR tool EQUALS "B") AND (command CONTAINS "x" OR ((command CONTAINS "y")))',
        "}"
      )
    )
  })
})

describe("splitting", () => {
  const conditions = Array.from({ length: 20 }, (_, n) =>
    n === 0 ? `  IF command CONTAINS "c${n}" AND NOT path GLOB "**/x"` : `  OR command CONTAINS "c${n}"`
  )
  const source = lines(
    "# big rule",
    "rule big {",
    "  priority 90",
    "  severity error",
    "  DENY execution",
    "  # about the conditions",
    ...conditions.slice(0, 5),
    conditions[5] + " # sixth",
    ...conditions.slice(6),
    "  # about the message",
    '  MESSAGE "stop"',
    "}"
  )

  it("splits a rule with 20 groups into parts of at most 16 groups that mean the same", () => {
    const before = parse(source)
    const result = formatRulesFile(before)
    if (!result.ok) throw new Error("refused")
    expect(result.splits).toEqual([{ id: "big", parts: 2 }])
    const after = parse(result.text)
    expect(after.diagnostics).toEqual([])
    expect(after.rules.map((r) => [r.id, r.groups.length])).toEqual([
      ["big-part-1", 16],
      ["big-part-2", 4]
    ])
    expect(sameMeaning(before, after)).toBeNull()
    const header = result.text.split("\n").slice(0, 12)
    expect(header).toEqual([
      "# big rule",
      "# about the conditions",
      "# sixth",
      "rule big-part-1 {",
      "  enabled true",
      "  priority 90",
      "  severity error",
      "  DENY execution",
      '  IF command CONTAINS "c0" AND path NOT GLOB "**/x"',
      '  OR command CONTAINS "c1"',
      '  OR command CONTAINS "c2"',
      '  OR command CONTAINS "c3"'
    ])
    expect(result.text.split("\n").slice(23)).toEqual([
      '  OR command CONTAINS "c15"',
      "  # about the message",
      '  MESSAGE "stop"',
      "}",
      "",
      "rule big-part-2 {",
      "  enabled true",
      "  priority 90",
      "  severity error",
      "  DENY execution",
      '  IF command CONTAINS "c16"',
      '  OR command CONTAINS "c17"',
      '  OR command CONTAINS "c18"',
      '  OR command CONTAINS "c19"',
      '  MESSAGE "stop"',
      "}",
      ""
    ])
    const again = formatRulesFile(after)
    expect(again).toEqual({ ok: true, text: result.text, splits: [] })
  })

  it("sameMeaning reports a missing part, a changed field and a changed atom", () => {
    const before = parse(source)
    const result = formatRulesFile(before)
    if (!result.ok) throw new Error("refused")
    const firstPartOnly = result.text.slice(0, result.text.indexOf("rule big-part-2"))
    expect(sameMeaning(before, parse(firstPartOnly))).toMatch(/^rule big: 20 condition groups became 16$/)
    expect(sameMeaning(before, parse(result.text.replace('MESSAGE "stop"', 'MESSAGE "go"')))).toBe(
      'rule big: message changed: "stop" -> "go" (in big-part-1)'
    )
    expect(sameMeaning(before, parse(result.text.replace('"c17"', '"c71"')))).toBe(
      'rule big: group 18 condition 1 changed: "command CONTAINS \\"c17\\"" -> "command CONTAINS \\"c71\\""'
    )
    expect(sameMeaning(before, parse(result.text.replace("big-part-1", "other")))).toBe(
      "rule big is missing (found other in its place)"
    )
  })
})

describe("refusals", () => {
  it("refuses a rule with an AND group of 9 conditions", () => {
    const atoms = Array.from({ length: 9 }, (_, n) => `command CONTAINS "a${n}"`).join(" AND ")
    const wide = ["rule wide {", "  DENY any", `  IF ${atoms}`, "}"]
    const file = parse(lines("# c", ...wide, "rule ok {", "  LOG any", '  IF tool EQUALS ""', "}"))
    const result = formatRulesFile(file)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.errors).toHaveLength(1)
    expect(result.errors[0]).toMatchObject({
      file: "t.rules",
      line: 2,
      column: 1,
      severity: "error",
      code: "format.group-too-large",
      ruleId: "wide"
    })
    expect(result.errors[0]!.message).toContain("wide")
    expect(result.errors[0]!.message).toContain("9")
    expect(result.errors[0]!.message).toContain("AND groups cannot be split automatically")
  })

  it("accepts 8 AND conditions", () => {
    const atoms = Array.from({ length: 8 }, (_, n) => `command CONTAINS "a${n}"`).join(" AND ")
    expect(formatRulesFile(parse(lines("rule wide {", "  DENY any", `  IF ${atoms}`, "}"))).ok).toBe(true)
  })

  it("refuses a file with parse errors, returning exactly those diagnostics", () => {
    const x = ["rule x {", "  LOG any", '  IF content CONTAINS "v-html=""', "}"]
    const y = ["rule y {", "  LOG any", "  IF tool EQUALS", "}"]
    const file = parse(lines(...x, ...y, "rule z {", "  LOG any", '  IF tool EQUALS ""', "}"))
    expect(file.diagnostics.map((d) => [d.line, d.code])).toEqual([
      [3, "parse.unterminated-string"],
      [7, "parse.condition"]
    ])
    expect(formatRulesFile(file)).toEqual({ ok: false, errors: file.diagnostics })
  })
})

describe("idempotence", () => {
  it("formatting the output again changes nothing", () => {
    const source = [
      "",
      "# x",
      "rule a {",
      '  MESSAGE "m \\"q\\" \\d"',
      '  IF ( command REGEX "a\\s" )   # t',
      '  or NOT command contains "b" AND input.Foo WORD "5"',
      "  severity info",
      "  deny execution",
      "  # end",
      "}",
      "",
      "",
      "# y"
    ].join("\n")
    const once = format(source)
    expect(format(once)).toBe(once)
  })
})

describe("unifiedDiff", () => {
  const numbers = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1}`)

  it("is empty for equal texts", () => {
    expect(unifiedDiff("a\n", "a\n", "x.rules")).toBe("")
  })

  it("writes hunks with 3 lines of context and marks a missing final newline", () => {
    const before = lines(...numbers(15))
    const after = [...numbers(15), "16"].map((l) => (l === "4" ? "four" : l)).join("\n")
    expect(unifiedDiff(before, after, "x.rules")).toBe(
      [
        "--- a/x.rules",
        "+++ b/x.rules",
        "@@ -1,7 +1,7 @@",
        " 1",
        " 2",
        " 3",
        "-4",
        "+four",
        " 5",
        " 6",
        " 7",
        "@@ -13,3 +13,4 @@",
        " 13",
        " 14",
        " 15",
        "+16",
        "\\ No newline at end of file",
        ""
      ].join("\n")
    )
  })

  it("merges changes whose context overlaps and numbers insertions into an empty file", () => {
    expect(unifiedDiff("a\nb\nc\nd\ne\nf\ng\nh\n", "a\nB\nc\nd\ne\nf\nG\nh\n", "p")).toBe(
      ["--- a/p", "+++ b/p", "@@ -1,8 +1,8 @@", " a", "-b", "+B", " c", " d", " e", " f", "-g", "+G", " h", ""].join(
        "\n"
      )
    )
    expect(unifiedDiff("", "x\n", "p")).toBe(["--- a/p", "+++ b/p", "@@ -0,0 +1 @@", "+x", ""].join("\n"))
  })

  it("shows the formatter adding a trailing newline", () => {
    expect(unifiedDiff("a\n}", "a\n}\n", "p")).toBe(
      ["--- a/p", "+++ b/p", "@@ -1,2 +1,2 @@", " a", "-}", "\\ No newline at end of file", "+}", ""].join("\n")
    )
  })
})

describe("comments on the header and closing lines", () => {
  it("keeps a trailing comment after `rule id {` and after `}`", () => {
    const text = `rule a { # header note\n  DENY any\n  IF tool EQUALS "x"\n} # end note\n`
    const result = formatRulesFile(parseRulesFile(text, "c.rules"))
    expect(result.ok && result.text).toBe(
      `rule a { # header note\n  enabled true\n  priority 50\n  severity warning\n  DENY any\n  IF tool EQUALS "x"\n} # end note\n`
    )
  })
})
