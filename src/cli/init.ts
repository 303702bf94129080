import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { createHash, randomBytes } from "node:crypto"
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync
} from "node:fs"
import { homedir } from "node:os"
import { dirname, join, relative, sep } from "node:path"
import { fileURLToPath } from "node:url"
import type { ClientAdapter, ConfigPlan, FileContents, FileWrite } from "../adapters/Adapter.js"
import { ADAPTERS, adapterByName } from "../adapters/HookClient.js"
import type { Rule } from "../domain/rules/Rule.js"
import { displayPath, SsgPaths } from "../pipeline/Paths.js"
import { RuleFiles } from "../pipeline/RuleFiles.js"
import { UsageError } from "./finding.js"

/** The starter ruleset shipped in the package (`rules/` next to `dist/`). */
export const STARTER_RULES_DIR = fileURLToPath(new URL("../rules/", import.meta.url))

/** Configuration directories whose presence says a client is used here (project or home). */
const CLIENT_DIRS: Partial<Record<string, ReadonlyArray<string>>> = {
  "claude-code": [".claude"],
  gemini: [".gemini"],
  cursor: [".cursor"],
  codex: [".codex"]
}

const clientOption = Options.text("client").pipe(
  Options.withDescription(`client to set up: ${Object.keys(ADAPTERS).join(", ")}, or all (default: the detected ones)`),
  Options.optional
)
const globalOption = Options.boolean("global").pipe(
  Options.withDescription("install into the client's user-level configuration under the home directory")
)
const commandOption = Options.text("command").pipe(
  Options.withDescription("how the client should invoke ssg (default: ssg)"),
  Options.withDefault("ssg")
)

const readContents = (paths: ReadonlyArray<string>): FileContents =>
  Object.fromEntries(paths.map((p) => [p, existsSync(p) ? readFileSync(p, "utf8") : null]))

/** Where init records the folders it created under an install directory, so uninstall removes only those. */
const createdRecord = (home: string, root: string): string =>
  join(home, "installs", `${createHash("sha256").update(root).digest("hex").slice(0, 32)}.json`)

const readCreated = (home: string, root: string): Set<string> => {
  try {
    const record = JSON.parse(readFileSync(createdRecord(home, root), "utf8")) as { root?: unknown; dirs?: unknown }
    const dirs = record.root === root && Array.isArray(record.dirs) ? record.dirs : []
    return new Set(dirs.filter((d): d is string => typeof d === "string"))
  } catch {
    return new Set()
  }
}

const saveCreated = (home: string, root: string, created: ReadonlySet<string>): void => {
  const file = createdRecord(home, root)
  if (created.size === 0) {
    rmSync(file, { force: true })
    return
  }
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${JSON.stringify({ root, dirs: [...created].sort() }, null, 2)}\n`)
}

const ours = (rel: string, created: ReadonlySet<string>): boolean =>
  created.has(rel) || rel === ".ssg" || rel.startsWith(`.ssg${sep}`)

const removeEmptyParents = (path: string, root: string, created: Set<string>): void => {
  for (let dir = dirname(path); dir.startsWith(root) && dir !== root; dir = dirname(dir)) {
    const rel = relative(root, dir)
    if (!ours(rel, created) || !existsSync(dir) || readdirSync(dir).length > 0) return
    rmdirSync(dir)
    created.delete(rel)
  }
}

const makeParents = (path: string, root: string, created: Set<string>): void => {
  const missing: Array<string> = []
  for (let dir = dirname(path); dir.startsWith(root) && dir !== root && !existsSync(dir); dir = dirname(dir)) missing.push(dir)
  mkdirSync(dirname(path), { recursive: true })
  for (const dir of missing) created.add(relative(root, dir))
}

/** Reads a configuration plan's files and applies it, writing nothing; throws a UsageError when it cannot proceed. */
export const planWrites = (plan: ConfigPlan): Readonly<Record<string, FileWrite>> => {
  const result = plan.apply(readContents(plan.files))
  if (!result.ok) throw new UsageError({ message: result.error })
  return result.writes
}

/**
 * Performs a configuration plan under `root`: reads its files, applies it, writes atomically, and removes the folders
 * a removal leaves empty that it created itself (recorded under `$SSG_HOME/installs`); returns the paths it changed.
 */
export const applyPlan = (plan: ConfigPlan, root: string, home: string): ReadonlyArray<string> => {
  const changed: Array<string> = []
  const created = readCreated(home, root)
  const before = JSON.stringify([...created].sort())
  for (const [path, write] of Object.entries(planWrites(plan))) {
    if (write === "delete") {
      rmSync(path, { force: true })
      removeEmptyParents(path, root, created)
    } else {
      makeParents(path, root, created)
      const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`
      const mode = existsSync(path) ? statSync(path).mode & 0o7777 : write.executable ? 0o755 : 0o644
      writeFileSync(tmp, write.contents, { mode })
      chmodSync(tmp, write.executable ? mode | 0o111 : mode)
      renameSync(tmp, path)
    }
    changed.push(path)
  }
  if (JSON.stringify([...created].sort()) !== before) saveCreated(home, root, created)
  return changed
}

const planFailure = (adapter: ClientAdapter) => (e: unknown): UsageError =>
  e instanceof UsageError ? e : new UsageError({ message: `${adapter.name}: ${(e as Error).message}` })

/** Fails, writing nothing, when any of the plans cannot proceed (a configuration file ssg cannot read or edit). */
const checkPlans = (plans: ReadonlyArray<readonly [ClientAdapter, ConfigPlan]>) =>
  Effect.forEach(plans, ([adapter, plan]) => Effect.try({ try: () => planWrites(plan), catch: planFailure(adapter) }), {
    discard: true
  })

