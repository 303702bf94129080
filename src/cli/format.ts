import { Command, Options } from "@effect/cli"
import { Console, Effect, Schema } from "effect"
import { type FormatSplit, formatRulesFile, sameMeaning, unifiedDiff } from "../domain/rules/Format.js"
import { parseRulesFile } from "../domain/rules/Parser.js"
import type { Rule, RulesFile } from "../domain/rules/Rule.js"
import { displayPath, SsgPaths } from "../pipeline/Paths.js"
import { type FileEdit, location, RuleFiles, writeAllOrNothing } from "../pipeline/RuleFiles.js"
import { pathsArgs, rulesOption } from "./options.js"
import { errorLine, Finding } from "./finding.js"

/** Files `ssg format` cannot format (parse errors, oversized AND groups, split ids taken); nothing was written. */
export class FormatRefused extends Schema.TaggedError<FormatRefused>()("FormatRefused", { message: Schema.String }) {}

/** `ssg format`: rewrites rule files in canonical form (atomically), or reports what would change. */
export const formatCommand = Command.make(
  "format",
  {
    check: Options.boolean("check").pipe(Options.withDescription("write nothing; exit 1 when a file would change")),
    diff: Options.boolean("diff").pipe(Options.withDescription("write nothing; print a unified diff of the changes")),
    rules: rulesOption,
    paths: pathsArgs
  },
  ({ check, diff, paths, rules }) =>
    Effect.gen(function* () {
      const { cwd } = yield* SsgPaths
      const loaded = yield* (yield* RuleFiles).load({ dirs: rules, files: paths })
      const planned: Array<FileEdit & { readonly splits: ReadonlyArray<FormatSplit> }> = []
      const refusals: Array<string> = []
      const byId = new Map<string, Rule>()
      for (const r of loaded.files.flatMap((f) => f.rules)) if (!byId.has(r.id)) byId.set(r.id, r)
      for (const file of loaded.files) {
        const result = formatRulesFile(file)
        if (!result.ok) {
          for (const e of result.errors) refusals.push(`${location(e, cwd)}: ${e.message}`)
          continue
        }
        const clashes = splitClashes(file, result.splits, byId, cwd)
        if (clashes.length > 0) {
          refusals.push(...clashes)
          continue
        }
        const difference = sameMeaning(file, parseRulesFile(result.text, file.path))
        if (difference !== null) {
          refusals.push(`${displayPath(cwd, file.path)}: formatting would change the meaning (${difference})`)
        } else if (result.text !== file.text) {
          planned.push({ path: file.path, before: file.text, after: result.text, splits: result.splits })
        }
      }
      if (refusals.length > 0) {
        for (const r of refusals.slice(0, -1)) yield* errorLine(r)
        return yield* new FormatRefused({ message: `${refusals[refusals.length - 1]!} (nothing was written)` })
      }
      if (diff) {
        for (const p of planned) yield* Console.log(unifiedDiff(p.before, p.after, displayPath(cwd, p.path)).trimEnd())
      }
      if (check || diff) {
        if (check) for (const p of planned) yield* Console.log(`would reformat ${displayPath(cwd, p.path)}`)
        if (check && planned.length > 0) {
          return yield* new Finding({ message: `${planned.length} file(s) would be reformatted`, silent: false })
        }
        return
      }
      yield* writeAllOrNothing(planned)
      for (const p of planned) {
        for (const s of p.splits) {
          yield* Console.log(`split ${s.id} into ${s.parts} parts (${s.id}-part-1 … ${s.id}-part-${s.parts})`)
        }
        yield* Console.log(`formatted ${displayPath(cwd, p.path)}`)
      }
      yield* Console.log(`${planned.length} file(s) formatted, ${loaded.files.length - planned.length} unchanged`)
    })
).pipe(
  Command.withDescription(
    "Rewrite .rules files in canonical form (--check: exit 1 if any would change; --diff: show changes)"
  )
)

const splitClashes = (
  file: RulesFile,
  splits: ReadonlyArray<FormatSplit>,
  byId: ReadonlyMap<string, Rule>,
  cwd: string
): ReadonlyArray<string> =>
  splits.flatMap((s) => {
    const rule = file.rules.find((r) => r.id === s.id)!
    const ids = Array.from({ length: s.parts }, (_, n) => `${s.id}-part-${n + 1}`)
    return ids.flatMap((id) => {
      const taken = byId.get(id)
      if (taken === undefined) return []
      return [
        `${displayPath(cwd, rule.file)}:${rule.line}:1: cannot split rule ${s.id} into ${s.parts} parts: ` +
          `${id} is already defined at ${displayPath(cwd, taken.file)}:${taken.line}`
      ]
    })
  })
