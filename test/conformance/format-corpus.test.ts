import { readFileSync } from "node:fs"
import { relative } from "node:path"
import { describe, expect, it } from "vitest"
import { formatRulesFile, sameMeaning } from "../../src/domain/rules/Format.js"
import { parseRulesFile } from "../../src/domain/rules/Parser.js"
import type { RulesFile } from "../../src/domain/rules/Rule.js"
import { CORPUS_DIR, corpusFiles, corpusPresent } from "../support/corpus.js"

const exists = corpusPresent

interface Entry {
  readonly name: string
  readonly parsed: RulesFile
}

const title = "format conformance over the rules corpus (corpus absent: ../shared/rules-corpus not found)"

describe.skipIf(!exists)(title, () => {
  const entries: ReadonlyArray<Entry> = exists
    ? corpusFiles().map((path) => ({
        name: relative(CORPUS_DIR, path),
        parsed: parseRulesFile(readFileSync(path, "utf8"), path)
      }))
    : []
  const good = entries.filter((e) => e.parsed.diagnostics.length === 0)
  const formatted = new Map(good.map((e) => [e.name, formatRulesFile(e.parsed)] as const))
  const text = (name: string): string | null => {
    const result = formatted.get(name)
    return result !== undefined && result.ok ? result.text : null
  }

  it("finds the corpus", () => {
    expect(entries.length).toBeGreaterThan(400)
  })

  it("has parse errors in exactly the two malformed files, each at line 9", () => {
    const broken = entries
      .filter((e) => e.parsed.diagnostics.length > 0)
      .map((e) => [e.name, e.parsed.diagnostics.map((d) => d.line)])
    expect(broken).toEqual([
      ["rules/rules-vagrant/vagrant_write_safety.rules", [9]],
      ["rules/rules-vue/vue_write_safety.rules", [9]]
    ])
  })

  it("refuses the files with parse errors, returning exactly their diagnostics", () => {
    const refused = (e: Entry): boolean =>
      JSON.stringify(formatRulesFile(e.parsed)) === JSON.stringify({ ok: false, errors: e.parsed.diagnostics })
    const failures = entries
      .filter((e) => e.parsed.diagnostics.length > 0 && !refused(e))
      .map((e) => e.name)
    expect(failures).toEqual([])
  })

  it("formats every other file", () => {
    const failures = good.filter((e) => text(e.name) === null).map((e) => e.name)
    expect(failures).toEqual([])
  })

  it("keeps the meaning of every formatted file", () => {
    const failures = good.flatMap((e) => {
      const out = text(e.name)
      const difference = out === null ? "not formatted" : sameMeaning(e.parsed, parseRulesFile(out, e.parsed.path))
      return difference === null ? [] : [`${e.name}: ${difference}`]
    })
    expect(failures).toEqual([])
  })

  it("is idempotent on every formatted file", () => {
    const failures = good.flatMap((e) => {
      const out = text(e.name)
      if (out === null) return [`${e.name}: not formatted`]
      const again = formatRulesFile(parseRulesFile(out, e.parsed.path))
      return again.ok && again.text === out ? [] : [e.name]
    })
    expect(failures).toEqual([])
  })
})
