import { readFileSync } from "node:fs"
import { relative } from "node:path"
import { describe, expect, it } from "vitest"
import { lintRuleSet } from "../../src/domain/rules/Lint.js"
import { parseRulesFile } from "../../src/domain/rules/Parser.js"
import { compileRegex } from "../../src/domain/rules/Regex.js"
import { type Atom, type Diagnostic, REGEX_OPERATORS, type RulesFile } from "../../src/domain/rules/Rule.js"
import { CORPUS_DIR, corpusFiles, corpusPresent } from "../support/corpus.js"

const exists = corpusPresent

const LOOKAROUND_PATTERNS: ReadonlyArray<string> = [
  "^ADD\\s+(?!https?://)[^\\s]",
  "(?:password|ssn|credit_card)\\s*(?:TEXT|VARCHAR|CHAR|STRING)(?!.*hash|.*encrypt)",
  "html_safe(?!.*sanitize)",
  "DROP\\s+TABLE\\s+(?!IF\\s+EXISTS)",
  "UPDATE\\s+\\w+\\s+SET\\s+.*(?<!WHERE)\\s*;",
  "^\\s*deb\\s+(?!\\[[^\\]]*signed-by=)",
  "^\\s*deb\\s+(?!\\[[^\\]]*signed-by=)https?://",
  "^[^#].*\\s/(tmp|home|var|dev/shm)\\s+\\S+\\s+(?!.*nosuid)",
  "(?<!await\\s)(?<!async\\s)\\b(cookies|headers|draftMode)\\(\\)\\." +
    "(get|set|delete|has|getAll|entries|keys|values|toString)\\b",
  "\\s+alias\\s+[^\\s]+(?<!/);",
  ".*/\\.ssh/(?!config$).+",
  "<component\\s+[^>]*:is\\s*=\\s*\"(?!['`]?[A-Z])"
]

const load = (): ReadonlyArray<RulesFile> =>
  corpusFiles().map((p) => parseRulesFile(readFileSync(p, "utf8"), relative(CORPUS_DIR, p)))

const atomsOf = (files: ReadonlyArray<RulesFile>): Array<Atom> =>
  [...new Set(files.flatMap((f) => f.rules.flatMap((r) => r.groups.flat())))]

const key = (file: string, line: number, column: number): string => `${file}:${line}:${column}`

const formatKey = (d: Diagnostic): string => key(d.file, d.line, d.column)

const TITLE = exists ? "lint over shared/rules-corpus" : "lint over shared/rules-corpus (skipped: corpus absent)"

describe.skipIf(!exists)(TITLE, () => {
  const files = exists ? load() : []

  it("holds the 464 .rules files", () => {
    expect(files).toHaveLength(464)
  })

  it("lints every file alone without a crash; only the lookaround regexes are rejected", () => {
    const rejected = new Set<string>()
    for (const f of files) {
      let lint: ReadonlyArray<Diagnostic> = []
      expect(() => (lint = lintRuleSet([f])), f.path).not.toThrow()
      const byPosition = new Map<string, Atom>()
      for (const a of atomsOf([f])) byPosition.set(key(f.path, a.position.line, a.position.column), a)
      for (const d of lint) {
        expect(d.file).toBe(f.path)
        if (d.code !== "lint.regex-rejected") continue
        const atom = byPosition.get(key(d.file, d.line, d.column))
        expect(atom, formatKey(d)).toBeDefined()
        rejected.add(atom!.value)
      }
    }
    expect([...rejected].sort()).toEqual([...LOOKAROUND_PATTERNS].sort())
  })

  it("exactly two rules fail to parse, each with a located error", () => {
    const broken = files.flatMap((f) => f.items.filter((i) => i._tag === "Broken").map((i) => `${f.path}:${i.line}`))
    expect(broken).toHaveLength(2)
    const parseErrors = files.flatMap((f) => f.diagnostics)
    expect(parseErrors.map((d) => [d.file, d.line, d.column, d.severity])).toEqual([
      ["rules/rules-vagrant/vagrant_write_safety.rules", 9, 66, "error"],
      ["rules/rules-vue/vue_write_safety.rules", 9, 53, "error"]
    ])
    expect(parseErrors.map((d) => d.ruleId)).toEqual(["vagrant-block-unsafe-patterns", "vue-block-unsafe-patterns"])
  })

  it("compiles every other regex, including all (?i)/(?m) and \\uXXXX patterns", () => {
    const patterns = new Set(atomsOf(files).filter((a) => REGEX_OPERATORS.has(a.operator)).map((a) => a.value))
    const rejected = [...patterns].filter((p) => !compileRegex(p).ok)
    expect(rejected.sort()).toEqual([...LOOKAROUND_PATTERNS].sort())
    const flagged = [...patterns].filter((p) => /^\(\?[im]\)/.test(p))
    const unicode = [...patterns].filter((p) => /\\u[0-9a-fA-F]{4}/.test(p))
    expect(flagged.length).toBeGreaterThanOrEqual(28)
    expect(unicode.length).toBeGreaterThan(0)
    for (const p of [...flagged, ...unicode]) expect(compileRegex(p).ok, p).toBe(true)
  })

  it("over the whole corpus as one set, lint.regex-rejected covers exactly the twelve lookaround patterns", () => {
    const lint = lintRuleSet(files)
    const byPosition = new Map<string, Atom>()
    for (const f of files) {
      for (const a of atomsOf([f])) byPosition.set(key(f.path, a.position.line, a.position.column), a)
    }
    const rejected = new Set(
      lint.filter((d) => d.code === "lint.regex-rejected").map((d) => byPosition.get(formatKey(d))?.value)
    )
    expect([...rejected].sort()).toEqual([...LOOKAROUND_PATTERNS].sort())
    const andAfterOr = new Set(lint.filter((d) => d.code === "lint.and-after-or").map((d) => d.ruleId))
    expect([...andAfterOr].sort()).toEqual(
      [
        "block-gh-actions-secrets-log",
        "block-privileged-pod",
        "warn-missing-resource-limits",
        "warn-large-terraform-plan",
        "block-public-s3-bucket",
        "block-mcp-external-http",
        "block-db-destructive-query",
        "warn-git-branch-delete",
        "audit-csp-missing"
      ].sort()
    )
  })
})
