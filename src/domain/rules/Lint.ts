import { globError } from "./Glob.js"
import { compileRegex } from "./Regex.js"
import {
  type Atom,
  type Diagnostic,
  type DiagnosticSeverity,
  REGEX_OPERATORS,
  type Rule,
  type RulesFile,
  type Token
} from "./Rule.js"

/** Limits past which a rule is not native-compatible (the native engine's fixed-size tables). */
export const LINT_LIMITS = { maxGroups: 16, maxConditionsPerGroup: 8, maxRegexLength: 500 } as const

/** Totals over a linted rule set: error/warning counts include parse and lint diagnostics. */
export interface LintSummary {
  readonly files: number
  readonly validFiles: number
  readonly errors: number
  readonly warnings: number
  readonly rules: number
  readonly nativeCompatible: number
}

/** Lint findings (never parse errors) for all rules of all files as one rule set, sorted by file, line, column. */
export const lintRuleSet = (files: ReadonlyArray<RulesFile>): ReadonlyArray<Diagnostic> => {
  const out: Array<Diagnostic> = []
  const firstById = new Map<string, Rule>()
  for (const file of files) {
    const lines = file.text.split("\n")
    for (const rule of file.rules) {
      const first = firstById.get(rule.id)
      if (first === undefined) firstById.set(rule.id, rule)
      else {
        const message =
          `duplicate rule id \`${rule.id}\`: first defined at ${first.file}:${first.line}; ` +
          "ids must be unique across the rule set, a later rule overwrites the earlier one"
        out.push(finding(rule, rule.line, 1, "error", "lint.duplicate-id", message))
      }
      lintRule(rule, lines, out)
    }
  }
  return out.sort(byLocation)
}

/** True when the rule triggers no native-compatibility warning (group count, group size, regex length, input.*). */
export const isNativeCompatible = (rule: Rule): boolean =>
  rule.groups.length <= LINT_LIMITS.maxGroups &&
  rule.groups.every((g) => g.length <= LINT_LIMITS.maxConditionsPerGroup) &&
  atomsOf(rule).every((a) => !isInputField(a) && !isLongRegex(a))

/** Counts files, valid files (no error diagnostic), errors, warnings, parsed rules and native-compatible rules. */
export const summarizeLint = (files: ReadonlyArray<RulesFile>, lint: ReadonlyArray<Diagnostic>): LintSummary => {
  const all = [...files.flatMap((f) => f.diagnostics), ...lint]
  const broken = new Set(all.filter((d) => d.severity === "error").map((d) => d.file))
  const rules = files.flatMap((f) => f.rules)
  return {
    files: files.length,
    validFiles: files.filter((f) => !broken.has(f.path)).length,
    errors: all.filter((d) => d.severity === "error").length,
    warnings: all.filter((d) => d.severity === "warning").length,
    rules: rules.length,
    nativeCompatible: rules.filter(isNativeCompatible).length
  }
}

/** One line: `N file(s) valid, E error(s), W warning(s) — C/R rule(s) native-compatible`. */
export const formatSummary = (s: LintSummary): string =>
  `${s.validFiles} file(s) valid, ${s.errors} ${s.errors === 1 ? "error" : "errors"}, ${s.warnings} warning(s) — ` +
  `${s.nativeCompatible}/${s.rules} rule(s) native-compatible`

/** `path:line:col: error|warning: message`, followed by ` [rule-id]` when the diagnostic names a rule. */
export const formatDiagnostic = (d: Diagnostic): string =>
  `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}${d.ruleId === null ? "" : ` [${d.ruleId}]`}`

const byLocation = (a: Diagnostic, b: Diagnostic): number =>
  compare(a.file, b.file) || a.line - b.line || a.column - b.column || compare(a.code, b.code)

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

const finding = (
  rule: Rule,
  line: number,
  column: number,
  severity: DiagnosticSeverity,
  code: string,
  message: string
): Diagnostic => ({ file: rule.file, line, column, severity, code, message, ruleId: rule.id })

const atomsOf = (rule: Rule): ReadonlyArray<Atom> => {
  const atoms: Array<Atom> = []
  const walk = (e: Rule["condition"]): void => {
    if (e._tag === "Atom") atoms.push(e)
    else if (e._tag === "Not") walk(e.expr)
    else e.items.forEach(walk)
  }
  walk(rule.condition)
  return atoms
}

const isInputField = (a: Atom): boolean => a.field.startsWith("input.")

const isLongRegex = (a: Atom): boolean =>
  REGEX_OPERATORS.has(a.operator) && a.value.length > LINT_LIMITS.maxRegexLength

const keywordColumn = (lines: ReadonlyArray<string>, line: number): number => {
  const text = lines[line - 1] ?? ""
  return text.length - text.trimStart().length + 1
}

