import type { Capability, ToolCall } from "../ToolCall.js"
import { fieldResolver, resolveField } from "../ToolCall.js"
import { codeLines } from "./CommentLines.js"
import { compileGlob } from "./Glob.js"
import { buildLiteralIndex, type LiteralIndex } from "./LiteralIndex.js"
import { minLength } from "./Literals.js"
import { compileRegex, regexLiterals as literalsOfRegex } from "./Regex.js"
import { type Atom, type Decision, type Field, type Rule, type Target, TERMINAL_DECISIONS, type WireDecision, wireDecision } from "./Rule.js"

/** Order of decisions at equal priority: deny overrides, then ask, force, allow; the non-terminal ones last. */
export const DECISION_PRECEDENCE: ReadonlyArray<Decision> = ["DENY", "ASK", "FORCE", "ALLOW", "LOG", "SHADOW"]

/** One rule that matched, with the index of the first OR group that matched. */
export interface RuleMatch {
  readonly rule: Rule
  readonly group: number
}

/** The outcome of evaluating a call: the deciding match (if any) and the non-terminal matches met on the way. */
export interface Evaluation {
  readonly decision: WireDecision
  readonly decisive: RuleMatch | null
  readonly alsoMatched: ReadonlyArray<RuleMatch>
}

/** One condition of a matched group with the field value it saw, for `--explain`. */
export interface ConditionTrace {
  readonly field: Field
  readonly operator: string
  readonly negated: boolean
  readonly value: string
  readonly actual: string
  readonly matched: boolean
  /** True when the condition matched only because its regex is rejected by RE2 (fail-secure). */
  readonly failSecure: boolean
}

/** A rule set compiled for fast evaluation: indexed by capability, with a literal prefilter per field. */
export interface CompiledRuleSet {
  /** Rules in evaluation order: priority descending, then DECISION_PRECEDENCE, then load order. */
  readonly rules: ReadonlyArray<Rule>
  /** Evaluates enabled rules; the first terminal match decides, LOG/SHADOW matches are collected on the way. */
  readonly evaluate: (call: ToolCall, capability: Capability) => Evaluation
  /** Tests one rule of the set (enabled or not) against a call; returns the first matching group index or -1. */
  readonly matchRule: (rule: Rule, call: ToolCall, capability: Capability) => number
  /** Every enabled rule that matches the call, in evaluation order (no short-circuit). */
  readonly matchAll: (call: ToolCall, capability: Capability) => ReadonlyArray<RuleMatch>
  /** The conditions of one group of a rule of the set with the values they saw. */
  readonly explain: (match: RuleMatch, call: ToolCall) => ReadonlyArray<ConditionTrace>
}

const CAPABILITY_BITS: Record<Capability, number> = {
  execute: 1,
  read: 2,
  write: 4,
  search: 8,
  agent: 16,
  network: 32,
  unknown: 64
}

const TARGET_MASK: Record<Target, number> = {
  execution: 1,
  read: 2,
  write: 4,
  search: 8,
  agent: 16,
  network: 32,
  any: 127
}

/** Does a rule target apply to a tool capability (`execution` is the `execute` capability, `any` applies to all)? */
export const targetApplies = (target: Target, capability: Capability): boolean =>
  (TARGET_MASK[target] & CAPABILITY_BITS[capability]) !== 0

interface Context {
  readonly call: ToolCall
  /** Field values by field id, resolved on first use. */
  readonly values: Array<string | undefined>
  /** Code lines of field values by field id, split on first use by a LINE_* condition. */
  readonly code: Array<CodeText | undefined>
}

interface CodeText {
  readonly lines: ReadonlyArray<string>
  /** The code lines joined by newlines: one RE2 call over it rules a LINE_REGEX out before any per-line call. */
  readonly text: string
}

interface CompiledAtom {
  readonly atom: Atom
  readonly field: number
  readonly resolve: (call: ToolCall) => string
  /** True when the atom's pattern is rejected: the condition then matches (fail-secure). */
  readonly failSecure: boolean
  readonly test: (value: string, ctx: Context) => boolean
  /** Literals of which one must occur in the field value for the (positive) atom to hold, or null. */
  readonly literals: ReadonlyArray<string> | null
}

