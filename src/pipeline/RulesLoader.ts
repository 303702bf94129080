import { readdirSync, realpathSync, statSync } from "node:fs"
import { join } from "node:path"
import { parseRulesFile } from "../domain/rules/Parser.js"
import type { Diagnostic, Rule, RulesFile } from "../domain/rules/Rule.js"

/** Rule files loaded from disk: every parsed file, and the rules in load order with later duplicate ids dropped. */
export interface LoadedRules {
  readonly files: ReadonlyArray<RulesFile>
  /** Rules in load order (directories as given, files by path, rules by line); the first rule with an id wins. */
  readonly rules: ReadonlyArray<Rule>
  /** Directories that were looked at (existing or not). */
  readonly dirs: ReadonlyArray<string>
}

/** Decodes a rules file's bytes as strict UTF-8 (a leading BOM dropped); invalid UTF-8 is a located diagnostic. */
export const decodeRulesText = (
  bytes: Uint8Array,
  path: string
): { readonly ok: true; readonly text: string } | { readonly ok: false; readonly diagnostic: Diagnostic } => {
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes
  const text = decodeStrict(body)
  if (text !== null) return { ok: true, text }
  const bad = Math.max(0, firstInvalidUtf8(body))
  const lineStart = body.lastIndexOf(0x0a, bad - 1) + 1
  let line = 1
  for (let i = 0; i < lineStart; i++) if (body[i] === 0x0a) line++
  const column = new TextDecoder("utf-8", { ignoreBOM: true }).decode(body.subarray(lineStart, bad)).length + 1
  const byte = body[bad]!.toString(16).toUpperCase().padStart(2, "0")
  const offset = bad + bytes.length - body.length
  const message = `not valid UTF-8 (byte 0x${byte} at offset ${offset}); none of this file's rules were loaded`
  return { ok: false, diagnostic: fileError(path, "parse.encoding", message, line, column) }
}

/** The rules of `files` in load order, the first rule with each id winning. */
export const firstById = (files: ReadonlyArray<RulesFile>): Array<Rule> => {
  const seen = new Set<string>()
  const rules: Array<Rule> = []
  for (const f of files) {
    for (const r of f.rules) {
      if (seen.has(r.id)) continue
      seen.add(r.id)
      rules.push(r)
    }
  }
  return rules
}

/** The `.rules` files under `dir` (recursively, sorted by name, hidden entries skipped, each directory once). */
export const ruleFilesUnder = (dir: string, seenDirs: Set<string> = new Set()): Array<string> => {
  const real = realOf(dir)
  if (seenDirs.has(real)) return []
  seenDirs.add(real)
  const out: Array<string> = []
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    const name = entry.name
    if (name.startsWith(".") && name !== ".sigmashake") continue
    const path = join(dir, name)
    const info = entry.isSymbolicLink() ? statSync(path, { throwIfNoEntry: false }) : entry
    if (info === undefined) {
      if (name.endsWith(".rules")) out.push(path)
    } else if (info.isDirectory()) out.push(...ruleFilesUnder(path, seenDirs))
    else if (info.isFile() && name.endsWith(".rules")) out.push(path)
  }
  return out
}

/** The resolved path of `path`, or `path` itself when it cannot be resolved. */
export const realOf = (path: string): string => {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

/** A file operation's error without the trailing call and path, e.g. `EACCES: permission denied`. */
export const ioReason = (error: unknown): string => (error as Error).message.replace(/, \w+ '.*'$/s, "")

/** A rules file parsed from its bytes: one that is not UTF-8 comes back with one error diagnostic and no rules. */
export const parseRulesBytes = (bytes: Uint8Array, path: string): RulesFile => {
  const decoded = decodeRulesText(bytes, path)
  return decoded.ok ? parseRulesFile(decoded.text, path) : brokenFile(path, decoded.diagnostic)
}

/** A file-level error diagnostic. */
export const fileError = (file: string, code: string, message: string, line = 1, column = 1): Diagnostic => ({
  file,
  line,
  column,
  severity: "error",
  code,
  message,
  ruleId: null
})

/** A rules file that could not be read or decoded: no rules, one diagnostic. */
export const brokenFile = (path: string, diagnostic: Diagnostic): RulesFile => ({
  path,
  text: "",
  items: [],
  rules: [],
  diagnostics: [diagnostic]
})

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

const decodeStrict = (bytes: Uint8Array): string | null => {
  try {
    return STRICT_UTF8.decode(bytes)
  } catch {
    return null
  }
}

const continuation = (bytes: Uint8Array, i: number, low = 0x80, high = 0xbf): boolean =>
  i < bytes.length && bytes[i]! >= low && bytes[i]! <= high

const firstInvalidUtf8 = (bytes: Uint8Array): number => {
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]!
    if (b < 0x80) {
      i++
    } else if (b >= 0xc2 && b <= 0xdf) {
      if (!continuation(bytes, i + 1)) return i
      i += 2
    } else if (b >= 0xe0 && b <= 0xef) {
      const low = b === 0xe0 ? 0xa0 : 0x80
      const high = b === 0xed ? 0x9f : 0xbf
      if (!continuation(bytes, i + 1, low, high) || !continuation(bytes, i + 2)) return i
      i += 3
    } else if (b >= 0xf0 && b <= 0xf4) {
      const low = b === 0xf0 ? 0x90 : 0x80
      const high = b === 0xf4 ? 0x8f : 0xbf
      if (!continuation(bytes, i + 1, low, high) || !continuation(bytes, i + 2) || !continuation(bytes, i + 3)) return i
      i += 4
    } else return i
  }
  return -1
}
