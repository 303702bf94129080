import { Duration, Effect } from "effect"
import { spawn } from "node:child_process"
import { clip } from "../domain/Clip.js"
import { type Envelope, RuleActionRan } from "../domain/Event.js"
import { redactSecrets as redactText } from "../domain/Redact.js"
import type { Rule } from "../domain/rules/Rule.js"
import { AuditLog } from "../pipeline/AuditLog.js"
import { makeAgent, send as httpSend } from "./Http.js"
import { INTERNAL_CURSORS, shownUrl } from "./SinkConfig.js"
import { SinkState } from "./SinkState.js"
import { signWebhook, webhookKey } from "./Webhook.js"

const RULE_ACTIONS_CURSOR = INTERNAL_CURSORS.ruleActions

/** The environment variable holding the `whsec_` secret that signs rule webhooks. */
export const RULE_WEBHOOK_SECRET_ENV = "SSG_WEBHOOK_SECRET"

/** One action of a rule: POST the decision to a URL, or run a program with the decision on stdin. */
export interface RuleAction {
  readonly ruleId: string
  readonly kind: "webhook" | "run"
  readonly target: string
}

/** The `WEBHOOK` and `RUN` actions of the rules that have any, by rule id. */
export const actionsOf = (rules: ReadonlyArray<Rule>): ReadonlyMap<string, ReadonlyArray<RuleAction>> =>
  new Map(
    rules
      .filter((r) => r.webhook.length > 0 || r.run.length > 0)
      .map((r) => [
        r.id,
        [
          ...r.webhook.map((target): RuleAction => ({ ruleId: r.id, kind: "webhook", target })),
          ...r.run.map((target): RuleAction => ({ ruleId: r.id, kind: "run", target }))
        ]
      ])
  )

/**
 * Splits a `RUN` command into arguments the way a POSIX shell splits words, without running one: single quotes keep
 * everything, double quotes keep all but `\\"` and `\\\\`, a backslash outside quotes escapes the next character. No
 * expansion of any kind. Throws on an unterminated quote or an empty command.
 */
export const splitCommand = (command: string): Array<string> => {
  const args: Array<string> = []
  let current = ""
  let inWord = false
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!
    if (c === "'") {
      const end = command.indexOf("'", i + 1)
      if (end < 0) throw new Error("unterminated single quote")
      current += command.slice(i + 1, end)
      i = end
      inWord = true
    } else if (c === '"') {
      let j = i + 1
      for (; j < command.length && command[j] !== '"'; j++) {
        if (command[j] === "\\" && (command[j + 1] === '"' || command[j + 1] === "\\")) j++
        current += command[j]
      }
      if (j >= command.length) throw new Error("unterminated double quote")
      i = j
      inWord = true
    } else if (c === "\\" && i + 1 < command.length) {
      current += command[++i]
      inWord = true
    } else if (c === " " || c === "\t" || c === "\n") {
      if (inWord) args.push(current)
      current = ""
      inWord = false
    } else {
      current += c
      inWord = true
    }
  }
  if (inWord) args.push(current)
  if (args.length === 0) throw new Error("empty command")
  return args
}

/** What running one action gave. */
export interface ActionOutcome {
  readonly ok: boolean
  readonly status: number | null
  readonly attempts: number
  readonly error: string | null
}

const clipError = (text: string): string => clip(text, 200)

/** How long one `RUN` command or webhook attempt may take. */
export const ACTION_TIMEOUT_MS = 30_000

/** `env` without the variables named in `withheld` (the credentials a `RUN` command must not inherit). */
export const withoutSecrets = (env: NodeJS.ProcessEnv, withheld: ReadonlyArray<string>): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(env).filter(([name]) => !withheld.includes(name)))

/**
 * Runs `argv` with `input` on stdin (no shell) in environment `env`, killing it after the timeout; its exit code and
 * stderr's start.
 */
export const runCommand = (
  argv: ReadonlyArray<string>,
  input: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = ACTION_TIMEOUT_MS
): Promise<ActionOutcome> =>
  new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "ignore", "pipe"], env, timeout: timeoutMs, killSignal: "SIGKILL" })
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      if (stderr.length < 1_000) stderr += d
    })
    child.stdin.on("error", () => undefined)
    child.on("error", (e) => resolve({ ok: false, status: null, attempts: 1, error: clipError(redactText(e.message)) }))
    child.on("close", (code, signal) =>
      resolve({
        ok: code === 0,
        status: code,
        attempts: 1,
        error: code === 0 ? null : clipError(redactText(signal !== null ? `killed by ${signal}${stderr !== "" ? `: ${stderr.trim()}` : ""}` : `exit ${code}${stderr !== "" ? `: ${stderr.trim()}` : ""}`))
      })
    )
    child.stdin.end(input)
  })

const WEBHOOK_ATTEMPTS = 3

