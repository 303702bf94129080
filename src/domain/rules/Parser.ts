import {
  type Atom,
  type BodyKey,
  type BodyLine,
  type ConditionLine,
  CORE_FIELDS,
  type Decision,
  DECISIONS,
  type Diagnostic,
  type Expr,
  type Field,
  type FileItem,
  type Operator,
  OPERATORS,
  type Position,
  RULE_DEFAULTS,
  type Rule,
  type RulesFile,
  type Severity,
  SEVERITIES,
  type Target,
  TARGETS,
  type Token
} from "./Rule.js"

/** Largest number of OR-of-AND groups a condition may expand to before the rule is rejected. */
export const MAX_EXPANDED_GROUPS = 4096

/** Deepest nesting of parentheses, and of NOT, a condition may have before the rule is rejected. */
export const MAX_NESTING = 64

/** Rule ids: a letter or digit, then letters, digits, `_`, `-` or `.`. */
export const RULE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

const HEADER = /^rule\s+(\S+)\s*\{\s*(#.*)?$/i
const INPUT_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

/** Parses the text of a `.rules` file; never throws: every problem becomes a located diagnostic and good rules survive. */
export const parseRulesFile = (text: string, path: string): RulesFile => {
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l))
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop()
  const items: Array<FileItem> = []
  const rules: Array<Rule> = []
  const diagnostics: Array<Diagnostic> = []
  let i = 0
  while (i < lines.length) {
    const raw = lines[i]!
    const trimmed = raw.trim()
    const lineNo = i + 1
    if (trimmed === "") {
      items.push({ _tag: "Blank", line: lineNo })
      i++
      continue
    }
    if (trimmed.startsWith("#")) {
      items.push({ _tag: "Comment", text: trimmed, line: lineNo })
      i++
      continue
    }
    const header = HEADER.exec(trimmed)
    if (header === null) {
      const column = raw.length - raw.trimStart().length + 1
      const message = /^rule\b/i.test(trimmed)
        ? "malformed rule header: expected `rule <id> {`"
        : `unexpected \`${firstWord(trimmed)}\` outside a rule: expected \`rule <id> {\` or a # comment`
      diagnostics.push(diag(path, lineNo, column, "parse.header", message, null))
      let j = i + 1
      while (j < lines.length && !isRuleStart(lines[j]!)) j++
      items.push({ _tag: "Broken", line: lineNo, endLine: j })
      i = j
      continue
    }
    const block = readBlock(lines, i)
    const result = parseRule(lines, i, block.end, block.closed, header[1]!, header[2] ?? null, path)
    diagnostics.push(...result.diagnostics)
    if (result.rule !== null) {
      rules.push(result.rule)
      items.push({ _tag: "Rule", rule: result.rule })
    } else {
      items.push({ _tag: "Broken", line: lineNo, endLine: block.end + 1 })
    }
    i = block.closed ? block.end + 1 : block.end
  }
  return { path, text, items, rules, diagnostics }
}

