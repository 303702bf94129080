import type { Capability } from "../domain/ToolCall.js"
import {
  agentReason,
  answer,
  approvalRefusal,
  type ClientAdapter,
  type HookRequest,
  type HookResponse,
  type HookResult,
  refusal,
  SILENT,
  verdictOf
} from "./Adapter.js"
import { claudeFormatParsers } from "./ClaudeFormat.js"
import { configPlan, healthCheck } from "./ManagedFile.js"

/**
 * The generic adapter's keyword map, one lower-case word to one capability: the first word of a tool name found here
 * decides its capability (see `genericCapability`); an `unknown` entry (agent bookkeeping) stops the search there.
 */
export const GENERIC_KEYWORDS: ReadonlyArray<readonly [string, Capability]> = [
  ["bash", "execute"],
  ["shell", "execute"],
  ["powershell", "execute"],
  ["exec", "execute"],
  ["execute", "execute"],
  ["terminal", "execute"],
  ["command", "execute"],
  ["cmd", "execute"],
  ["runcommand", "execute"],
  ["runshell", "execute"],
  ["read", "read"],
  ["view", "read"],
  ["cat", "read"],
  ["write", "write"],
  ["edit", "write"],
  ["multiedit", "write"],
  ["notebookedit", "write"],
  ["create", "write"],
  ["save", "write"],
  ["replace", "write"],
  ["strreplace", "write"],
  ["patch", "write"],
  ["applypatch", "write"],
  ["delete", "write"],
  ["remove", "write"],
  ["rm", "write"],
  ["move", "write"],
  ["mv", "write"],
  ["rename", "write"],
  ["copy", "write"],
  ["mkdir", "write"],
  ["touch", "write"],
  ["glob", "search"],
  ["grep", "search"],
  ["search", "search"],
  ["find", "search"],
  ["list", "search"],
  ["ls", "search"],
  ["web", "network"],
  ["webfetch", "network"],
  ["websearch", "network"],
  ["googlewebsearch", "network"],
  ["fetch", "network"],
  ["http", "network"],
  ["url", "network"],
  ["browse", "network"],
  ["browser", "network"],
  ["download", "network"],
  ["upload", "network"],
  ["agent", "agent"],
  ["subagent", "agent"],
  ["task", "agent"],
  ["todo", "unknown"]
]

const KEYWORDS: ReadonlyMap<string, Capability> = new Map(GENERIC_KEYWORDS)

const MCP_PREFIX = /^mcp__.+?__/i

const toolWords = (tool: string): ReadonlyArray<string> =>
  tool
    .replace(MCP_PREFIX, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)

/**
 * Maps a tool name to its capability: an `mcp__<server>__` prefix is dropped, the rest is split into lower-cased words
 * at every character other than an ASCII letter or digit and at camelCase boundaries (`NotebookEdit`: notebook, edit;
 * `HTTPGet`: http, get), and the first word that is a `GENERIC_KEYWORDS` keyword decides; with none, `unknown`.
 */
export const genericCapability = (tool: string): Capability => {
  for (const word of toolWords(tool)) {
    const capability = KEYWORDS.get(word)
    if (capability !== undefined) return capability
  }
  return "unknown"
}

/**
 * The `ssg eval`-shaped answer of callers without a protocol of their own (generic callers and shell wrappers): the
 * decision JSON on stdout always (FORCE's SUBSTITUTE as `reason`, its MESSAGE as `message`, ASK's `prompt`); a call that
 * must not run as asked (block, force, ask) also exits 2 with the refusal on stderr, since the caller cannot ask anyone.
 */
export const decisionOutput = (result: HookResult, request?: HookRequest): HookResponse => {
  if (request?.event === "post") return SILENT
  const json = {
    decision: result.decision,
    rule_id: result.ruleId,
    reason: result.decision === "force" ? agentReason(result) : result.reason,
    ...(result.decision === "force" && result.reason !== null ? { message: result.reason } : {}),
    ...(result.decision === "ask" && result.prompt !== undefined ? { prompt: result.prompt } : {})
  }
  switch (verdictOf(result)) {
    case "deny":
      return refusal(json, agentReason(result))
    case "ask":
      return refusal(json, approvalRefusal(result))
    case "allow":
      return answer(json)
  }
}

/** The fallback adapter: `{"tool", "input"}` payloads (Claude-format ones too), keyword capabilities, nothing to install. */
export const genericAdapter: ClientAdapter = {
  name: "generic",
  detect: () => true,
  ...claudeFormatParsers("generic"),
  formatOutput: decisionOutput,
  toolCapability: genericCapability,
  install: () =>
    configPlan([], "install", ['Generic callers pipe {"tool", "input"} JSON into `ssg hook eval`; there is nothing to install.']),
  uninstall: () => configPlan([], "uninstall"),
  healthCheck: () => healthCheck([])
}
