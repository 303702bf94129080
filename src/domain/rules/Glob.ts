import type RE2Class from "re2"
import { betterLiterals } from "./Literals.js"
import { RE2 } from "./Regex.js"


/** A compiled GLOB: `test` takes a path; any matching path contains one of `literals` (null: none is required). */
export interface GlobMatcher {
  readonly pattern: string
  readonly test: (path: string) => boolean
  readonly literals: ReadonlyArray<string> | null
}

type Node =
  | { readonly kind: "lit"; readonly ch: string }
  | { readonly kind: "star" }
  | { readonly kind: "globstar" }
  | { readonly kind: "one" }
  | { readonly kind: "class"; readonly negated: boolean; readonly ranges: ReadonlyArray<readonly [number, number]> }
  | { readonly kind: "alt"; readonly alts: ReadonlyArray<Seq> }

type Seq = ReadonlyArray<Node>

interface Analysis {
  readonly matcher: GlobMatcher
  readonly error: string | null
}

class GlobSyntaxError extends Error {}

const SLASH = 47
const MAX_EXPANSION = 64
const MAX_DEPTH = 64
const cache = new Map<string, Analysis>()

/**
 * Compiles a GLOB pattern into a matcher; it never throws. Semantics, one decision per line:
 * - `**` matches any run of characters including `/`; `**` then `/` matches zero or more whole directories.
 * - A trailing `/**` or `/` matches the directory itself and everything below it.
 * - `*` matches any run of non-`/` characters, dotfiles included; `?` matches one non-`/` character.
 * - `[abc]`, `[a-z]`, `[!a]` / `[^a]` are classes and never match `/`.
 * - `{a,b}` and `(a|b)` are alternations; they nest (at most 64 deep) and may hold wildcards.
 * - `\x` matches `x`; every other character (`.`, `+`, `^`, `$`, space) is literal; matching is case-sensitive.
 * - Backslashes in the tested path are turned into `/` first (Windows paths).
 * - A pattern starting with `/` is absolute and must match the whole path.
 * - `~/` matches at any directory boundary, since the home directory is not known to a pure matcher.
 * - A pattern without any `/` matches the path's last segment (basename).
 * - Any other pattern matches the whole path or any suffix of it that starts right after a `/`.
 * - Matching runs on RE2 (linear time) or on equivalent string fast paths for common shapes.
 * - An invalid glob (see `globError`) matches every path (fail-secure) and has null `literals`.
 */
export const compileGlob = (pattern: string): GlobMatcher => analyze(pattern).matcher

/** A one-line reason why `pattern` is not a valid glob, or null when it is valid. */
export const globError = (pattern: string): string | null => analyze(pattern).error

const analyze = (pattern: string): Analysis => {
  let analysis = cache.get(pattern)
  if (analysis === undefined) {
    analysis = build(pattern)
    cache.set(pattern, analysis)
  }
  return analysis
}

const failSecure = (pattern: string, error: string): Analysis => ({
  matcher: { pattern, test: () => true, literals: null },
  error
})

const build = (pattern: string): Analysis => {
  const source = pattern.startsWith("~/") ? "**" + pattern.slice(1) : pattern
  let top: Array<Node>
  try {
    top = [...new Parser(source).parseTop()]
  } catch (e) {
    if (e instanceof GlobSyntaxError) return failSecure(pattern, e.message)
    throw e
  }
  const absolute = source.startsWith("/")
  const basename = !absolute && !hasSlash(top)
  let dirTail = false
  if (isSlash(top[top.length - 1]) && top.length > 1) {
    top.pop()
    dirTail = true
  }
  if (top.length > 1 && top[top.length - 1]!.kind === "globstar" && isSlash(top[top.length - 2])) {
    top.length -= 2
    dirTail = true
  }
  const literals = requiredLiterals(top)
  const fast = dirTail ? null : fastPath(top, absolute, basename)
  if (fast !== null) return { matcher: { pattern, test: fast, literals }, error: null }
  const body = emitSeq(top, basename)
  const regexSource = "(?s)" + (absolute ? "^" : "(?:^|/)") + body + (dirTail ? "(?:/.*)?" : "") + "$"
  let re: RE2Class
  try {
    re = new (RE2())(regexSource)
  } catch (e) {
    return failSecure(pattern, `glob does not compile: ${firstLine(e)}`)
  }
  return { matcher: { pattern, test: (path) => re.test(normalize(path)), literals }, error: null }
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0]!.trim()

const normalize = (path: string): string => (path.indexOf("\\") === -1 ? path : path.replace(/\\/g, "/"))

