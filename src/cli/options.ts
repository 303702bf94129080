import { Args, Options } from "@effect/cli"

/** `--rules DIR`, repeatable; without it the project and global rule directories are used. */
export const rulesOption = Options.directory("rules", { exists: "either" }).pipe(
  Options.withDescription("rules directory to load (repeatable; default: .sigmashake/rules then $SSG_HOME/rules)"),
  Options.repeated
)

/** `--json`: print one JSON document instead of text. */
export const jsonOption = Options.boolean("json").pipe(Options.withDescription("print JSON instead of text"))

/** Positional rule files or directories. */
export const pathsArgs = Args.path({ name: "PATHS", exists: "either" }).pipe(
  Args.withDescription("rule files or directories"),
  Args.repeated
)
