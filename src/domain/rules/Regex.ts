import { createRequire } from "node:module"
import type RE2Class from "re2"
import { betterLiterals } from "./Literals.js"

let loaded: typeof RE2Class | undefined

/** The RE2 class, loaded (through `require`: a CommonJS addon) on first use, so calls that need no pattern never load it. */
export const RE2 = (): typeof RE2Class => (loaded ??= createRequire(import.meta.url)("re2") as typeof RE2Class)

/** A regex compiled with RE2, or the one-line reason it was rejected. */
export type CompiledRegex =
  | { readonly ok: true; readonly test: (text: string) => boolean }
  | { readonly ok: false; readonly reason: string }

const cache = new Map<string, CompiledRegex>()

/** Compiles a decoded regex with RE2 (linear time), memoised; a rejection names the Perl construct RE2 lacks, if any. */
export const compileRegex = (pattern: string): CompiledRegex => {
  let compiled = cache.get(pattern)
  if (compiled === undefined) {
    compiled = build(pattern)
    cache.set(pattern, compiled)
  }
  return compiled
}

const build = (pattern: string): CompiledRegex => {
  let re: RE2Class
  try {
    re = new (RE2())(pattern)
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).split("\n")[0]!.trim()
    return { ok: false, reason: findUnsupported(pattern) ?? `RE2 rejected the pattern: ${message}` }
  }
  return { ok: true, test: (text) => re.test(text) }
}

const GROUP_CONSTRUCTS: ReadonlyArray<readonly [string, string]> = [
  ["(?=", "lookahead (?=...)"],
  ["(?!", "negative lookahead (?!...)"],
  ["(?<=", "lookbehind (?<=...)"],
  ["(?<!", "negative lookbehind (?<!...)"],
  ["(?>", "atomic groups (?>...)"]
]

const isOctalDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= "0" && ch <= "7"

const isOctal = (first: string, second: string | undefined): boolean => isOctalDigit(first) && isOctalDigit(second)

const findUnsupported = (p: string): string | null => {
  let inClass = false
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]
    if (ch === "\\") {
      const next = p[i + 1]
      if (!inClass && next !== undefined && next >= "1" && next <= "9" && !isOctal(next, p[i + 2])) {
        return `RE2 does not support backreferences \\${next} (at offset ${i})`
      }
      if (!inClass && next === "k" && p[i + 2] === "<") {
        return `RE2 does not support named backreferences \\k<...> (at offset ${i})`
      }
      i++
    } else if (inClass) {
      if (ch === "]") inClass = false
    } else if (ch === "[") {
      inClass = true
      if (p[i + 1] === "^") i++
      if (p[i + 1] === "]") i++
    } else if (ch === "(" && p[i + 1] === "?") {
      for (const [prefix, name] of GROUP_CONSTRUCTS) {
        if (p.startsWith(prefix, i)) return `RE2 does not support ${name} (at offset ${i})`
      }
    }
  }
  return null
}

/** Literals one of which any match contains (best per top-level alternative); null if unsure (`(?i`, short, bad). */
export const regexLiterals = (pattern: string): ReadonlyArray<string> | null => {
  if (/\(\?[a-zA-Z-]*i[a-zA-Z-]*[:)]/.test(pattern)) return null
  if (!compileRegex(pattern).ok) return null
  try {
    const result = literalsOfAlternation(pattern, 0, pattern.length)
    return result === null ? null : [...new Set(result)]
  } catch {
    return null
  }
}

class Unparseable extends Error {}

const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= "0" && ch <= "9"

const isHex = (ch: string | undefined): boolean => ch !== undefined && /^[0-9a-fA-F]$/.test(ch)

const BREAKING_ESCAPES = "dDsSwWbBAzntrfvaC"

const literalsOfAlternation = (p: string, from: number, to: number): Array<string> | null => {
  const result: Array<string> = []
  let start = from
  let depth = 0
  for (let i = from; i <= to; i++) {
    if (i === to || (depth === 0 && p[i] === "|")) {
      const best = literalsOfSequence(p, start, i)
      if (best === null) return null
      result.push(...best)
      start = i + 1
      continue
    }
    const ch = p[i]
    if (ch === "\\") i = skipEscape(p, i, to) - 1
    else if (ch === "[") i = skipClass(p, i, to) - 1
    else if (ch === "(") depth++
    else if (ch === ")") depth--
  }
  return result
}

const skipClass = (p: string, i: number, to: number): number => {
  let j = i + 1
  if (p[j] === "^") j++
  if (p[j] === "]") j++
  while (j < to) {
    const ch = p[j]
    if (ch === "\\") j += 2
    else if (ch === "[" && p[j + 1] === ":") {
      const end = p.indexOf(":]", j + 2)
      j = end === -1 || end >= to ? j + 1 : end + 2
    } else if (ch === "]") return j + 1
    else j++
  }
  throw new Unparseable()
}

const skipBraced = (p: string, j: number, to: number): number => {
  const end = p.indexOf("}", j)
  if (end === -1 || end >= to) throw new Unparseable()
  return end + 1
}

