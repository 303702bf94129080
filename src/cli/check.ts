import { Args, Command } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Console, Effect, Option } from "effect"
import type { Stats } from "node:fs"
import { lstat, stat } from "node:fs/promises"
import { basename, join, resolve, sep } from "node:path"
import { compileRuleSet, type CompiledRuleSet, interpolate } from "../domain/rules/Evaluate.js"
import type { Severity, WireDecision } from "../domain/rules/Rule.js"
import type { ToolCall } from "../domain/ToolCall.js"
import { displayPath, SsgPaths } from "../pipeline/Paths.js"
import { reasonOf, RuleFiles } from "../pipeline/RuleFiles.js"
import { jsonOption, rulesOption } from "./options.js"
import { Finding, UsageError, warn } from "./finding.js"

/** Directory names `ssg check` never descends into. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([".git", "node_modules", ".sigmashake"])

/** Files larger than this are not scanned. */
export const MAX_FILE_BYTES = 1024 * 1024

/** Which simulated calls a rule decided: the Write of the file's content, the Read of its path, or both. */
export type CheckCapability = "write" | "read" | "write+read"

/** The rule that decided a Write or Read of a scanned file, when the decision is not `allow`. */
export interface Violation {
  readonly file: string
  readonly rule_id: string
  readonly decision: Exclude<WireDecision, "allow">
  readonly severity: Severity
  readonly message: string
  readonly capability: CheckCapability
}

/** One scanned file: its path and its content, or null when it could not be read (only the Read call applies). */
export interface ScannedFile {
  readonly path: string
  readonly content: string | null
}

/**
 * Evaluates the Write (when the content is known) and the Read call of a file as `ssg eval` would; each deciding
 * rule whose decision is not `allow` is one violation, once per rule even when it decides both calls.
 */
export const checkFile = (set: CompiledRuleSet, file: ScannedFile): ReadonlyArray<Violation> => {
  const calls: Array<readonly [ToolCall, "write" | "read"]> = []
  if (file.content !== null) {
    calls.push([{ tool: "Write", input: { file_path: file.path, content: file.content } }, "write"])
  }
  calls.push([{ tool: "Read", input: { file_path: file.path } }, "read"])
  const out: Array<Violation> = []
  for (const [call, capability] of calls) {
    const { decision, decisive } = set.evaluate(call, capability)
    if (decision === "allow" || decisive === null) continue
    const index = out.findIndex((v) => v.rule_id === decisive.rule.id)
    if (index >= 0) {
      out[index] = { ...out[index]!, capability: "write+read" }
      continue
    }
    out.push({
      file: file.path,
      rule_id: decisive.rule.id,
      decision,
      severity: decisive.rule.severity,
      message: interpolate(decisive.rule.message ?? "", call),
      capability
    })
  }
  return out
}

/** `ssg check PATH...`: a Write and a Read call per file, decided as by `eval`; exit 1 when a decision blocks. */
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
      const files = yield* collectFiles(
        cwd,
        paths.map((p) => resolve(cwd, p))
      )
      const fs = yield* FileSystem.FileSystem
      const decoder = new TextDecoder("utf-8")
      const violations: Array<Violation> = []
      let scanned = 0
      for (const path of files) {
        const bytes = yield* Effect.either(fs.readFile(path))
        if (bytes._tag === "Left") yield* warn(`cannot read ${displayPath(cwd, path)}: ${reasonOf(bytes.left)}`)
        else if (bytes.right.includes(0)) continue
        scanned++
        const content = bytes._tag === "Left" ? null : decoder.decode(bytes.right)
        violations.push(...checkFile(set, { path, content }))
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
).pipe(Command.withDescription("Evaluate each file as a Write and a Read call, as eval does; exit 1 when one blocks"))

type Kind = "Directory" | "File" | "SymbolicLink" | "Other"

const collectFiles = (cwd: string, roots: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const realOf = (path: string) => Effect.option(fs.realPath(path))
    const out: Array<string> = []
    const seenFiles = new Map<string, { readonly index: number; readonly viaLink: boolean }>()
    const seenDirs = new Set<string>()
    const inside: Array<string> = []
    for (const root of roots) {
      const real = yield* realOf(root)
      if (Option.isNone(real)) return yield* new UsageError({ message: `no such file or directory: ${root}` })
      inside.push(real.value.endsWith(sep) ? real.value : real.value + sep)
    }
    const withinRoots = (real: string): boolean => inside.some((r) => real === r.slice(0, -1) || real.startsWith(r))

    const kindOf = (path: string, follow: boolean) =>
      Effect.tryPromise(() => (follow ? stat(path) : lstat(path))).pipe(
        Effect.map((info) => ({ kind: kindOfStats(info), size: info.size })),
        Effect.option
      )

    const visit = (path: string, top: boolean): Effect.Effect<void> =>
      Effect.gen(function* () {
        const own = yield* kindOf(path, top)
        if (Option.isNone(own)) return
        let entry = own.value
        const viaLink = entry.kind === "SymbolicLink"
        if (viaLink) {
          const real = yield* realOf(path)
          if (Option.isNone(real) || !withinRoots(real.value)) return
          const followed = yield* kindOf(path, true)
          if (Option.isNone(followed)) return
          entry = followed.value
        }
        if (entry.kind === "Directory") {
          if (!top && SKIPPED_DIRS.has(basename(path))) return
          const real = Option.getOrElse(yield* realOf(path), () => path)
          if (seenDirs.has(real)) return
          seenDirs.add(real)
          const names = yield* Effect.either(fs.readDirectory(path))
          if (names._tag === "Left") {
            return yield* warn(`cannot read ${displayPath(cwd, path)}: ${reasonOf(names.left)}`)
          }
          for (const name of [...names.right].sort()) yield* visit(join(path, name), false)
          return
        }
        if (entry.kind !== "File" || entry.size > MAX_FILE_BYTES) return
        const real = Option.getOrElse(yield* realOf(path), () => path)
        const seen = seenFiles.get(real)
        if (seen === undefined) {
          seenFiles.set(real, { index: out.length, viaLink })
          out.push(path)
        } else if (seen.viaLink && !viaLink) {
          seenFiles.set(real, { index: seen.index, viaLink })
          out[seen.index] = path
        }
      })

    for (const root of roots) yield* visit(root, true)
    return out
  })

const kindOfStats = (info: Stats): Kind =>
  info.isSymbolicLink() ? "SymbolicLink" : info.isDirectory() ? "Directory" : info.isFile() ? "File" : "Other"
