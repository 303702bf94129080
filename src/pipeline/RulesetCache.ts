import { createHash, randomBytes } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { type AtomFacts, atomFacts } from "../domain/rules/Evaluate.js"
import type { Diagnostic, Rule } from "../domain/rules/Rule.js"
import { brokenFile, fileError, firstById, ioReason, parseRulesBytes, realOf, ruleFilesUnder } from "./RulesLoader.js"

/** A rule set as the hook runs it: the rules (from the cache: without source layout), every error, and its hashes. */
export interface LoadedRuleset {
  readonly dirs: ReadonlyArray<string>
  readonly files: number
  readonly rules: ReadonlyArray<Rule>
  /** Error diagnostics of the files (a rule set with any does not load). */
  readonly errors: ReadonlyArray<Diagnostic>
  /** SHA-256 over the files' paths and bytes: the cache key. */
  readonly filesSha256: string
  /** The ruleset content hash: SHA-256 of the rules' source texts sorted by id, joined with `\n---\n`. */
  readonly contentSha256: string
  /** SHA-256 of each rule's source text, by id (what `changed` in `v1.RulesetLoaded` compares). */
  readonly ruleHashes: Readonly<Record<string, string>>
  /** What compiling each rule's conditions learns (literals, fail-secure), so a hook process need not compile them all. */
  readonly facts: ReadonlyArray<ReadonlyArray<ReadonlyArray<AtomFacts>>>
}

const CACHE_VERSION = 3

/** The ruleset content hash: SHA-256 (hex) of the rules' verbatim source texts, sorted by id, joined with `\n---\n`. */
export const rulesetContentHash = (rules: ReadonlyArray<Rule>): string =>
  createHash("sha256")
    .update(
      [...rules]
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((r) => r.rawText)
        .join("\n---\n")
    )
    .digest("hex")

/** A rule as cached for evaluation: its condition as the equivalent OR of AND groups, without source-layout details. */
const forEvaluation = (rule: Rule): Rule => ({
  ...rule,
  condition: { _tag: "Or", items: rule.groups.map((group) => ({ _tag: "And", items: group })) },
  conditionLines: [],
  body: [],
  closingComments: [],
  rawText: ""
})

const cachePath = (home: string, filesSha256: string): string => join(home, "cache", "rulesets", `${filesSha256}.json`)

const readCached = (home: string, filesSha256: string): LoadedRuleset | null => {
  const path = cachePath(home, filesSha256)
  if (!existsSync(path)) return null
  try {
    const entry = JSON.parse(readFileSync(path, "utf8")) as { version?: number; ruleset?: LoadedRuleset }
    return entry.version === CACHE_VERSION && entry.ruleset?.filesSha256 === filesSha256 ? entry.ruleset : null
  } catch {
    return null
  }
}

const writeCached = (home: string, ruleset: LoadedRuleset): void => {
  const path = cachePath(home, ruleset.filesSha256)
  try {
    mkdirSync(join(home, "cache", "rulesets"), { recursive: true })
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`
    writeFileSync(tmp, JSON.stringify({ version: CACHE_VERSION, ruleset }))
    renameSync(tmp, path)
  } catch {
    return
  }
}

/**
 * Loads the `.rules` files under `dirs` (absent directories are skipped), parsing them only when the cache under
 * `$SSG_HOME/cache/rulesets/` has no entry for the files' exact paths and bytes. Never throws for bad rule files:
 * they come back as `errors`.
 */
export const loadRuleset = (home: string, dirs: ReadonlyArray<string>): LoadedRuleset => {
  const seenDirs = new Set<string>()
  const seenFiles = new Set<string>()
  const files: Array<{ readonly path: string; readonly bytes: Uint8Array | null; readonly problem: string | null }> = []
  for (const dir of dirs) {
    let paths: Array<string>
    try {
      paths = ruleFilesUnder(dir, seenDirs)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue
      files.push({ path: dir, bytes: null, problem: `cannot read rules directory ${dir}: ${(e as Error).message}` })
      continue
    }
    for (const path of paths) {
      const real = realOf(path)
      if (seenFiles.has(real)) continue
      seenFiles.add(real)
      try {
        files.push({ path, bytes: readFileSync(path), problem: null })
      } catch (e) {
        files.push({ path, bytes: null, problem: `cannot read ${path}: ${ioReason(e)}` })
      }
    }
  }
  const hash = createHash("sha256")
  for (const f of files) {
    hash.update(`${f.path}\u0000${f.bytes?.length ?? -1}\u0000`)
    if (f.bytes !== null) hash.update(f.bytes)
  }
  const filesSha256 = hash.digest("hex")
  const cached = readCached(home, filesSha256)
  if (cached !== null) return { ...cached, dirs }
  const parsed = files.map((f) =>
    f.bytes === null
      ? brokenFile(f.path, fileError(f.path, "parse.unreadable", f.problem ?? "unreadable"))
      : parseRulesBytes(f.bytes, f.path)
  )
  const rules = firstById(parsed)
  const ruleset: LoadedRuleset = {
    dirs,
    files: files.length,
    rules,
    errors: parsed.flatMap((f) => f.diagnostics.filter((d) => d.severity === "error")),
    filesSha256,
    contentSha256: rulesetContentHash(rules),
    ruleHashes: Object.fromEntries(rules.map((r) => [r.id, createHash("sha256").update(r.rawText).digest("hex")])),
    facts: atomFacts(rules)
  }
  writeCached(home, { ...ruleset, rules: ruleset.rules.map(forEvaluation) })
  return ruleset
}

/** Rule ids added, removed and changed from `before` (null: nothing known, every rule counts as added) to `after`. */
export const rulesetDiff = (
  before: Readonly<Record<string, string>> | null,
  after: Readonly<Record<string, string>>
): { readonly added: Array<string>; readonly removed: Array<string>; readonly changed: Array<string> } => {
  const old = before ?? {}
  const ids = Object.keys(after).sort()
  return {
    added: ids.filter((id) => old[id] === undefined),
    removed: Object.keys(old)
      .filter((id) => after[id] === undefined)
      .sort(),
    changed: ids.filter((id) => old[id] !== undefined && old[id] !== after[id])
  }
}

/** The rule hashes of a cached rule set, or null when the cache holds no entry for `filesSha256`. */
export const cachedRuleHashes = (home: string, filesSha256: string): Readonly<Record<string, string>> | null =>
  readCached(home, filesSha256)?.ruleHashes ?? null