const lintRule = (rule: Rule, lines: ReadonlyArray<string>, out: Array<Diagnostic>): void => {
  const push = (line: number, column: number, severity: DiagnosticSeverity, code: string, message: string) =>
    out.push(finding(rule, line, column, severity, code, message))
  const atRule = (severity: DiagnosticSeverity, code: string, message: string) =>
    push(rule.line, 1, severity, code, message)
  const atLine = (line: number, severity: DiagnosticSeverity, code: string, message: string) =>
    push(line, keywordColumn(lines, line), severity, code, message)

  for (const atom of atomsOf(rule)) {
    const { line, column } = atom.position
    const at = (severity: DiagnosticSeverity, code: string, message: string) =>
      push(line, column, severity, code, message)
    if (REGEX_OPERATORS.has(atom.operator)) {
      if (atom.value === "") {
        at("error", "lint.empty-regex", `empty ${atom.operator} pattern matches everything; write the text to look for`)
      } else {
        const compiled = compileRegex(atom.value)
        if (!compiled.ok) {
          at(
            "error",
            "lint.regex-rejected",
            `${atom.operator} pattern rejected: ${compiled.reason}; ` +
              "this condition will match every call (fail-secure) until the pattern is fixed"
          )
        }
      }
      if (isLongRegex(atom)) {
        at(
          "warning",
          "lint.regex-too-long",
          `regex is ${atom.value.length} characters, over the native engine's limit of ` +
            `${LINT_LIMITS.maxRegexLength}; split it into several conditions`
        )
      }
    }
    if (atom.operator === "GLOB") {
      const reason = globError(atom.value)
      if (reason !== null) {
        at(
          "error",
          "lint.glob-invalid",
          `invalid GLOB pattern: ${reason}; this condition will match every path (fail-secure) until fixed`
        )
      }
    }
    if (atom.operator === "WORD" && /^-?\d+(\.\d+)?$/.test(atom.value)) {
      at(
        "warning",
        "lint.word-number",
        `WORD "${atom.value}" compares text as a whole word, not magnitude: ` +
          `it matches the word "${atom.value}" only, not values >= ${atom.value}`
      )
    }
    if (isInputField(atom)) {
      at(
        "warning",
        "lint.input-field",
        `field \`${atom.field}\` reads a raw tool input key, which the native engine does not support; ` +
          "prefer command, path, content or tool"
      )
    }
  }

  if (rule.groups.length > LINT_LIMITS.maxGroups) {
    atRule(
      "warning",
      "lint.too-many-groups",
      `condition expands to ${rule.groups.length} OR groups, over the native engine's limit of ` +
        `${LINT_LIMITS.maxGroups}; split the rule`
    )
  }
  const largest = rule.groups.reduce((m, g) => Math.max(m, g.length), 0)
  if (largest > LINT_LIMITS.maxConditionsPerGroup) {
    atRule(
      "warning",
      "lint.group-too-large",
      `an OR group has ${largest} AND-ed conditions, over the native engine's limit of ` +
        `${LINT_LIMITS.maxConditionsPerGroup}; split the rule`
    )
  }

  lintPrecedence(rule, atLine)

  if (rule.decision === "ASK" && rule.prompt === null) {
    const message = `ASK rule \`${rule.id}\` has no PROMPT: add \`PROMPT "…"\` to say what the user is asked`
    atRule("error", "lint.ask-without-prompt", message)
  }
  if (rule.decision === "FORCE" && rule.substitute === null) {
    const message = `FORCE rule \`${rule.id}\` has no SUBSTITUTE: add \`SUBSTITUTE "…"\` with the replacement`
    atRule("error", "lint.force-without-substitute", message)
  }
  if (rule.message === null) {
    atRule("warning", "lint.missing-message", `rule \`${rule.id}\` has no MESSAGE: the agent is not told why`)
  }
  for (const b of rule.body) {
    if (b.key === "prompt" && rule.decision !== "ASK") {
      const message = `PROMPT is ignored: the rule's decision is ${rule.decision}, not ASK`
      atLine(b.line, "warning", "lint.prompt-without-ask", message)
    }
    if (b.key === "substitute" && rule.decision !== "FORCE") {
      const message = `SUBSTITUTE is ignored: the rule's decision is ${rule.decision}, not FORCE`
      atLine(b.line, "warning", "lint.substitute-without-force", message)
    }
  }
}

interface Frame {
  and: boolean
  or: boolean
}

const operatorOf = (t: Token): "AND" | "OR" | null => {
  if (t.kind !== "word") return null
  const upper = t.text.toUpperCase()
  return upper === "AND" || upper === "OR" ? upper : null
}

const lintPrecedence = (
  rule: Rule,
  atLine: (line: number, severity: DiagnosticSeverity, code: string, message: string) => void
): void => {
  const orSinceWarning: Array<boolean> = [false]
  for (const cl of rule.conditionLines) {
    const depth = orSinceWarning.length - 1
    if (cl.keyword === "OR") orSinceWarning[depth] = true
    if (cl.keyword === "AND" && orSinceWarning[depth]) {
      orSinceWarning[depth] = false
      atLine(
        cl.line,
        "warning",
        "lint.and-after-or",
        "`AND` line after an `OR`: AND binds tighter than OR, so it applies only to the last OR alternative " +
          "(`A OR (B AND C)`), not to the whole condition; " +
          "wrap the alternatives in parentheses, e.g. `IF (A OR B) AND C`"
      )
    }
    const local: Array<Frame> = [{ and: false, or: false }]
    let mixed = false
    const close = (f: Frame) => {
      if (f.and && f.or) mixed = true
    }
    for (const t of cl.tokens) {
      if (t.kind === "lparen") {
        orSinceWarning.push(false)
        local.push({ and: false, or: false })
      } else if (t.kind === "rparen") {
        if (orSinceWarning.length > 1) orSinceWarning.pop()
        close(local.pop()!)
        if (local.length === 0) local.push({ and: false, or: false })
      } else {
        const op = operatorOf(t)
        if (op === "OR") orSinceWarning[orSinceWarning.length - 1] = true
        if (op !== null) local[local.length - 1]![op === "AND" ? "and" : "or"] = true
      }
    }
    local.forEach(close)
    if (mixed) {
      atLine(
        cl.line,
        "warning",
        "lint.mixed-and-or",
        "AND and OR mixed without parentheses: AND binds tighter, so `A OR B AND C` parses as `A OR (B AND C)`; " +
          "add parentheses to say which is meant, e.g. `(A OR B) AND C`"
      )
    }
  }
}
