import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { compileRegex, regexLiterals } from "../../../src/domain/rules/Regex.js"
import { corpusFiles, corpusPresent, corpusStrings } from "../../support/corpus.js"

const corpusRegexes = (): Array<string> => corpusStrings(["REGEX", "LINE_REGEX", "MATCHES"])

const matcher = (pattern: string): ((text: string) => boolean) => {
  const compiled = compileRegex(pattern)
  if (!compiled.ok) throw new Error(`${pattern} rejected: ${compiled.reason}`)
  return compiled.test
}

const rejection = (pattern: string): string => {
  const compiled = compileRegex(pattern)
  if (compiled.ok) throw new Error(`${pattern} should be rejected`)
  return compiled.reason
}

describe("compileRegex", () => {
  it("compiles the DSL's decoded patterns", () => {
    const test = matcher("curl[^|]+\\|\\s*(sh|bash|zsh|dash)")
    expect(test("curl -sL https://x.io/i.sh | bash")).toBe(true)
    expect(test("curl -o out https://x.io/i.sh")).toBe(false)
  })

  it("accepts JS-style \\uXXXX and \\u{XXXXX}", () => {
    const bidi = matcher("[\\u202a-\\u202e\\u2066-\\u2069]")
    expect(bidi("abc\u202edef")).toBe(true)
    expect(bidi("abc")).toBe(false)
    const tag = matcher("\\u{E0041}")
    expect(tag("x\u{E0041}y")).toBe(true)
    expect(tag("xAy")).toBe(false)
    expect(matcher("\\ue0000-\\ue007f")("\ue0000-\ue007f")).toBe(true)
  })

  it("supports (?i), (?m), (?s) and scoped flag groups", () => {
    expect(matcher("(?i)\\bALLOW\\b")("please allow it")).toBe(true)
    expect(matcher("\\bALLOW\\b")("please allow it")).toBe(false)
    expect(matcher("(?m)^\\s*root\\s+[^\\s]+;")("server {\n  root /var/www;\n}")).toBe(true)
    expect(matcher("^\\s*root\\s+[^\\s]+;")("server {\n  root /var/www;\n}")).toBe(false)
    expect(matcher("(?s)BEGIN.*END")("BEGIN\nx\nEND")).toBe(true)
    expect(matcher("BEGIN.*END")("BEGIN\nx\nEND")).toBe(false)
    expect(matcher("(?i:drop)\\s+TABLE")("DROP TABLE x")).toBe(true)
    expect(matcher("(?i:drop)\\s+TABLE")("drop table x")).toBe(false)
  })

  it("accepts identity escapes as literal characters", () => {
    expect(matcher("\\bas\\!\\b")("x as!y")).toBe(true)
    expect(matcher("\\bas\\!\\b")("x as y")).toBe(false)
    expect(matcher("a\\-b\\/c")("a-b/c")).toBe(true)
    expect(matcher("a\\-b\\/c")("a\\-b\\/c")).toBe(false)
    expect(matcher('\\"vue\\"\\s*:')('"vue": "2"')).toBe(true)
    expect(matcher("\\'\\@\\#\\%\\=\\:\\,\\&\\~\\`\\<\\>")("'@#%=:,&~`<>")).toBe(true)
  })

  it("rejects lookarounds and backreferences, naming the construct in one line", () => {
    expect(rejection("a(?=b)")).toContain("lookahead (?=")
    expect(rejection("a(?!b)")).toContain("negative lookahead (?!")
    expect(rejection("(?<=a)b")).toContain("lookbehind (?<=")
    expect(rejection("(?<!a)b")).toContain("negative lookbehind (?<!")
    expect(rejection("(a)\\1")).toContain("backreference")
    expect(rejection("(?<n>a)\\k<n>")).toContain("backreference")
    expect(rejection("(?>a)")).toContain("atomic")
    for (const p of ["a(?!b)", "(a)\\1", "x{1001}", "a++", "\\q", "(unclosed"]) {
      const reason = rejection(p)
      expect(reason.length).toBeGreaterThan(10)
      expect(reason.includes("\n"), p).toBe(false)
      expect(reason.includes("    at "), p).toBe(false)
    }
    expect(rejection("x{1001}")).toContain("RE2")
  })

  it("lets RE2 read \\1 to \\7 before an octal digit as an octal escape, and names backreferences it rejects", () => {
    expect(matcher("\\101")("A")).toBe(true)
    expect(matcher("\\101")("101")).toBe(false)
    expect(matcher("a\\012b")("a\nb")).toBe(true)
    expect(matcher("(a)\\12")("a\n")).toBe(true)
    expect(regexLiterals("abc\\101def")).toEqual(["abc"])
    expect(rejection("(a)\\1")).toBe("RE2 does not support backreferences \\1 (at offset 3)")
    expect(rejection("\\101(a)\\2")).toBe("RE2 does not support backreferences \\2 (at offset 7)")
    expect(rejection("(a)\\18")).toBe("RE2 does not support backreferences \\1 (at offset 3)")
    expect(rejection("(a)\\9")).toBe("RE2 does not support backreferences \\9 (at offset 3)")
    expect(rejection("(a)\\k<n>")).toContain("named backreferences")
    expect(rejection("[\\1]")).toMatch(/^RE2 rejected the pattern: invalid escape sequence/)
  })

  it("does not mistake escaped or bracketed parentheses for lookarounds", () => {
    expect(matcher("\\(?!x")("(!x")).toBe(true)
    expect(matcher("[(?!]x")("!x")).toBe(true)
  })

  it("rejects all twelve RE2-incompatible corpus patterns (reference §3.1)", () => {
    const patterns: ReadonlyArray<readonly [string, string]> = [
      ["^ADD\\s+(?!https?://)[^\\s]", "negative lookahead"],
      ["(?:password|ssn|credit_card)\\s*(?:TEXT|VARCHAR|CHAR|STRING)(?!.*hash|.*encrypt)", "negative lookahead"],
      ["html_safe(?!.*sanitize)", "negative lookahead"],
      ["DROP\\s+TABLE\\s+(?!IF\\s+EXISTS)", "negative lookahead"],
      ["UPDATE\\s+\\w+\\s+SET\\s+.*(?<!WHERE)\\s*;", "negative lookbehind"],
      ["^\\s*deb\\s+(?!\\[[^\\]]*signed-by=)", "negative lookahead"],
      ["^\\s*deb\\s+(?!\\[[^\\]]*signed-by=)https?://", "negative lookahead"],
      ["^[^#].*\\s/(tmp|home|var|dev/shm)\\s+\\S+\\s+(?!.*nosuid)", "negative lookahead"],
      [
        "(?<!await\\s)(?<!async\\s)\\b(cookies|headers|draftMode)\\(\\)\\." +
          "(get|set|delete|has|getAll|entries|keys|values|toString)\\b",
        "negative lookbehind"
      ],
      ["\\s+alias\\s+[^\\s]+(?<!/);", "negative lookbehind"],
      [".*/\\.ssh/(?!config$).+", "negative lookahead"],
      ["<component\\s+[^>]*:is\\s*=\\s*\"(?!['`]?[A-Z])", "negative lookahead"]
    ]
    for (const [p, construct] of patterns) {
      expect(rejection(p), p).toContain(`RE2 does not support ${construct}`)
      expect(regexLiterals(p), p).toBeNull()
    }
  })

  it("runs a pathological backtracking pattern in linear time", () => {
    expect(matcher("(a+)+$")("a".repeat(30) + "!")).toBe(false)
    expect(matcher("(a+)+!")("a".repeat(30) + "!")).toBe(true)
    expect(matcher("^(a+)+$")("a".repeat(30) + "!")).toBe(false)
    expect(matcher("(x+x+)+y")("x".repeat(5000))).toBe(false)
  })

  it("memoises compiled patterns", () => {
    expect(compileRegex("memo[0-9]+")).toBe(compileRegex("memo[0-9]+"))
    expect(compileRegex("a(?!b)")).toBe(compileRegex("a(?!b)"))
  })

  it.skipIf(!corpusPresent)("compiles corpus regexes but 12 lookarounds (skipped when the corpus is absent)", () => {
    const patterns = corpusRegexes()
    expect(patterns.length).toBeGreaterThan(1000)
    const rejected = patterns.filter((p) => !compileRegex(p).ok)
    expect(rejected.length).toBe(12)
    for (const p of rejected) expect(rejection(p)).toMatch(/^RE2 does not support (negative )?look(ahead|behind)/)
  })
})

