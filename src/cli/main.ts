import { Command, CommandDescriptor, ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, HashMap, HashSet, Layer } from "effect"
import * as AuditLog from "../pipeline/AuditLog.js"
import * as Config from "../pipeline/Config.js"
import * as Keys from "../pipeline/Keys.js"
import * as Paths from "../pipeline/Paths.js"
import * as RuleFiles from "../pipeline/RuleFiles.js"
import * as Projections from "../projections/Projections.js"
import * as SinkState from "../sinks/SinkState.js"
import { VERSION } from "../version.js"
import { auditCommand } from "./audit.js"
import { auditSyncCommand } from "./auditSync.js"
import { blockedCommand } from "./blocked.js"
import { certifyCommand } from "./certify.js"
import { checkCommand } from "./check.js"
import { costCommand } from "./cost.js"
import { debugCommand } from "./debug.js"
import { dedupeCommand } from "./dedupe.js"
import { demoCommand } from "./demo.js"
import { evalCommand, testRuleCommand } from "./eval.js"
import { exitCodeOf } from "./exit.js"
import { formatCommand } from "./format.js"
import { hookCommand } from "./hookHelp.js"
import { initCommand, uninstallCommand } from "./init.js"
import { metricsCommand } from "./metrics.js"
import { productivityCommand } from "./productivity.js"
import { profileCommand } from "./profile.js"
import { projectionsCommand } from "./projections.js"
import { suggestCommand } from "./suggest.js"
import { keysCommand } from "./keys.js"
import { lintCommand } from "./lint.js"
import { listCommand } from "./list.js"
import { newCommand } from "./new.js"
import { ruleCommand } from "./rule.js"
import { sinksCommand } from "./sinks.js"
import { usageCommand } from "./usage.js"

const COMMANDS = [
  evalCommand,
  testRuleCommand,
  lintCommand,
  formatCommand,
  newCommand,
  listCommand,
  ruleCommand,
  dedupeCommand,
  checkCommand,
  keysCommand,
  auditCommand,
  initCommand,
  uninstallCommand,
  certifyCommand,
  hookCommand,
  metricsCommand,
  debugCommand,
  productivityCommand,
  profileCommand,
  suggestCommand,
  blockedCommand,
  usageCommand,
  costCommand,
  projectionsCommand,
  sinksCommand,
  auditSyncCommand,
  demoCommand
] as const

const ssg = Command.make("ssg").pipe(
  Command.withDescription("ssg: governance for AI coding agents' tool calls"),
  Command.withSubcommands(COMMANDS)
)

const childrenOf = (group: string): Array<string> | null => {
  const descriptor = COMMANDS.map((c) => c.descriptor).find((d) => HashSet.has(CommandDescriptor.getNames(d), group))
  return descriptor === undefined ? null : [...HashMap.keys(CommandDescriptor.getSubcommands(descriptor))].sort()
}

/** For `ssg GROUP WORD` where WORD is not a subcommand of GROUP, the one-line error that lists GROUP's subcommands. */
const unknownSubcommand = (argv: ReadonlyArray<string>): string | null => {
  const [group, word] = argv.slice(2)
  if (group === undefined || word === undefined || word.startsWith("-")) return null
  const children = childrenOf(group)
  if (children === null || children.includes(word) || (children.length === 1 && children[0] === group)) return null
  return `unknown command "ssg ${group} ${word}": use one of ${children.map((n) => `'${n}'`).join(", ")}`
}

const cli = Command.run(ssg, { name: "ssg", version: VERSION })

/** Every service the commands need, provided once at the edge. */
export const MainLayer = Layer.mergeAll(
  RuleFiles.layer,
  Config.layer,
  SinkState.layer,
  Projections.layer.pipe(Layer.provideMerge(AuditLog.layer))
).pipe(
  Layer.provideMerge(Keys.layer),
  Layer.provideMerge(Paths.layer),
  Layer.provideMerge(NodeContext.layer)
)

const ANSI = /\u001b\[[0-9;]*m/g

const oneLine = (text: string): string =>
  text
    .replace(ANSI, "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join(" ")

const stderrLine = (line: string) => Effect.sync(() => process.stderr.write(`ssg: ${line}\n`))

/**
 * `argv` with a lone `-` (standard input, as in `verify-stream - --json`) moved after the options: the option parser
 * stops at an argument starting with `-`, so options following it were refused.
 */
const stdinLast = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const dash = argv.indexOf("-", 2)
  return dash < 0 || argv.indexOf("-", dash + 1) >= 0 ? argv : [...argv.slice(0, dash), ...argv.slice(dash + 1), "-"]
}

const program = Effect.gen(function* () {
  if (process.argv.length === 3 && (process.argv[2] === "--version" || process.argv[2] === "-v")) {
    return yield* Console.log(VERSION)
  }
  const captured: Array<string> = []
  const console = yield* Effect.console
  const capturing: typeof console = {
    ...console,
  error: (...args: ReadonlyArray<unknown>) => Effect.sync(() => captured.push(args.map(String).join(" ")))
  }
  const exit = yield* cli(stdinLast(process.argv)).pipe(Effect.withConsole(capturing), Effect.exit)
  if (exit._tag === "Success") return
  const cause = exit.cause
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some") {
    const error = failure.value
    if (ValidationError.isValidationError(error)) {
      const said = oneLine(captured.join("\n"))
      yield* stderrLine((said.startsWith("Invalid subcommand for ssg ") ? unknownSubcommand(process.argv) : null) ?? (said || "invalid arguments (see --help)"))
      process.exitCode = 2
      return
    }
    const message = typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)
    const silent = typeof error === "object" && error !== null && "silent" in error && error.silent === true
    if (!silent) yield* stderrLine(message)
    process.exitCode = exitCodeOf(error)
    return
  }
  const defect = Cause.squash(cause)
  yield* stderrLine(`internal error: ${defect instanceof Error ? defect.message : String(defect)}`)
  if (process.env["SSG_DEBUG"] === "1") yield* Console.error(Cause.pretty(cause))
  process.exitCode = 3
})

program.pipe(Effect.provide(MainLayer), NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true }))
