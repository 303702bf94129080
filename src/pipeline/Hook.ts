import { join } from "node:path"
import type { ClientAdapter, HookRequest, HookResponse, HookResult, ParseResult } from "../adapters/Adapter.js"
import { compileRuleSet } from "../domain/rules/Evaluate.js"
import { canonicalProblem } from "../domain/CanonicalJson.js"
import type { Capability, ToolCall } from "../domain/ToolCall.js"
import { redactSecrets } from "../domain/Redact.js"
import { recordedModel, reportedUsage } from "../domain/Tokens.js"
import { type HotPath, openHotPath } from "./AuditStore.js"
import { readConfig, type SsgConfig } from "./ConfigFile.js"
import { evalDecidedRecord, inputSha256, type Verdict, verdictOf } from "./EvalRecord.js"
import { appendEvents, eventSource, type EventParts } from "./LogWriter.js"
import { cachedRuleHashes, type LoadedRuleset, loadRuleset, rulesetDiff } from "./RulesetCache.js"
import { loadOrCreateKeyFiles } from "./SigningKey.js"
import { displayPath, pathsFrom } from "./SsgHome.js"

/** The rule id recorded when ssg itself fails and the hook blocks the call (fail closed). */
export const FAIL_CLOSED_RULE = "ssg-fail-closed"
/** The rule id of the loop guard's blocks. */
export const LOOP_GUARD_RULE = "loop-guard"
/** The rule id recorded when the circuit breaker lets a call through. */
export const CIRCUIT_BREAKER_RULE = "circuit-breaker"

/** Consecutive denials in a session after which the circuit breaker (when on) lets the next call through. */
export const CIRCUIT_BREAKER_DENIALS = 5

const blockVerdict = (ruleId: string, reason: string): Verdict => ({
  decision: "block",
  ruleId,
  reason,
  prompt: null,
  substitute: null,
  alsoMatched: []
})

interface Recent {
  readonly tool?: unknown
  readonly decision?: unknown
  readonly input_sha256?: unknown
}