const skipEscape = (p: string, i: number, to: number): number => {
  const next = p[i + 1]
  if (next === undefined || i + 1 >= to) throw new Unparseable()
  if (next === "x" || next === "u") {
    if (p[i + 2] === "{") return skipBraced(p, i + 3, to)
    let j = i + 2
    const max = next === "x" ? 2 : 4
    while (j < to && j < i + 2 + max && isHex(p[j])) j++
    return j
  }
  if (next === "p" || next === "P") return p[i + 2] === "{" ? skipBraced(p, i + 3, to) : i + 3
  if (next === "c") return i + 3
  if (next === "Q") {
    const end = p.indexOf("\\E", i + 2)
    return end === -1 || end >= to ? to : end + 2
  }
  if (isDigit(next)) {
    let j = i + 2
    while (j < to && j < i + 4 && p[j]! >= "0" && p[j]! <= "7") j++
    return j
  }
  return i + 1 + (p.codePointAt(i + 1)! > 0xffff ? 2 : 1)
}

const skipGroup = (p: string, i: number, to: number): number => {
  let depth = 0
  let j = i
  while (j < to) {
    const ch = p[j]
    if (ch === "\\") j = skipEscape(p, j, to)
    else if (ch === "[") j = skipClass(p, j, to)
    else {
      if (ch === "(") depth++
      else if (ch === ")" && --depth === 0) return j + 1
      j++
    }
  }
  throw new Unparseable()
}

interface Quantifier {
  readonly end: number
  readonly optional: boolean
  readonly repeated: boolean
}

const quantifierAt = (p: string, j: number, to: number): Quantifier | null => {
  if (j >= to) return null
  const ch = p[j]
  let end: number
  let optional: boolean
  let repeated = true
  if (ch === "?" || ch === "*" || ch === "+") {
    end = j + 1
    optional = ch !== "+"
    repeated = ch !== "?"
  } else if (ch === "{") {
    const m = /^\{(\d+)(,\d*)?\}/.exec(p.slice(j, to))
    if (m === null) return null
    end = j + m[0].length
    optional = Number(m[1]) === 0
  } else return null
  if (p[end] === "?" && end < to) end++
  return { end, optional, repeated }
}

const better = (best: Array<string> | null, set: Array<string> | null): Array<string> | null =>
  betterLiterals(best, set, 2)

const literalsOfSequence = (p: string, from: number, to: number): Array<string> | null => {
  let best: Array<string> | null = null
  let run = ""
  let i = from
  while (i < to) {
    const ch = p[i]!
    if (ch === "(") {
      best = better(best, [run])
      run = ""
      const end = skipGroup(p, i, to)
      const q = quantifierAt(p, end, to)
      if (q === null || !q.optional) best = better(best, groupLiterals(p, i, end))
      i = q === null ? end : q.end
      continue
    }
    if (ch === "[") {
      best = better(best, [run])
      run = ""
      i = skipClass(p, i, to)
      const q = quantifierAt(p, i, to)
      if (q !== null) i = q.end
      continue
    }
    let literal: string | null = null
    let next: number
    if (ch === "\\") {
      const esc = p[i + 1]
      next = skipEscape(p, i, to)
      if (esc !== undefined && !/[0-9A-Za-z]/.test(esc)) literal = String.fromCodePoint(p.codePointAt(i + 1)!)
      else if (esc === "x" || esc === "u") literal = hexLiteral(p.slice(i + 2, next))
      else if (esc !== undefined && !BREAKING_ESCAPES.includes(esc) && !"xupPcQ0123456789".includes(esc)) {
        throw new Unparseable()
      }
    } else if (ch === "." || ch === "^" || ch === "$" || ch === ")" || ch === "|") {
      next = i + 1
    } else {
      literal = String.fromCodePoint(p.codePointAt(i)!)
      next = i + literal.length
    }
    const q = quantifierAt(p, next, to)
    if (literal === null) {
      best = better(best, [run])
      run = ""
      i = q === null ? next : q.end
      continue
    }
    if (q === null) {
      run += literal
      i = next
      continue
    }
    if (!q.optional) run += literal
    best = better(best, [run])
    run = ""
    i = q.end
  }
  return better(best, [run])
}

const hexLiteral = (digits: string): string | null => {
  const hex = digits.startsWith("{") ? digits.slice(1, -1) : digits
  if (!/^[0-9a-fA-F]{1,6}$/.test(hex)) return null
  const cp = parseInt(hex, 16)
  return cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : null
}

const groupLiterals = (p: string, start: number, end: number): Array<string> | null => {
  let bodyStart = start + 1
  if (p[bodyStart] === "?") {
    const named = /^\?(?:P?<[A-Za-z_][A-Za-z0-9_]*>|[a-zA-Z-]*:)/.exec(p.slice(bodyStart, end - 1))
    if (named === null) return null
    bodyStart += named[0].length
  }
  return literalsOfAlternation(p, bodyStart, end - 1)
}
