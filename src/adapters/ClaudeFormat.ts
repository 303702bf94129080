import type { ClientAdapter, ClientName, HookRequest, ParseResult } from "./Adapter.js"
import { decodePayload, defined, isObject, malformed, notAnObject, PayloadReader, unsupportedEvent } from "./PayloadFields.js"

/** Claude-format events a tool hook is registered on, with their phase (Claude Code, Codex and Cowork share them). */
export const CLAUDE_TOOL_EVENTS: ReadonlyMap<string, "pre" | "post"> = new Map([
  ["PreToolUse", "pre"],
  ["PostToolUse", "post"],
  ["PostToolUseFailure", "post"]
])

/**
 * Reads a Claude-format tool hook payload (`hook_event_name`, `session_id`, `cwd`, `tool_name`, `tool_input`,
 * `tool_use_id`, Codex's `turn_id` and `model`, a `usage` object when the client reports tokens; after the call
 * `tool_response` (its `usage` and `resolvedModel` too), `error`, `duration_ms`, `is_interrupt`).
 * A missing `hook_event_name` reads as `PreToolUse`, and `tool`/`input` are accepted for `tool_name`/`tool_input`, so
 * bare `{"tool", "input"}` calls (shell wrappers, `ssg certify` steps) parse too.
 */
export const parseClaudePayload = (value: unknown, client: ClientName): ParseResult => {
  if (!isObject(value)) return notAnObject(value)
  const r = new PayloadReader(value)
  const hookEvent = r.string("hook_event_name") ?? "PreToolUse"
  if (r.error !== null) return malformed(r.error)
  const event = CLAUDE_TOOL_EVENTS.get(hookEvent)
  if (event === undefined) return unsupportedEvent("hook_event_name", hookEvent)
  const tool = r.string("tool_name", "tool")
  const input = r.object("tool_input", "input") ?? {}
  const common = {
    session: r.string("session_id") ?? null,
    cwd: r.string("cwd") ?? null,
    toolUseId: r.string("tool_use_id") ?? null
  }
  const optional = defined({
    model: r.string("model"),
    permissionMode: r.string("permission_mode"),
    transcriptPath: r.string("transcript_path"),
    turnId: r.string("turn_id"),
    agentId: r.string("agent_id"),
    usage: isObject(value["usage"]) ? value["usage"] : undefined
  })
  const outcome = event === "post" ? postOutcome(r) : {}
  if (r.error !== null) return malformed(r.error)
  if (tool === undefined || tool === "") return malformed(`field "tool_name" must be a non-empty string`)
  const request: HookRequest = { client, event, hookEvent, tool, input, ...common, ...optional, ...outcome }
  return { ok: true, request }
}

const postOutcome = (r: PayloadReader): Partial<HookRequest> => {
  const response = r.any("tool_response")
  const usage = isObject(response) && isObject(response["usage"]) ? response["usage"] : undefined
  const resolved = isObject(response) ? response["resolvedModel"] : undefined
  const resolvedModel = typeof resolved === "string" ? resolved : undefined
  return defined({
    response,
    usage,
    model: r.string("model") ?? resolvedModel,
    error: r.string("error"),
    durationMs: r.number("duration_ms"),
    interrupted: r.boolean("is_interrupt")
  })
}

/** Claude Code's (and Codex's) PreToolUse answer: `hookSpecificOutput` with a permission decision and its reason. */
export const claudeDecision = (decision: "allow" | "deny" | "ask", reason: string) => ({
  hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: decision, permissionDecisionReason: reason }
})

/** `parseInput` and `parseValue` of an adapter whose client sends Claude-format payloads. */
export const claudeFormatParsers = (client: ClientName): Pick<ClientAdapter, "parseInput" | "parseValue"> => ({
  parseInput: (raw) => {
    const decoded = decodePayload(raw)
    return decoded.ok ? parseClaudePayload(decoded.value, client) : decoded
  },
  parseValue: (value) => parseClaudePayload(value, client)
})
