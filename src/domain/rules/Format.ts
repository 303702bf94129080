import { parseField } from "./Parser.js"
import {
  type Atom,
  type BodyKey,
  type BodyLine,
  type Diagnostic,
  OPERATORS,
  type Rule,
  type RulesFile,
  type Token
} from "./Rule.js"

/** Most AND conditions a group may hold; a rule with a larger group is refused (it cannot be split). */
export const MAX_AND_CONDITIONS = 8

/** Most OR groups a formatted rule holds; a rule with more is split into `<id>-part-N` rules. */
export const MAX_GROUPS_PER_RULE = 16

/** A rule the formatter split into `parts` rules `<id>-part-1` … `<id>-part-<parts>`. */
export interface FormatSplit {
  readonly id: string
  readonly parts: number
}

/** Canonical text and the splits made, or the diagnostics that stopped formatting (nothing should be written). */
export type FormatResult =
  | { readonly ok: true; readonly text: string; readonly splits: ReadonlyArray<FormatSplit> }
  | { readonly ok: false; readonly errors: ReadonlyArray<Diagnostic> }

const BODY_ORDER: ReadonlyArray<BodyKey> = [
  "enabled",
  "priority",
  "severity",
  "decision",
  "substitute",
  "condition",
  "message",
  "prompt",
  "run",
  "webhook"
]

const INDENT = "  "

const KEYWORD_WORDS: ReadonlySet<string> = new Set<string>(["AND", "OR", "NOT", ...OPERATORS])

type Block =
  | { readonly kind: "blank" }
  | { readonly kind: "comment"; readonly text: string }
  | { readonly kind: "rule"; readonly lines: ReadonlyArray<string> }

/** Canonical text of a parsed file, same meaning and comments; refuses parse errors and AND groups over 8. */
export const formatRulesFile = (file: RulesFile): FormatResult => {
  if (file.diagnostics.length > 0) return { ok: false, errors: file.diagnostics }
  const errors = file.rules.flatMap((rule) => {
    const largest = Math.max(0, ...rule.groups.map((g) => g.length))
    return largest > MAX_AND_CONDITIONS ? [groupTooLarge(file.path, rule, largest)] : []
  })
  if (errors.length > 0) return { ok: false, errors }
  const blocks: Array<Block> = []
  const splits: Array<FormatSplit> = []
  for (const item of file.items) {
    if (item._tag === "Blank" || item._tag === "Broken") blocks.push({ kind: "blank" })
    else if (item._tag === "Comment") blocks.push({ kind: "comment", text: item.text })
    else if (item.rule.groups.length > MAX_GROUPS_PER_RULE) {
      const parts = splitRule(item.rule)
      for (const text of parts.comments) blocks.push({ kind: "comment", text })
      for (const lines of parts.rules) blocks.push({ kind: "rule", lines })
      splits.push({ id: item.rule.id, parts: parts.rules.length })
    } else blocks.push({ kind: "rule", lines: renderRule(item.rule) })
  }
  return { ok: true, text: layout(blocks), splits }
}

const groupTooLarge = (file: string, rule: Rule, count: number): Diagnostic => ({
  file,
  line: rule.line,
  column: 1,
  severity: "error",
  code: "format.group-too-large",
  message:
    `rule \`${rule.id}\` has an AND group of ${count} conditions (at most ${MAX_AND_CONDITIONS}); ` +
    "AND groups cannot be split automatically: rewrite the rule by hand",
  ruleId: rule.id
})

const layout = (blocks: ReadonlyArray<Block>): string => {
  const out: Array<string> = []
  let blank = false
  let afterRule = false
  for (const block of blocks) {
    if (block.kind === "blank") {
      blank = true
      continue
    }
    if (out.length > 0 && (blank || afterRule)) out.push("")
    blank = false
    afterRule = block.kind === "rule"
    if (block.kind === "comment") out.push(block.text)
    else out.push(...block.lines)
  }
  return out.length === 0 ? "" : out.join("\n") + "\n"
}

