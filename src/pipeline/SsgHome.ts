import { homedir } from "node:os"
import { join, relative, resolve } from "node:path"

/** The state locations: `home` (`SSG_HOME`, default `~/.sigmashake`) and the project under the working directory. */
export interface SsgLocations {
  readonly home: string
  readonly cwd: string
  /** `.sigmashake/rules` under the working directory. */
  readonly projectRulesDir: string
  /** `$SSG_HOME/rules`. */
  readonly globalRulesDir: string
}

/** Resolves the locations from `SSG_HOME` and a working directory. */
export const pathsFrom = (env: NodeJS.ProcessEnv, cwd: string): SsgLocations => {
  const home = resolve(env["SSG_HOME"] !== undefined && env["SSG_HOME"] !== "" ? env["SSG_HOME"] : join(homedir(), ".sigmashake"))
  return { home, cwd, projectRulesDir: join(cwd, ".sigmashake", "rules"), globalRulesDir: join(home, "rules") }
}

/** A path relative to the working directory when it lies inside it, else unchanged. */
export const displayPath = (cwd: string, path: string): string => {
  const rel = relative(cwd, path)
  return rel !== "" && !rel.startsWith("..") && !rel.startsWith("/") ? rel : path
}