interface CompiledGroup {
  /** The group's atoms, cheapest test first. */
  readonly atoms: ReadonlyArray<CompiledAtom>
  /** Literal ids of the most selective atom, one of which must be found for the group to match; null: no prefilter. */
  readonly requires: Int32Array | null
  /** For every atom with literals, the ids of which one must be found (checked before any atom runs). */
  readonly needs: ReadonlyArray<Int32Array>
}

const COST: Record<Atom["operator"], number> = {
  EQUALS: 0,
  STARTS_WITH: 0,
  ENDS_WITH: 0,
  CONTAINS: 1,
  WORD: 1,
  GLOB: 2,
  REGEX: 3,
  MATCHES: 3,
  LINE_CONTAINS: 4,
  LINE_REGEX: 5
}

interface CompiledRule {
  readonly rule: Rule
  readonly order: number
  readonly mask: number
  readonly groups: ReadonlyArray<CompiledGroup>
}

const isWordChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95

/** Whole-word containment: `word` occurs with no letter, digit or `_` directly before or after it. */
export const containsWord = (text: string, word: string): boolean => {
  if (word === "") return false
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) {
    const before = i === 0 || !isWordChar(text.charCodeAt(i - 1)) || !isWordChar(word.charCodeAt(0))
    const end = i + word.length
    const after = end === text.length || !isWordChar(text.charCodeAt(end)) || !isWordChar(word.charCodeAt(word.length - 1))
    if (before && after) return true
  }
  return false
}

const codeOf = (ctx: Context, field: number, fieldValue: string): CodeText => {
  let code = ctx.code[field]
  if (code === undefined) {
    const lines = codeLines(fieldValue, resolveField(ctx.call, "path"))
    code = { lines, text: lines.join("\n") }
    ctx.code[field] = code
  }
  return code
}

const TEXT_ANCHORS = /\\[Az]/