const envelopeData = (bytes: Uint8Array): Record<string, unknown> => {
  try {
    const data = (JSON.parse(Buffer.from(bytes).toString("utf8")) as { data?: unknown }).data
    return typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

const recentDecisions = (hot: HotPath, session: string, limit: number): ReadonlyArray<Recent> =>
  hot.recentInSession(session, "v1.EvalDecided", limit).map(envelopeData)

const isDenial = (decision: unknown): boolean => decision === "block" || decision === "force"

/**
 * The guards computed from the log, in the append transaction: the loop guard blocks the third identical consecutive
 * shell command of a session; the circuit breaker (when on) lets a call through after 5 consecutive denials.
 */
export const applyGuards = (
  hot: HotPath,
  session: string | null,
  call: ToolCall,
  capability: Capability,
  verdict: Verdict,
  circuitBreaker: boolean
): Verdict => {
  if (session === null) return verdict
  let out = verdict
  if (capability === "execute" && out.decision !== "block") {
    const hash = inputSha256(call)
    const last = recentDecisions(hot, session, 2)
    if (last.length === 2 && last.every((r) => r.tool === call.tool && r.input_sha256 === hash)) {
      out = blockVerdict(
        LOOP_GUARD_RULE,
        "loop guard: this exact command already ran twice in a row in this session; try something different"
      )
    }
  }
  if (circuitBreaker && isDenial(out.decision)) {
    const last = recentDecisions(hot, session, CIRCUIT_BREAKER_DENIALS)
    if (last.length === CIRCUIT_BREAKER_DENIALS && last.every((r) => isDenial(r.decision))) {
      out = {
        decision: "allow",
        ruleId: CIRCUIT_BREAKER_RULE,
        reason: `circuit breaker: allowed after ${CIRCUIT_BREAKER_DENIALS} consecutive denials in this session (would have been ${out.decision} by ${out.ruleId ?? "a rule"})`,
        prompt: null,
        substitute: null,
        alsoMatched: out.ruleId === null ? out.alsoMatched : [...out.alsoMatched, { rule_id: out.ruleId, decision: out.decision }]
      }
    }
  }
  return out
}

const sameDirs = (a: unknown, b: ReadonlyArray<string>): boolean =>
  Array.isArray(a) && a.length === b.length && a.every((d, i) => d === b[i])

/** A `v1.RulesetLoaded` event when the rule files under the ruleset's directories changed since the last one logged. */
export const rulesetChange = (hot: HotPath, home: string, ruleset: LoadedRuleset): EventParts | null => {
  let previous: { readonly files_sha256?: unknown } | null = null
  for (const bytes of hot.recentOfType("v1.RulesetLoaded", 64)) {
    const data = envelopeData(bytes)
    if (sameDirs(data["dirs"], ruleset.dirs)) {
      previous = data
      break
    }
  }
  if (previous !== null && previous.files_sha256 === ruleset.filesSha256) return null
  const before =
    previous !== null && typeof previous.files_sha256 === "string" ? cachedRuleHashes(home, previous.files_sha256) : null
  const diff = rulesetDiff(before, ruleset.ruleHashes)
  return {
    type: "v1.RulesetLoaded",
    data: {
      dirs: ruleset.dirs,
      files: ruleset.files,
      rules: ruleset.rules.length,
      content_sha256: ruleset.contentSha256,
      files_sha256: ruleset.filesSha256,
      ...diff
    }
  }
}

const circuitBreakerOn = (env: NodeJS.ProcessEnv, config: SsgConfig): boolean =>
  env["SSG_HOOK_CIRCUIT_BREAKER"] === "1" || config.hook.circuitBreaker

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0]!

/** Where the hook's state lives for a request: SSG_HOME, the project directory and the rule directories. */
const locate = (env: NodeJS.ProcessEnv, cwd: string) => {
  const paths = pathsFrom(env, cwd)
  return { ...paths, dirs: [paths.projectRulesDir, paths.globalRulesDir], db: join(paths.home, "audit.db") }
}

/** The verdict as an adapter renders it. */
export const hookResult = (verdict: Verdict): HookResult => ({
  decision: verdict.decision,
  ruleId: verdict.ruleId,
  reason: verdict.reason,
  ...(verdict.substitute !== null ? { substitute: verdict.substitute } : {}),
  ...(verdict.prompt !== null ? { prompt: verdict.prompt } : {})
})

/** Options of a hook evaluation: rule directories other than the project's and SSG_HOME's (used by `ssg certify`). */
export interface HookOptions {
  readonly rulesDirs?: ReadonlyArray<string>
}

/**
 * `ssg hook eval`: evaluates a client's pre-tool-use payload, appends `v1.EvalDecided` (and `v1.RulesetLoaded` when
 * the rule files changed), and answers in the client's format. Fails closed: a malformed payload, or rules, config,
 * key or log ssg cannot use, blocks the call with the reason (recorded when the log can still be written). A
 * well-formed payload of an event that is not a tool call gets no answer.
 */
export const hookEval = (
  adapter: ClientAdapter,
  parsed: ParseResult,
  env: NodeJS.ProcessEnv,
  processCwd: string,
  options: HookOptions = {}
): HookResponse => {
  if (!parsed.ok && parsed.kind === "unsupported-event") return { stdout: "", stderr: "", exitCode: 0 }
  const verdict = hookDecide(adapter, parsed, env, processCwd, options)
  return adapter.formatOutput(hookResult(verdict), parsed.ok ? parsed.request : undefined)
}

/** The verdict `ssg hook eval` answers with (after recording it), before the client's formatting. */
export const hookDecide = (
  adapter: ClientAdapter,
  parsed: ParseResult,
  env: NodeJS.ProcessEnv,
  processCwd: string,
  options: HookOptions = {}
): Verdict => {
  if (!parsed.ok) return blockVerdict(FAIL_CLOSED_RULE, `ssg: bad hook payload: ${parsed.error}`)
  const request = parsed.request
  if (request.event !== "pre") return blockVerdict(FAIL_CLOSED_RULE, "ssg: `ssg hook eval` got a post-tool payload")
  const problem = canonicalProblem(request.input, "input")
  if (problem !== null) return blockVerdict(FAIL_CLOSED_RULE, `ssg: bad hook payload: the tool input cannot be recorded: ${problem}`)
  const call: ToolCall = { tool: request.tool, input: request.input }
  const located = locate(env, request.cwd ?? processCwd)
  const where = options.rulesDirs === undefined ? located : { ...located, dirs: options.rulesDirs }
  const started = performance.now()
  const capability = adapter.toolCapability(request.tool)
  let verdict: Verdict
  let config: SsgConfig | null = null
  let ruleset: LoadedRuleset | null = null
  try {
    config = readConfig(where.home, where.cwd)
    ruleset = loadRuleset(where.home, where.dirs)
    const error = ruleset.errors[0]
    if (error !== undefined) {
      const more = ruleset.errors.length > 1 ? ` (+${ruleset.errors.length - 1} more)` : ""
      verdict = blockVerdict(
        FAIL_CLOSED_RULE,
        `ssg: the rules do not load, so every call is blocked: ${displayPath(where.cwd, error.file)}:${error.line}:${error.column}: ${error.message}${more} (run \`ssg lint\`)`
      )
    } else {
      verdict = verdictOf(compileRuleSet(ruleset.rules, { facts: ruleset.facts }).evaluate(call, capability), call)
    }
  } catch (e) {
    verdict = blockVerdict(FAIL_CLOSED_RULE, `ssg: cannot evaluate, so the call is blocked: ${firstLine(e)}`)
  }
  let hot: HotPath | null = null
  try {
    hot = openHotPath(where.db)
    const key = loadOrCreateKeyFiles(where.home)
    const source = eventSource(key, { client: adapter.name, session: request.session, cwd: where.cwd })
    const log = hot
    appendEvents(
      log,
      () => {
        const events: Array<EventParts> = []
        const change = ruleset !== null && ruleset.errors.length === 0 ? rulesetChange(log, where.home, ruleset) : null
        if (change !== null) events.push(change)
        if (verdict.ruleId !== FAIL_CLOSED_RULE) {
          verdict = applyGuards(log, request.session, call, capability, verdict, config !== null && circuitBreakerOn(env, config))
        }
        const { _tag, ...data } = evalDecidedRecord(call, {
          capability,
          client: adapter.name,
          verdict,
          latencyMs: performance.now() - started,
          capture: config?.audit.captureInputs ?? false,
          callId: request.toolUseId,
          model: recordedModel(request.model, env["SSG_MODEL"], config?.cost.model),
          usage: reportedUsage(request.usage)
        })
        events.push({ type: _tag, data })
        return events
      },
      source,
      key,
      join(where.home, "checkpoints", "latest")
    )
  } catch (e) {
    verdict = blockVerdict(FAIL_CLOSED_RULE, `ssg: cannot write the audit log, so the call is blocked: ${firstLine(e)}`)
  } finally {
    hot?.close()
  }
  return verdict
}

const responseBytes = (response: unknown): number | null =>
  response === undefined ? null : Buffer.byteLength(typeof response === "string" ? response : JSON.stringify(response) ?? "")

const recordCompletion = (adapter: ClientAdapter, request: HookRequest, env: NodeJS.ProcessEnv, processCwd: string) => {
  const where = locate(env, request.cwd ?? processCwd)
  const usage = reportedUsage(request.usage)
  const hot = openHotPath(where.db)
  try {
    const key = loadOrCreateKeyFiles(where.home)
    appendEvents(
      hot,
      [
        {
          type: "v1.ToolCompleted",
          data: {
            tool: request.tool,
            call_id: request.toolUseId,
            success: request.error === undefined && request.interrupted !== true,
            duration_ms: request.durationMs ?? null,
            response_bytes: responseBytes(request.response),
            error: request.error === undefined ? null : redactSecrets(request.error).slice(0, 200),
            ...(usage !== undefined ? { usage } : {})
          }
        }
      ],
      eventSource(key, { client: adapter.name, session: request.session, cwd: where.cwd }),
      key,
      join(where.home, "checkpoints", "latest")
    )
  } finally {
    hot.close()
  }
}

/** `ssg hook post`: records a client's post-tool-use payload as `v1.ToolCompleted`; answers nothing on success. */
export const hookPost = (
  adapter: ClientAdapter,
  parsed: ParseResult,
  env: NodeJS.ProcessEnv,
  processCwd: string
): HookResponse => {
  if (!parsed.ok) {
    return parsed.kind === "unsupported-event"
      ? { stdout: "", stderr: "", exitCode: 0 }
      : { stdout: "", stderr: `ssg: bad post-tool payload: ${parsed.error}\n`, exitCode: 1 }
  }
  if (parsed.request.event !== "post") {
    return { stdout: "", stderr: "ssg: `ssg hook post` got a pre-tool payload\n", exitCode: 1 }
  }
  try {
    recordCompletion(adapter, parsed.request, env, processCwd)
    return { stdout: "", stderr: "", exitCode: 0 }
  } catch (e) {
    return { stdout: "", stderr: `ssg: cannot record the tool result: ${firstLine(e)}\n`, exitCode: 1 }
  }
}
