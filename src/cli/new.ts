import { Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Console, Effect, Option } from "effect"
import { dirname, join, resolve } from "node:path"
import { RULE_ID_PATTERN } from "../domain/rules/Parser.js"
import {
  type Decision,
  decisionFromName,
  type Severity,
  SEVERITIES,
  type Target,
  TARGETS
} from "../domain/rules/Rule.js"
import { SsgPaths } from "../pipeline/Paths.js"
import { RulesSourceError } from "../pipeline/RuleFiles.js"
import { Finding, UsageError } from "./finding.js"

/** What `ssg new` scaffolds: one rule in canonical line order. */
export interface Scaffold {
  readonly id: string
  readonly decision: Decision
  readonly target: Target
  readonly severity: Severity
  readonly priority: number
}

/** The text of a new rules file: a `# <id>.rules` comment, then one complete rule with a placeholder condition. */
export const scaffoldText = (s: Scaffold): string => {
  const lines = [
    `# ${s.id}.rules`,
    `rule ${s.id} {`,
    "  enabled true",
    `  priority ${s.priority}`,
    `  severity ${s.severity}`,
    `  ${s.decision} ${s.target}`,
    ...(s.decision === "FORCE" ? [`  SUBSTITUTE "Describe the action to take instead"`] : []),
    `  IF ${placeholder(s.target)}`,
    `  MESSAGE "${s.id}: explain why this call is ${verb(s.decision)} and what to do instead"`,
    ...(s.decision === "ASK" ? [`  PROMPT "Allow this call? (rule ${s.id})"`] : []),
    "}"
  ]
  return lines.join("\n") + "\n"
}

/** `ssg new --name ID --decision D --target T`: writes `<ID>.rules` into the rules directory, never overwriting. */
export const newCommand = Command.make(
  "new",
  {
    name: Options.text("name").pipe(Options.withDescription("rule id (letters, digits, '-', '_', '.')")),
    decision: Options.text("decision").pipe(
      Options.withDescription("DENY, ALLOW, LOG, SHADOW, ASK or FORCE (or a wire name)")
    ),
    target: Options.text("target").pipe(Options.withDescription(TARGETS.join(", "))),
    severity: Options.text("severity").pipe(
      Options.withDescription(SEVERITIES.join(", ")),
      Options.withDefault("error")
    ),
    priority: Options.integer("priority").pipe(
      Options.withDescription("higher evaluates first"),
      Options.withDefault(100)
    ),
    rules: Options.directory("rules", { exists: "either" }).pipe(
      Options.withDescription("directory to write into (default: .sigmashake/rules)"),
      Options.optional
    )
  },
  (opts) =>
    Effect.gen(function* () {
      const scaffold = yield* validate(opts)
      const paths = yield* SsgPaths
      const fs = yield* FileSystem.FileSystem
      const dir = Option.match(opts.rules, {
        onNone: () => paths.projectRulesDir,
        onSome: (d) => resolve(paths.cwd, d)
      })
      const path = join(dir, `${scaffold.id}.rules`)
      if (yield* fs.exists(path).pipe(Effect.orElseSucceed(() => false))) {
        return yield* new Finding({ message: `${path} already exists; not overwriting it` })
      }
      yield* fs
        .makeDirectory(dirname(path), { recursive: true })
        .pipe(
          Effect.mapError((e) => new RulesSourceError({ path: dir, message: `cannot create ${dir}: ${e.message}` }))
        )
      yield* fs.writeFileString(path, scaffoldText(scaffold), { flag: "wx" }).pipe(
        Effect.mapError((e) =>
          e._tag === "SystemError" && e.reason === "AlreadyExists"
            ? new Finding({ message: `${path} already exists; not overwriting it` })
            : new RulesSourceError({ path, message: `cannot write ${path}: ${e.message}` })
        )
      )
      yield* Console.log(path)
    })
).pipe(Command.withDescription("Scaffold a new .rules file with one complete rule"))

const validate = (opts: {
  readonly name: string
  readonly decision: string
  readonly target: string
  readonly severity: string
  readonly priority: number
}): Effect.Effect<Scaffold, UsageError> =>
  Effect.gen(function* () {
    if (!RULE_ID_PATTERN.test(opts.name)) {
      return yield* new UsageError({
        message: `invalid rule id "${opts.name}": use letters, digits, '-', '_' or '.', starting with a letter or digit`
      })
    }
    const decision = decisionFromName(opts.decision)
    if (decision === undefined) {
      return yield* new UsageError({
        message: `unknown decision "${opts.decision}": use DENY, ALLOW, LOG, SHADOW, ASK or FORCE`
      })
    }
    const target = TARGETS.find((t) => t === opts.target.toLowerCase())
    if (target === undefined) {
      return yield* new UsageError({ message: `unknown target "${opts.target}": use ${TARGETS.join(", ")}` })
    }
    const severity = SEVERITIES.find((s) => s === opts.severity.toLowerCase())
    if (severity === undefined) {
      return yield* new UsageError({ message: `unknown severity "${opts.severity}": use ${SEVERITIES.join(", ")}` })
    }
    if (!Number.isInteger(opts.priority) || Math.abs(opts.priority) > 999_999) {
      return yield* new UsageError({
        message: `priority must be an integer between -999999 and 999999, got ${opts.priority}`
      })
    }
    return { id: opts.name, decision, target, severity, priority: opts.priority }
  })

const placeholder = (target: Target): string => {
  switch (target) {
    case "execution":
      return `command CONTAINS "example-command --flag"`
    case "read":
    case "write":
      return `path GLOB "**/*.example"`
    default:
      return `tool EQUALS "ExampleTool"`
  }
}

const verb = (decision: Decision): string => {
  switch (decision) {
    case "DENY":
      return "blocked"
    case "ALLOW":
      return "allowed"
    case "LOG":
    case "SHADOW":
      return "logged"
    case "ASK":
      return "held for approval"
    case "FORCE":
      return "replaced"
  }
}