const CLEARS_MULTILINE = /\(\?[A-Za-z]*-[A-Za-z-]*m/

const compileAtom = (atom: Atom, field: number, withLiterals = true): CompiledAtom => {
  const v = atom.value
  const base = { atom, field, resolve: fieldResolver(atom.field), failSecure: false }
  const lit = (l: string): ReadonlyArray<string> | null => (l === "" || !withLiterals ? null : [l])
  const regexLiterals = (pattern: string) => (withLiterals ? literalsOfRegex(pattern) : null)
  switch (atom.operator) {
    case "CONTAINS":
      return { ...base, test: (s) => s.includes(v), literals: lit(v) }
    case "STARTS_WITH":
      return { ...base, test: (s) => s.startsWith(v), literals: lit(v) }
    case "ENDS_WITH":
      return { ...base, test: (s) => s.endsWith(v), literals: lit(v) }
    case "EQUALS":
      return { ...base, test: (s) => s === v, literals: lit(v) }
    case "WORD":
      return { ...base, test: (s) => containsWord(s, v), literals: lit(v) }
    case "GLOB": {
      const glob = compileGlob(v)
      return { ...base, test: (s) => glob.test(s), literals: withLiterals ? glob.literals : null }
    }
    case "REGEX":
    case "MATCHES": {
      const re = compileRegex(v)
      if (!re.ok) return { ...base, failSecure: true, test: () => true, literals: null }
      return { ...base, test: (s) => re.test(s), literals: regexLiterals(v) }
    }
    case "LINE_CONTAINS":
      return {
        ...base,
        test: (s, ctx) => s.includes(v) && codeOf(ctx, field, s).lines.some((line) => line.includes(v)),
        literals: lit(v)
      }
    case "LINE_REGEX": {
      const re = compileRegex(v)
      if (!re.ok) return { ...base, failSecure: true, test: () => true, literals: null }
      const whole = TEXT_ANCHORS.test(v) || CLEARS_MULTILINE.test(v) ? null : compileRegex(`(?m)${v}`)
      const test =
        whole === null || !whole.ok
          ? (s: string, ctx: Context) => codeOf(ctx, field, s).lines.some((line) => re.test(line))
          : (s: string, ctx: Context) => {
              const code = codeOf(ctx, field, s)
              return whole.test(code.text) && code.lines.some((line) => re.test(line))
            }
      return { ...base, test, literals: regexLiterals(v) }
    }
  }
}

/** What compiling a condition learns before it ever runs: the literals one of which it needs, and fail-secure. */
export interface AtomFacts {
  readonly literals: ReadonlyArray<string> | null
  readonly failSecure: boolean
}

/** The facts of every condition of `rules` (rules, then groups, then conditions, in order), e.g. to cache with them. */
export const atomFacts = (rules: ReadonlyArray<Rule>): Array<Array<Array<AtomFacts>>> =>
  rules.map((rule) =>
    rule.groups.map((group) =>
      group.map((atom) => {
        const compiled = compileAtom(atom, 0)
        return { literals: compiled.literals, failSecure: compiled.failSecure }
      })
    )
  )

const lazyAtom = (atom: Atom, field: number, facts: AtomFacts): CompiledAtom => {
  let real: CompiledAtom | null = null
  return {
    atom,
    field,
    resolve: fieldResolver(atom.field),
    failSecure: facts.failSecure,
    test: (value, ctx) => (real ??= compileAtom(atom, field, false)).test(value, ctx),
    literals: facts.literals
  }
}

const scanningIndex = (literals: ReadonlyArray<string>): LiteralIndex => ({
  size: literals.length,
  scan: (text, found) => {
    for (let id = 0; id < literals.length; id++) if (text.includes(literals[id]!)) found(id)
  }
})

const atomHolds = (a: CompiledAtom, ctx: Context): boolean => {
  if (a.failSecure) return true
  let value = ctx.values[a.field]
  if (value === undefined) {
    value = a.resolve(ctx.call)
    ctx.values[a.field] = value
  }
  return a.test(value, ctx) !== a.atom.negated
}

const precedence = (d: Decision): number => DECISION_PRECEDENCE.indexOf(d)

/** Sorts rules into evaluation order: priority descending, then DECISION_PRECEDENCE, then their given (load) order. */
export const evaluationOrder = (rules: ReadonlyArray<Rule>): ReadonlyArray<Rule> =>
  rules
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => b.rule.priority - a.rule.priority || precedence(a.rule.decision) - precedence(b.rule.decision) || a.index - b.index)
    .map((x) => x.rule)

/**
 * Compiles rules (given in load order) for evaluation. Given the rules' `atomFacts` (for one-shot evaluation, e.g. the
 * hook with its cache) no automaton is built, literals are found by plain substring search and each condition's
 * pattern compiles on its first use; decisions are the same.
 */
