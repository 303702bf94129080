import { afterEach, describe, expect, it } from "vitest"
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { advanceLatest, readLatest } from "../../src/pipeline/LatestCheckpoint.js"

const dirs: Array<string> = []
const fresh = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "ssg-latest-"))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const root = (byte: number): string => Buffer.alloc(32, byte).toString("base64")
const note = (size: number, byte = 1, origin = "ssg.local/abc"): string =>
  `${origin}\n${size}\n${root(byte)}\n\n— ${origin} AAAAAAAA\n`

describe("checkpoints/latest", () => {
  it("is created, then advanced in place only to larger checkpoints the caller accepts", () => {
    const path = join(fresh(), "latest")
    expect(readLatest(path)).toBeNull()
    advanceLatest(path, note(9), 9)
    expect(readFileSync(path, "utf8")).toBe(note(9))
    expect(readLatest(path)?.size).toBe(9)
    advanceLatest(path, note(5), 5)
    advanceLatest(path, note(9, 2), 9)
    expect(readFileSync(path, "utf8")).toBe(note(9))
    advanceLatest(path, note(12), 12, () => false)
    expect(readFileSync(path, "utf8")).toBe(note(9))
    advanceLatest(path, note(10), 10, (current) => current.size === 9)
    expect(readFileSync(path, "utf8")).toBe(note(10))
    expect(readdirSync(join(path, ".."))).toEqual(["latest"])
  })

  it("follows a file replaced by another process and falls back to a rename for a shorter note", () => {
    const dir = fresh()
    const path = join(dir, "latest")
    advanceLatest(path, note(100), 100)
    writeFileSync(join(dir, "other"), note(200))
    renameSync(join(dir, "other"), path)
    advanceLatest(path, note(150), 150)
    expect(readLatest(path)?.size).toBe(200)
    advanceLatest(path, note(300), 300)
    expect(readFileSync(path, "utf8")).toBe(note(300))
    const shorter = note(301, 1, "o")
    advanceLatest(path, shorter, 301)
    expect(readFileSync(path, "utf8")).toBe(shorter)
    rmSync(path)
    expect(readLatest(path)).toBeNull()
    advanceLatest(path, note(7), 7)
    expect(readFileSync(path, "utf8")).toBe(note(7))
  })

  it("overwrites a file holding no parseable checkpoint", () => {
    const path = join(fresh(), "latest")
    writeFileSync(path, "garbage that is long enough to need a rename when the note is shorter than it is, yes\n".repeat(5))
    expect(readLatest(path)).toBeNull()
    advanceLatest(path, note(3), 3)
    expect(readFileSync(path, "utf8")).toBe(note(3))
  })
})
