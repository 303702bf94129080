import type { ClientAdapter, ClientName, Env, ParseResult } from "./Adapter.js"
import { antigravityAdapter } from "./Antigravity.js"
import { claudeCodeAdapter } from "./ClaudeCode.js"
import { claudeCoworkAdapter } from "./ClaudeCowork.js"
import { CLAUDE_TOOL_EVENTS } from "./ClaudeFormat.js"
import { codexAdapter } from "./Codex.js"
import { codexDesktopAdapter } from "./CodexDesktop.js"
import { CURSOR_MARKERS, CURSOR_TOOL_EVENTS, cursorAdapter } from "./Cursor.js"
import { geminiAdapter } from "./Gemini.js"
import { genericAdapter } from "./Generic.js"
import { nemoclawAdapter } from "./NemoClaw.js"
import { decodePayload, isObject } from "./PayloadFields.js"

/** Every adapter by client name. */
export const ADAPTERS: Readonly<Record<ClientName, ClientAdapter>> = {
  "claude-code": claudeCodeAdapter,
  codex: codexAdapter,
  "codex-desktop": codexDesktopAdapter,
  gemini: geminiAdapter,
  cursor: cursorAdapter,
  antigravity: antigravityAdapter,
  nemoclaw: nemoclawAdapter,
  "claude-cowork": claudeCoworkAdapter,
  generic: genericAdapter
}

/** The adapter of a client name, or undefined for a name ssg does not know. */
export const adapterByName = (name: string): ClientAdapter | undefined =>
  Object.hasOwn(ADAPTERS, name) ? ADAPTERS[name as ClientName] : undefined

/** Adapters whose clients can be told from environment variables, most specific first (Cowork also runs Claude Code). */
const BY_ENVIRONMENT: ReadonlyArray<ClientAdapter> = [
  claudeCoworkAdapter,
  nemoclawAdapter,
  antigravityAdapter,
  cursorAdapter,
  claudeCodeAdapter
]

/**
 * The client a decoded payload can only have come from: Cursor (its own fields such as `conversation_id`, or a
 * camelCase Cursor event), Gemini CLI (`BeforeTool`/`AfterTool`), or Codex (a Claude-format tool event with `turn_id`,
 * which Claude Code never sends); otherwise null.
 */
export const payloadClient = (payload: unknown): ClientName | null => {
  if (!isObject(payload)) return null
  const event = typeof payload["hook_event_name"] === "string" ? payload["hook_event_name"] : undefined
  if (CURSOR_MARKERS.some((field) => payload[field] != null)) return "cursor"
  if (event !== undefined && CURSOR_TOOL_EVENTS.has(event) && !CLAUDE_TOOL_EVENTS.has(event)) return "cursor"
  if (event === "BeforeTool" || event === "AfterTool") return "gemini"
  if (event !== undefined && CLAUDE_TOOL_EVENTS.has(event) && typeof payload["turn_id"] === "string") return "codex-desktop"
  return null
}

/**
 * Chooses the adapter for a hook call: `SSG_CLIENT` when it names a client; else the client the payload's fields prove
 * (`payloadClient`: Cursor's Claude-compatible hooks send Cursor's fields); else the first client whose environment
 * variables are set (Cowork, NemoClaw, Antigravity, Cursor, Claude Code; never `GEMINI_API_KEY`); else Claude Code for
 * a Claude-format tool event; else `generic`.
 */
export const selectAdapter = (env: Env, payload?: unknown): ClientAdapter => {
  const named = adapterByName(env["SSG_CLIENT"] ?? "")
  if (named !== undefined) return named
  const proven = payloadClient(payload)
  if (proven !== null) return ADAPTERS[proven]
  const detected = BY_ENVIRONMENT.find((adapter) => adapter.detect(env))
  if (detected !== undefined) return detected
  const event = isObject(payload) ? payload["hook_event_name"] : undefined
  return typeof event === "string" && CLAUDE_TOOL_EVENTS.has(event) ? claudeCodeAdapter : genericAdapter
}

/** A raw hook payload decoded once: the adapter `selectAdapter` chooses for it (bad JSON counts as none) and its parse. */
export const readHookPayload = (env: Env, raw: string): { readonly adapter: ClientAdapter; readonly parsed: ParseResult } => {
  const decoded = decodePayload(raw)
  const adapter = selectAdapter(env, decoded.ok ? decoded.value : undefined)
  return { adapter, parsed: decoded.ok ? adapter.parseValue(decoded.value) : decoded }
}

/** The adapter `readHookPayload` chooses for a raw payload. */
export const hookClient = (env: Env, raw: string): ClientAdapter => readHookPayload(env, raw).adapter
