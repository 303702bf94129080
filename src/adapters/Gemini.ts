import { join } from "node:path"
import type { Capability } from "../domain/ToolCall.js"
import {
  agentReason,
  approvalRefusal,
  type ClientAdapter,
  type HookRequest,
  type HookResponse,
  type HookResult,
  type InstallOptions,
  type ParseResult,
  refusal,
  SILENT,
  verdictOf
} from "./Adapter.js"
import { capabilityMap, mapCapability, type ToolGroups } from "./CapabilityMap.js"
import { GEMINI_POLICY_PATH, geminiPolicyEditor } from "./GeminiPolicy.js"
import { HOOK_TIMEOUT_SECONDS, type HookEntry, hookCommand, isSsgHandler, jsonHooksEditor } from "./JsonHooks.js"
import { configSteps, managedFile } from "./ManagedFile.js"
import {
  decodePayload,
  defined,
  isObject,
  malformed,
  notAnObject,
  PayloadReader,
  unsupportedEvent
} from "./PayloadFields.js"

/** Gemini CLI's tools by capability (`write_todos` is bookkeeping). */
export const GEMINI_TOOLS: ToolGroups = {
  execute: ["run_shell_command"],
  read: ["read_file", "read_many_files"],
  write: ["write_file", "edit_file", "replace", "save_memory"],
  search: ["search_files", "list_files", "glob", "search_file_content", "list_directory"],
  network: ["web_fetch", "google_web_search"],
  agent: ["delegate_to_agent"],
  unknown: ["write_todos"]
}

const TOOLS = capabilityMap(GEMINI_TOOLS)

const GEMINI_EVENTS: ReadonlyMap<string, "pre" | "post"> = new Map([
  ["BeforeTool", "pre"],
  ["AfterTool", "post"]
])

/** Where Gemini CLI reads project settings, hooks included. */
export const GEMINI_SETTINGS_PATH = join(".gemini", "settings.json")

const SINGLE_MCP = /^mcp_(?!_)[^_]+_(.+)$/i

/**
 * A Gemini CLI tool's capability: its map, then the generic keywords; an MCP tool named `mcp__<server>__<tool>` or
 * `mcp_<server>_<tool>` is read by its `<tool>` part (in the single-underscore form the server is the first segment).
 */
export const geminiCapability = (tool: string): Capability => {
  const single = SINGLE_MCP.exec(tool)
  return mapCapability(TOOLS, single === null ? tool : `mcp__server__${single[1]!}`)
}

/**
 * Reads a Gemini CLI tool hook payload: `hook_event_name` (`BeforeTool`, or `AfterTool` with `tool_response`, whose
 * `error` marks a failure), `session_id`, `cwd`, `transcript_path`, `tool_name`, `tool_input`; Gemini sends no tool-use id.
 */
export const parseGeminiPayload = (value: unknown): ParseResult => {
  if (!isObject(value)) return notAnObject(value)
  const r = new PayloadReader(value)
  const hookEvent = r.string("hook_event_name") ?? "BeforeTool"
  if (r.error !== null) return malformed(r.error)
  const event = GEMINI_EVENTS.get(hookEvent)
  if (event === undefined) return unsupportedEvent("hook_event_name", hookEvent)
  const tool = r.string("tool_name", "tool")
  const input = r.object("tool_input", "input") ?? {}
  const response = event === "post" ? r.any("tool_response") : undefined
  const fields = {
    session: r.string("session_id") ?? null,
    cwd: r.string("cwd") ?? null,
    toolUseId: null,
    ...defined({ transcriptPath: r.string("transcript_path"), response, error: responseError(response) })
  }
  if (r.error !== null) return malformed(r.error)
  if (tool === undefined || tool === "") return malformed(`field "tool_name" must be a non-empty string`)
  return { ok: true, request: { client: "gemini", event, hookEvent, tool, input, ...fields } }
}

const responseError = (response: unknown): string | undefined => {
  const error = isObject(response) ? response["error"] : undefined
  if (typeof error === "string" && error !== "") return error
  if (isObject(error)) return typeof error["message"] === "string" ? error["message"] : JSON.stringify(error)
  return undefined
}

/**
 * Gemini CLI's BeforeTool answer: block and force are `{"decision": "deny", "reason"}` (the reason reaches the agent as
 * the tool's error; force's is the SUBSTITUTE), also on stderr with exit 2; a hook cannot ask, so ask is such a deny
 * saying approval is needed (the generated policy file holds ASK rules as `ask_user` where it can state them); allow,
 * log and shadow print nothing. AfterTool events answer nothing.
 */
export const geminiOutput = (result: HookResult, request?: HookRequest): HookResponse => {
  if (request?.event === "post") return SILENT
  switch (verdictOf(result)) {
    case "deny": {
      const reason = agentReason(result)
      return refusal({ decision: "deny", reason }, reason)
    }
    case "ask": {
      const reason = approvalRefusal(result)
      return refusal({ decision: "deny", reason }, reason)
    }
    case "allow":
      return SILENT
  }
}

/** Milliseconds Gemini CLI gives each ssg hook run (Gemini counts hook timeouts in milliseconds). */
export const GEMINI_HOOK_TIMEOUT_MS = HOOK_TIMEOUT_SECONDS * 1000

/** The hooks ssg registers in Gemini CLI's settings: `hook eval` on BeforeTool and `hook post` on AfterTool, all tools. */
export const geminiHookEntries = (options: InstallOptions): ReadonlyArray<HookEntry> => [
  {
    event: "BeforeTool",
    matcher: ".*",
    handler: {
      type: "command",
      command: hookCommand(options, "eval"),
      name: "ssg-governance",
      timeout: GEMINI_HOOK_TIMEOUT_MS
    }
  },
  {
    event: "AfterTool",
    matcher: ".*",
    handler: {
      type: "command",
      command: hookCommand(options, "post"),
      name: "ssg-governance-post",
      timeout: GEMINI_HOOK_TIMEOUT_MS
    }
  }
]

/** The Gemini CLI adapter: BeforeTool/AfterTool hooks in `.gemini/settings.json` and a policy file generated from the rules. */
export const geminiAdapter: ClientAdapter = {
  name: "gemini",
  detect: (env) => env["SSG_CLIENT"] === "gemini",
  parseInput: (raw) => {
    const decoded = decodePayload(raw)
    return decoded.ok ? parseGeminiPayload(decoded.value) : decoded
  },
  parseValue: parseGeminiPayload,
  formatOutput: geminiOutput,
  toolCapability: geminiCapability,
  ...configSteps(
    (dir, options) => [
      managedFile(
        dir,
        GEMINI_SETTINGS_PATH,
        jsonHooksEditor({ layout: "nested", entries: geminiHookEntries(options), skeleton: {}, isOurs: isSsgHandler(options) })
      ),
      managedFile(dir, GEMINI_POLICY_PATH, geminiPolicyEditor(options.rules, GEMINI_TOOLS))
    ],
    [
      "Gemini CLI documents its workspace policy tier (.gemini/policies in a project) as not yet working; install into the home directory for the user tier.",
      "On Gemini CLI's stable channel hooks may need enabling in settings.json first."
    ]
  )
}
