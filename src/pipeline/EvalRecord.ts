import { createHash } from "node:crypto"
import { canonicalBytes } from "../domain/CanonicalJson.js"
import { clip } from "../domain/Clip.js"
import type { EvalDecided } from "../domain/Event.js"
import { redactSecrets, redactValue } from "../domain/Redact.js"
import { type Evaluation, interpolate } from "../domain/rules/Evaluate.js"
import { wireDecision } from "../domain/rules/Rule.js"
import type { TokenCounts } from "../domain/Tokens.js"
import type { ToolCall } from "../domain/ToolCall.js"

/** A one-line summary of a tool call's input (command, path, URL, pattern, query or JSON), secrets redacted, at most 200 characters. */
export const inputSummary = (call: ToolCall): string => {
  const i = call.input
  const v = i["command"] ?? i["file_path"] ?? i["path"] ?? i["url"] ?? i["pattern"] ?? i["query"] ?? i["description"]
  const raw = typeof v === "string" ? v : Array.isArray(v) ? v.map(String).join(" ") : JSON.stringify(i)
  return clip(redactSecrets(raw).replace(/\s+/g, " ").trim(), 200)
}

/** Lower-case hex SHA-256 of the RFC 8785 canonical JSON of a tool call's input. */
export const inputSha256 = (call: ToolCall): string => createHash("sha256").update(canonicalBytes(call.input)).digest("hex")

/** Milliseconds rounded to microseconds. */
export const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000

/** What an evaluation answers: decision, deciding rule, the reason shown to the agent and FORCE's substitute. */
export interface Verdict {
  readonly decision: Evaluation["decision"]
  readonly ruleId: string | null
  /** The rule's MESSAGE (interpolated), or the guard's explanation; null when nothing matched. */
  readonly reason: string | null
  /** ASK's PROMPT (interpolated), if any. */
  readonly prompt: string | null
  /** FORCE's SUBSTITUTE text, if any. */
  readonly substitute: string | null
  readonly alsoMatched: ReadonlyArray<{ readonly rule_id: string; readonly decision: Evaluation["decision"] }>
}

/** The verdict of a rule evaluation of `call`. */
export const verdictOf = (result: Evaluation, call: ToolCall): Verdict => {
  const rule = result.decisive?.rule ?? null
  return {
    decision: result.decision,
    ruleId: rule?.id ?? null,
    reason: rule === null || rule.message === null ? null : interpolate(rule.message, call),
    prompt: rule?.decision === "ASK" && rule.prompt !== null ? interpolate(rule.prompt, call) : null,
    substitute: rule?.decision === "FORCE" ? (rule.substitute ?? "") : null,
    alsoMatched: result.alsoMatched.map((m) => ({ rule_id: m.rule.id, decision: wireDecision(m.rule.decision) }))
  }
}

/**
 * The `v1.EvalDecided` event of a verdict; the full input is kept (redacted) only when `capture` is set. It records the
 * input's canonical byte length and the model (null when unknown), and `usage` only when the payload reported one.
 */
export const evalDecidedRecord = (
  call: ToolCall,
  details: {
    readonly capability: string
    readonly client: string
    readonly verdict: Verdict
    readonly latencyMs: number
    readonly capture: boolean
    readonly callId?: string | null
    readonly model?: string | null
    readonly usage?: TokenCounts | undefined
  }
): typeof EvalDecided.Type => {
  const bytes = canonicalBytes(call.input)
  return {
    _tag: "v1.EvalDecided",
    tool: call.tool,
    capability: details.capability,
    client: details.client,
    decision: details.verdict.decision,
    rule_id: details.verdict.ruleId,
    also_matched: details.verdict.alsoMatched,
    latency_ms: roundMs(details.latencyMs),
    input_summary: inputSummary(call),
    input_sha256: createHash("sha256").update(bytes).digest("hex"),
    ...(details.callId !== undefined ? { call_id: details.callId } : {}),
    reason: details.verdict.reason === null ? null : clip(redactSecrets(details.verdict.reason), 500),
    ...(details.capture ? { input: redactValue(call.input) } : {}),
    model: details.model ?? null,
    input_bytes: bytes.length,
    ...(details.usage !== undefined ? { usage: details.usage } : {})
  }
}
