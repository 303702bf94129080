import type { Capability } from "../domain/ToolCall.js"

/**
 * The generic adapter's keyword map: a tool name (lower-cased, with `_`, `-` and spaces removed) whose start matches a
 * keyword gets that capability; the first matching entry wins, so longer keywords come before their prefixes.
 */
export const GENERIC_KEYWORDS: ReadonlyArray<readonly [string, Capability]> = [
  ["webfetch", "network"],
  ["websearch", "network"],
  ["fetch", "network"],
  ["http", "network"],
  ["browse", "network"],
  ["googlewebsearch", "network"],
  ["bash", "execute"],
  ["shell", "execute"],
  ["exec", "execute"],
  ["terminal", "execute"],
  ["runcommand", "execute"],
  ["runshell", "execute"],
  ["command", "execute"],
  ["read", "read"],
  ["view", "read"],
  ["cat", "read"],
  ["multiedit", "write"],
  ["notebookedit", "write"],
  ["write", "write"],
  ["edit", "write"],
  ["create", "write"],
  ["strreplace", "write"],
  ["applypatch", "write"],
  ["patch", "write"],
  ["replace", "write"],
  ["glob", "search"],
  ["grep", "search"],
  ["search", "search"],
  ["find", "search"],
  ["list", "search"],
  ["ls", "search"],
  ["agent", "agent"],
  ["task", "agent"],
  ["subagent", "agent"]
]

/** Maps a tool name to its capability with the generic keyword map; unknown tools get `unknown`. */
export const genericCapability = (tool: string): Capability => {
  const name = tool.toLowerCase().replace(/[_\-\s]/g, "")
  for (const [keyword, capability] of GENERIC_KEYWORDS) if (name.startsWith(keyword)) return capability
  return "unknown"
}
