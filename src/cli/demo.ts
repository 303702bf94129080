import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { fileURLToPath } from "node:url"
import { genericCapability } from "../adapters/Generic.js"
import { compileRuleSet, interpolate } from "../domain/rules/Evaluate.js"
import { formatSummary, lintRuleSet, summarizeLint } from "../domain/rules/Lint.js"
import type { WireDecision } from "../domain/rules/Rule.js"
import type { ToolCall } from "../domain/ToolCall.js"
import { RuleFiles } from "../pipeline/RuleFiles.js"
import { DEMO_CALLS } from "./DemoCalls.js"

/** The starter ruleset shipped in the package (`rules/` next to `dist/`). */
export const STARTER_RULES_DIR = fileURLToPath(new URL("../rules/", import.meta.url))

const MARK: Record<WireDecision, string> = { block: "✗", allow: "✓", log: "•", shadow: "~", ask: "?", force: "→" }

const clip = (s: string, n: number): string => {
  const one = s.replace(/\s+/g, " ").trim()
  return one.length > n ? `${one.slice(0, n - 1)}…` : one.padEnd(n)
}

const summarize = (call: ToolCall): string => {
  const i = call.input
  const v = i["command"] ?? i["file_path"] ?? i["url"] ?? i["pattern"] ?? i["query"] ?? i["description"] ?? ""
  return `${call.tool} ${typeof v === "string" ? v : JSON.stringify(v)}`
}

/** `ssg demo`: lints the starter ruleset and evaluates a realistic sample of agent tool calls against it. */
export const demoCommand = Command.make("demo", {}, () =>
  Effect.gen(function* () {
    const loaded = yield* (yield* RuleFiles).loadValid({ dirs: [STARTER_RULES_DIR] })
    const lint = lintRuleSet(loaded.files)
    yield* Console.log(`ssg demo — starter ruleset: ${loaded.rules.length} rules in ${loaded.files.length} files`)
    yield* Console.log(`lint: ${formatSummary(summarizeLint(loaded.files, lint))}`)
    yield* Console.log("")
    const set = compileRuleSet(loaded.rules)
    const counts = new Map<WireDecision, number>()
    let total = 0
    yield* Console.log(`${"#".padStart(3)}  ${"tool call".padEnd(58)}  ${"decision".padEnd(9)} ${"rule".padEnd(30)} reason`)
    yield* Console.log("-".repeat(150))
    for (const [n, { call }] of DEMO_CALLS.entries()) {
      const start = performance.now()
      const result = set.evaluate(call, genericCapability(call.tool))
      total += performance.now() - start
      counts.set(result.decision, (counts.get(result.decision) ?? 0) + 1)
      const rule = result.decisive?.rule
      const reason = rule === undefined ? "" : rule.decision === "FORCE" ? (rule.substitute ?? "") : interpolate(rule.message ?? "", call)
      const also = result.alsoMatched.filter((m) => m !== result.decisive).map((m) => m.rule.id)
      yield* Console.log(
        `${String(n + 1).padStart(3)}  ${clip(summarize(call), 58)}  ${`${MARK[result.decision]} ${result.decision}`.padEnd(9)} ${clip(rule?.id ?? "—", 30)} ${clip(reason, 60)}${also.length > 0 ? `  (also: ${also.join(", ")})` : ""}`
      )
    }
    yield* Console.log("-".repeat(150))
    const tally = [...counts.entries()].map(([d, c]) => `${c} ${d}`).join(", ")
    yield* Console.log(`${DEMO_CALLS.length} calls: ${tally}; mean evaluation ${((total / DEMO_CALLS.length) * 1000).toFixed(1)} µs`)
  })
).pipe(Command.withDescription("Lint the starter ruleset and evaluate a sample of agent tool calls against it"))
