import { spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { BIN, type CliResult } from "./cli.js"

/** Runs the built `ssg ARGS…` as an asynchronous child process (argument array, no shell), `input` on stdin. */
export const ssgAsync = (cwd: string, home: string, input: string, ...args: Array<string>): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, SSG_HOME: home, SSG_DEBUG: "" },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input)
  })

/** The bytes of `audit.db` and its `-wal`/`-shm`/journal companions under `home`, concatenated. */
export const auditDbBytes = (home: string): Buffer =>
  Buffer.concat(
    readdirSync(home)
      .filter((name) => name.startsWith("audit.db"))
      .map((name) => readFileSync(join(home, name)))
  )

/** The minimal better-sqlite3 surface the tamper tests use (the package ships no types here). */
export interface RawDatabase {
  exec(sql: string): void
  prepare(sql: string): {
    get(...params: Array<unknown>): unknown
    run(...params: Array<unknown>): unknown
    all(...params: Array<unknown>): Array<unknown>
  }
  close(): void
}

const require = createRequire(import.meta.url)

/** Opens an SQLite file directly with better-sqlite3 (bypassing ssg), for tampering. */
export const openRaw = (path: string): RawDatabase => {
  if (!existsSync(path)) throw new Error(`no database at ${path}`)
  const Database = require("better-sqlite3") as new (file: string) => RawDatabase
  return new Database(path)
}

/** One `audit log --json` entry: the envelope plus hex leaf and chain hashes. */
export interface LoggedEntry {
  readonly seq: number
  readonly id: string
  readonly timestamp: string
  readonly type: string
  readonly source: Record<string, unknown>
  readonly data: Record<string, unknown>
  readonly leaf: string
  readonly chain: string
}

/** Hex of bytes. */
export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex")

/** `sha256:<hex>` → bytes. */
export const fromSha = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/^sha256:/, ""), "hex"))

/** Standard base64 → bytes. */
export const fromB64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"))
