import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Schema } from "effect"
import { setDecision, setEnabled } from "../domain/rules/Edit.js"
import { parseRulesFile } from "../domain/rules/Parser.js"
import { type Decision, decisionFromName, type Rule, type RulesFile, wireDecision } from "../domain/rules/Rule.js"
import { RuleChanged } from "../domain/Event.js"
import { AuditLog } from "../pipeline/AuditLog.js"
import { type FileEdit, type LoadedRules, RuleFiles, writeAllOrNothing } from "../pipeline/RuleFiles.js"
import { RuleNotFound } from "./eval.js"
import { jsonOption, rulesOption } from "./options.js"
import { Finding } from "./finding.js"

/** An edit whose result would not parse or would not carry the new value; nothing is written. */
export class RuleEditError extends Schema.TaggedError<RuleEditError>()("RuleEditError", { message: Schema.String }) {}

const jsonFlag = jsonOption.pipe(
  Options.withDescription("ssg rule always prints JSON; the flag is accepted for symmetry")
)

/** The JSON shape of one rule in `ssg rule list|search` and `ssg list --json`. */
export const ruleJson = (rule: Rule) => ({
  id: rule.id,
  file: rule.file,
  line: rule.line,
  enabled: rule.enabled,
  priority: rule.priority,
  severity: rule.severity,
  decision: wireDecision(rule.decision),
  target: rule.target,
  message: rule.message
})

const allRules = (loaded: LoadedRules): ReadonlyArray<Rule> => loaded.files.flatMap((f) => f.rules)

const idArg = Args.text({ name: "ID" }).pipe(Args.withDescription("rule id"))

const listCommand = Command.make("list", { json: jsonFlag, rules: rulesOption }, ({ rules }) =>
  Effect.gen(function* () {
    const loaded = yield* (yield* RuleFiles).loadValid({ dirs: rules })
    yield* Console.log(JSON.stringify(allRules(loaded).map(ruleJson)))
  })
).pipe(Command.withDescription("List every rule of the loaded files (all occurrences, in load order) as JSON"))

const searchCommand = Command.make(
  "search",
  {
    json: jsonFlag,
    rules: rulesOption,
    query: Args.text({ name: "QUERY" }).pipe(Args.withDescription("text to look for"))
  },
  ({ query, rules }) =>
    Effect.gen(function* () {
      const loaded = yield* (yield* RuleFiles).loadValid({ dirs: rules })
      const q = query.toLowerCase()
      const hits = allRules(loaded).filter(
        (r) => r.id.toLowerCase().includes(q) || (r.message ?? "").toLowerCase().includes(q)
      )
      yield* Console.log(JSON.stringify(hits.map(ruleJson)))
    })
).pipe(Command.withDescription("Rules whose id or MESSAGE contains QUERY (case-insensitive), as JSON"))

interface Change {
  readonly describe: string
  readonly apply: (text: string, rule: Rule) => string
  readonly holds: (rule: Rule) => boolean
}

const editRule = (
  id: string,
  dirs: ReadonlyArray<string>,
  change: Change,
  check?: (rules: ReadonlyArray<Rule>) => Finding | null
) =>
  Effect.gen(function* () {
    const loaded = yield* (yield* RuleFiles).loadValid({ dirs })
    const targets = loaded.files.filter((f) => f.rules.some((r) => r.id === id))
    if (targets.length === 0) return yield* new RuleNotFound({ message: `no rule with id "${id}" in the loaded rules` })
    const problem = check?.(targets.flatMap((f) => f.rules.filter((r) => r.id === id))) ?? null
    if (problem !== null) return yield* problem
    const before = targets[0]!.rules.find((r) => r.id === id)!
    if (targets.every((f) => f.rules.filter((r) => r.id === id).every(change.holds))) {
      return { files: targets.map((f) => f.path), before, changed: false }
    }
    const edits: Array<FileEdit> = []
    for (const file of targets) {
      const text = editFile(file, id, change.apply)
      const error = verify(file, text, id, change)
      if (error !== null) return yield* new RuleEditError({ message: error })
      edits.push({ path: file.path, before: file.text, after: text })
    }
    yield* writeAllOrNothing(edits)
    return { files: edits.map((e) => e.path), before, changed: true }
  })

