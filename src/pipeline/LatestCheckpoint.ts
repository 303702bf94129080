import { randomBytes } from "node:crypto"
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from "node:fs"
import { dirname } from "node:path"
import { readCheckpoint } from "../domain/NoteFormat.js"

/** The checkpoint kept in `checkpoints/latest`, as parsed from the file. */
export interface LatestCheckpoint {
  readonly size: number
  readonly root: Uint8Array
}

const handles = new Map<string, number>()
const buffer = Buffer.alloc(16 * 1024)

const openHandle = (path: string): number | null => {
  const cached = handles.get(path)
  if (cached !== undefined) {
    if (fstatSync(cached).nlink > 0) return cached
    handles.delete(path)
    closeSync(cached)
  }
  try {
    const fd = openSync(path, "r+")
    handles.set(path, fd)
    return fd
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null
    throw error
  }
}

const readText = (path: string, fd: number): string => {
  const n = readSync(fd, buffer, 0, buffer.length, 0)
  return n < buffer.length ? buffer.toString("utf8", 0, n) : readFileSync(path, "utf8")
}

let lastParsed: { readonly text: string; readonly checkpoint: LatestCheckpoint | null } | null = null

const parsed = (text: string): LatestCheckpoint | null => {
  if (lastParsed !== null && lastParsed.text === text) return lastParsed.checkpoint
  const read = readCheckpoint(text)
  const checkpoint = read.ok ? { size: read.checkpoint.size, root: read.checkpoint.root } : null
  lastParsed = { text, checkpoint }
  return checkpoint
}

const replace = (path: string, note: string): void => {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`
  writeFileSync(tmp, note)
  renameSync(tmp, path)
}

/** The size and root of the checkpoint in `path`, or null when the file is absent or unparseable. */
export const readLatest = (path: string): LatestCheckpoint | null => {
  const handle = openHandle(path)
  return handle === null ? null : parsed(readText(path, handle))
}

/**
 * Stores `note` (a checkpoint of `size` entries) in `path` when the file holds no parseable checkpoint, or one that is
 * smaller and that `extendsCurrent` accepts (the caller checks that its tree contains it). A note no shorter than the
 * file's content is written in place with one write of less than a page (a process killed at any instant leaves the
 * old or the new note, never a mix); otherwise a temp file is renamed over it.
 */
export const advanceLatest = (
  path: string,
  note: string,
  size: number,
  extendsCurrent: (current: LatestCheckpoint) => boolean = () => true
): void => {
  const fd = openHandle(path)
  if (fd === null) return replace(path, note)
  const text = readText(path, fd)
  const current = parsed(text)
  if (current !== null && (current.size >= size || !extendsCurrent(current))) return
  const bytes = Buffer.from(note, "utf8")
  if (bytes.length < Buffer.byteLength(text, "utf8")) return replace(path, note)
  writeSync(fd, bytes, 0, bytes.length, 0)
}
