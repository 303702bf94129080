import * as FileSystem from "@effect/platform/FileSystem"
import type { PlatformError } from "@effect/platform/Error"
import { Context, Effect, Either, Layer, Option, Schema } from "effect"
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

/** Decodes a rules file's bytes as strict UTF-8 (a leading BOM dropped); invalid UTF-8 is a located diagnostic. */
export const decodeRulesText = (
  bytes: Uint8Array,
  path: string
): { readonly ok: true; readonly text: string } | { readonly ok: false; readonly diagnostic: Diagnostic } => {
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes
  const text = decodeStrict(body)
  if (text !== null) return { ok: true, text }
  const bad = Math.max(0, firstInvalidUtf8(body))
  const lineStart = body.lastIndexOf(0x0a, bad - 1) + 1
  let line = 1
  for (let i = 0; i < lineStart; i++) if (body[i] === 0x0a) line++
  const column = new TextDecoder("utf-8", { ignoreBOM: true }).decode(body.subarray(lineStart, bad)).length + 1
  const byte = body[bad]!.toString(16).toUpperCase().padStart(2, "0")
  const offset = bad + bytes.length - body.length
  const message = `not valid UTF-8 (byte 0x${byte} at offset ${offset}); none of this file's rules were loaded`
  return { ok: false, diagnostic: fileError(path, "parse.encoding", message, line, column) }
}

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
        Effect.map((bytes) => {
          const decoded = decodeRulesText(bytes, path)
          return decoded.ok ? parseRulesFile(decoded.text, path) : brokenFile(path, decoded.diagnostic)
        }),
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

const fileError = (file: string, code: string, message: string, line = 1, column = 1): Diagnostic => ({
  file,
  line,
  column,
  severity: "error",
  code,
  message,
  ruleId: null
})

const brokenFile = (path: string, diagnostic: Diagnostic): RulesFile => ({
  path,
  text: "",
  items: [],
  rules: [],
  diagnostics: [diagnostic]
})

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

const decodeStrict = (bytes: Uint8Array): string | null => {
  try {
    return STRICT_UTF8.decode(bytes)
  } catch {
    return null
  }
}

const continuation = (bytes: Uint8Array, i: number, low = 0x80, high = 0xbf): boolean =>
  i < bytes.length && bytes[i]! >= low && bytes[i]! <= high

const firstInvalidUtf8 = (bytes: Uint8Array): number => {
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]!
    if (b < 0x80) {
      i++
    } else if (b >= 0xc2 && b <= 0xdf) {
      if (!continuation(bytes, i + 1)) return i
      i += 2
    } else if (b >= 0xe0 && b <= 0xef) {
      const low = b === 0xe0 ? 0xa0 : 0x80
      const high = b === 0xed ? 0x9f : 0xbf
      if (!continuation(bytes, i + 1, low, high) || !continuation(bytes, i + 2)) return i
      i += 3
    } else if (b >= 0xf0 && b <= 0xf4) {
      const low = b === 0xf0 ? 0x90 : 0x80
      const high = b === 0xf4 ? 0x8f : 0xbf
      if (!continuation(bytes, i + 1, low, high) || !continuation(bytes, i + 2) || !continuation(bytes, i + 3)) return i
      i += 4
    } else return i
  }
  return -1
}
