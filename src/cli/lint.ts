import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { formatDiagnostic, formatSummary, lintRuleSet, summarizeLint } from "../domain/rules/Lint.js"
import type { Diagnostic } from "../domain/rules/Rule.js"
import { displayPath, SsgPaths } from "../pipeline/Paths.js"
import { RuleFiles, RulesSourceError } from "../pipeline/RuleFiles.js"
import { jsonOption, pathsArgs, rulesOption } from "./options.js"
import { Finding } from "./finding.js"

/** `ssg lint`: parse errors and lint findings for rule files, a summary line, exit 1 on any error. */
export const lintCommand = Command.make(
  "lint",
  { rules: rulesOption, paths: pathsArgs, json: jsonOption },
  ({ json, paths, rules }) =>
    Effect.gen(function* () {
      const { cwd } = yield* SsgPaths
      const loaded = yield* (yield* RuleFiles).load({ dirs: rules, files: paths })
      if (loaded.files.length === 0) {
        const looked = loaded.dirs.map((d) => displayPath(cwd, d)).join(", ") || "the given paths"
        return yield* new RulesSourceError({ path: cwd, message: `no .rules files found (looked in ${looked})` })
      }
      const lint = lintRuleSet(loaded.files)
      const all: Array<Diagnostic> = [...loaded.files.flatMap((f) => f.diagnostics), ...lint]
        .map((d) => ({ ...d, file: displayPath(cwd, d.file) }))
        .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column))
      const summary = summarizeLint(loaded.files, lint)
      if (json) {
        yield* Console.log(
          JSON.stringify({
            valid: summary.errors === 0,
            summary: {
              files: summary.files,
              valid_files: summary.validFiles,
              errors: summary.errors,
              warnings: summary.warnings,
              rules: summary.rules,
              native_compatible: summary.nativeCompatible
            },
            diagnostics: all.map((d) => ({
              file: d.file,
              line: d.line,
              column: d.column,
              severity: d.severity,
              code: d.code,
              message: d.message,
              rule_id: d.ruleId
            }))
          })
        )
      } else {
        for (const d of all) yield* Console.log(formatDiagnostic(d))
        yield* Console.log(formatSummary(summary))
      }
      if (summary.errors > 0) {
        return yield* new Finding({ message: `lint found ${summary.errors} error(s)`, silent: true })
      }
    })
).pipe(
  Command.withDescription(
    "Check .rules files: parse errors, RE2-rejected regexes, missing PROMPT/SUBSTITUTE, duplicates, warnings"
  )
)
