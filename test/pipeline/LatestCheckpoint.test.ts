import { afterEach, describe, expect, it } from "vitest"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { verify as verifyCheckpoint } from "../../src/domain/Checkpoint.js"
import { eventParts } from "../../src/domain/Event.js"
import { allowedEval } from "../support/log.js"
import { openHotPath } from "../../src/pipeline/AuditStore.js"
import * as AuditLog from "../../src/pipeline/AuditLog.js"
import { verifyLog } from "../../src/pipeline/AuditVerify.js"
import * as Keys from "../../src/pipeline/Keys.js"
import { advanceLatest, readLatest } from "../../src/pipeline/LatestCheckpoint.js"
import { appendEvents, eventSource } from "../../src/pipeline/LogWriter.js"
import { pathsFrom, SsgPaths } from "../../src/pipeline/Paths.js"
import { createKeyFiles } from "../../src/pipeline/SigningKey.js"
import { ROOT } from "../support/cli.js"

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
  it("is created, then advanced only to larger checkpoints the caller accepts, leaving no temp file", () => {
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

  it("follows a file replaced by another process; a shorter note replaces a longer one whole", () => {
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

  it("checks and writes inside `exclusive`, and leaves the file alone when a larger note landed meanwhile", () => {
    const dir = fresh()
    const path = join(dir, "latest")
    advanceLatest(path, note(99), 99)
    const calls: Array<string> = []
    advanceLatest(path, note(100), 100, () => true, (body) => {
      calls.push(readFileSync(path, "utf8"))
      writeFileSync(join(dir, "other"), note(101, 1, "ssg.local/abcdef"))
      renameSync(join(dir, "other"), path)
      return body()
    })
    expect(calls).toEqual([note(99)])
    expect(readFileSync(path, "utf8")).toBe(note(101, 1, "ssg.local/abcdef"))
    expect(readdirSync(dir)).toEqual(["latest"])
  })
})

const APPENDERS = 8
const EACH = 250

/** Runs `test/support/SCRIPT ARGS…` under tsx; `onLine` sees each line it prints. */
const runChild = (script: string, args: ReadonlyArray<string>, onLine: (line: string) => void = () => {}) =>
  new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test", "support", script), ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => d.split("\n").filter((l) => l !== "").forEach(onLine))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stderr }))
  })

const runAppender = (home: string, tag: string) => runChild("appendLoop.ts", [home, String(EACH), tag])

const verifyHome = (home: string) =>
  Effect.runPromise(
    Effect.scoped(
      verifyLog({ incremental: false }).pipe(
        Effect.provide(
          AuditLog.layer.pipe(
            Layer.provideMerge(Keys.layer),
            Layer.provideMerge(Layer.succeed(SsgPaths, pathsFrom({ SSG_HOME: home }, home)))
          )
        )
      )
    )
  )

const freshLog = () => {
  const home = realpathSync(mkdtempSync(join(tmpdir(), "ssg-latest-race-")))
  dirs.push(home)
  mkdirSync(join(home, "checkpoints"))
  const key = createKeyFiles(home, new Uint8Array(32).fill(7), true)
  return { home, key, path: join(home, "checkpoints", "latest") }
}

const evalParts = (i: number) =>
  eventParts(
    allowedEval(`echo ${i}`)
  )

describe("checkpoints/latest under concurrent appenders", () => {
  it(`${APPENDERS} processes × ${EACH} single appends: latest, read as verify reads it, is always a whole, validly signed note that never moves back; it ends at the final size`, async () => {
    const { home, key, path } = freshLog()
    const problems: Array<string> = []
    let reads = 0
    let highest = 0
    let last: string | null = null
    let running = true
    const read = (): string | null => {
      try {
        return readFileSync(path, "utf8")
      } catch {
        return null
      }
    }
    const watch = () => {
      let text = read()
      for (let k = 0; k < 3; k++) {
        const again = read()
        if (again === text) break
        text = again
      }
      if (text !== null && text !== last) {
        last = text
        reads++
        try {
          const size = verifyCheckpoint(text, key.vkey).size
          if (size < highest) problems.push(`moved back from ${highest} to ${size}`)
          highest = Math.max(highest, size)
        } catch (e) {
          problems.push(`${(e as Error).message}: ${JSON.stringify(text)}`)
        }
      }
      if (running) setImmediate(watch)
    }
    watch()
    const results = await Promise.all(Array.from({ length: APPENDERS }, (_, i) => runAppender(home, `p${i}`)))
    running = false
    for (const r of results) expect(r).toEqual({ code: 0, stderr: "" })
    expect(problems.slice(0, 5)).toEqual([])
    expect(reads).toBeGreaterThan(0)

    const total = APPENDERS * EACH
    const latest = verifyCheckpoint(readFileSync(path, "utf8"), key.vkey)
    expect(latest.size).toBe(total)
    expect(readdirSync(join(home, "checkpoints"))).toEqual(["latest"])
    expect(await verifyHome(home)).toMatchObject({ valid: true, length: total, reason: null })
  }, 120_000)

  it("an appender paused between its check and its write of a 99-entry note cannot clobber the 100-entry note of a later append", async () => {
    const { home, key, path } = freshLog()
    const hot = openHotPath(join(home, "audit.db"))
    try {
      const source = eventSource(key, { cwd: home, session: null, client: "test" })
      appendEvents(hot, Array.from({ length: 98 }, (_, i) => evalParts(i)), source, key, path)
      const note98 = readFileSync(path, "utf8")
      appendEvents(hot, [evalParts(98)], source, key, path)
      const note99 = readFileSync(path, "utf8")
      expect(verifyCheckpoint(note99, key.vkey).size).toBe(99)
      writeFileSync(path, note98)
      const noteFile = join(home, "note99")
      writeFileSync(noteFile, note99)

      let markPaused: () => void = () => {}
      const paused = new Promise<void>((resolve) => (markPaused = resolve))
      const child = runChild("pausedAdvance.ts", [home, noteFile, "99", "1500"], (line) => {
        if (line === "paused") markPaused()
      })
      await paused
      appendEvents(hot, [evalParts(99)], source, key, path)
      expect(await child).toEqual({ code: 0, stderr: "" })
    } finally {
      hot.close()
    }
    const latest = readFileSync(path, "utf8")
    expect(verifyCheckpoint(latest, key.vkey).size).toBe(100)
    expect(await verifyHome(home)).toMatchObject({ valid: true, length: 100, reason: null })
  }, 60_000)
})
