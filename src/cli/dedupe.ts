import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { evaluationOrder } from "../domain/rules/Evaluate.js"
import { type Atom, type Rule, type RulesFile, TERMINAL_DECISIONS, wireDecision } from "../domain/rules/Rule.js"
import { displayPath, SsgPaths } from "../pipeline/Paths.js"
import { location, RuleFiles } from "../pipeline/RuleFiles.js"
import { jsonOption, pathsArgs, rulesOption } from "./options.js"
import { Finding, warn } from "./finding.js"

/** One rule id defined in more than one place. */
export interface DuplicateId {
  readonly id: string
  readonly rules: ReadonlyArray<Rule>
}

/** Two enabled rules with the same condition groups and overlapping targets; `winner` evaluates first. */
export interface IdenticalPair {
  readonly first: Rule
  readonly second: Rule
  readonly winner: Rule
}

/** `rule` can only match where `by` matches; `neverDecides` when `by` evaluates first and is terminal. */
export interface Subsumption {
  readonly rule: Rule
  readonly by: Rule
  readonly winner: Rule
  readonly neverDecides: boolean
}

/** What `ssg dedupe` reports. */
export interface DedupeReport {
  readonly duplicateIds: ReadonlyArray<DuplicateId>
  readonly identical: ReadonlyArray<IdenticalPair>
  readonly subsumed: ReadonlyArray<Subsumption>
}

/**
 * Finds duplicate ids among all rule occurrences, and identical or subsumed condition sets among the enabled
 * effective rules; groups are indexed by their rarest atom so the search stays near-linear on large rule sets.
 */
export const findOverlaps = (occurrences: ReadonlyArray<Rule>, effective: ReadonlyArray<Rule>): DedupeReport => {
  const byId = new Map<string, Array<Rule>>()
  for (const r of occurrences) {
    const list = byId.get(r.id)
    if (list === undefined) byId.set(r.id, [r])
    else list.push(r)
  }
  const duplicateIds = [...byId].filter(([, rules]) => rules.length > 1).map(([id, rules]) => ({ id, rules }))

  const rank = new Map<Rule, number>(evaluationOrder(effective).map((r, i) => [r, i]))
  const winnerOf = (a: Rule, b: Rule): Rule => (rank.get(a)! <= rank.get(b)! ? a : b)
  const rules = effective.filter((r) => r.enabled)
  const atomIds = new Map<string, number>()
  const groupsOf: Array<ReadonlyArray<Int32Array>> = rules.map((r) =>
    r.groups.map((g) => Int32Array.from(new Set(g.map((a) => intern(atomIds, a)))).sort())
  )
  const signatures = groupsOf.map((gs) => [...new Set(gs.map((g) => g.join(",")))].sort().join("|"))

  const identical: Array<IdenticalPair> = []
  const identicalPairs = new Set<string>()
  const buckets = new Map<string, Array<number>>()
  signatures.forEach((s, i) => {
    const list = buckets.get(s)
    if (list === undefined) buckets.set(s, [i])
    else list.push(i)
  })
  for (const members of buckets.values()) {
    for (let x = 0; x < members.length; x++) {
      for (let y = x + 1; y < members.length; y++) {
        const a = rules[members[x]!]!
        const b = rules[members[y]!]!
        if (a.target !== b.target && a.target !== "any" && b.target !== "any") continue
        identicalPairs.add(`${members[x]}:${members[y]}`).add(`${members[y]}:${members[x]}`)
        identical.push({ first: a, second: b, winner: winnerOf(a, b) })
      }
    }
  }

  const frequency = new Int32Array(atomIds.size)
  for (const gs of groupsOf) for (const g of gs) for (const atom of g) frequency[atom]!++
  const index = new Map<number, Array<readonly [rule: number, group: number]>>()
  groupsOf.forEach((gs, ri) =>
    gs.forEach((g, gi) => {
      let key = g[0]!
      for (const atom of g) if (frequency[atom]! < frequency[key]!) key = atom
      const list = index.get(key)
      if (list === undefined) index.set(key, [[ri, gi]])
      else list.push([ri, gi])
    })
  )

  const subsumed: Array<Subsumption> = []
  groupsOf.forEach((groupsB, bi) => {
    const b = rules[bi]!
    const firstB = groupsB[0]
    if (firstB === undefined) return
    const firstSet = new Set(firstB)
    const candidates = new Set<number>()
    for (const atom of firstB) {
      for (const [ai, gi] of index.get(atom) ?? []) {
        if (ai === bi || candidates.has(ai)) continue
        if (isSubset(groupsOf[ai]![gi]!, firstSet)) candidates.add(ai)
      }
    }
    for (const ai of [...candidates].sort((x, y) => x - y)) {
      const a = rules[ai]!
      if (a.target !== "any" && a.target !== b.target) continue
      if (identicalPairs.has(`${ai}:${bi}`)) continue
      const groupsA = groupsOf[ai]!
      const covered = groupsB.every((gB) => {
        const set = new Set(gB)
        return groupsA.some((gA) => isSubset(gA, set))
      })
      if (!covered) continue
      const winner = winnerOf(a, b)
      subsumed.push({ rule: b, by: a, winner, neverDecides: winner === a && TERMINAL_DECISIONS.has(a.decision) })
    }
  })
  return { duplicateIds, identical, subsumed }
}

