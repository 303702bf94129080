import * as FileSystem from "@effect/platform/FileSystem"
import type { PlatformError } from "@effect/platform/Error"
import { Context, Effect, Either, Layer, Option, Schema } from "effect"
import { basename, dirname, join, resolve } from "node:path"
import type { Diagnostic, RulesFile } from "../domain/rules/Rule.js"
import { displayPath, SsgPaths } from "./Paths.js"
import { brokenFile, fileError, firstById, type LoadedRules, parseRulesBytes } from "./RulesLoader.js"

export { decodeRulesText, type LoadedRules } from "./RulesLoader.js"

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

/** Which rule sources to read: explicit directories/files, or (when empty) the default directories. */
export interface RulesSelection {
  readonly dirs?: ReadonlyArray<string>
  readonly files?: ReadonlyArray<string>
}

/** Reads `.rules` files from directories (recursively) and files; writes rule files atomically. */
export class RuleFiles extends Context.Tag("ssg/RuleFiles")<
  RuleFiles,
  {
    /**
     * Loads and parses rules; explicit sources must exist; default directories (project, then global) may be absent.
     * A file that cannot be read or is not UTF-8 comes back with one error diagnostic and no rules.
     */
    readonly load: (selection: RulesSelection) => Effect.Effect<LoadedRules, RulesSourceError>
    /** Like `load`, but fails with the first parse error when any file does not parse. */
    readonly loadValid: (selection: RulesSelection) => Effect.Effect<LoadedRules, RulesSourceError | RulesParseError>
    /**
     * Writes a file through a synced temporary file beside the symlink-resolved target and a rename, keeping the
     * target's mode, so readers never see half a file and a symlink stays a symlink.
     */
    readonly writeAtomic: (path: string, text: string) => Effect.Effect<void, RulesSourceError>
  }
>() {}

/** Renders a diagnostic location as `file:line:col`, relative to the working directory when shorter. */
export const location = (d: Pick<Diagnostic, "file" | "line" | "column">, cwd: string): string =>
  `${displayPath(cwd, d.file)}:${d.line}:${d.column}`

/** The operating system's reason for a failed file operation, e.g. `EACCES: permission denied`. */
export const reasonOf = (error: PlatformError): string =>
  error._tag === "SystemError" && error.description !== undefined
    ? error.description.replace(/, \w+ '.*'$/s, "")
    : error.message

/** One file's text before and after an edit. */
export interface FileEdit {
  readonly path: string
  readonly before: string
  readonly after: string
}

/** Writes every changed file atomically; when one write fails, rewrites the ones already written, then fails. */
export const writeAllOrNothing = (
  edits: ReadonlyArray<FileEdit>
): Effect.Effect<void, RulesSourceError, RuleFiles> =>
  Effect.gen(function* () {
    const ruleFiles = yield* RuleFiles
    const written: Array<FileEdit> = []
    for (const edit of edits) {
      if (edit.after === edit.before) continue
      const result = yield* Effect.either(ruleFiles.writeAtomic(edit.path, edit.after))
      if (Either.isRight(result)) {
        written.push(edit)
        continue
      }
      const unrestored: Array<string> = []
      for (const done of [...written].reverse()) {
        const restored = yield* Effect.either(ruleFiles.writeAtomic(done.path, done.before))
        if (Either.isLeft(restored)) unrestored.push(restored.left.message)
      }
      const restoredPaths = written.map((e) => e.path).join(", ")
      const outcome =
        unrestored.length > 0
          ? `could not restore every file: ${unrestored.join("; ")}`
          : written.length > 0
            ? `restored ${restoredPaths}; no file was changed`
            : "no file was changed"
      return yield* new RulesSourceError({ path: result.left.path, message: `${result.left.message}; ${outcome}` })
    }
  })

