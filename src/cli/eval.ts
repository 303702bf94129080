import { Command, Options } from "@effect/cli"
import { Console, Effect, Schema } from "effect"
import { readFileSync } from "node:fs"
import { genericCapability } from "../adapters/Generic.js"
import { compileRuleSet, type Evaluation, interpolate, type RuleMatch } from "../domain/rules/Evaluate.js"
import { wireDecision } from "../domain/rules/Rule.js"
import { recordedModel, reportedUsage } from "../domain/Tokens.js"
import { type ToolCall, toolCallFromJson } from "../domain/ToolCall.js"
import { AuditLog } from "../pipeline/AuditLog.js"
import { Config } from "../pipeline/Config.js"
import { evalDecidedRecord, roundMs, verdictOf } from "../pipeline/EvalRecord.js"
import { RuleFiles } from "../pipeline/RuleFiles.js"
import { rulesOption } from "./options.js"

/** Standard input that is not a tool call. */
export class InputError extends Schema.TaggedError<InputError>()("InputError", { message: Schema.String }) {}

/** A rule id that no loaded rule has. */
export class RuleNotFound extends Schema.TaggedError<RuleNotFound>()("RuleNotFound", { message: Schema.String }) {}

const explainOption = Options.boolean("explain").pipe(
  Options.withDescription("add which group and conditions matched, with the field values they saw")
)

/** Reads the tool call JSON from standard input, with the decoded JSON object it came from. */
export const readToolCallInput = Effect.gen(function* () {
  const text = yield* Effect.try({
    try: () => readFileSync(0, "utf8"),
    catch: (e) => new InputError({ message: `cannot read standard input: ${(e as Error).message}` })
  })
  if (text.trim() === "") return yield* new InputError({ message: "bad JSON on standard input: input is empty" })
  const json = yield* Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: (e) => new InputError({ message: `bad JSON on standard input: ${(e as Error).message}` })
  })
  const parsed = toolCallFromJson(json)
  if (!parsed.ok) return yield* new InputError({ message: `bad tool call on standard input: ${parsed.error}` })
  return { call: parsed.call, json: json as Readonly<Record<string, unknown>> }
})

/** Reads the tool call JSON from standard input. */
export const readToolCall = Effect.map(readToolCallInput, (input) => input.call)


const explainMatch = (set: ReturnType<typeof compileRuleSet>, match: RuleMatch, call: ToolCall) => ({
  rule_id: match.rule.id,
  decision: wireDecision(match.rule.decision),
  file: match.rule.file,
  line: match.rule.line,
  priority: match.rule.priority,
  group: match.group + 1,
  conditions: set.explain(match, call).map((t) => ({
    field: t.field,
    operator: t.operator,
    negated: t.negated,
    value: t.value,
    actual: t.actual,
    matched: t.matched,
    ...(t.failSecure ? { fail_secure: true } : {})
  }))
})

/** The JSON object `ssg eval` prints for an evaluation. */
export const evalOutput = (
  set: ReturnType<typeof compileRuleSet>,
  result: Evaluation,
  call: ToolCall,
  durationMs: number,
  explain: boolean
): Record<string, unknown> => {
  const rule = result.decisive?.rule ?? null
  const reason =
    rule === null ? null : rule.decision === "FORCE" ? (rule.substitute ?? "") : interpolate(rule.message ?? "", call)
  return {
    decision: result.decision,
    rule_id: rule?.id ?? null,
    reason,
    duration_ms: roundMs(durationMs),
    ...(rule?.decision === "ASK" ? { prompt: interpolate(rule.prompt ?? "", call) } : {}),
    ...(rule?.decision === "FORCE" && rule.message !== null ? { message: interpolate(rule.message, call) } : {}),
    also_matched: result.alsoMatched.map((m) => ({ rule_id: m.rule.id, decision: wireDecision(m.rule.decision) })),
    ...(explain
      ? {
          capability: genericCapability(call.tool),
          explain: [...(result.decisive && !result.alsoMatched.includes(result.decisive) ? [result.decisive] : []), ...result.alsoMatched].map(
            (m) => explainMatch(set, m, call)
          )
        }
      : {})
  }
}

/**
 * `ssg eval`: evaluates the tool call on stdin against the loaded rules, records it (with the call's `model` and
 * `usage` when the JSON carries them) and prints one JSON decision.
 */
export const evalCommand = Command.make("eval", { rules: rulesOption, explain: explainOption }, ({ explain, rules }) =>
  Effect.gen(function* () {
    const { call, json } = yield* readToolCallInput
    const loaded = yield* (yield* RuleFiles).loadValid({ dirs: rules })
    const set = compileRuleSet(loaded.rules)
    const capability = genericCapability(call.tool)
    const start = performance.now()
    const result = set.evaluate(call, capability)
    const duration = performance.now() - start
    const config = yield* (yield* Config).load
    const record = evalDecidedRecord(call, {
      capability,
      client: process.env["SSG_CLIENT"] ?? "cli",
      verdict: verdictOf(result, call),
      latencyMs: duration,
      capture: config.audit.captureInputs,
      model: recordedModel(
        typeof json["model"] === "string" ? json["model"] : undefined,
        process.env["SSG_MODEL"],
        config.cost.model
      ),
      usage: reportedUsage(json["usage"])
    })
    yield* (yield* AuditLog).append([record])
    yield* Console.log(JSON.stringify(evalOutput(set, result, call, duration, explain)))
  })
).pipe(Command.withDescription("Evaluate a tool call read as JSON from stdin; prints one JSON decision"))

/** `ssg test-rule --rule ID`: evaluates one rule (enabled or not) against the tool call on stdin. */
export const testRuleCommand = Command.make(
  "test-rule",
  {
    rule: Options.text("rule").pipe(Options.withDescription("id of the rule to test")),
    rules: rulesOption,
    explain: explainOption
  },
  ({ explain, rule: id, rules }) =>
    Effect.gen(function* () {
      const call = yield* readToolCall
      const loaded = yield* (yield* RuleFiles).loadValid({ dirs: rules })
      const rule = loaded.rules.find((r) => r.id === id)
      if (rule === undefined) return yield* new RuleNotFound({ message: `no rule with id "${id}" in the loaded rules` })
      const set = compileRuleSet([rule])
      const start = performance.now()
      const group = set.matchRule(rule, call, genericCapability(call.tool))
      const duration = performance.now() - start
      const result: Evaluation =
        group < 0
          ? { decision: "allow", decisive: null, alsoMatched: [] }
          : { decision: wireDecision(rule.decision), decisive: { rule, group }, alsoMatched: [] }
      const out = evalOutput(set, result, call, duration, explain)
      delete out["also_matched"]
      yield* Console.log(JSON.stringify({ matched: group >= 0, ...out, rule_id: rule.id, enabled: rule.enabled }))
    })
).pipe(Command.withDescription("Test one rule against a tool call read as JSON from stdin"))