/** Quoted form of a decoded string value: `\` and `"` get a backslash, everything else is verbatim. */
export const quoteString = (value: string): string => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`

const renderWord = (word: string): string => {
  const upper = word.toUpperCase()
  return KEYWORD_WORDS.has(upper) ? upper : (parseField(word) ?? word)
}

const renderToken = (token: Token): string =>
  token.kind === "string" ? quoteString(token.text) : renderWord(token.text)

/** Joins condition tokens with single spaces, except none after `(` and none before `)`. */
export const renderTokens = (tokens: ReadonlyArray<Token>): string => {
  let out = ""
  let previous: Token | undefined
  for (const token of tokens) {
    if (previous !== undefined && previous.kind !== "lparen" && token.kind !== "rparen") out += " "
    out += renderToken(token)
    previous = token
  }
  return out
}

const renderAtom = (atom: Atom): string =>
  `${atom.field} ${atom.negated ? "NOT " : ""}${atom.operator} ${quoteString(atom.value)}`

interface Line {
  readonly text: string
  readonly body: BodyLine | null
}

/** The canonical body lines of a rule, keyed, each with the source body line it comes from (null when synthesised). */
const bodyLines = (rule: Rule): ReadonlyMap<BodyKey, ReadonlyArray<Line>> => {
  const byKey = new Map<BodyKey, Array<BodyLine>>()
  for (const b of rule.body) byKey.set(b.key, [...(byKey.get(b.key) ?? []), b])
  const lines = new Map<BodyKey, Array<Line>>()
  const single = (key: BodyKey, text: string | null): void => {
    if (text !== null) lines.set(key, [{ text, body: byKey.get(key)?.[0] ?? null }])
  }
  const many = (key: BodyKey, texts: ReadonlyArray<string>): void => {
    const sources = byKey.get(key) ?? []
    lines.set(key, texts.map((text, n) => ({ text, body: sources[n] ?? null })))
  }
  single("enabled", `enabled ${rule.enabled}`)
  single("priority", `priority ${rule.priority}`)
  single("severity", `severity ${rule.severity}`)
  single("decision", `${rule.decision} ${rule.target}`)
  single("substitute", rule.substitute === null ? null : `SUBSTITUTE ${quoteString(rule.substitute)}`)
  many("condition", rule.conditionLines.map((c) => `${c.keyword} ${renderTokens(c.tokens)}`))
  single("message", rule.message === null ? null : `MESSAGE ${quoteString(rule.message)}`)
  single("prompt", rule.prompt === null ? null : `PROMPT ${quoteString(rule.prompt)}`)
  many("run", rule.run.map((v) => `RUN ${quoteString(v)}`))
  many("webhook", rule.webhook.map((v) => `WEBHOOK ${quoteString(v)}`))
  return lines
}

const emitLine = (out: Array<string>, line: Line, withComments: boolean): void => {
  const body = withComments ? line.body : null
  for (const c of body?.leadingComments ?? []) out.push(INDENT + c)
  out.push(INDENT + line.text + (body?.trailingComment ? ` ${body.trailingComment}` : ""))
}

const renderRule = (rule: Rule): Array<string> => {
  const lines = bodyLines(rule)
  const out = [`rule ${rule.id} {${rule.headerComment !== null ? ` ${rule.headerComment}` : ""}`]
  for (const key of BODY_ORDER) for (const line of lines.get(key) ?? []) emitLine(out, line, true)
  for (const c of rule.closingComments) out.push(INDENT + c)
  out.push(`}${rule.endComment !== null ? ` ${rule.endComment}` : ""}`)
  return out
}

const splitRule = (rule: Rule): { comments: ReadonlyArray<string>; rules: ReadonlyArray<ReadonlyArray<string>> } => {
  const lines = bodyLines(rule)
  const comments = (lines.get("condition") ?? []).flatMap((l) => [
    ...(l.body?.leadingComments ?? []),
    ...(l.body?.trailingComment ? [l.body.trailingComment] : [])
  ])
  const rules: Array<Array<string>> = []
  for (let start = 0; start < rule.groups.length; start += MAX_GROUPS_PER_RULE) {
    const first = start === 0
    const groups = rule.groups.slice(start, start + MAX_GROUPS_PER_RULE)
    const header = first && rule.headerComment !== null ? ` ${rule.headerComment}` : ""
    const out = [`rule ${rule.id}-part-${rules.length + 1} {${header}`]
    for (const key of BODY_ORDER) {
      if (key === "condition") {
        groups.forEach((g, n) => out.push(`${INDENT}${n === 0 ? "IF" : "OR"} ${g.map(renderAtom).join(" AND ")}`))
      } else for (const line of lines.get(key) ?? []) emitLine(out, line, first)
    }
    if (first) for (const c of rule.closingComments) out.push(INDENT + c)
    out.push(first && rule.endComment !== null ? `} ${rule.endComment}` : "}")
    rules.push(out)
  }
  return { comments, rules }
}

const show = (value: unknown): string => {
  const s = JSON.stringify(value) ?? String(value)
  return s.length > 120 ? `${s.slice(0, 117)}...` : s
}

const atomText = (a: Atom): string => `${a.field} ${a.negated ? "NOT " : ""}${a.operator} ${JSON.stringify(a.value)}`

const compareGroups = (
  id: string,
  before: ReadonlyArray<ReadonlyArray<Atom>>,
  after: ReadonlyArray<ReadonlyArray<Atom>>
): string | null => {
  if (before.length !== after.length) return `rule ${id}: ${before.length} condition groups became ${after.length}`
  for (let g = 0; g < before.length; g++) {
    const b = before[g]!
    const a = after[g]!
    if (b.length !== a.length) return `rule ${id}: group ${g + 1} has ${b.length} conditions, now ${a.length}`
    for (let n = 0; n < b.length; n++) {
      const x = atomText(b[n]!)
      const y = atomText(a[n]!)
      if (x !== y) return `rule ${id}: group ${g + 1} condition ${n + 1} changed: ${show(x)} -> ${show(y)}`
    }
  }
  return null
}

const compareFields = (before: Rule, after: Rule): string | null => {
  const fields = ["enabled", "priority", "severity", "decision", "target", "message", "prompt", "substitute"] as const
  for (const f of fields) {
    if (before[f] !== after[f]) return `rule ${before.id}: ${f} changed: ${show(before[f])} -> ${show(after[f])}`
  }
  for (const f of ["run", "webhook"] as const) {
    const x = JSON.stringify(before[f])
    const y = JSON.stringify(after[f])
    if (x !== y) return `rule ${before.id}: ${f} changed: ${show(before[f])} -> ${show(after[f])}`
  }
  return null
}

/** Null when two parses mean the same (same rules in order, `<id>-part-N` splits too), else the first difference. */
export const sameMeaning = (before: RulesFile, after: RulesFile): string | null => {
  if (before.diagnostics.length !== after.diagnostics.length) {
    const first = after.diagnostics[0] ?? before.diagnostics[0]
    const where = first === undefined ? "" : `; first: line ${first.line}: ${first.message}`
    return `parse errors: ${before.diagnostics.length} before, ${after.diagnostics.length} after${where}`
  }
  let j = 0
  for (const rule of before.rules) {
    const next = after.rules[j]
    if (next === undefined) return `rule ${rule.id} is missing`
    if (next.id === rule.id) {
      const difference = compareFields(rule, next) ?? compareGroups(rule.id, rule.groups, next.groups)
      if (difference !== null) return difference
      j++
      continue
    }
    const parts: Array<Rule> = []
    while (after.rules[j]?.id === `${rule.id}-part-${parts.length + 1}`) parts.push(after.rules[j++]!)
    if (parts.length === 0) return `rule ${rule.id} is missing (found ${next.id} in its place)`
    for (const part of parts) {
      const difference = compareFields(rule, part)
      if (difference !== null) return `${difference} (in ${part.id})`
    }
    const difference = compareGroups(rule.id, rule.groups, parts.flatMap((p) => p.groups))
    if (difference !== null) return difference
  }
  const extra = after.rules[j]
  return extra === undefined ? null : `unexpected rule ${extra.id}`
}

const CONTEXT = 3

type Op = { readonly type: " " | "-" | "+"; readonly line: string }

const splitLines = (text: string): Array<string> => {
  if (text === "") return []
  const parts = text.split("\n")
  const last = parts.pop()!
  const lines = parts.map((l) => l + "\n")
  if (last !== "") lines.push(last)
  return lines
}

/** Shortest edit script between two line arrays (Myers' O(ND) algorithm). */
const diffLines = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): Array<Op> => {
  let prefix = 0
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++
  let suffix = 0
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  ) {
    suffix++
  }
  const x0 = a.slice(prefix, a.length - suffix)
  const y0 = b.slice(prefix, b.length - suffix)
  const head: Array<Op> = a.slice(0, prefix).map((line) => ({ type: " ", line }))
  const tail: Array<Op> = a.slice(a.length - suffix).map((line) => ({ type: " ", line }))
  return [...head, ...myers(x0, y0), ...tail]
}

const myers = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): Array<Op> => {
  const n = a.length
  const m = b.length
  const max = n + m
  if (max === 0) return []
  const offset = max + 1
  const v = new Int32Array(2 * max + 3)
  const trace: Array<Int32Array> = []
  let found = false
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2))
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
      let x = down ? v[offset + k + 1]! : v[offset + k - 1]! + 1
      let y = x - k
      while (x < n && y < m && a[x] === b[y]) {
        x++
        y++
      }
      v[offset + k] = x
      if (x >= n && y >= m) {
        found = true
        break
      }
    }
  }
  const ops: Array<Op> = []
  let x = n
  let y = m
  for (let d = trace.length - 1; d >= 0; d--) {
    const row = trace[d]!
    const at = (k: number): number => row[k + d + 1]!
    const k = x - y
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1
    const prevX = at(prevK)
    const prevY = prevX - prevK
    while (x > prevX && y > prevY) {
      ops.push({ type: " ", line: a[--x]! })
      y--
    }
    if (d > 0) {
      if (x === prevX) ops.push({ type: "+", line: b[--y]! })
      else ops.push({ type: "-", line: a[--x]! })
    }
  }
  return ops.reverse()
}

const range = (start: number, count: number): string =>
  count === 1 ? `${start + 1}` : `${count === 0 ? start : start + 1},${count}`

const printOp = (op: Op): string =>
  op.line.endsWith("\n") ? `${op.type}${op.line}` : `${op.type}${op.line}\n\\ No newline at end of file\n`

/** Unified diff (`--- a/<path>`, `+++ b/<path>`, 3 lines of context) of two texts; empty when they are equal. */
export const unifiedDiff = (oldText: string, newText: string, path: string): string => {
  if (oldText === newText) return ""
  const ops = diffLines(splitLines(oldText), splitLines(newText))
  const oldBefore: Array<number> = []
  const newBefore: Array<number> = []
  let o = 0
  let p = 0
  for (const op of ops) {
    oldBefore.push(o)
    newBefore.push(p)
    if (op.type !== "+") o++
    if (op.type !== "-") p++
  }
  let out = `--- a/${path}\n+++ b/${path}\n`
  let i = 0
  while (i < ops.length) {
    if (ops[i]!.type === " ") {
      i++
      continue
    }
    const start = Math.max(0, i - CONTEXT)
    let end = i
    let j = i
    while (j < ops.length) {
      if (ops[j]!.type !== " ") {
        end = ++j
        continue
      }
      let r = j
      while (r < ops.length && ops[r]!.type === " ") r++
      if (r === ops.length || r - j > 2 * CONTEXT) break
      j = r
    }
    const stop = Math.min(ops.length, end + CONTEXT)
    const hunk = ops.slice(start, stop)
    const oldCount = hunk.filter((op) => op.type !== "+").length
    const newCount = hunk.filter((op) => op.type !== "-").length
    out += `@@ -${range(oldBefore[start]!, oldCount)} +${range(newBefore[start]!, newCount)} @@\n`
    out += hunk.map(printOp).join("")
    i = stop
  }
  return out
}