const isSlash = (node: Node | undefined): boolean => node !== undefined && node.kind === "lit" && node.ch === "/"

const hasSlash = (seq: Seq): boolean =>
  seq.some((node) => isSlash(node) || (node.kind === "alt" && node.alts.some(hasSlash)))

class Parser {
  private i = 0
  private depth = 0
  constructor(private readonly src: string) {}

  parseTop(): Seq {
    const seq = this.parseSeq("")
    if (this.i < this.src.length) {
      throw new GlobSyntaxError(`unmatched "${this.src[this.i]}" at offset ${this.i}`)
    }
    return seq
  }

  private parseSeq(stops: string): Seq {
    const seq: Array<Node> = []
    const src = this.src
    while (this.i < src.length) {
      const ch = src[this.i]!
      if (stops.includes(ch)) break
      if (ch === "}" || ch === ")") throw new GlobSyntaxError(`unmatched "${ch}" at offset ${this.i}`)
      if (ch === "*") {
        let j = this.i
        while (src[j] === "*") j++
        seq.push(j - this.i > 1 ? { kind: "globstar" } : { kind: "star" })
        this.i = j
      } else if (ch === "?") {
        seq.push({ kind: "one" })
        this.i++
      } else if (ch === "[") {
        seq.push(this.parseClass())
      } else if (ch === "{") {
        seq.push(this.parseGroup("{", ",", "}"))
      } else if (ch === "(") {
        seq.push(this.parseGroup("(", "|", ")"))
      } else if (ch === "\\") {
        if (this.i + 1 >= src.length) throw new GlobSyntaxError("dangling \"\\\" at end of glob")
        const cp = src.codePointAt(this.i + 1)!
        const text = String.fromCodePoint(cp)
        seq.push({ kind: "lit", ch: text })
        this.i += 1 + text.length
      } else {
        seq.push({ kind: "lit", ch })
        this.i++
      }
    }
    return seq
  }

  private parseGroup(open: string, sep: string, close: string): Node {
    const start = this.i
    if (++this.depth > MAX_DEPTH) {
      throw new GlobSyntaxError(`alternatives nested more than ${MAX_DEPTH} deep at offset ${start}`)
    }
    this.i++
    const alts: Array<Seq> = []
    for (;;) {
      alts.push(this.parseSeq(sep + close))
      if (this.i >= this.src.length) throw new GlobSyntaxError(`unclosed "${open}" at offset ${start}`)
      if (this.src[this.i] === close) {
        this.i++
        this.depth--
        return { kind: "alt", alts }
      }
      this.i++
    }
  }

  private parseClass(): Node {
    const src = this.src
    const start = this.i
    let j = this.i + 1
    const negated = src[j] === "!" || src[j] === "^"
    if (negated) j++
    const ranges: Array<readonly [number, number]> = []
    let first = true
    for (;;) {
      if (j >= src.length) throw new GlobSyntaxError(`unclosed "[" at offset ${start}`)
      if (src[j] === "]" && !first) break
      first = false
      const [lo, afterLo] = this.classChar(j, start)
      let hi = lo
      j = afterLo
      if (src[j] === "-" && j + 1 < src.length && src[j + 1] !== "]") {
        const [upper, afterHi] = this.classChar(j + 1, start)
        hi = upper
        j = afterHi
        if (hi < lo) {
          throw new GlobSyntaxError(
            `invalid range "${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)}" in "[" at offset ${start}`
          )
        }
      }
      ranges.push([lo, hi])
    }
    this.i = j + 1
    return { kind: "class", negated, ranges }
  }

  private classChar(j: number, start: number): [number, number] {
    const src = this.src
    if (src[j] === "\\") {
      j++
      if (j >= src.length) throw new GlobSyntaxError(`unclosed "[" at offset ${start}`)
    }
    const cp = src.codePointAt(j)!
    return [cp, j + (cp > 0xffff ? 2 : 1)]
  }
}

const escapeChar = (ch: string): string => (/^[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e ]$/.test(ch) ? "\\" + ch : ch)

const classCode = (cp: number): string => `\\x{${cp.toString(16)}}`

const emitClass = (negated: boolean, ranges: ReadonlyArray<readonly [number, number]>): string => {
  const range = (lo: number, hi: number): string => classCode(lo) + (hi > lo ? "-" + classCode(hi) : "")
  if (negated) return "[^/" + ranges.map(([lo, hi]) => range(lo, hi)).join("") + "]"
  const parts: Array<string> = []
  for (const [lo, hi] of ranges) {
    if (lo <= SLASH && SLASH <= hi) {
      if (lo < SLASH) parts.push(range(lo, SLASH - 1))
      if (hi > SLASH) parts.push(range(SLASH + 1, hi))
    } else parts.push(range(lo, hi))
  }
  return parts.length === 0 ? "[^\\x{0}-\\x{10ffff}]" : "[" + parts.join("") + "]"
}