const isRuleStart = (line: string): boolean => /^\s*rule\s+\S+\s*\{/i.test(line)

const firstWord = (s: string): string => s.split(/\s+/)[0]!.slice(0, 40)

const diag = (
  file: string,
  line: number,
  column: number,
  code: string,
  message: string,
  ruleId: string | null
): Diagnostic => ({ file, line, column, severity: "error", code, message, ruleId })

/** Finds where a rule block ends: the `}` line (closed) or the line before the next header / end of file. */
const readBlock = (lines: ReadonlyArray<string>, start: number): { end: number; closed: boolean } => {
  for (let j = start + 1; j < lines.length; j++) {
    const t = lines[j]!.trim()
    if (t === "}" || /^\}\s*#/.test(t)) return { end: j, closed: true }
    if (isRuleStart(lines[j]!)) return { end: j, closed: false }
  }
  return { end: lines.length, closed: false }
}

interface LineTokens {
  readonly tokens: ReadonlyArray<Token>
  readonly comment: string | null
  readonly error: { readonly column: number; readonly message: string } | null
}

/** Splits one line into words, decoded strings and parentheses; `#` outside a string starts a comment. */
export const tokenizeLine = (text: string, line: number): LineTokens => {
  const tokens: Array<Token> = []
  let k = 0
  while (k < text.length) {
    const c = text[k]!
    if (c === " " || c === "\t") {
      k++
      continue
    }
    if (c === "#") return { tokens, comment: text.slice(k).trimEnd(), error: null }
    if (c === "(" || c === ")") {
      tokens.push({ kind: c === "(" ? "lparen" : "rparen", text: c, position: { line, column: k + 1 } })
      k++
      continue
    }
    if (c === '"') {
      const start = k
      let value = ""
      k++
      let closed = false
      while (k < text.length) {
        const d = text[k]!
        if (d === "\\" && k + 1 < text.length) {
          const e = text[k + 1]!
          value += e === "\\" || e === '"' ? e : "\\" + e
          k += 2
          continue
        }
        if (d === '"') {
          closed = true
          k++
          break
        }
        value += d
        k++
      }
      if (!closed) {
        return { tokens, comment: null, error: { column: start + 1, message: "unterminated string" } }
      }
      tokens.push({ kind: "string", text: value, position: { line, column: start + 1 } })
      continue
    }
    const start = k
    while (k < text.length && !" \t()\"#".includes(text[k]!)) k++
    tokens.push({ kind: "word", text: text.slice(start, k), position: { line, column: start + 1 } })
  }
  return { tokens, comment: null, error: null }
}

interface RuleResult {
  readonly rule: Rule | null
  readonly diagnostics: ReadonlyArray<Diagnostic>
}

const SINGLE_STRING_KEYS: Record<string, BodyKey> = {
  MESSAGE: "message",
  PROMPT: "prompt",
  SUBSTITUTE: "substitute",
  RUN: "run",
  WEBHOOK: "webhook"
}

const parseRule = (
  lines: ReadonlyArray<string>,
  start: number,
  end: number,
  closed: boolean,
  id: string,
  headerComment: string | null,
  file: string
): RuleResult => {
  const diagnostics: Array<Diagnostic> = []
  const error = (line: number, column: number, code: string, message: string) =>
    diagnostics.push(diag(file, line, column, code, message, id))
  const headerLine = start + 1
  if (!RULE_ID_PATTERN.test(id)) {
    error(headerLine, lines[start]!.indexOf(id) + 1, "parse.rule-id", `invalid rule id \`${id}\`: use letters, digits, '-', '_' or '.'`)
  }
  if (!closed) error(headerLine, 1, "parse.unclosed-rule", `rule \`${id}\` is not closed: expected a \`}\` line`)

  let enabled: boolean | undefined
  let priority: number | undefined
  let severity: Severity | undefined
  let decision: Decision | undefined
  let target: Target | undefined
  const strings: Partial<Record<"message" | "prompt" | "substitute", string>> = {}
  const run: Array<string> = []
  const webhook: Array<string> = []
  const conditionLines: Array<ConditionLine> = []
  const body: Array<BodyLine> = []
  let pending: Array<string> = []
  const seen = new Set<BodyKey>()
  let decisionWritten = false
  let conditionWritten = false

  for (let j = start + 1; j < end; j++) {
    const text = lines[j]!
    const lineNo = j + 1
    const trimmed = text.trim()
    if (trimmed === "") continue
    if (trimmed.startsWith("#")) {
      pending.push(trimmed)
      continue
    }
    const lexed = tokenizeLine(text, lineNo)
    if (lexed.error !== null) {
      decisionWritten = conditionWritten = true
      error(lineNo, lexed.error.column, "parse.unterminated-string", lexed.error.message)
      continue
    }
    const [head, ...rest] = lexed.tokens
    if (head === undefined) continue
    if (head.kind !== "word") {
      error(lineNo, head.position.column, "parse.keyword", "expected a keyword at the start of the line")
      continue
    }
    const keyword = head.text.toUpperCase()
    const col = head.position.column
    let key: BodyKey | null = null
    const once = (k: BodyKey): boolean => {
      if (seen.has(k) && k !== "condition" && k !== "run" && k !== "webhook") {
        error(lineNo, col, "parse.duplicate-keyword", `\`${head.text}\` appears twice in rule \`${id}\``)
        return false
      }
      seen.add(k)
      return true
    }
    const onlyWord = (what: string): string | null => {
      if (rest.length !== 1 || rest[0]!.kind !== "word") {
        const at = rest[0]?.position.column ?? col + head.text.length + 1
        error(lineNo, at, "parse.value", `\`${head.text}\` takes ${what}`)
        return null
      }
      return rest[0]!.text
    }
    if (keyword === "ENABLED") {
      const v = onlyWord("`true` or `false`")
      if (v !== null) {
        const lv = v.toLowerCase()
        if (lv !== "true" && lv !== "false") error(lineNo, rest[0]!.position.column, "parse.value", "`enabled` takes `true` or `false`")
        else if (once("enabled")) {
          enabled = lv === "true"
          key = "enabled"
        }
      }
    } else if (keyword === "PRIORITY") {
      const v = onlyWord("an integer")
      if (v !== null) {
        if (!/^-?\d{1,6}$/.test(v)) error(lineNo, rest[0]!.position.column, "parse.value", `\`priority\` takes an integer, got \`${v}\``)
        else if (once("priority")) {
          priority = Number(v)
          key = "priority"
        }
      }
    } else if (keyword === "SEVERITY") {
      const v = onlyWord("`error`, `warning` or `info`")
      if (v !== null) {
        const lv = v.toLowerCase()
        if (!(SEVERITIES as ReadonlyArray<string>).includes(lv)) {
          error(lineNo, rest[0]!.position.column, "parse.value", `unknown severity \`${v}\`: use error, warning or info`)
        } else if (once("severity")) {
          severity = lv as Severity
          key = "severity"
        }
      }
    } else if ((DECISIONS as ReadonlyArray<string>).includes(keyword)) {
      decisionWritten = true
      const v = onlyWord(`a target (${TARGETS.join(", ")})`)
      if (v !== null) {
        const lv = v.toLowerCase()
        if (!(TARGETS as ReadonlyArray<string>).includes(lv)) {
          error(lineNo, rest[0]!.position.column, "parse.target", `unknown target \`${v}\`: use ${TARGETS.join(", ")}`)
        } else if (seen.has("decision")) {
          error(lineNo, col, "parse.duplicate-keyword", `rule \`${id}\` has more than one decision line`)
        } else {
          seen.add("decision")
          decision = keyword as Decision
          target = lv as Target
          key = "decision"
        }
      }
    } else if (keyword === "IF" || keyword === "OR" || keyword === "AND") {
      conditionWritten = true
      if (keyword === "IF" && conditionLines.length > 0) {
        error(lineNo, col, "parse.condition-order", "a rule has one `IF` line; continue the condition with `OR` or `AND` lines")
      } else if (keyword !== "IF" && conditionLines.length === 0) {
        error(lineNo, col, "parse.condition-order", `\`${head.text}\` line before the \`IF\` line`)
      } else if (rest.length === 0) {
        error(lineNo, col + head.text.length, "parse.condition", `\`${head.text}\` needs a condition`)
      } else {
        conditionLines.push({ keyword, tokens: rest, line: lineNo, column: col })
        seen.add("condition")
        key = "condition"
      }
    } else if (keyword in SINGLE_STRING_KEYS) {
      const k = SINGLE_STRING_KEYS[keyword]!
      if (rest.length !== 1 || rest[0]!.kind !== "string") {
        const bad = rest.find((t, n) => n > 0 || t.kind !== "string") ?? rest[0]
        const hint =
          rest.length > 1 && rest[0]!.kind === "string" ? " (an unescaped quote inside the string? write it as \\\")" : ""
        error(lineNo, bad?.position.column ?? col + head.text.length + 1, "parse.value", `\`${keyword}\` takes one quoted string${hint}`)
      } else if (once(k)) {
        const v = rest[0]!.text
        if (k === "run") run.push(v)
        else if (k === "webhook") webhook.push(v)
        else strings[k as "message" | "prompt" | "substitute"] = v
        key = k
      }
    } else {
      error(lineNo, col, "parse.unknown-keyword", `unknown keyword \`${head.text}\``)
    }
    if (key !== null) {
      body.push({ key, line: lineNo, leadingComments: pending, trailingComment: lexed.comment })
      pending = []
    }
  }

  let condition: Expr | null = null
  let groups: ReadonlyArray<ReadonlyArray<Atom>> = []
  if (conditionLines.length > 0) {
    const stream: Array<Token> = []
    for (const cl of conditionLines) {
      if (stream.length > 0) stream.push({ kind: "word", text: cl.keyword, position: { line: cl.line, column: cl.column } })
      stream.push(...cl.tokens)
    }
    const parsed = parseCondition(stream)
    if ("error" in parsed) {
      error(parsed.error.position.line, parsed.error.position.column, parsed.error.code, parsed.error.message)
    } else {
      condition = parsed.expr
      const dnf = toGroups(parsed.expr, false)
      if (dnf === null) {
        error(conditionLines[0]!.line, 1, "parse.too-many-groups", `condition expands to more than ${MAX_EXPANDED_GROUPS} groups`)
      } else groups = dnf
    }
  }
  if (!decisionWritten) {
    error(headerLine, 1, "parse.missing-decision", `rule \`${id}\` has no decision line (${DECISIONS.join("|")} <target>)`)
  }
  if (!conditionWritten) {
    error(headerLine, 1, "parse.missing-condition", `rule \`${id}\` has no \`IF\` condition`)
  }
  if (diagnostics.length > 0 || condition === null || decision === undefined || target === undefined) {
    return { rule: null, diagnostics }
  }
  const rawText = lines.slice(start, end + 1).join("\n")
  return {
    rule: {
      id,
      enabled: enabled ?? RULE_DEFAULTS.enabled,
      priority: priority ?? RULE_DEFAULTS.priority,
      severity: severity ?? RULE_DEFAULTS.severity,
      decision,
      target,
      message: strings.message ?? null,
      prompt: strings.prompt ?? null,
      substitute: strings.substitute ?? null,
      run,
      webhook,
      condition,
      groups,
      conditionLines,
      body,
      closingComments: pending,
      headerComment: headerComment?.trimEnd() ?? null,
      endComment: closed ? (/^\}\s*(#.*)$/.exec(lines[end]!.trim())?.[1]?.trimEnd() ?? null) : null,
      explicit: { enabled: enabled !== undefined, priority: priority !== undefined, severity: severity !== undefined },
      file,
      line: headerLine,
      endLine: end + 1,
      rawText
    },
    diagnostics
  }
}

interface ConditionError {
  readonly position: Position
  readonly code: string
  readonly message: string
}

/** Parses a condition token stream (AND binds tighter than OR; prefix and infix NOT; parentheses, MAX_NESTING deep). */
export const parseCondition = (
  tokens: ReadonlyArray<Token>
): { readonly expr: Expr } | { readonly error: ConditionError } => {
  let k = 0
  let parens = 0
  let nots = 0
  const peekWord = (): string | null => {
    const t = tokens[k]
    return t !== undefined && t.kind === "word" ? t.text.toUpperCase() : null
  }
  const endPosition = (): Position => {
    const last = tokens[tokens.length - 1]
    return last === undefined
      ? { line: 1, column: 1 }
      : { line: last.position.line, column: last.position.column + (last.kind === "string" ? last.text.length + 2 : last.text.length) }
  }
  const fail = (code: string, message: string, at?: Token): never => {
    throw { position: at?.position ?? endPosition(), code, message } satisfies ConditionError
  }
  const describe = (t: Token): string => (t.kind === "string" ? `"${t.text}"` : `\`${t.text}\``)

  const orExpr = (): Expr => {
    const items = [andExpr()]
    while (peekWord() === "OR") {
      k++
      items.push(andExpr())
    }
    return items.length === 1 ? items[0]! : { _tag: "Or", items }
  }
  const andExpr = (): Expr => {
    const items = [unary()]
    while (peekWord() === "AND") {
      k++
      items.push(unary())
    }
    return items.length === 1 ? items[0]! : { _tag: "And", items }
  }
  const unary = (): Expr => {
    const t = tokens[k]
    if (t === undefined) return fail("parse.condition", "condition ends early: expected a field")
    if (t.kind === "word" && (t.text.toUpperCase() === "AND" || t.text.toUpperCase() === "OR")) {
      return fail("parse.condition", `expected a condition, got \`${t.text}\``, t)
    }
    if (t.kind === "word" && t.text.toUpperCase() === "NOT") {
      if (++nots > MAX_NESTING) return fail("parse.too-deep", `NOT nested more than ${MAX_NESTING} deep`, t)
      k++
      const expr: Expr = { _tag: "Not", expr: unary() }
      nots--
      return expr
    }
    if (t.kind === "lparen") {
      if (++parens > MAX_NESTING) return fail("parse.too-deep", `parentheses nested more than ${MAX_NESTING} deep`, t)
      k++
      const inner = orExpr()
      const close = tokens[k]
      if (close === undefined || close.kind !== "rparen") {
        return fail("parse.paren", close === undefined ? "missing `)`" : `expected \`)\`, got ${describe(close)}`, close ?? t)
      }
      k++
      parens--
      return inner
    }
    return atom()
  }
  const atom = (): Atom => {
    const fieldTok = tokens[k]!
    if (fieldTok.kind !== "word") return fail("parse.condition", `expected a field, got ${describe(fieldTok)}`, fieldTok)
    const field = parseField(fieldTok.text)
    if (field === null) {
      return fail(
        "parse.unknown-field",
        `unknown field \`${fieldTok.text}\`: use command, path, content, tool or input.<key>`,
        fieldTok
      )
    }
    k++
    let negated = false
    if (peekWord() === "NOT") {
      negated = true
      k++
    }
    const opTok = tokens[k]
    if (opTok === undefined) return fail("parse.condition", `expected an operator after \`${fieldTok.text}\``)
    const op = opTok.kind === "word" ? opTok.text.toUpperCase() : ""
    if (!(OPERATORS as ReadonlyArray<string>).includes(op)) {
      return fail("parse.unknown-operator", `unknown operator ${describe(opTok)}: use ${OPERATORS.join(", ")}`, opTok)
    }
    k++
    const valueTok = tokens[k]
    if (valueTok === undefined) return fail("parse.condition", `\`${op}\` needs a quoted string value`)
    if (valueTok.kind !== "string") return fail("parse.condition", `\`${op}\` needs a quoted string value, got ${describe(valueTok)}`, valueTok)
    k++
    return { _tag: "Atom", field, operator: op as Operator, negated, value: valueTok.text, position: fieldTok.position }
  }

  try {
    const expr = orExpr()
    const extra = tokens[k]
    if (extra !== undefined) {
      const prev = tokens[k - 1]
      const glued =
        prev !== undefined &&
        prev.kind === "string" &&
        extra.position.line === prev.position.line &&
        extra.position.column === prev.position.column + quotedLength(prev)
      const hint = glued ? " (an unescaped quote inside the string before it? write it as \\\")" : ": expected AND, OR or the end of the line"
      return fail(extra.kind === "rparen" ? "parse.paren" : "parse.condition", `unexpected ${describe(extra)}${hint}`, extra)
    }
    return { expr }
  } catch (e) {
    if (typeof e === "object" && e !== null && "code" in e) return { error: e as ConditionError }
    throw e
  }
}

const quotedLength = (t: Token): number => JSON.stringify(t.text).length

/** Resolves a field word case-insensitively; `input.` keeps its key's case. */
export const parseField = (word: string): Field | null => {
  const lower = word.toLowerCase()
  if ((CORE_FIELDS as ReadonlyArray<string>).includes(lower)) return lower as Field
  if (lower.startsWith("input.")) {
    const key = word.slice(6)
    return INPUT_KEY.test(key) ? (`input.${key}` as Field) : null
  }
  return null
}

/** Flattens an expression to OR-of-AND groups, pushing NOT down to the atoms; null when it expands too far. */
export const toGroups = (expr: Expr, negate: boolean): Array<Array<Atom>> | null => {
  switch (expr._tag) {
    case "Atom":
      return [[negate ? { ...expr, negated: !expr.negated } : expr]]
    case "Not":
      return toGroups(expr.expr, !negate)
    case "And":
    case "Or": {
      const conjunctive = (expr._tag === "And") !== negate
      const parts: Array<Array<Array<Atom>>> = []
      for (const item of expr.items) {
        const g = toGroups(item, negate)
        if (g === null) return null
        parts.push(g)
      }
      if (!conjunctive) {
        const all = parts.flat()
        return all.length > MAX_EXPANDED_GROUPS ? null : all
      }
      let acc: Array<Array<Atom>> = [[]]
      for (const part of parts) {
        if (acc.length * part.length > MAX_EXPANDED_GROUPS) return null
        const next: Array<Array<Atom>> = []
        for (const left of acc) for (const right of part) next.push([...left, ...right])
        acc = next
      }
      return acc
    }
  }
}
