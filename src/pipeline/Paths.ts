import { Context, Layer } from "effect"
import { homedir } from "node:os"
import { join, relative, resolve } from "node:path"

/** Where ssg keeps state: `SSG_HOME` (default `~/.sigmashake`) for the machine, `.sigmashake/` under the working directory for the project. */
export class SsgPaths extends Context.Tag("ssg/SsgPaths")<
  SsgPaths,
  {
    readonly home: string
    readonly cwd: string
    /** `.sigmashake/rules` under the working directory. */
    readonly projectRulesDir: string
    /** `$SSG_HOME/rules`. */
    readonly globalRulesDir: string
  }
>() {}

/** Resolves the paths from `SSG_HOME` and the process working directory. */
export const pathsFrom = (env: NodeJS.ProcessEnv, cwd: string): SsgPaths["Type"] => {
  const home = resolve(env["SSG_HOME"] !== undefined && env["SSG_HOME"] !== "" ? env["SSG_HOME"] : join(homedir(), ".sigmashake"))
  return { home, cwd, projectRulesDir: join(cwd, ".sigmashake", "rules"), globalRulesDir: join(home, "rules") }
}

/** SsgPaths from the real environment. */
export const layer = Layer.sync(SsgPaths, () => pathsFrom(process.env, process.cwd()))

/** A path relative to the working directory when it lies inside it, else unchanged. */
export const displayPath = (cwd: string, path: string): string => {
  const rel = relative(cwd, path)
  return rel !== "" && !rel.startsWith("..") && !rel.startsWith("/") ? rel : path
}
