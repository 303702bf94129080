import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { evaluationOrder } from "../domain/rules/Evaluate.js"
import type { Rule } from "../domain/rules/Rule.js"
import { displayPath, SsgPaths } from "../pipeline/Paths.js"
import { RuleFiles } from "../pipeline/RuleFiles.js"
import { jsonOption, rulesOption } from "./options.js"
import { ruleJson } from "./rule.js"

/** Renders rows as left-aligned columns separated by two spaces, without trailing blanks. */
export const table = (rows: ReadonlyArray<ReadonlyArray<string>>): ReadonlyArray<string> => {
  const widths: Array<number> = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "))
}

/** `ssg list [--json]`: the effective rules (duplicate ids dropped) in evaluation order. */
export const listCommand = Command.make("list", { json: jsonOption, rules: rulesOption }, ({ json, rules }) =>
  Effect.gen(function* () {
    const { cwd } = yield* SsgPaths
    const loaded = yield* (yield* RuleFiles).loadValid({ dirs: rules })
    const ordered = evaluationOrder(loaded.rules)
    if (json) {
      yield* Console.log(JSON.stringify(ordered.map((rule, i) => ({ order: i + 1, ...ruleJson(rule) }))))
      return
    }
    const rows = ordered.map((r: Rule) => [
      String(r.priority),
      r.enabled ? r.decision : `${r.decision} (off)`,
      r.target,
      r.id,
      `${displayPath(cwd, r.file)}:${r.line}`
    ])
    for (const line of table([["PRIORITY", "DECISION", "TARGET", "ID", "FILE:LINE"], ...rows])) yield* Console.log(line)
    yield* Console.log(`${ordered.length} rule(s) from ${loaded.files.length} file(s)`)
  })
).pipe(Command.withDescription("Show the loaded rules in evaluation order (text table or --json)"))
