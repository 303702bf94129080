import * as FileSystem from "@effect/platform/FileSystem"
import { Context, Effect, Layer, Schema } from "effect"
import { basename, dirname, join, resolve } from "node:path"
import { parseRulesFile } from "../domain/rules/Parser.js"
import type { Diagnostic, Rule, RulesFile } from "../domain/rules/Rule.js"
import { displayPath, SsgPaths } from "./Paths.js"

/** A rules directory or file that cannot be read. */
export class RulesSourceError extends Schema.TaggedError<RulesSourceError>()("RulesSourceError", {
  path: Schema.String,
  message: Schema.String
}) {}

/** A rules file that does not parse; `message` is `file:line:col: …` of the first error. */
export class RulesParseError extends Schema.TaggedError<RulesParseError>()("RulesParseError", {
  message: Schema.String,
  errors: Schema.Number
}) {}

/** Rule files loaded from disk: every parsed file, and the rules in load order with later duplicate ids dropped. */
export interface LoadedRules {
  readonly files: ReadonlyArray<RulesFile>
  /** Rules in load order (directories as given, files by path, rules by line); the first rule with an id wins. */
  readonly rules: ReadonlyArray<Rule>
  /** Directories that were looked at (existing or not). */
  readonly dirs: ReadonlyArray<string>
}

/** Which rule sources to read: explicit directories/files, or (when empty) the default directories. */
export interface RulesSelection {
  readonly dirs?: ReadonlyArray<string>
  readonly files?: ReadonlyArray<string>
}

/** Reads `.rules` files from directories (recursively) and files; writes rule files atomically. */
export class RuleFiles extends Context.Tag("ssg/RuleFiles")<
  RuleFiles,
  {
    /** Loads and parses rules; explicit sources must exist; default directories (project, then global) may be absent. */
    readonly load: (selection: RulesSelection) => Effect.Effect<LoadedRules, RulesSourceError>
    /** Like `load`, but fails with the first parse error when any file does not parse. */
    readonly loadValid: (selection: RulesSelection) => Effect.Effect<LoadedRules, RulesSourceError | RulesParseError>
    /** Writes a file through a temporary file in the same directory and a rename, so readers never see half a file. */
    readonly writeAtomic: (path: string, text: string) => Effect.Effect<void, RulesSourceError>
  }
>() {}

/** Renders a diagnostic location as `file:line:col`, relative to the working directory when shorter. */
export const location = (d: Pick<Diagnostic, "file" | "line" | "column">, cwd: string): string =>
  `${displayPath(cwd, d.file)}:${d.line}:${d.column}`

/** The RuleFiles service over the platform FileSystem. */
export const layer = Layer.effect(
  RuleFiles,
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const paths = yield* SsgPaths
    const fail = (path: string, message: string) => new RulesSourceError({ path, message })

    const walk = (dir: string): Effect.Effect<ReadonlyArray<string>, RulesSourceError> =>
      Effect.gen(function* () {
        const names = yield* fs.readDirectory(dir).pipe(Effect.mapError((e) => fail(dir, `cannot read rules directory ${dir}: ${e.message}`)))
        const out: Array<string> = []
        for (const name of [...names].sort()) {
          if (name.startsWith(".") && name !== ".sigmashake") continue
          const path = join(dir, name)
          const info = yield* fs.stat(path).pipe(Effect.mapError((e) => fail(path, `cannot read ${path}: ${e.message}`)))
          if (info.type === "Directory") out.push(...(yield* walk(path)))
          else if (info.type === "File" && name.endsWith(".rules")) out.push(path)
        }
        return out
      })

    const isDir = (path: string) =>
      fs.stat(path).pipe(
        Effect.map((info) => (info.type === "Directory" ? ("dir" as const) : ("file" as const))),
        Effect.catchAll(() => Effect.succeed("missing" as const))
      )

    const load = (selection: RulesSelection): Effect.Effect<LoadedRules, RulesSourceError> =>
      Effect.gen(function* () {
        const explicitDirs = (selection.dirs ?? []).map((d) => resolve(paths.cwd, d))
        const explicitFiles = (selection.files ?? []).map((f) => resolve(paths.cwd, f))
        const useDefaults = explicitDirs.length === 0 && explicitFiles.length === 0
        const dirs = useDefaults ? [paths.projectRulesDir, paths.globalRulesDir] : explicitDirs
        const filePaths: Array<string> = []
        for (const dir of dirs) {
          const kind = yield* isDir(dir)
          if (kind === "missing") {
            if (useDefaults) continue
            return yield* fail(dir, `rules directory not found: ${dir}`)
          }
          if (kind === "file") return yield* fail(dir, `not a directory: ${dir} (pass rule files as arguments)`)
          filePaths.push(...(yield* walk(dir)))
        }
        for (const file of explicitFiles) {
          const kind = yield* isDir(file)
          if (kind === "missing") return yield* fail(file, `no such file or directory: ${file}`)
          if (kind === "dir") filePaths.push(...(yield* walk(file)))
          else filePaths.push(file)
        }
        const unique = [...new Set(filePaths)]
        const files: Array<RulesFile> = []
        for (const path of unique) {
          const text = yield* fs.readFileString(path).pipe(Effect.mapError((e) => fail(path, `cannot read ${path}: ${e.message}`)))
          files.push(parseRulesFile(text, path))
        }
        const seen = new Set<string>()
        const rules: Array<Rule> = []
        for (const f of files) {
          for (const r of f.rules) {
            if (seen.has(r.id)) continue
            seen.add(r.id)
            rules.push(r)
          }
        }
        return { files, rules, dirs }
      })

    const loadValid = (selection: RulesSelection) =>
      Effect.flatMap(load(selection), (loaded) => {
        const errors = loaded.files.flatMap((f) => f.diagnostics.filter((d) => d.severity === "error"))
        if (errors.length === 0) return Effect.succeed(loaded)
        const d = errors[0]!
        const more = errors.length > 1 ? ` (+${errors.length - 1} more; run \`ssg lint\`)` : " (run `ssg lint`)"
        return Effect.fail(new RulesParseError({ message: `${location(d, paths.cwd)}: ${d.message}${more}`, errors: errors.length }))
      })

    const writeAtomic = (path: string, text: string) => {
      const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`)
      return fs.writeFileString(tmp, text).pipe(
        Effect.zipRight(fs.rename(tmp, path)),
        Effect.tapError(() => fs.remove(tmp).pipe(Effect.ignore)),
        Effect.mapError((e) => fail(path, `cannot write ${path}: ${e.message}`))
      )
    }

    return { load, loadValid, writeAtomic }
  })
)
