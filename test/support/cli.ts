import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterEach, beforeEach } from "vitest"

/** The repository root and the CLI entry the end-to-end tests run (built by `npm run build`). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url))
export const BIN = join(ROOT, "bin", "ssg.js")

/** What a CLI run gave back. */
export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** A fresh working directory and `SSG_HOME` per test, and the built CLI run as a subprocess inside them. */
export interface CliSandbox {
  readonly cwd: string
  readonly home: string
  /** Runs `ssg ARGS…` with an empty stdin. */
  readonly ssg: (...args: Array<string>) => CliResult
  /** Runs `ssg ARGS…` with `input` on stdin. */
  readonly ssgWithInput: (input: string, ...args: Array<string>) => CliResult
  /** Writes a file relative to the working directory (creating folders) and returns its absolute path. */
  readonly write: (rel: string, text: string | Buffer) => string
  /** Writes a file relative to `SSG_HOME` (creating folders) and returns its absolute path. */
  readonly writeHome: (rel: string, text: string) => string
  /** Reads a file relative to the working directory. */
  readonly read: (rel: string) => string
}

/** Runs the built `ssg ARGS…` synchronously with `SSG_HOME = home`, in `cwd`, with `input` on stdin. */
export const ssgAt = (cwd: string, home: string, input: string, ...args: Array<string>): CliResult => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, SSG_HOME: home, SSG_DEBUG: "" },
    input,
    encoding: "utf8"
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const writeUnder = (dir: string, rel: string, text: string | Buffer): string => {
  const path = join(dir, rel)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
  return path
}

/** Registers per-test temporary directories (removed afterwards) and returns the sandbox for the current test. */
export const useCliSandbox = (prefix: string): CliSandbox => {
  let cwd = ""
  let home = ""
  beforeEach(() => {
    cwd = realpathSync(mkdtempSync(join(tmpdir(), `${prefix}-cwd-`)))
    home = realpathSync(mkdtempSync(join(tmpdir(), `${prefix}-home-`)))
  })
  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true })
    rmSync(home, { recursive: true, force: true })
  })
  const run = (input: string, args: Array<string>): CliResult => ssgAt(cwd, home, input, ...args)
  return {
    get cwd() {
      return cwd
    },
    get home() {
      return home
    },
    ssg: (...args) => run("", args),
    ssgWithInput: (input, ...args) => run(input, args),
    write: (rel, text) => writeUnder(cwd, rel, text),
    writeHome: (rel, text) => writeUnder(home, rel, text),
    read: (rel) => readFileSync(join(cwd, rel), "utf8")
  }
}
