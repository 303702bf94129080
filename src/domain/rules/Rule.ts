/** Decisions a rule can take, as spelled in `.rules` files. */
export const DECISIONS = ["DENY", "ALLOW", "LOG", "SHADOW", "ASK", "FORCE"] as const
/** A rule decision keyword. */
export type Decision = (typeof DECISIONS)[number]

/** Decisions that end evaluation when their rule matches; LOG and SHADOW are reported and evaluation goes on. */
export const TERMINAL_DECISIONS: ReadonlySet<Decision> = new Set(["DENY", "ALLOW", "ASK", "FORCE"])

/** Targets a rule can apply to; `execution` matches the `execute` capability, `any` every tool. */
export const TARGETS = ["execution", "read", "write", "search", "agent", "network", "any"] as const
/** A rule target keyword. */
export type Target = (typeof TARGETS)[number]

/** Rule severities. */
export const SEVERITIES = ["error", "warning", "info"] as const
/** A rule severity. */
export type Severity = (typeof SEVERITIES)[number]

/** Condition operators; MATCHES is an alias of REGEX. */
export const OPERATORS = [
  "CONTAINS",
  "STARTS_WITH",
  "ENDS_WITH",
  "EQUALS",
  "REGEX",
  "MATCHES",
  "WORD",
  "GLOB",
  "LINE_REGEX",
  "LINE_CONTAINS"
] as const
/** A condition operator. */
export type Operator = (typeof OPERATORS)[number]

/** Operators whose value is a regular expression. */
export const REGEX_OPERATORS: ReadonlySet<Operator> = new Set(["REGEX", "MATCHES", "LINE_REGEX"])

/** The four core fields; any other field is `input.<key>`. */
export const CORE_FIELDS = ["command", "path", "content", "tool"] as const
/** A condition field: a core field or `input.<key>`. */
export type Field = (typeof CORE_FIELDS)[number] | `input.${string}`

/** A 1-based source position. */
export interface Position {
  readonly line: number
  readonly column: number
}

/** One comparison `field [NOT] OP "value"`; `negated` folds both negation spellings and any pushed-down NOT. */
export interface Atom {
  readonly _tag: "Atom"
  readonly field: Field
  readonly operator: Operator
  readonly negated: boolean
  readonly value: string
  readonly position: Position
}

/** A condition expression as written (before flattening to groups). */
export type Expr =
  | Atom
  | { readonly _tag: "And"; readonly items: ReadonlyArray<Expr> }
  | { readonly _tag: "Or"; readonly items: ReadonlyArray<Expr> }
  | { readonly _tag: "Not"; readonly expr: Expr }

/** A token of a condition line; string tokens carry their decoded value. */
export interface Token {
  readonly kind: "word" | "string" | "lparen" | "rparen"
  readonly text: string
  readonly position: Position
}

/** Keys of the lines a rule body can hold. */
export type BodyKey =
  | "enabled"
  | "priority"
  | "severity"
  | "decision"
  | "substitute"
  | "condition"
  | "message"
  | "prompt"
  | "run"
  | "webhook"

/** One body line of a rule with the comments that belong to it (kept by the formatter). */
export interface BodyLine {
  readonly key: BodyKey
  readonly line: number
  /** Full-line comments directly above this line, verbatim without the leading indentation. */
  readonly leadingComments: ReadonlyArray<string>
  /** A trailing `# …` comment on this line, verbatim from the `#`. */
  readonly trailingComment: string | null
}

/** A condition line: its keyword, its tokens and where it stands. */
export interface ConditionLine {
  readonly keyword: "IF" | "OR" | "AND"
  readonly tokens: ReadonlyArray<Token>
  readonly line: number
  /** Column of the keyword. */
  readonly column: number
}

/** A parsed rule. `groups` is the condition flattened to OR-of-AND groups (what the evaluator runs). */
export interface Rule {
  readonly id: string
  readonly enabled: boolean
  readonly priority: number
  readonly severity: Severity
  readonly decision: Decision
  readonly target: Target
  readonly message: string | null
  readonly prompt: string | null
  readonly substitute: string | null
  readonly run: ReadonlyArray<string>
  readonly webhook: ReadonlyArray<string>
  readonly condition: Expr
  readonly groups: ReadonlyArray<ReadonlyArray<Atom>>
  readonly conditionLines: ReadonlyArray<ConditionLine>
  readonly body: ReadonlyArray<BodyLine>
  /** Full-line comments between the last body line and the closing `}`. */
  readonly closingComments: ReadonlyArray<string>
  /** A trailing `# …` comment on the `rule <id> {` line. */
  readonly headerComment: string | null
  /** A trailing `# …` comment on the closing `}` line. */
  readonly endComment: string | null
  /** Which keywords were written explicitly (defaults fill the rest). */
  readonly explicit: { readonly enabled: boolean; readonly priority: boolean; readonly severity: boolean }
  readonly file: string
  /** Line of the `rule <id> {` header. */
  readonly line: number
  /** Line of the closing `}`. */
  readonly endLine: number
  /** The rule's source lines verbatim, header through `}`, joined with `\n` (ruleset content hashing). */
  readonly rawText: string
}

/** Severity of a diagnostic. */
export type DiagnosticSeverity = "error" | "warning"

/** A located finding about a rules file (parse error or lint finding). */
export interface Diagnostic {
  readonly file: string
  readonly line: number
  readonly column: number
  readonly severity: DiagnosticSeverity
  /** Stable machine-readable code, e.g. `parse.unterminated-string`, `lint.regex-rejected`. */
  readonly code: string
  readonly message: string
  readonly ruleId: string | null
}

/** Top-level items of a rules file in source order (the formatter re-emits them). */
export type FileItem =
  | { readonly _tag: "Comment"; readonly text: string; readonly line: number }
  | { readonly _tag: "Blank"; readonly line: number }
  | { readonly _tag: "Rule"; readonly rule: Rule }
  | { readonly _tag: "Broken"; readonly line: number; readonly endLine: number }

/** A parsed rules file: good rules, items in order, and every parse error (one bad rule never hides the rest). */
export interface RulesFile {
  readonly path: string
  readonly text: string
  readonly items: ReadonlyArray<FileItem>
  readonly rules: ReadonlyArray<Rule>
  readonly diagnostics: ReadonlyArray<Diagnostic>
}

/** Defaults for keywords a rule leaves out. */
export const RULE_DEFAULTS = { enabled: true, priority: 50, severity: "warning" as Severity } as const

/** Wire name of a decision in JSON output. */
export const wireDecision = (decision: Decision): WireDecision => WIRE[decision]

/** A decision as it appears in JSON output. */
export type WireDecision = "block" | "allow" | "log" | "shadow" | "ask" | "force"

const WIRE: Record<Decision, WireDecision> = {
  DENY: "block",
  ALLOW: "allow",
  LOG: "log",
  SHADOW: "shadow",
  ASK: "ask",
  FORCE: "force"
}

/** Parses a decision given as a DSL keyword (`DENY`) or a wire name (`block`), case-insensitively. */
export const decisionFromName = (name: string): Decision | undefined => {
  const upper = name.toUpperCase()
  if ((DECISIONS as ReadonlyArray<string>).includes(upper)) return upper as Decision
  const lower = name.toLowerCase()
  const entry = Object.entries(WIRE).find(([, wire]) => wire === lower)
  return entry ? (entry[0] as Decision) : undefined
}