describe("regexLiterals", () => {
  it("finds the longest literal per alternative", () => {
    expect(regexLiterals("curl[^|]+\\|\\s*(sh|bash|zsh|dash)")).toEqual(["curl"])
    expect(regexLiterals("rm\\s+-rf|chmod\\s+777")).toEqual(["-rf", "chmod"])
    expect(regexLiterals("eval\\(")).toEqual(["eval("])
    expect(regexLiterals("\\.env\\.local")).toEqual([".env.local"])
    expect(regexLiterals("\\bas\\!\\b")).toEqual(["as!"])
    expect(regexLiterals("x\\u202ay")).toEqual(["x\u202ay"])
  })

  it("drops optional characters and ends runs at repetitions", () => {
    expect(regexLiterals("https?://")).toEqual(["http"])
    expect(regexLiterals("colou?r")).toEqual(["colo"])
    expect(regexLiterals("abc*def")).toEqual(["def"])
    expect(regexLiterals("abc+def")).toEqual(["abc"])
    expect(regexLiterals("ab{0,3}cde")).toEqual(["cde"])
    expect(regexLiterals("abx{2,3}cd")).toEqual(["abx"])
    expect(regexLiterals("a{,3}b")).toEqual(["a{,3}b"])
  })

  it("uses required groups and skips optional ones", () => {
    expect(regexLiterals("(?:foo|barr)\\s+x")).toEqual(["foo", "barr"])
    expect(regexLiterals("(?:foo|barr)?\\s+xy")).toEqual(["xy"])
    expect(regexLiterals("(?:foo|b)\\s+x")).toBeNull()
    expect(regexLiterals("(?P<cmd>sudo)\\s")).toEqual(["sudo"])
  })

  it("returns null when no literal is required", () => {
    expect(regexLiterals("(?i)secret")).toBeNull()
    expect(regexLiterals("(?mi)^secret")).toBeNull()
    expect(regexLiterals("x(?i:secret)")).toBeNull()
    expect(regexLiterals("\\s+\\d+")).toBeNull()
    expect(regexLiterals("abc|d")).toBeNull()
    expect(regexLiterals("abc|")).toBeNull()
    expect(regexLiterals("[abc]+x")).toBeNull()
    expect(regexLiterals("(a+)+$")).toBeNull()
    expect(regexLiterals("a(?!b)cd")).toBeNull()
    expect(regexLiterals("\\x41\\x42")).toEqual(["AB"])
  })

  const sample = (pattern: string, seed: number): string => {
    let state = seed
    const rand = (n: number): number => {
      state = (state * 1103515245 + 12345) & 0x7fffffff
      return (state >>> 16) % n
    }
    let i = 0
    const atom = (): Array<string> => {
      const ch = pattern[i]!
      if (ch === "\\") {
        const e = pattern[i + 1] ?? ""
        i += 2
        const table: Record<string, string> = { s: " ", S: "x", d: "7", D: "x", w: "w", W: "-", n: "\n", b: "" }
        if (e in table) return [table[e]!]
        if (e === "x" || e === "u") {
          const m = /^(\{[0-9a-fA-F]+\}|[0-9a-fA-F]{2,4})/.exec(pattern.slice(i))
          if (m !== null) {
            i += m[0].length
            return [String.fromCodePoint(parseInt(m[0].replace(/[{}]/g, ""), 16))]
          }
        }
        return [e]
      }
      if (ch === "[") {
        let j = i + 1
        const negated = pattern[j] === "^"
        if (negated) j++
        const members: Array<string> = []
        if (pattern[j] === "]") members.push(pattern[j++]!)
        while (j < pattern.length && pattern[j] !== "]") {
          if (pattern[j] === "\\") {
            const e = pattern[j + 1] ?? ""
            members.push(({ s: " ", d: "1", w: "q", n: "\n" } as Record<string, string>)[e] ?? e)
            j += 2
          } else members.push(pattern[j++]!)
        }
        i = j + 1
        if (negated) return ["#", "Z", "~", "é"].filter((c) => !members.includes(c)).slice(0, 1)
        return [members[rand(members.length)] ?? ""]
      }
      if (ch === "(") {
        i++
        if (pattern[i] === "?") {
          const m = /^\?(?:P?<\w+>|[a-zA-Z-]*:|[a-zA-Z-]*\))/.exec(pattern.slice(i))
          if (m !== null) i += m[0].length
          if (m !== null && m[0].endsWith(")")) return [""]
        }
        const inner = alternation()
        i++
        return [inner]
      }
      i++
      if (ch === ".") return ["x"]
      if (ch === "^" || ch === "$") return [""]
      return [ch]
    }
    const sequence = (): string => {
      let out = ""
      while (i < pattern.length && pattern[i] !== "|" && pattern[i] !== ")") {
        const piece = atom()[0]!
        const q = /^(?:[?*+]|\{(\d+)(?:,(\d*))?\})\??/.exec(pattern.slice(i))
        let times = 1
        if (q !== null) {
          i += q[0].length
          const op = q[0][0]
          if (op === "?") times = rand(2)
          else if (op === "*") times = rand(3)
          else if (op === "+") times = 1 + rand(2)
          else {
            const min = Number(q[1])
            times = min + (q[2] === undefined || q[2] === "" ? rand(2) : rand(Number(q[2]) - min + 1))
          }
        }
        out += piece.repeat(Math.min(times, 50))
      }
      return out
    }
    const alternation = (): string => {
      const alts = [sequence()]
      while (pattern[i] === "|") {
        i++
        alts.push(sequence())
      }
      return alts[rand(alts.length)]!
    }
    try {
      return "pre " + alternation() + " post"
    } catch {
      return ""
    }
  }

  const soundOver = (
    patterns: ReadonlyArray<string>,
    texts: ReadonlyArray<string>
  ): { checked: number; withLiterals: number } => {
    let checked = 0
    let withLiterals = 0
    for (const p of patterns) {
      const compiled = compileRegex(p)
      if (!compiled.ok) continue
      const literals = regexLiterals(p)
      if (literals !== null) {
        withLiterals++
        for (const lit of literals) expect(lit.length, p).toBeGreaterThanOrEqual(2)
      }
      const candidates = [...texts]
      for (let seed = 1; seed <= 30; seed++) candidates.push(sample(p, seed * 104729))
      for (const text of candidates) {
        if (!compiled.test(text)) continue
        checked++
        if (literals !== null) {
          const found = literals.some((lit) => text.includes(lit))
          expect(found, `${p} matched ${JSON.stringify(text)} without ${literals}`).toBe(true)
        }
      }
    }
    return { checked, withLiterals }
  }

  it("is sound on hand-written patterns", () => {
    const { checked } = soundOver(
      [
        "https?://[^\\s]+",
        "colou?r\\s+(red|green)",
        "ab{0,3}cde|x+yz",
        "(?:foo|barr)\\s*=\\s*\\d{2,}",
        "\\$\\{\\{\\s*secrets\\.",
        "rm\\s+-(rf|fr)\\s+/",
        "\\x41B?C",
        "[\\s\\S]{0,4}eval\\("
      ],
      ["colour red", "color green", "abbbcde", "xyz", "foo=12", "${{ secrets.X }}", "rm -rf /", "ABC", "AC", "eval("]
    )
    expect(checked).toBeGreaterThan(50)
  })

  it.skipIf(!corpusPresent)("is sound on the corpus patterns (skipped when the corpus is absent)", () => {
    const patterns = corpusRegexes()
    const texts: Array<string> = []
    for (const file of corpusFiles().slice(0, 120)) {
      for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        const m = /"((?:[^"\\]|\\.)*)"/.exec(line)
        if (m !== null) texts.push(m[1]!.replace(/\\([\\"])/g, "$1"))
      }
    }
    const { checked, withLiterals } = soundOver(patterns, texts.slice(0, 400))
    expect(patterns.length).toBeGreaterThan(1000)
    expect(withLiterals).toBeGreaterThan(300)
    expect(checked).toBeGreaterThan(5000)
  })
})
