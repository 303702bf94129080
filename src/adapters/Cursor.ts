import { join } from "node:path"
import {
  agentReason,
  answer,
  approvalRefusal,
  type ClientAdapter,
  hasEnv,
  type HookRequest,
  type HookResponse,
  type HookResult,
  type InstallOptions,
  type ParseResult,
  refusal,
  SILENT,
  userMessage,
  verdictOf
} from "./Adapter.js"
import { capabilityMap, mapCapability, type ToolGroups } from "./CapabilityMap.js"
import { CLAUDE_TOOL_EVENTS, claudeDecision } from "./ClaudeFormat.js"
import { type HookEntry, hookCommand, isSsgHandler, jsonHooksEditor } from "./JsonHooks.js"
import { configSteps, managedFile } from "./ManagedFile.js"
import {
  decodePayload,
  defined,
  isObject,
  type JsonObject,
  malformed,
  notAnObject,
  type ParseFailure,
  PayloadReader,
  unsupportedEvent
} from "./PayloadFields.js"

/** Cursor's tools by capability: its agent tools and the names its hooks use (`Shell`, `Read`, `Write`, …). */
export const CURSOR_TOOLS: ToolGroups = {
  execute: ["run_terminal_command", "run_terminal_cmd", "Shell"],
  write: ["edit_file", "create_file", "delete_file", "search_replace", "Write", "Edit", "Delete"],
  read: ["read_file", "Read"],
  search: ["codebase_search", "grep_search", "file_search", "list_dir", "Grep", "Glob", "LS"],
  network: ["web_search", "fetch"],
  agent: ["Task"],
  unknown: ["todo_write"]
}

const TOOLS = capabilityMap(CURSOR_TOOLS)

/** Cursor's tool events ssg reads, with their phase (Claude's names too, for Claude-format hooks Cursor runs). */
export const CURSOR_TOOL_EVENTS: ReadonlyMap<string, "pre" | "post"> = new Map([
  ["preToolUse", "pre"],
  ["beforeShellExecution", "pre"],
  ["beforeMCPExecution", "pre"],
  ["beforeReadFile", "pre"],
  ["postToolUse", "post"],
  ["postToolUseFailure", "post"],
  ["afterShellExecution", "post"],
  ["afterMCPExecution", "post"],
  ["afterFileEdit", "post"],
  ["PreToolUse", "pre"],
  ["PostToolUse", "post"],
  ["PostToolUseFailure", "post"]
])

/** Payload fields only Cursor sends, which tell its payloads from Claude Code's. */
export const CURSOR_MARKERS: ReadonlyArray<string> = ["conversation_id", "generation_id", "workspace_roots", "cursor_version"]

/** Where Cursor reads project hooks (user hooks: the same path under the home directory). */
export const CURSOR_HOOKS_PATH = join(".cursor", "hooks.json")

/**
 * Reads a Cursor hook payload. Shell events become a `Shell` call with input `{command, cwd}` (their `output` is the
 * response), `beforeReadFile` a `Read` of `{file_path}` (the file's content is left out), `afterFileEdit` an `Edit` of
 * `{file_path, edits}`; `preToolUse`, `postToolUse`, `postToolUseFailure` and the MCP events carry `tool_name` and
 * `tool_input` (an object, or a JSON string holding one). The session is `conversation_id`, the turn `generation_id`, the
 * directory `cwd` or the first of `workspace_roots`; `duration` is the tool's run time.
 */
export const parseCursorPayload = (value: unknown): ParseResult => {
  if (!isObject(value)) return notAnObject(value)
  const r = new PayloadReader(value)
  const hookEvent = r.string("hook_event_name") ?? "preToolUse"
  if (r.error !== null) return malformed(r.error)
  const event = CURSOR_TOOL_EVENTS.get(hookEvent)
  if (event === undefined) return unsupportedEvent("hook_event_name", hookEvent)
  const call = cursorCall(hookEvent, r)
  const roots = value["workspace_roots"]
  const firstRoot = Array.isArray(roots) && typeof roots[0] === "string" ? roots[0] : undefined
  const fields = {
    session: r.string("conversation_id", "session_id") ?? null,
    cwd: r.string("cwd") ?? firstRoot ?? null,
    toolUseId: r.string("tool_use_id") ?? null,
    ...defined({ model: r.string("model"), turnId: r.string("generation_id") })
  }
  const outcome =
    event === "post"
      ? defined({
          response: r.any("tool_output", "tool_response", "result_json", "output"),
          error: r.string("error", "error_message"),
          durationMs: r.number("duration", "duration_ms")
        })
      : {}
  if (r.error !== null) return malformed(r.error)
  if (!call.ok) return call
  return { ok: true, request: { client: "cursor", event, hookEvent, ...call.call, ...fields, ...outcome } }
}

type CallResult = { readonly ok: true; readonly call: { tool: string; input: JsonObject } } | ParseFailure

