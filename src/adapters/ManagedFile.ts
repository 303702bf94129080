import { join } from "node:path"
import type {
  ClientAdapter,
  ConfigPlan,
  FileContents,
  FileWrite,
  HealthCheck,
  HealthReport,
  InstallOptions,
  PlanResult
} from "./Adapter.js"

/** An edit's outcome: the new contents, or a one-line reason the file cannot be edited. */
export type EditResult = { readonly ok: true; readonly contents: string } | { readonly ok: false; readonly error: string }

/** A removal's outcome; `empty` says nothing but what a fresh install would start from remains (the file can go). */
export type RemoveResult =
  | { readonly ok: true; readonly contents: string; readonly empty: boolean }
  | { readonly ok: false; readonly error: string }

/** How ssg's part of one configuration file is added, found and taken out again; all pure. */
export interface FileEditor {
  readonly executable: boolean
  /** Whether the contents hold any part ssg adds to this file. */
  readonly holds: (contents: string) => boolean
  /** The contents with ssg's part added, or brought up to date; unchanged contents when it already is. */
  readonly add: (current: string | null) => EditResult
  /** The contents with this install's part taken out (another client's part of a shared file stays). */
  readonly remove: (current: string) => RemoveResult
  /** Whether contents left after a removal stand for the saved original, so its exact bytes should be written back. */
  readonly restores: (stripped: string, original: string) => boolean
}

/** One configuration file under ssg's management, with its install, uninstall and health steps. */
export interface ManagedFile {
  readonly path: string
  readonly backup: string
  readonly install: (current: FileContents) => PlanResult
  readonly uninstall: (current: FileContents) => PlanResult
  readonly health: (current: FileContents) => ReadonlyArray<string>
}

/** Directory, relative to the install directory, holding the original bytes of files ssg edited. */
export const BACKUP_DIR = join(".ssg", "backup")

/**
 * Puts `relPath` under `dir` under management. Installing edits the file through `editor`; when taking ssg's part out
 * again would not give back the exact original bytes (formatting the edit changed, or a file that was empty), the
 * original is first saved under `.ssg/backup/<relPath>`, once, before the first install. Uninstalling takes ssg's part
 * out; if what remains stands for the saved original, those bytes are written back, otherwise the remains are kept
 * (they hold the user's later changes); a file ssg created is deleted. Installing twice changes nothing.
 */
export const managedFile = (dir: string, relPath: string, editor: FileEditor): ManagedFile => {
  const path = join(dir, relPath)
  const backup = join(dir, BACKUP_DIR, relPath)
  const write = (contents: string, executable = editor.executable): FileWrite => ({ contents, executable })

  const install = (files: FileContents): PlanResult => {
    const current = files[path] ?? null
    const added = editor.add(current)
    if (!added.ok) return { ok: false, error: `${path}: ${added.error}` }
    const writes: Record<string, FileWrite> = {}
    if (added.contents !== current) writes[path] = write(added.contents)
    const pristine = current === null || !editor.holds(current)
    if (pristine && current !== null && (files[backup] ?? null) === null) {
      const back = editor.remove(added.contents)
      const restored = back.ok ? (back.empty ? null : back.contents) : null
      if (restored !== current) writes[backup] = write(current, false)
    }
    return { ok: true, writes }
  }

  const uninstall = (files: FileContents): PlanResult => {
    const current = files[path] ?? null
    const saved = files[backup] ?? null
    const writes: Record<string, FileWrite> = {}
    if (current === null || !editor.holds(current)) {
      if (saved !== null) writes[backup] = "delete"
      return { ok: true, writes }
    }
    const removed = editor.remove(current)
    if (!removed.ok) return { ok: false, error: `${path}: ${removed.error}` }
    if (!removed.empty && editor.holds(removed.contents)) {
      if (removed.contents !== current) writes[path] = write(removed.contents)
      return { ok: true, writes }
    }
    if (saved !== null) {
      writes[path] = write(editor.restores(removed.contents, saved) ? saved : removed.contents, false)
      writes[backup] = "delete"
    } else {
      writes[path] = removed.empty ? "delete" : write(removed.contents, false)
    }
    return { ok: true, writes }
  }

  const health = (files: FileContents): ReadonlyArray<string> => {
    const current = files[path] ?? null
    if (current === null) return [`${path} does not exist`]
    if (!editor.holds(current)) return [`${path} does not hold ssg's hook`]
    const added = editor.add(current)
    if (!added.ok) return [`${path}: ${added.error}`]
    return added.contents === current ? [] : [`${path} is out of date; install again to update it`]
  }

  return { path, backup, install, uninstall, health }
}

/** Combines managed files into one plan; the writes of every file, or the first failure (then nothing is written). */
export const configPlan = (
  files: ReadonlyArray<ManagedFile>,
  step: "install" | "uninstall",
  notes: ReadonlyArray<string> = []
): ConfigPlan => ({
  files: files.flatMap((f) => [f.path, f.backup]),
  notes,
  apply: (current) => {
    const writes: Record<string, FileWrite> = {}
    for (const file of files) {
      const result = file[step](current)
      if (!result.ok) return result
      Object.assign(writes, result.writes)
    }
    return { ok: true, writes }
  }
})

/** Combines managed files into one health check. */
export const healthCheck = (files: ReadonlyArray<ManagedFile>): HealthCheck => ({
  files: files.flatMap((f) => [f.path]),
  check: (current): HealthReport => {
    const problems = files.flatMap((f) => f.health(current))
    return { ok: problems.length === 0, problems }
  }
})

/** An adapter's `install`, `uninstall` and `healthCheck` over the files it manages under a directory. */
export const configSteps = (
  files: (dir: string, options: InstallOptions) => ReadonlyArray<ManagedFile>,
  notes: ReadonlyArray<string>
): Pick<ClientAdapter, "install" | "uninstall" | "healthCheck"> => ({
  install: (dir, options = {}) => configPlan(files(dir, options), "install", notes),
  uninstall: (dir, options = {}) => configPlan(files(dir, options), "uninstall"),
  healthCheck: (dir, options = {}) => healthCheck(files(dir, options))
})