/** The RuleFiles service over the platform FileSystem. */
export const layer = Layer.effect(
  RuleFiles,
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const paths = yield* SsgPaths
    const fail = (path: string, message: string) => new RulesSourceError({ path, message })
    const realOf = (path: string) => fs.realPath(path).pipe(Effect.orElseSucceed(() => path))

    const walk = (dir: string, seenDirs: Set<string>): Effect.Effect<ReadonlyArray<string>, RulesSourceError> =>
      Effect.gen(function* () {
        const real = yield* realOf(dir)
        if (seenDirs.has(real)) return []
        seenDirs.add(real)
        const names = yield* fs
          .readDirectory(dir)
          .pipe(Effect.mapError((e) => fail(dir, `cannot read rules directory ${dir}: ${reasonOf(e)}`)))
        const out: Array<string> = []
        for (const name of [...names].sort()) {
          if (name.startsWith(".") && name !== ".sigmashake") continue
          const path = join(dir, name)
          const info = yield* Effect.option(fs.stat(path))
          if (Option.isNone(info)) {
            if (name.endsWith(".rules")) out.push(path)
          } else if (info.value.type === "Directory") out.push(...(yield* walk(path, seenDirs)))
          else if (info.value.type === "File" && name.endsWith(".rules")) out.push(path)
        }
        return out
      })

    const isDir = (path: string) =>
      fs.stat(path).pipe(
        Effect.map((info) => (info.type === "Directory" ? ("dir" as const) : ("file" as const))),
        Effect.catchAll(() => Effect.succeed("missing" as const))
      )

    const readRulesFile = (path: string): Effect.Effect<RulesFile> =>
      fs.readFile(path).pipe(
        Effect.map((bytes) => parseRulesBytes(bytes, path)),
        Effect.catchAll((e) =>
          Effect.succeed(brokenFile(path, fileError(path, "parse.unreadable", `cannot read ${path}: ${reasonOf(e)}`)))
        )
      )

    const load = (selection: RulesSelection): Effect.Effect<LoadedRules, RulesSourceError> =>
      Effect.gen(function* () {
        const explicitDirs = (selection.dirs ?? []).map((d) => resolve(paths.cwd, d))
        const explicitFiles = (selection.files ?? []).map((f) => resolve(paths.cwd, f))
        const useDefaults = explicitDirs.length === 0 && explicitFiles.length === 0
        const dirs = useDefaults ? [paths.projectRulesDir, paths.globalRulesDir] : explicitDirs
        const seenDirs = new Set<string>()
        const filePaths: Array<string> = []
        for (const dir of dirs) {
          const kind = yield* isDir(dir)
          if (kind === "missing") {
            if (useDefaults) continue
            return yield* fail(dir, `rules directory not found: ${dir}`)
          }
          if (kind === "file") return yield* fail(dir, `not a directory: ${dir} (pass rule files as arguments)`)
          filePaths.push(...(yield* walk(dir, seenDirs)))
        }
        for (const file of explicitFiles) {
          const kind = yield* isDir(file)
          if (kind === "missing") return yield* fail(file, `no such file or directory: ${file}`)
          if (kind === "dir") filePaths.push(...(yield* walk(file, seenDirs)))
          else filePaths.push(file)
        }
        const seenFiles = new Set<string>()
        const files: Array<RulesFile> = []
        for (const path of filePaths) {
          const real = yield* realOf(path)
          if (seenFiles.has(real)) continue
          seenFiles.add(real)
          files.push(yield* readRulesFile(path))
        }
        return { files, rules: firstById(files), dirs }
      })

    const loadValid = (selection: RulesSelection) =>
      Effect.flatMap(load(selection), (loaded) => {
        const errors = loaded.files.flatMap((f) => f.diagnostics.filter((d) => d.severity === "error"))
        if (errors.length === 0) return Effect.succeed(loaded)
        const d = errors[0]!
        const more = errors.length > 1 ? ` (+${errors.length - 1} more; run \`ssg lint\`)` : " (run `ssg lint`)"
        return Effect.fail(
          new RulesParseError({ message: `${location(d, paths.cwd)}: ${d.message}${more}`, errors: errors.length })
        )
      })

    const resolveLinks = (path: string): Effect.Effect<string, RulesSourceError> =>
      Effect.gen(function* () {
        let current = path
        for (let hops = 0; hops < MAX_SYMLINK_HOPS; hops++) {
          const target = yield* Effect.option(fs.readLink(current))
          if (Option.isNone(target)) return current
          current = resolve(dirname(current), target.value)
        }
        return yield* fail(path, `cannot write ${path}: too many levels of symbolic links`)
      })

    const writeTemp = (tmp: string, text: string, info: Option.Option<FileSystem.File.Info>) =>
      Effect.scoped(
        Effect.gen(function* () {
          const mode = Option.map(info, (i) => i.mode & 0o7777)
          const file = yield* fs.open(tmp, { flag: "wx", mode: Option.getOrElse(mode, () => 0o666) })
          yield* file.writeAll(new TextEncoder().encode(text))
          if (Option.isSome(info)) {
            const { gid, uid } = info.value
            if (Option.isSome(uid) && Option.isSome(gid)) yield* Effect.ignore(fs.chown(tmp, uid.value, gid.value))
          }
          if (Option.isSome(mode)) yield* fs.chmod(tmp, mode.value)
          yield* file.sync
        })
      )

    const writeAtomic = (path: string, text: string) =>
      Effect.gen(function* () {
        const target = yield* resolveLinks(path)
        const info = yield* Effect.option(fs.stat(target))
        const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp`)
        yield* writeTemp(tmp, text, info).pipe(
          Effect.zipRight(fs.rename(tmp, target)),
          Effect.tapError(() => fs.remove(tmp).pipe(Effect.ignore)),
          Effect.mapError((e) => fail(path, `cannot write ${path}: ${reasonOf(e)}`))
        )
      })

    return { load, loadValid, writeAtomic }
  })
)

const MAX_SYMLINK_HOPS = 40