export const compileRuleSet = (
  loaded: ReadonlyArray<Rule>,
  options: { readonly facts?: ReadonlyArray<ReadonlyArray<ReadonlyArray<AtomFacts>>> } = {}
): CompiledRuleSet => {
  const factsOf = new Map<Rule, ReadonlyArray<ReadonlyArray<AtomFacts>>>()
  if (options.facts !== undefined) loaded.forEach((rule, i) => factsOf.set(rule, options.facts![i]!))
  const lazy = options.facts !== undefined
  const rules = evaluationOrder(loaded)
  const fieldIds = new Map<Field, number>()
  const fieldId = (f: Field): number => {
    let id = fieldIds.get(f)
    if (id === undefined) {
      id = fieldIds.size
      fieldIds.set(f, id)
    }
    return id
  }
  const literalsByField = new Map<number, Array<string>>()
  const literalId = new Map<string, number>()
  const literalField: Array<number> = []
  const internLiteral = (field: number, text: string): number => {
    const key = `${field}\u0000${text}`
    let id = literalId.get(key)
    if (id === undefined) {
      id = literalField.length
      literalId.set(key, id)
      literalField.push(field)
      const list = literalsByField.get(field) ?? []
      list.push(text)
      literalsByField.set(field, list)
    }
    return id
  }
  const compiled: Array<CompiledRule> = rules.map((rule, order) => ({
    rule,
    order,
    mask: TARGET_MASK[rule.target],
    groups: rule.groups.map((group, gi) => {
      const atoms = group
        .map((atom, ai) =>
          lazy ? lazyAtom(atom, fieldId(atom.field), factsOf.get(rule)![gi]![ai]!) : compileAtom(atom, fieldId(atom.field))
        )
        .sort((a, b) => COST[a.atom.operator] - COST[b.atom.operator])
      let requires: Int32Array | null = null
      let bestScore = 0
      const needs: Array<Int32Array> = []
      for (const a of atoms) {
        if (a.atom.negated || a.failSecure || a.literals === null) continue
        const ids = Int32Array.from(a.literals.map((l) => internLiteral(a.field, l)))
        needs.push(ids)
        const score = minLength(a.literals)
        if (score > bestScore) {
          requires = ids
          bestScore = score
        }
      }
      return { atoms, requires, needs }
    })
  }))

  const fieldCount = fieldIds.size
  const resolvers = [...fieldIds.keys()].map(fieldResolver)
  const indexes: Array<{ field: number; index: LiteralIndex }> = []
  const globalIdOf: Array<Int32Array> = []
  for (const [field, lits] of literalsByField) {
    indexes.push({ field, index: lazy ? scanningIndex(lits) : buildLiteralIndex(lits) })
    globalIdOf[field] = Int32Array.from(lits.map((l) => literalId.get(`${field}\u0000${l}`)!))
  }
  const literalCount = literalField.length
  const rulesByLiteral: Array<Array<number>> = Array.from({ length: literalCount }, () => [])
  const always: Array<number> = []
  for (const c of compiled) {
    if (!c.rule.enabled) continue
    if (c.groups.some((g) => g.requires === null)) {
      always.push(c.order)
      continue
    }
    const seen = new Set<number>()
    for (const g of c.groups) for (const id of g.requires!) if (!seen.has(id)) {
      seen.add(id)
      rulesByLiteral[id]!.push(c.order)
    }
  }
  const alwaysByCapability = new Map<number, Int32Array>()
  for (const bit of Object.values(CAPABILITY_BITS)) {
    alwaysByCapability.set(bit, Int32Array.from(always.filter((o) => (compiled[o]!.mask & bit) !== 0)))
  }

  const foundEpoch = new Uint32Array(literalCount)
  const ruleEpoch = new Uint32Array(compiled.length)
  let epoch = 0
  const nextEpoch = (): number => {
    epoch++
    if (epoch === 0xffffffff) {
      foundEpoch.fill(0)
      ruleEpoch.fill(0)
      epoch = 1
    }
    return epoch
  }

  const anyFound = (ids: Int32Array, e: number): boolean => {
    for (let k = 0; k < ids.length; k++) if (foundEpoch[ids[k]!] === e) return true
    return false
  }

  const groupMatches = (g: CompiledGroup, ctx: Context, e: number, prefiltered: boolean): boolean => {
    if (prefiltered) for (let k = 0; k < g.needs.length; k++) if (!anyFound(g.needs[k]!, e)) return false
    for (let k = 0; k < g.atoms.length; k++) if (!atomHolds(g.atoms[k]!, ctx)) return false
    return true
  }

  const firstGroup = (c: CompiledRule, ctx: Context, e: number, prefiltered: boolean): number => {
    for (let gi = 0; gi < c.groups.length; gi++) if (groupMatches(c.groups[gi]!, ctx, e, prefiltered)) return gi
    return -1
  }

  const newContext = (call: ToolCall): Context => ({ call, values: new Array(fieldCount), code: new Array(fieldCount) })

  const candidates = (ctx: Context, capability: Capability, e: number): Int32Array => {
    const bit = CAPABILITY_BITS[capability]
    const picked: Array<number> = []
    for (const { field, index } of indexes) {
      let value = ctx.values[field]
      if (value === undefined) {
        value = resolvers[field]!(ctx.call)
        ctx.values[field] = value
      }
      if (value === "") continue
      const ids = globalIdOf[field]!
      index.scan(value, (local) => {
        const id = ids[local]!
        if (foundEpoch[id] === e) return
        foundEpoch[id] = e
        const owners = rulesByLiteral[id]!
        for (let k = 0; k < owners.length; k++) {
          const o = owners[k]!
          if (ruleEpoch[o] !== e && (compiled[o]!.mask & bit) !== 0) {
            ruleEpoch[o] = e
            picked.push(o)
          }
        }
      })
    }
    const base = alwaysByCapability.get(bit)!
    if (picked.length === 0) return base
    const merged = new Int32Array(base.length + picked.length)
    merged.set(base)
    merged.set(picked, base.length)
    return merged.sort()
  }

  const evaluate = (call: ToolCall, capability: Capability): Evaluation => {
    const ctx = newContext(call)
    const e = nextEpoch()
    const order = candidates(ctx, capability, e)
    const alsoMatched: Array<RuleMatch> = []
    for (let k = 0; k < order.length; k++) {
      const c = compiled[order[k]!]!
      const group = firstGroup(c, ctx, e, true)
      if (group < 0) continue
      if (TERMINAL_DECISIONS.has(c.rule.decision)) {
        return { decision: wireDecision(c.rule.decision), decisive: { rule: c.rule, group }, alsoMatched }
      }
      alsoMatched.push({ rule: c.rule, group })
    }
    const firstLog = alsoMatched.find((m) => m.rule.decision === "LOG") ?? alsoMatched[0]
    return firstLog === undefined
      ? { decision: "allow", decisive: null, alsoMatched }
      : { decision: wireDecision(firstLog.rule.decision), decisive: firstLog, alsoMatched }
  }

  const byRule = new Map<Rule, CompiledRule>(compiled.map((c) => [c.rule, c]))
  const compiledFor = (rule: Rule): CompiledRule => {
    const c = byRule.get(rule)
    if (c === undefined) throw new Error(`rule ${rule.id} is not in this compiled rule set`)
    return c
  }

  const matchRule = (rule: Rule, call: ToolCall, capability: Capability): number => {
    if (!targetApplies(rule.target, capability)) return -1
    return firstGroup(compiledFor(rule), newContext(call), 0, false)
  }

  const matchAll = (call: ToolCall, capability: Capability): ReadonlyArray<RuleMatch> => {
    const ctx = newContext(call)
    const e = nextEpoch()
    const order = candidates(ctx, capability, e)
    const out: Array<RuleMatch> = []
    for (let k = 0; k < order.length; k++) {
      const c = compiled[order[k]!]!
      const group = firstGroup(c, ctx, e, true)
      if (group >= 0) out.push({ rule: c.rule, group })
    }
    return out
  }

  const explain = (match: RuleMatch, call: ToolCall): ReadonlyArray<ConditionTrace> => {
    const c = compiledFor(match.rule)
    const ctx = newContext(call)
    return (c.groups[match.group]?.atoms ?? []).map((a) => ({
      field: a.atom.field,
      operator: a.atom.operator,
      negated: a.atom.negated,
      value: a.atom.value,
      actual: resolveField(call, a.atom.field),
      matched: atomHolds(a, ctx),
      failSecure: a.failSecure
    }))
  }

  return { rules, evaluate, matchRule, matchAll, explain }
}

/** Replaces `${input.<key>}` in a MESSAGE or PROMPT with the call's value (at most 200 characters); other `${…}` stay. */
export const interpolate = (text: string, call: ToolCall): string =>
  text.replace(/\$\{input\.([A-Za-z0-9_]+)\}/g, (_, key: string) => {
    const v = resolveField(call, `input.${key}`)
    return v.length > 200 ? `${v.slice(0, 199)}…` : v
  })