/** `ssg dedupe [PATHS]...`: duplicate ids, identical and subsumed rules in the files that parse; exit 1 on any. */
export const dedupeCommand = Command.make(
  "dedupe",
  {
    json: jsonOption,
    rules: rulesOption,
    paths: pathsArgs
  },
  ({ json, paths, rules }) =>
    Effect.gen(function* () {
      const { cwd } = yield* SsgPaths
      const loaded = yield* (yield* RuleFiles).load({ dirs: rules, files: paths })
      const valid: Array<RulesFile> = []
      for (const file of loaded.files) {
        const error = file.diagnostics.find((d) => d.severity === "error")
        if (error === undefined) valid.push(file)
        else yield* warn(`${location(error, cwd)}: ${error.message} (file skipped)`)
      }
      const occurrences = valid.flatMap((f) => f.rules)
      const effective = firstById(occurrences)
      const report = findOverlaps(occurrences, effective)
      const where = (r: Rule): string => `${displayPath(cwd, r.file)}:${r.line}`
      const what = (r: Rule): string => `${r.id} priority ${r.priority} ${r.decision}`
      if (json) {
        yield* Console.log(
          JSON.stringify({
            duplicate_ids: report.duplicateIds.map((d) => ({
              id: d.id,
              locations: d.rules.map((r) => ({ file: r.file, line: r.line }))
            })),
            identical: report.identical.map((p) => ({ rules: [ref(p.first), ref(p.second)], winner: p.winner.id })),
            subsumed: report.subsumed.map((s) => ({
              rule: ref(s.rule),
              by: ref(s.by),
              winner: s.winner.id,
              never_decides: s.neverDecides
            }))
          })
        )
      } else {
        for (const d of report.duplicateIds) {
          const [first, ...rest] = d.rules
          yield* Console.log(`duplicate-id: ${d.id} (${where(first!)}) also defined at ${rest.map(where).join(", ")}`)
        }
        for (const p of report.identical) {
          yield* Console.log(
            `identical: ${p.second.id} (${where(p.second)}) ` +
              `has the same conditions as ${p.first.id} (${where(p.first)}); ` +
              `${what(p.first)} vs ${what(p.second)}; ${p.winner.id} evaluates first`
          )
        }
        for (const s of report.subsumed) {
          const tail = s.neverDecides
            ? `${s.by.id} evaluates first, so ${s.rule.id} never decides`
            : s.winner === s.rule
              ? `${s.rule.id} evaluates first (a narrower exception)`
              : `${s.by.id} evaluates first`
          yield* Console.log(
            `subsumed: ${s.rule.id} (${where(s.rule)}) only matches where ${s.by.id} (${where(s.by)}) matches; ` +
              `${what(s.by)} vs ${what(s.rule)}; ${tail}`
          )
        }
        yield* Console.log(
          `${report.duplicateIds.length} duplicate id(s), ${report.identical.length} identical pair(s), ` +
            `${report.subsumed.length} subsumed pair(s) among ${effective.length} rule(s)`
        )
      }
      const total = report.duplicateIds.length + report.identical.length + report.subsumed.length
      if (total > 0) return yield* new Finding({ message: `dedupe found ${total} overlap(s)` })
    })
).pipe(Command.withDescription("Report duplicate rule ids, identical rules and rules subsumed by broader ones"))

const firstById = (rules: ReadonlyArray<Rule>): ReadonlyArray<Rule> => {
  const seen = new Set<string>()
  return rules.filter((r) => {
    if (seen.has(r.id)) return false
    seen.add(r.id)
    return true
  })
}

const ref = (r: Rule) => ({
  id: r.id,
  file: r.file,
  line: r.line,
  priority: r.priority,
  decision: wireDecision(r.decision),
  target: r.target
})

const intern = (ids: Map<string, number>, a: Atom): number => {
  const operator = a.operator === "MATCHES" ? "REGEX" : a.operator
  const key = `${a.field}\u0000${operator}\u0000${a.negated ? 1 : 0}\u0000${a.value}`
  let id = ids.get(key)
  if (id === undefined) {
    id = ids.size
    ids.set(key, id)
  }
  return id
}

const isSubset = (small: Int32Array, big: ReadonlySet<number>): boolean => {
  for (const x of small) if (!big.has(x)) return false
  return true
}