/** POSTs a rule decision signed per Standard Webhooks, retrying 408/429/5xx and network failures up to 3 times. */
const postDecision = (url: string, secret: string | undefined, id: string, body: string) =>
  Effect.gen(function* () {
    if (secret === undefined || secret === "") {
      return { ok: false, status: null, attempts: 0, error: `${RULE_WEBHOOK_SECRET_ENV} is not set (rule webhooks are signed)` }
    }
    let key: Buffer
    try {
      key = webhookKey(secret)
    } catch (e) {
      return { ok: false, status: null, attempts: 0, error: `${RULE_WEBHOOK_SECRET_ENV}: ${(e as Error).message}` }
    }
    const agent = makeAgent("rule webhook", null, ACTION_TIMEOUT_MS)
    let last: ActionOutcome = { ok: false, status: null, attempts: 0, error: null }
    for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
      const timestamp = Math.floor(Date.now() / 1000)
      const answer = yield* Effect.either(
        httpSend(
          agent,
          "rule webhook",
          "POST",
          url,
          { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signWebhook(key, id, timestamp, body) },
          body,
          ACTION_TIMEOUT_MS
        )
      )
      if (answer._tag === "Right") {
        const status = answer.right.status
        const ok = status >= 200 && status < 300
        last = { ok, status, attempts: attempt, error: ok ? null : clipError(redactText(`HTTP ${status} ${answer.right.body.slice(0, 150)}`.trim())) }
        if (ok || !(status === 408 || status === 429 || status >= 500)) break
      } else {
        last = { ok: false, status: null, attempts: attempt, error: clipError(answer.left.message.replace(/^sink rule webhook: /, "")) }
      }
      if (attempt < WEBHOOK_ATTEMPTS) yield* Effect.sleep(Duration.millis(250 * 2 ** (attempt - 1)))
    }
    yield* Effect.promise(() => agent.close()).pipe(Effect.timeout("1 second"), Effect.ignore)
    return last
  })

const targetOf = (action: RuleAction): string => {
  if (action.kind === "run") {
    try {
      return splitCommand(action.target)[0]!
    } catch {
      return action.target.slice(0, 80)
    }
  }
  return shownUrl(action.target, false)
}

/**
 * Runs one action for the decision in `envelope`; a `RUN` command gets `env` without the variables in `withheld` and
 * without the rule webhook secret.
 */
export const runAction = (action: RuleAction, envelope: Envelope, env: NodeJS.ProcessEnv, withheld: ReadonlyArray<string> = []) => {
  const body = JSON.stringify({ type: "ssg.rule.decision", timestamp: new Date().toISOString(), data: { rule_id: action.ruleId, entry: envelope } })
  if (action.kind === "webhook") {
    if (!/^https?:\/\//.test(action.target)) {
      return Effect.succeed<ActionOutcome>({ ok: false, status: null, attempts: 0, error: "WEBHOOK needs an http(s) URL" })
    }
    return postDecision(action.target, env[RULE_WEBHOOK_SECRET_ENV], `msg_${envelope.id}_${action.ruleId}`.slice(0, 120), body)
  }
  let argv: Array<string>
  try {
    argv = splitCommand(action.target)
  } catch (e) {
    return Effect.succeed<ActionOutcome>({ ok: false, status: null, attempts: 0, error: `RUN: ${(e as Error).message}` })
  }
  return Effect.promise(() => runCommand(argv, body, withoutSecrets(env, [RULE_WEBHOOK_SECRET_ENV, ...withheld])))
}

/**
 * How `runRuleActions` runs: until caught up (`once`) or following the log, with the environment, the names of the
 * credential variables `RUN` commands do not inherit, and a progress line sink.
 */
export interface RuleActionOptions {
  readonly once: boolean
  readonly env: NodeJS.ProcessEnv
  readonly withheld: ReadonlyArray<string>
  readonly report: (line: string) => Effect.Effect<void>
}

const POLL = Duration.millis(200)
const BATCH = 500

/**
 * Runs the rules' actions for every decision they made, from the `rule-actions` cursor: for each `v1.EvalDecided` whose
 * deciding or also-matched rule has `WEBHOOK`/`RUN` actions, runs them in order and appends a `v1.RuleActionRan` per
 * action, then moves the cursor past that entry (a crash in between runs the entry's actions again). Returns how many
 * actions ran and how many failed.
 */
export const runRuleActions = (actions: ReadonlyMap<string, ReadonlyArray<RuleAction>>, options: RuleActionOptions) =>
  Effect.gen(function* () {
    const log = yield* AuditLog
    const store = yield* SinkState
    let ran = 0
    let failed = 0
    while (true) {
      const state = yield* store.get(RULE_ACTIONS_CURSOR)
      const entries = yield* log.entries({ afterSeq: state.cursor, type: "v1.EvalDecided", limit: BATCH })
      if (entries.length === 0) {
        if (options.once) return { ran, failed, cursor: state.cursor }
        yield* Effect.sleep(POLL)
        continue
      }
      for (const entry of entries) {
        const data = entry.envelope.data as { rule_id?: unknown; also_matched?: unknown }
        const ids = [
          ...(typeof data.rule_id === "string" ? [data.rule_id] : []),
          ...(Array.isArray(data.also_matched) ? data.also_matched.map((m: { rule_id?: unknown }) => m?.rule_id).filter((id): id is string => typeof id === "string") : [])
        ]
        const outcomes: Array<typeof RuleActionRan.Type> = []
        for (const id of new Set(ids)) {
          for (const action of actions.get(id) ?? []) {
            const started = performance.now()
            const outcome = yield* runAction(action, entry.envelope, options.env, options.withheld)
            outcomes.push(
              RuleActionRan.make({
                rule_id: id,
                trigger_seq: entry.seq,
                trigger_id: entry.id,
                action: action.kind,
                target: targetOf(action),
                ok: outcome.ok,
                status: outcome.status,
                attempts: outcome.attempts,
                duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
                error: outcome.error
              })
            )
            ran++
            if (!outcome.ok) {
              failed++
              yield* options.report(`rule ${id}: ${action.kind} ${targetOf(action)} failed for #${entry.seq}: ${outcome.error ?? "unknown error"}`)
            }
          }
        }
        if (outcomes.length > 0) yield* log.append(outcomes, { client: "ssg-forwarder", session: null })
        yield* store.confirm(RULE_ACTIONS_CURSOR, { cursor: entry.seq, checkpointSize: state.checkpointSize, delivered: outcomes.length, deadLetters: [] })
      }
    }
  })
