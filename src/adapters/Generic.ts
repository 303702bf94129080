import type { Capability } from "../domain/ToolCall.js"

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