/** The clients a plain `ssg init` sets up: those whose environment variables are set or whose config folder exists. */
export const detectedClients = (dirs: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Array<ClientAdapter> =>
  Object.values(ADAPTERS).filter(
    (a) =>
      a.name !== "generic" &&
      (a.detect(env) || (CLIENT_DIRS[a.name] ?? []).some((d) => dirs.some((root) => existsSync(join(root, d)))))
  )

const chosenClients = (client: string | null, dirs: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    if (client === null) return detectedClients(dirs, process.env)
    if (client === "all") return Object.values(ADAPTERS).filter((a) => a.name !== "generic")
    const adapter = adapterByName(client)
    if (adapter === undefined) {
      return yield* new UsageError({
        message: `unknown client "${client}" (expected one of ${Object.keys(ADAPTERS).join(", ")}, or all)`
      })
    }
    return [adapter]
  })

/** Copies the starter rule files into `rulesDir`, keeping any file of the same name already there. */
export const installStarterRules = (rulesDir: string): { readonly added: number; readonly kept: number } => {
  mkdirSync(rulesDir, { recursive: true })
  let added = 0
  let kept = 0
  for (const name of readdirSync(STARTER_RULES_DIR).filter((n) => n.endsWith(".rules")).sort()) {
    const target = join(rulesDir, name)
    if (existsSync(target)) kept++
    else {
      copyFileSync(join(STARTER_RULES_DIR, name), target)
      added++
    }
  }
  return { added, kept }
}

const loadRulesFor = (rulesDir: string) =>
  Effect.flatMap(RuleFiles, (files) => files.loadValid({ dirs: [rulesDir] })).pipe(Effect.map((l) => l.rules))

/** `ssg init`: installs the starter ruleset (`.sigmashake/rules/`, or `$SSG_HOME/rules` with `--global`) and ssg's hook. */
export const initCommand = Command.make(
  "init",
  {
    client: clientOption,
    global: globalOption,
    list: Options.boolean("list").pipe(Options.withDescription("list the clients, whether each is detected and installed")),
    command: commandOption
  },
  ({ client, command, global, list }) =>
    Effect.gen(function* () {
      const { cwd, globalRulesDir, home: ssgHome } = yield* SsgPaths
      const home = homedir()
      const target = global ? home : cwd
      const searched = global ? [home] : [cwd, home]
      if (list) {
        const detected = new Set(detectedClients(searched, process.env).map((a) => a.name))
        for (const adapter of Object.values(ADAPTERS)) {
          const check = adapter.healthCheck(target, { command })
          const report = check.check(readContents(check.files))
          yield* Console.log(
            `${adapter.name.padEnd(14)} ${detected.has(adapter.name) ? "detected    " : "not detected"}  ${report.ok ? "installed" : "not installed"}`
          )
        }
        return
      }
      const adapters = yield* chosenClients(client._tag === "Some" ? client.value : null, searched)
      yield* checkPlans(adapters.map((a) => [a, a.install(target, { command })] as const))
      const rulesDir = global ? globalRulesDir : join(cwd, ".sigmashake", "rules")
      const starter = yield* Effect.try({
        try: () => installStarterRules(rulesDir),
        catch: (e) => new UsageError({ message: `cannot write ${displayPath(cwd, rulesDir)}: ${(e as Error).message}` })
      })
      yield* Console.log(
        starter.added > 0
          ? `${displayPath(cwd, rulesDir)}: added ${starter.added} starter rule file(s)${starter.kept > 0 ? `, kept ${starter.kept} existing` : ""}`
          : `${displayPath(cwd, rulesDir)}: already holds the starter rule files`
      )
      if (adapters.length === 0) {
        yield* Console.log("no client detected here; name one with --client (e.g. --client claude-code) or use --client all")
        return
      }
      const rules: ReadonlyArray<Rule> = yield* loadRulesFor(rulesDir)
      for (const adapter of adapters) {
        const plan = adapter.install(target, { command, rules })
        const changed = yield* Effect.try({
          try: () => applyPlan(plan, target, ssgHome),
          catch: planFailure(adapter)
        })
        yield* Console.log(
          changed.length === 0
            ? `${adapter.name}: already installed`
            : `${adapter.name}: installed (${changed.map((p) => displayPath(cwd, p)).join(", ")})`
        )
        for (const note of plan.notes) yield* Console.log(`  ${note}`)
      }
    })
).pipe(Command.withDescription("Install the starter ruleset and ssg's hook into the detected (or named) clients"))

/** `ssg uninstall`: removes exactly what `ssg init` added to the chosen clients' configuration. */
export const uninstallCommand = Command.make(
  "uninstall",
  { client: clientOption, global: globalOption, command: commandOption },
  ({ client, command, global }) =>
    Effect.gen(function* () {
      const { cwd, home: ssgHome } = yield* SsgPaths
      const target = global ? homedir() : cwd
      const name = client._tag === "Some" ? client.value : "all"
      const adapters = yield* chosenClients(name, [target])
      yield* checkPlans(adapters.map((a) => [a, a.uninstall(target, { command })] as const))
      for (const adapter of adapters) {
        const plan = adapter.uninstall(target, { command })
        const changed = yield* Effect.try({
          try: () => applyPlan(plan, target, ssgHome),
          catch: planFailure(adapter)
        })
        if (changed.length > 0) {
          yield* Console.log(`${adapter.name}: removed (${changed.map((p) => displayPath(cwd, p)).join(", ")})`)
        } else if (client._tag === "Some") yield* Console.log(`${adapter.name}: nothing to remove`)
      }
    })
).pipe(Command.withDescription("Remove what `ssg init` added to the clients' configuration (default: every client)"))
