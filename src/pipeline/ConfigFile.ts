import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { parse, TomlError } from "smol-toml"
import { displayPath } from "./SsgHome.js"

/** Settings read from `$SSG_HOME/config.toml`, overridden by `.sigmashake/config.toml` in the working directory. */
export interface SsgConfig {
  readonly audit: {
    /** `[audit] capture_inputs`: store full (redacted) tool inputs in the audit log, not only a summary and hash. */
    readonly captureInputs: boolean
  }
  readonly hook: {
    /** `[hook] circuit_breaker`: allow the next call after 5 consecutive denials in a session. */
    readonly circuitBreaker: boolean
  }
}

/** The defaults used when no config file sets a value. */
export const DEFAULT_CONFIG: SsgConfig = { audit: { captureInputs: false }, hook: { circuitBreaker: false } }

/** A config file that does not parse or holds a wrong value; the message names file:line:col or the key. */
export class ConfigProblem extends Error {}

/** A config file's TOML document ({} when absent); throws ConfigProblem naming file:line:col on a syntax error. */
export const readToml = (path: string, cwd: string): Record<string, unknown> => {
  if (!existsSync(path)) return {}
  try {
    return parse(readFileSync(path, "utf8")) as Record<string, unknown>
  } catch (e) {
    throw new ConfigProblem(
      e instanceof TomlError
        ? `${displayPath(cwd, path)}:${e.line}:${e.column}: ${e.message.split("\n")[0]}`
        : `${displayPath(cwd, path)}: ${(e as Error).message}`
    )
  }
}

const BOOLEAN_KEYS = [
  ["audit", "capture_inputs"],
  ["hook", "circuit_breaker"]
] as const

/** The config files in override order: the machine's, then the project's under `cwd`. */
export const configFiles = (home: string, cwd: string): ReadonlyArray<string> => [
  join(home, "config.toml"),
  join(cwd, ".sigmashake", "config.toml")
]

/** Reads and merges the config files (later files win); throws ConfigProblem on a bad file or value. */
export const readConfig = (home: string, cwd: string): SsgConfig => {
  const values: Record<string, boolean> = {
    "audit.capture_inputs": DEFAULT_CONFIG.audit.captureInputs,
    "hook.circuit_breaker": DEFAULT_CONFIG.hook.circuitBreaker
  }
  for (const file of configFiles(home, cwd)) {
    const doc = readToml(file, cwd)
    for (const [table, key] of BOOLEAN_KEYS) {
      const section = doc[table]
      if (section === undefined) continue
      if (typeof section !== "object" || section === null || Array.isArray(section)) {
        throw new ConfigProblem(`${displayPath(cwd, file)}: [${table}] must be a table`)
      }
      const value = (section as Record<string, unknown>)[key]
      if (value === undefined) continue
      if (typeof value !== "boolean") {
        throw new ConfigProblem(`${displayPath(cwd, file)}: ${table}.${key} must be true or false`)
      }
      values[`${table}.${key}`] = value
    }
  }
  return {
    audit: { captureInputs: values["audit.capture_inputs"]! },
    hook: { circuitBreaker: values["hook.circuit_breaker"]! }
  }
}