const recordChange = (ruleId: string, change: "enabled" | "disabled" | "decision", from: string, to: string, files: ReadonlyArray<string>) =>
  Effect.flatMap(AuditLog, (log) => log.append([RuleChanged.make({ rule_id: ruleId, change, from, to, files })]))

const editFile = (file: RulesFile, id: string, apply: Change["apply"]): string =>
  file.rules
    .filter((r) => r.id === id)
    .sort((a, b) => b.line - a.line)
    .reduce((text, rule) => apply(text, rule), file.text)

const verify = (file: RulesFile, text: string, id: string, change: Change): string | null => {
  const reparsed = parseRulesFile(text, file.path)
  const errors = reparsed.diagnostics.filter((d) => d.severity === "error")
  if (errors.length > 0) {
    const d = errors[0]!
    const where = `${d.line}:${d.column}`
    return `refusing to write ${file.path}: after ${change.describe} it would not parse (${where}: ${d.message})`
  }
  const before = file.rules.filter((r) => r.id === id).length
  const after = reparsed.rules.filter((r) => r.id === id)
  if (after.length !== before || !after.every(change.holds) || reparsed.rules.length !== file.rules.length) {
    return `refusing to write ${file.path}: ${change.describe} did not take effect on rule "${id}"`
  }
  return null
}

const enabledCommand = (name: "enable" | "disable") => {
  const enabled = name === "enable"
  return Command.make(name, { json: jsonFlag, rules: rulesOption, id: idArg }, ({ id, rules }) =>
    Effect.gen(function* () {
      const { before, changed, files } = yield* editRule(id, rules, {
        describe: `setting enabled ${enabled}`,
        apply: (text, rule) => setEnabled(text, rule, enabled),
        holds: (rule) => rule.enabled === enabled
      })
      const state = (on: boolean) => (on ? "enabled" : "disabled")
      if (changed) yield* recordChange(id, name === "enable" ? "enabled" : "disabled", state(before.enabled), state(enabled), files)
      yield* Console.log(JSON.stringify({ ok: true, rule_id: id, files, enabled, changed }))
    })
  ).pipe(Command.withDescription(`${enabled ? "Enable" : "Disable"} a rule by id in every file that defines it`))
}

const setDecisionCommand = Command.make(
  "set-decision",
  {
    json: jsonFlag,
    rules: rulesOption,
    id: idArg,
    decision: Args.text({ name: "DECISION" }).pipe(
      Args.withDescription("DENY, ALLOW, LOG, SHADOW, ASK, FORCE or a wire name: block, allow, log, shadow, ask, force")
    )
  },
  ({ decision: name, id, rules }) =>
    Effect.gen(function* () {
      const decision: Decision | undefined = decisionFromName(name)
      if (decision === undefined) {
        return yield* new Finding({
          message:
            `unknown decision "${name}": ` +
            "use DENY, ALLOW, LOG, SHADOW, ASK, FORCE (or block, allow, log, shadow, ask, force)"
        })
      }
      const { before, changed, files } = yield* editRule(
        id,
        rules,
        {
          describe: `setting the decision to ${decision}`,
          apply: (text, rule) => setDecision(text, rule, decision),
          holds: (rule) => rule.decision === decision && (decision !== "ASK" || rule.prompt !== null)
        },
        (found) =>
          decision === "FORCE" && found.some((r) => r.substitute === null)
            ? new Finding({
                message: `rule "${id}" has no SUBSTITUTE line: add a SUBSTITUTE line before setting FORCE`
              })
            : null
      )
      if (changed) yield* recordChange(id, "decision", wireDecision(before.decision), wireDecision(decision), files)
      yield* Console.log(JSON.stringify({ ok: true, rule_id: id, files, decision: wireDecision(decision), changed }))
    })
).pipe(
  Command.withDescription("Change a rule's decision in every file that defines it (ASK adds a PROMPT when missing)")
)

/** `ssg rule list|enable|disable|set-decision|search`: non-interactive rule management; all output is JSON. */
export const ruleCommand = Command.make("rule").pipe(
  Command.withDescription("Manage rules by id (JSON output; exit 1 when the rule is not found, 2 on parse errors)"),
  Command.withSubcommands([
    listCommand,
    enabledCommand("enable"),
    enabledCommand("disable"),
    setDecisionCommand,
    searchCommand
  ])
)
