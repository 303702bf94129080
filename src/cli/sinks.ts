import { Args, Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { AuditLog } from "../pipeline/AuditLog.js"
import { ConfigError } from "../pipeline/Config.js"
import { SsgPaths } from "../pipeline/Paths.js"
import { RuleFiles } from "../pipeline/RuleFiles.js"
import { CLOUD_API_KEY_ENV } from "../sinks/Cloud.js"
import { actionsOf, runRuleActions } from "../sinks/RuleActions.js"
import { probeSink, redeliver, runSinks } from "../sinks/Runner.js"
import { destinationOf, readSinkConfigs, secretEnvs, type SinkConfig } from "../sinks/SinkConfig.js"
import { SinkState, type SinkStatus } from "../sinks/SinkState.js"
import { errorLine, Finding, UsageError } from "./finding.js"
import { jsonOption } from "./options.js"

/** The configured sinks (both config files); a bad `[[sinks]]` table fails with file, key and reason. */
export const loadSinks = Effect.gen(function* () {
  const { cwd, home } = yield* SsgPaths
  return yield* Effect.try({
    try: () => readSinkConfigs(home, cwd),
    catch: (e) => new ConfigError({ message: e instanceof Error ? e.message : String(e) })
  })
})

const sinkNamed = (name: string) =>
  Effect.gen(function* () {
    const sinks = yield* loadSinks
    const sink = sinks.find((s) => s.name === name)
    if (sink === undefined) {
      return yield* new UsageError({
        message: `no sink named "${name}" (configured: ${sinks.length === 0 ? "none" : sinks.map((s) => s.name).join(", ")})`
      })
    }
    return sink
  })

const listCommand = Command.make("list", { json: jsonOption }, ({ json }) =>
  Effect.gen(function* () {
    const sinks = yield* loadSinks
    const rows = sinks.map((s) => ({
      name: s.name,
      type: s.type,
      destination: destinationOf(s),
      events: s.events,
      file: s.file,
      credentials: secretEnvs(s).map((env) => ({ env, set: (process.env[env] ?? "") !== "" }))
    }))
    if (json) return yield* Console.log(JSON.stringify(rows))
    if (rows.length === 0) return yield* Console.log("no sinks configured (add [[sinks]] tables to .sigmashake/config.toml)")
    for (const r of rows) {
      const creds = r.credentials.map((c) => `$${c.env}${c.set ? "" : " (not set)"}`).join(", ")
      yield* Console.log(
        `${r.name}  ${r.type}  ${r.destination}  events: ${r.events === null ? "all" : r.events.join(",")}${creds !== "" ? `  credentials: ${creds}` : ""}  (${r.file})`
      )
    }
  })
).pipe(Command.withDescription("List the configured sinks (credentials are shown by environment variable name only)"))

const statusCommand = Command.make("status", { json: jsonOption }, ({ json }) =>
  Effect.gen(function* () {
    const sinks = yield* loadSinks
    const store = yield* SinkState
    const head = yield* (yield* AuditLog).head
    const size = head?.size ?? 0
    const rows: Array<{ sink: SinkConfig; status: SinkStatus }> = []
    for (const sink of sinks) rows.push({ sink, status: yield* store.get(sink.name) })
    if (json) {
      return yield* Console.log(
        JSON.stringify(
          rows.map(({ sink, status }) => ({
            name: sink.name,
            type: sink.type,
            cursor: status.cursor,
            log_size: size,
            lag: Math.max(0, size - status.cursor),
            checkpoint_size: status.checkpointSize,
            delivered: status.delivered,
            last_success_at: status.lastSuccessAt,
            last_error_at: status.lastErrorAt,
            last_error: status.lastError,
            paused: status.paused,
            paused_reason: status.pausedReason,
            dead_letters: status.deadLetters
          }))
        )
      )
    }
    if (rows.length === 0) return yield* Console.log("no sinks configured")
    for (const { sink, status } of rows) {
      yield* Console.log(`${sink.name} (${sink.type}) ${status.paused ? "PAUSED" : "active"}`)
      yield* Console.log(`  cursor: #${status.cursor} of ${size} (lag ${Math.max(0, size - status.cursor)})`)
      yield* Console.log(`  delivered: ${status.delivered}; last success: ${status.lastSuccessAt ?? "never"}`)
      if (status.lastError !== null) yield* Console.log(`  last error: ${status.lastErrorAt} ${status.lastError}`)
      if (status.paused) yield* Console.log(`  paused: ${status.pausedReason ?? "yes"}`)
      yield* Console.log(`  dead letters: ${status.deadLetters}`)
    }
  })
).pipe(Command.withDescription("Show each sink's cursor, lag, last success and error, pause state and dead letters"))

const runCommand = Command.make(
  "run",
  {
    name: Options.text("name").pipe(Options.withDescription("forward only to this sink (repeatable)"), Options.repeated),
    once: Options.boolean("once").pipe(Options.withDescription("stop once every sink has caught up with the log"))
  },
  ({ name, once }) =>
    Effect.gen(function* () {
      const sinks = yield* loadSinks
      const unknown = name.filter((n) => !sinks.some((s) => s.name === n))
      if (unknown.length > 0) return yield* new UsageError({ message: `no sink named "${unknown[0]}"` })
      const chosen = name.length === 0 ? sinks : sinks.filter((s) => name.includes(s.name))
      const actions = name.length === 0 ? actionsOf((yield* (yield* RuleFiles).load({})).rules) : new Map()
      if (chosen.length === 0 && actions.size === 0) {
        return yield* new Finding({ message: "no sinks configured (add [[sinks]] tables to .sigmashake/config.toml) and no rule has WEBHOOK or RUN actions" })
      }
      const withheld = [CLOUD_API_KEY_ENV, ...sinks.flatMap(secretEnvs)]
      const options = { once, env: process.env, withheld, report: (line: string) => errorLine(line) }
      const [outcomes, ran] = yield* Effect.all(
        [runSinks(chosen, options), actions.size === 0 ? Effect.succeed(null) : runRuleActions(actions, options)],
        { concurrency: "unbounded" }
      )
      for (const o of outcomes) {
        yield* Console.log(
          `${o.name}: ${o.state === "caught-up" ? "caught up" : o.state} at #${o.cursor} (${o.delivered} records delivered, ${o.deadLettered} dead-lettered)${o.state === "caught-up" ? "" : `: ${o.message}`}`
        )
      }
      if (ran !== null) yield* Console.log(`rule actions: ${ran.ran} ran, ${ran.failed} failed, through #${ran.cursor} (outcomes recorded as v1.RuleActionRan)`)
      const stuck = outcomes.filter((o) => o.state !== "caught-up")
      if (stuck.length > 0) {
        return yield* new Finding({ message: `${stuck.map((o) => o.name).join(", ")}: not caught up (see \`ssg sinks status\`)` })
      }
    })
).pipe(Command.withDescription("Forward the audit log to the sinks (follow the log; --once: until caught up)"))

const testCommand = Command.make("test", { name: Args.text({ name: "NAME" }) }, ({ name }) =>
  Effect.gen(function* () {
    const sink = yield* sinkNamed(name)
    const result = yield* Effect.either(probeSink(sink, process.env))
    if (result._tag === "Left") return yield* new Finding({ message: result.left.message })
    yield* Console.log(`${name}: ok: ${result.right}`)
  })
).pipe(Command.withDescription("Check a sink's destination: reachable, healthy, credentials accepted (sends no records)"))

const replayCommand = Command.make(
  "replay",
  {
    name: Args.text({ name: "NAME" }),
    from: Options.integer("from").pipe(Options.withDescription("first seq to send again"))
  },
  ({ from, name }) =>
    Effect.gen(function* () {
      yield* sinkNamed(name)
      if (from < 1) return yield* new UsageError({ message: "--from must be 1 or more" })
      const store = yield* SinkState
      const before = yield* store.get(name)
      if (from > before.cursor + 1) {
        return yield* new UsageError({
          message: `--from ${from} would skip entries ${name} has not sent yet (its cursor is at #${before.cursor}); replay only sends entries again, so --from must be ${before.cursor + 1} or less`
        })
      }
      yield* store.rewind(name, from)
      yield* Console.log(`${name}: cursor moved from #${before.cursor} to #${from - 1}; the next \`ssg sinks run\` sends #${from} onwards`)
    })
).pipe(Command.withDescription("Send the log again from a seq (moves the sink's cursor back)"))

const dlqCommand = Command.make(
  "dlq",
  {
    name: Args.text({ name: "NAME" }),
    action: Args.choice([
      ["list", "list"],
      ["retry", "retry"],
      ["drop", "drop"]
    ] as const).pipe(Args.withDefault("list" as const)),
    id: Options.text("id").pipe(Options.withDescription("only this dead letter (repeatable; default: all)"), Options.repeated),
    json: jsonOption
  },
  ({ action, id, json, name }) =>
    Effect.gen(function* () {
      const sink = yield* sinkNamed(name)
      const bad = id.find((i) => !/^\d+$/.test(i))
      if (bad !== undefined) return yield* new UsageError({ message: `--id: "${bad}" is not a dead letter id (see \`ssg sinks dlq ${name} list\`)` })
      const store = yield* SinkState
      const letters = yield* store.deadLetters(name, id.length > 0 ? id.map(Number) : undefined)
      if (action === "list") {
        if (json) {
          return yield* Console.log(
            JSON.stringify(letters.map((l) => ({ id: l.id, record_id: l.recordId, seq: l.seq, reason: l.reason, at: l.at, record: l.record })))
          )
        }
        for (const l of letters) yield* Console.log(`${l.id}  #${l.seq}  ${l.at}  ${l.recordId}  ${l.reason}`)
        return yield* Console.log(`${letters.length} dead letter${letters.length === 1 ? "" : "s"}`)
      }
      if (action === "drop") {
        const removed = yield* store.removeDeadLetters(name, letters.map((l) => l.id))
        return yield* Console.log(`${name}: dropped ${removed} dead letter${removed === 1 ? "" : "s"} (they will not be sent)`)
      }
      if (letters.length === 0) return yield* Console.log(`${name}: no dead letters to retry`)
      const result = yield* Effect.either(redeliver(sink, letters.map((l) => l.record), process.env))
      if (result._tag === "Left") return yield* new Finding({ message: `${result.left.message}; the dead letters are kept` })
      const confirmed = new Set(result.right.confirmed.map((r) => r.id))
      yield* store.removeDeadLetters(name, letters.filter((l) => confirmed.has(l.recordId)).map((l) => l.id))
      yield* Console.log(`${name}: ${confirmed.size} delivered, ${result.right.refused.length} refused again (kept)`)
      if (result.right.refused.length > 0) {
        return yield* new Finding({ message: `${name}: ${result.right.refused.length} dead letter(s) refused again` })
      }
    })
).pipe(Command.withDescription("List, re-send or drop the records a sink's destination refused"))

/** `ssg sinks …`: forward the audit log to SIEMs and other destinations. */
export const sinksCommand = Command.make("sinks").pipe(
  Command.withDescription("Forward the audit log to Splunk HEC, Cribl, Kafka, webhooks (at-least-once, from per-sink cursors)"),
  Command.withSubcommands([listCommand, statusCommand, runCommand, testCommand, replayCommand, dlqCommand])
)
