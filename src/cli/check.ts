import { Args, Command } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Console, Effect } from "effect"
import { basename, join, resolve } from "node:path"
import { compileRuleSet, interpolate } from "../domain/rules/Evaluate.js"
import { type Severity, type WireDecision, wireDecision } from "../domain/rules/Rule.js"
import type { Capability, ToolCall } from "../domain/ToolCall.js"
import { displayPath, SsgPaths } from "../pipeline/Paths.js"
import { RuleFiles } from "../pipeline/RuleFiles.js"
import { jsonOption, rulesOption } from "./options.js"
import { Finding, UsageError } from "./finding.js"

/** Directory names `ssg check` never descends into. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([".git", "node_modules", ".sigmashake"])

/** Files larger than this are not scanned. */
export const MAX_FILE_BYTES = 1024 * 1024

/** One rule that matched a scanned file, as a Write of its content or a Read of its path. */
export interface Violation {
  readonly file: string
  readonly rule_id: string
  readonly decision: WireDecision
  readonly severity: Severity
  readonly message: string
  readonly capability: Capability
}

/** `ssg check PATH...`: each enabled rule matching a Write or Read of a file is a violation; exit 1 if any blocks. */
export const checkCommand = Command.make(
  "check",
  {
    json: jsonOption,
    rules: rulesOption,
    paths: Args.path({ name: "PATH", exists: "either" }).pipe(
      Args.withDescription("files or directories to scan"),
      Args.atLeast(1)
    )
  },
  ({ json, paths, rules }) =>
    Effect.gen(function* () {
      const { cwd } = yield* SsgPaths
      const loaded = yield* (yield* RuleFiles).loadValid({ dirs: rules })
      const set = compileRuleSet(loaded.rules)
      const files = yield* collectFiles(paths.map((p) => resolve(cwd, p)))
      const fs = yield* FileSystem.FileSystem
      const decoder = new TextDecoder("utf-8")
      const violations: Array<Violation> = []
      let scanned = 0
      for (const file of files) {
        const bytes = yield* fs.readFile(file).pipe(Effect.orElseSucceed(() => null))
        if (bytes === null || bytes.includes(0)) continue
        scanned++
        const calls: ReadonlyArray<readonly [ToolCall, Capability]> = [
          [{ tool: "Write", input: { file_path: file, content: decoder.decode(bytes) } }, "write"],
          [{ tool: "Read", input: { file_path: file } }, "read"]
        ]
        for (const [call, capability] of calls) {
          for (const { rule } of set.matchAll(call, capability)) {
            violations.push({
              file,
              rule_id: rule.id,
              decision: wireDecision(rule.decision),
              severity: rule.severity,
              message: interpolate(rule.message ?? "", call),
              capability
            })
          }
        }
      }
      const blocking = violations.filter((v) => v.decision === "block").length
      if (json) {
        yield* Console.log(JSON.stringify({ violations, files_scanned: scanned }))
      } else {
        for (const v of violations) {
          yield* Console.log(`${displayPath(cwd, v.file)}: ${v.decision} ${v.rule_id} — ${v.message}`)
        }
        yield* Console.log(`${violations.length} violation(s) in ${scanned} file(s) (${blocking} blocking)`)
      }
      if (blocking > 0) return yield* new Finding({ message: `${blocking} blocking violation(s)` })
    })
).pipe(Command.withDescription("Scan files as Write and Read calls against the rules; exit 1 on a blocking violation"))

const collectFiles = (roots: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const out: Array<string> = []
    const seenFiles = new Set<string>()
    const seenDirs = new Set<string>()
    const visit = (path: string, top: boolean): Effect.Effect<void, UsageError> =>
      Effect.gen(function* () {
        const info = yield* fs.stat(path).pipe(Effect.orElseSucceed(() => null))
        if (info === null) {
          if (top) return yield* new UsageError({ message: `no such file or directory: ${path}` })
          return
        }
        if (info.type === "Directory") {
          if (!top && SKIPPED_DIRS.has(basename(path))) return
          const real = yield* fs.realPath(path).pipe(Effect.orElseSucceed(() => path))
          if (seenDirs.has(real)) return
          seenDirs.add(real)
          const names = yield* fs.readDirectory(path).pipe(Effect.orElseSucceed((): Array<string> => []))
          for (const name of [...names].sort()) yield* visit(join(path, name), false)
          return
        }
        if (info.type !== "File" || Number(info.size) > MAX_FILE_BYTES || seenFiles.has(path)) return
        seenFiles.add(path)
        out.push(path)
      })
    for (const root of roots) yield* visit(root, true)
    return out
  })