const emitSeq = (seq: Seq, basename: boolean): string => {
  let out = ""
  for (let i = 0; i < seq.length; i++) {
    const node = seq[i]!
    switch (node.kind) {
      case "lit":
        out += escapeChar(node.ch)
        break
      case "star":
        out += "[^/]*"
        break
      case "one":
        out += "[^/]"
        break
      case "globstar":
        if (basename) out += "[^/]*"
        else if (isSlash(seq[i + 1]) && (i === 0 || isSlash(seq[i - 1]))) {
          out += "(?:.*/)?"
          i++
        } else out += ".*"
        break
      case "class":
        out += emitClass(node.negated, node.ranges)
        break
      case "alt":
        out += "(?:" + node.alts.map((alt) => emitSeq(alt, basename)).join("|") + ")"
        break
    }
  }
  return out
}

const expand = (seq: Seq): Array<string> | null => {
  let acc: Array<string> = [""]
  for (const node of seq) {
    if (node.kind === "lit") acc = acc.map((s) => s + node.ch)
    else if (node.kind === "alt") {
      const options: Array<string> = []
      for (const alt of node.alts) {
        const sub = expand(alt)
        if (sub === null) return null
        options.push(...sub)
      }
      if (acc.length * options.length > MAX_EXPANSION) return null
      acc = acc.flatMap((s) => options.map((o) => s + o))
    } else return null
  }
  return [...new Set(acc)]
}

const fastPath = (top: Seq, absolute: boolean, basename: boolean): ((path: string) => boolean) | null => {
  if (absolute) {
    const set = expand(top)
    if (set === null) return null
    if (set.length === 1) {
      const only = set[0]!
      return (path) => normalize(path) === only
    }
    return (path) => set.includes(normalize(path))
  }
  let start = 0
  while (top[start]?.kind === "globstar" && isSlash(top[start + 1])) start += 2
  const body = top.slice(start)
  const head = body[0]
  if (head !== undefined && (head.kind === "star" || (head.kind === "globstar" && (basename || body.length === 1)))) {
    if (body.length === 1) return () => true
    const suffixes = expand(body.slice(1))
    if (suffixes === null || suffixes.some((s) => s.includes("/"))) return null
    if (suffixes.length === 1) {
      const only = suffixes[0]!
      return (path) => normalize(path).endsWith(only)
    }
    return (path) => {
      const p = normalize(path)
      for (let k = 0; k < suffixes.length; k++) if (p.endsWith(suffixes[k]!)) return true
      return false
    }
  }
  const names = expand(body)
  if (names === null) return null
  if (names.length === 1) {
    const only = names[0]!
    return (path) => atBoundary(normalize(path), only)
  }
  return (path) => {
    const p = normalize(path)
    for (let k = 0; k < names.length; k++) if (atBoundary(p, names[k]!)) return true
    return false
  }
}

const atBoundary = (p: string, name: string): boolean =>
  p === name || (p.length > name.length && p.charCodeAt(p.length - name.length - 1) === SLASH && p.endsWith(name))

const better = (best: Array<string> | null, set: Array<string> | null): Array<string> | null =>
  betterLiterals(best, set, 1)

const requiredLiterals = (seq: Seq): ReadonlyArray<string> | null => {
  let best: Array<string> | null = null
  let chunk: Array<string> = [""]
  for (const node of seq) {
    if (node.kind === "lit" && node.ch !== "/") {
      chunk = chunk.map((s) => s + node.ch)
      continue
    }
    if (node.kind === "alt") {
      const options = expand([node])
      const fits = options !== null && chunk.length * options.length <= MAX_EXPANSION
      if (fits && options.every((o) => !o.includes("/"))) {
        chunk = chunk.flatMap((s) => options.map((o) => s + o))
        continue
      }
    }
    best = better(best, chunk)
    chunk = [""]
    if (node.kind === "alt") {
      const union: Array<string> = []
      let complete = true
      for (const alt of node.alts) {
        const sub = requiredLiterals(alt)
        if (sub === null) {
          complete = false
          break
        }
        union.push(...sub)
      }
      if (complete) best = better(best, union)
    }
  }
  best = better(best, chunk)
  if (best === null) return null
  const unique = [...new Set(best)]
  return unique.filter((s) => !unique.some((t) => t !== s && s.includes(t)))
}
