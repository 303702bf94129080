import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { suggestionBaseId, suggestionId, suggestionRule, unmatchedGroups } from "../domain/rules/Suggest.js"
import { AuditLog } from "../pipeline/AuditLog.js"
import { SsgPaths } from "../pipeline/Paths.js"
import { RuleFiles } from "../pipeline/RuleFiles.js"
import { UsageError, warn } from "./finding.js"
import { jsonOption } from "./options.js"

/** Where `ssg suggest --write` puts its files, under the working directory. */
export const SUGGESTED_DIR = join(".sigmashake", "rules", "suggested")

/**
 * `ssg suggest [--last=100] [--write] [--json]`: the newest evaluations no rule matched, grouped by pattern, each with a
 * proposed LOG rule that passes `ssg lint` (a group whose suggested rule is already in the rule set is left out);
 * `--write` saves one file per group under `.sigmashake/rules/suggested/`.
 */
export const suggestCommand = Command.make(
  "suggest",
  {
    last: Options.integer("last").pipe(Options.withDescription("how many of the newest evaluations to look at (1..100000)"), Options.withDefault(100)),
    write: Options.boolean("write").pipe(Options.withDescription("save the proposed rules under .sigmashake/rules/suggested/")),
    json: jsonOption
  },
  ({ json, last, write }) =>
    Effect.gen(function* () {
      if (last < 1 || last > 100_000) return yield* new UsageError({ message: `--last: ${last} is out of range (1..100000)` })
      const { cwd } = yield* SsgPaths
      const envelopes = yield* (yield* AuditLog).latestOfType("v1.EvalDecided", last)
      const loaded = yield* Effect.either((yield* RuleFiles).load({}))
      const existing = new Set(loaded._tag === "Right" ? loaded.right.rules.map((r) => r.id) : [])
      const groups = unmatchedGroups([...envelopes].reverse()).filter((g) => !existing.has(suggestionBaseId(g)))
      const taken = new Set(existing)
      const suggestions: Array<Record<string, unknown>> = []
      for (const group of groups) {
        const id = suggestionId(group, taken)
        const rule = suggestionRule(group, id)
        if (!rule.ok) {
          yield* warn(`no rule proposed for ${group.tool} ${group.pattern}: ${rule.problem}`)
          continue
        }
        let file: string | null = null
        if (write) {
          const rel = join(SUGGESTED_DIR, `${id}.rules`)
          const path = join(cwd, rel)
          if (existsSync(path) && readFileSync(path, "utf8") !== rule.text) {
            yield* warn(`${rel} exists with other content; left as it is`)
          } else {
            mkdirSync(join(cwd, SUGGESTED_DIR), { recursive: true })
            writeFileSync(path, rule.text)
            file = rel
          }
        }
        suggestions.push({ pattern: group.pattern, tool: group.tool, count: group.count, examples: group.examples, rule_id: id, rule: rule.text, file })
      }
      const unmatched = groups.reduce((n, g) => n + g.count, 0)
      if (json) return yield* Console.log(JSON.stringify({ last, unmatched, groups: suggestions }))
      if (suggestions.length === 0) {
        return yield* Console.log(`every one of the last ${envelopes.length} evaluation(s) matched a rule; nothing to suggest`)
      }
      yield* Console.log(`${unmatched} of the last ${envelopes.length} evaluation(s) matched no rule; ${suggestions.length} group(s):`)
      for (const s of suggestions) {
        yield* Console.log("")
        yield* Console.log(`## ${s["tool"]} ${s["pattern"]} (${s["count"]} call(s)), e.g. ${(s["examples"] as Array<string>).map((e) => JSON.stringify(e)).join(", ")}`)
        yield* Console.log(String(s["rule"]).trimEnd())
        if (s["file"] !== null) yield* Console.log(`→ wrote ${s["file"]}`)
      }
      if (!write) yield* Console.log("\n(--write saves them under .sigmashake/rules/suggested/)")
    })
).pipe(Command.withDescription("Propose LOG rules for recent tool calls that no rule matched"))