const cursorCall = (hookEvent: string, r: PayloadReader): CallResult => {
  switch (hookEvent) {
    case "beforeShellExecution":
    case "afterShellExecution": {
      const command = r.string("command")
      if (command === undefined) return malformed(r.error ?? `field "command" must be a string`)
      const cwd = r.string("cwd")
      return { ok: true, call: { tool: "Shell", input: { command, ...(cwd === undefined ? {} : { cwd }) } } }
    }
    case "beforeReadFile": {
      const path = r.string("file_path")
      if (path === undefined || path === "") return malformed(r.error ?? `field "file_path" must be a non-empty string`)
      return { ok: true, call: { tool: "Read", input: { file_path: path } } }
    }
    case "afterFileEdit": {
      const path = r.string("file_path")
      if (path === undefined || path === "") return malformed(r.error ?? `field "file_path" must be a non-empty string`)
      const edits = r.payload["edits"]
      return { ok: true, call: { tool: "Edit", input: { file_path: path, ...(Array.isArray(edits) ? { edits } : {}) } } }
    }
    default: {
      const tool = r.string("tool_name")
      if (tool === undefined || tool === "") return malformed(r.error ?? `field "tool_name" must be a non-empty string`)
      const input = toolInput(r.payload["tool_input"])
      if (input === null) return malformed(`field "tool_input" must be a JSON object or a string holding one`)
      return { ok: true, call: { tool, input } }
    }
  }
}

const toolInput = (value: unknown): JsonObject | null => {
  if (value == null) return {}
  if (isObject(value)) return value
  if (typeof value !== "string") return null
  try {
    const decoded: unknown = JSON.parse(value)
    return isObject(decoded) ? decoded : null
  } catch {
    return null
  }
}

/**
 * Cursor's answer to a permission event: block and force are `permission: "deny"` with `agent_message` (the MESSAGE;
 * force: the SUBSTITUTE) and `user_message` (the rule and its MESSAGE), also on stderr with exit 2; ask is
 * `permission: "ask"` with the PROMPT as `user_message`; allow, log and shadow are `permission: "allow"`.
 * `beforeReadFile` takes `permission` alone and cannot ask, so an ask there is a deny. For a Claude-named event (a
 * Claude Code hook Cursor runs) a deny or ask also carries Claude's `hookSpecificOutput`, whichever shape Cursor reads.
 * Post events answer nothing.
 */
export const cursorOutput = (result: HookResult, request?: HookRequest): HookResponse => {
  if (request?.event === "post") return SILENT
  const bare = request?.hookEvent === "beforeReadFile"
  const claudeShaped = request !== undefined && CLAUDE_TOOL_EVENTS.has(request.hookEvent)
  const verdict = verdictOf(result)
  if (verdict === "allow") return answer({ permission: "allow" })
  if (verdict === "ask" && !bare) {
    const json = { permission: "ask", user_message: userMessage(result), agent_message: agentReason(result) }
    return answer(claudeShaped ? { ...json, ...claudeDecision("ask", userMessage(result)) } : json)
  }
  const reason = verdict === "ask" ? approvalRefusal(result) : agentReason(result)
  const json = bare ? { permission: "deny" } : { permission: "deny", user_message: userMessage(result), agent_message: reason }
  return refusal(claudeShaped ? { ...json, ...claudeDecision("deny", reason) } : json, reason)
}

/**
 * The hooks ssg registers in Cursor's hooks file: `hook eval` on `preToolUse` (every tool) with `failClosed`, so a hook
 * that cannot run blocks the call, and `hook post` on `postToolUse` and `postToolUseFailure`.
 */
export const cursorHookEntries = (options: InstallOptions): ReadonlyArray<HookEntry> => [
  { event: "preToolUse", handler: { command: hookCommand(options, "eval"), failClosed: true } },
  { event: "postToolUse", handler: { command: hookCommand(options, "post") } },
  { event: "postToolUseFailure", handler: { command: hookCommand(options, "post") } }
]

/** The Cursor adapter: Cursor hook payloads (told from Claude's by their fields), `permission` answers, `.cursor/hooks.json`. */
export const cursorAdapter: ClientAdapter = {
  name: "cursor",
  detect: (env) => env["SSG_CLIENT"] === "cursor" || hasEnv(env, "CURSOR_SESSION_ID"),
  parseInput: (raw) => {
    const decoded = decodePayload(raw)
    return decoded.ok ? parseCursorPayload(decoded.value) : decoded
  },
  parseValue: parseCursorPayload,
  formatOutput: cursorOutput,
  toolCapability: (tool) => mapCapability(TOOLS, tool),
  ...configSteps(
    (dir, options) => [
      managedFile(
        dir,
        CURSOR_HOOKS_PATH,
        jsonHooksEditor({
          layout: "flat",
          entries: cursorHookEntries(options),
          skeleton: { version: 1 },
          isOurs: isSsgHandler(options)
        })
      )
    ],
    [
      "ssg registers Cursor's preToolUse event (every tool); Cursor builds without it need beforeShellExecution, beforeMCPExecution and beforeReadFile entries instead, which the adapter also reads."
    ]
  )
}
