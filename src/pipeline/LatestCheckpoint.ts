import { randomBytes } from "node:crypto"
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from "node:fs"
import { dirname } from "node:path"
import { readCheckpoint } from "../domain/NoteFormat.js"

/** The checkpoint kept in `checkpoints/latest`, as parsed from the file. */
export interface LatestCheckpoint {
  readonly size: number
  readonly root: Uint8Array
}

/** Runs `body` while no other process runs its own `advanceLatest` on the same file (the log's write lock). */
export type Exclusive = <A>(body: () => A) => A

const PAGE = 4096

const buffer = Buffer.alloc(4 * PAGE)

let lastParsed: { readonly text: string; readonly checkpoint: LatestCheckpoint | null } | null = null

const parsed = (text: string): LatestCheckpoint | null => {
  if (lastParsed !== null && lastParsed.text === text) return lastParsed.checkpoint
  const read = readCheckpoint(text)
  const checkpoint = read.ok ? { size: read.checkpoint.size, root: read.checkpoint.root } : null
  lastParsed = { text, checkpoint }
  return checkpoint
}

const readText = (path: string): string | null => {
  try {
    return readFileSync(path, "utf8")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null
    throw error
  }
}

const openExisting = (path: string): number | null => {
  try {
    return openSync(path, "r+")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null
    throw error
  }
}

const replace = (path: string, note: string): void => {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`
  try {
    const fd = openSync(tmp, "wx", 0o644)
    try {
      writeSync(fd, note)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, path)
  } finally {
    rmSync(tmp, { force: true })
  }
}

/** The size and root of the checkpoint in `path`, or null when the file is absent or unparseable. */
export const readLatest = (path: string): LatestCheckpoint | null => {
  const text = readText(path)
  return text === null ? null : parsed(text)
}

/**
 * Stores `note` (a checkpoint of `size` entries) in `path` when the file holds no parseable checkpoint, or a smaller
 * one that `extendsCurrent` accepts (the caller checks that its tree contains it); never a smaller note over a larger.
 * The check and the write run inside `exclusive`, so writers take turns and sizes only grow (a note at least as large,
 * read the same twice, skips the lock). Sizes only growing, a note of the same key is never shorter than the one it
 * replaces: it is written in place with one write of less than a page (a process killed at any instant leaves the old
 * or the new note whole, and no byte of the old one remains). A first note, or a shorter one (another key), goes to a
 * flushed temp file renamed over `path`.
 */
export const advanceLatest = (
  path: string,
  note: string,
  size: number,
  extendsCurrent: (current: LatestCheckpoint) => boolean = () => true,
  exclusive: Exclusive = (body) => body()
): void => {
  const seen = readText(path)
  if (seen !== null && (parsed(seen)?.size ?? 0) >= size && seen === readText(path)) return
  exclusive(() => {
    const fd = openExisting(path)
    if (fd === null) return replace(path, note)
    try {
      const n = readSync(fd, buffer, 0, buffer.length, 0)
      const current = n < buffer.length ? parsed(buffer.toString("utf8", 0, n)) : null
      if (current !== null && (current.size >= size || !extendsCurrent(current))) return
      const bytes = Buffer.from(note, "utf8")
      if (bytes.length < n || bytes.length > PAGE) return replace(path, note)
      writeSync(fd, bytes, 0, bytes.length, 0)
    } finally {
      closeSync(fd)
    }
  })
}
