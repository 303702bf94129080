import { Context, Effect, Layer, Schema } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { parse, TomlError } from "smol-toml"
import { displayPath, SsgPaths } from "./Paths.js"

/** A config file that does not parse or holds a value of the wrong type; the message names file:line:col or the field. */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", { message: Schema.String }) {}

/** Settings read from `$SSG_HOME/config.toml`, overridden by `.sigmashake/config.toml` in the working directory. */
export interface SsgConfig {
  readonly audit: {
    /** `[audit] capture_inputs`: store full (redacted) tool inputs in the audit log, not only a summary and hash. */
    readonly captureInputs: boolean
  }
}

/** The defaults used when no config file sets a value. */
export const DEFAULT_CONFIG: SsgConfig = { audit: { captureInputs: false } }

/** Reads the config files on first use (so a bad file only affects the commands that need it). */
export class Config extends Context.Tag("ssg/Config")<Config, { readonly load: Effect.Effect<SsgConfig, ConfigError> }>() {}

const readFile = (path: string, cwd: string) =>
  Effect.try({
    try: () => (existsSync(path) ? (parse(readFileSync(path, "utf8")) as Record<string, unknown>) : {}),
    catch: (e) =>
      new ConfigError({
        message:
          e instanceof TomlError
            ? `${displayPath(cwd, path)}:${e.line}:${e.column}: ${e.message.split("\n")[0]}`
            : `${displayPath(cwd, path)}: ${(e as Error).message}`
      })
  })

/** The Config service over the two config files. */
export const layer = Layer.effect(
  Config,
  Effect.gen(function* () {
    const { cwd, home } = yield* SsgPaths
    const files = [join(home, "config.toml"), join(cwd, ".sigmashake", "config.toml")]
    const load = Effect.gen(function* () {
      let captureInputs = DEFAULT_CONFIG.audit.captureInputs
      for (const file of files) {
        const doc = yield* readFile(file, cwd)
        const audit = doc["audit"]
        if (audit === undefined) continue
        if (typeof audit !== "object" || audit === null) {
          return yield* new ConfigError({ message: `${displayPath(cwd, file)}: [audit] must be a table` })
        }
        const capture = (audit as Record<string, unknown>)["capture_inputs"]
        if (capture === undefined) continue
        if (typeof capture !== "boolean") {
          return yield* new ConfigError({ message: `${displayPath(cwd, file)}: audit.capture_inputs must be true or false` })
        }
        captureInputs = capture
      }
      return { audit: { captureInputs } }
    })
    return { load: yield* Effect.cached(load) }
  })
)
