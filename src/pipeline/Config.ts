import { Context, Effect, Layer, Schema } from "effect"
import { readConfig, type SsgConfig } from "./ConfigFile.js"
import { SsgPaths } from "./Paths.js"

/** A config file that does not parse or holds a value of the wrong type; the message names file:line:col or the field. */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", { message: Schema.String }) {}

/** Reads the config files on first use (so a bad file only affects the commands that need it). */
export class Config extends Context.Tag("ssg/Config")<Config, { readonly load: Effect.Effect<SsgConfig, ConfigError> }>() {}

/** The Config service over the two config files. */
export const layer = Layer.effect(
  Config,
  Effect.gen(function* () {
    const { cwd, home } = yield* SsgPaths
    const load = Effect.try({
      try: () => readConfig(home, cwd),
      catch: (e) => new ConfigError({ message: e instanceof Error ? e.message : String(e) })
    })
    return { load: yield* Effect.cached(load) }
  })
)
