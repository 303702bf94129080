import { type ClientAdapter, hasEnv } from "./Adapter.js"
import { capabilityMap, mapCapability, mergeMaps, type ToolGroups } from "./CapabilityMap.js"
import { CLAUDE_CODE_TOOLS, claudeCodeOutput } from "./ClaudeCode.js"
import { claudeFormatParsers } from "./ClaudeFormat.js"
import type { FileEditor } from "./ManagedFile.js"
import { configSteps, managedFile } from "./ManagedFile.js"

/** Cowork's tools by capability beyond Claude Code's: computer-use actions and Open Cowork's file aliases. */
export const COWORK_TOOLS: ToolGroups = {
  execute: [
    "bash",
    "computer",
    "computer_use",
    "click",
    "left_click",
    "double_click",
    "right_click",
    "type",
    "key",
    "scroll",
    "mouse_move",
    "drag",
    "left_click_drag"
  ],
  read: ["read", "screenshot", "file_read"],
  write: ["write", "edit", "multiedit", "file_write"],
  search: ["glob", "grep"],
  network: ["webfetch", "websearch"]
}

const TOOLS = mergeMaps(capabilityMap(CLAUDE_CODE_TOOLS), capabilityMap(COWORK_TOOLS))

/** The project file Cowork reads as instructions, where ssg adds its governance section. */
export const COWORK_INSTRUCTIONS_PATH = "CLAUDE_COWORK.md"

/** First and last line of ssg's section in the instructions file. */
export const COWORK_MARKERS = { start: "<!-- SSG_GOVERNANCE_START -->", end: "<!-- SSG_GOVERNANCE_END -->" } as const

/** ssg's section of Cowork's instructions: check each tool call with `ssg eval` and follow its decision. */
export const coworkSection = (command: string): string =>
  [
    COWORK_MARKERS.start,
    "## Tool-call governance (ssg)",
    "",
    "Check every tool call before making it, computer-use actions (click, type, key, scroll, drag, screenshot) included:",
    "",
    `    echo '{"tool": "<tool name>", "input": {<the call's arguments>}}' | ${command} eval`,
    "",
    "Then act on the `decision` it prints:",
    "- `block`: do not make the call; tell the user the `reason`.",
    "- `ask`: make the call only once the user has approved it.",
    "- `force`: do not make the call; do what `reason` says instead.",
    "- `allow`, `log`, `shadow`: go ahead.",
    COWORK_MARKERS.end
  ].join("\n")

/**
 * ssg's section in `CLAUDE_COWORK.md`: added at the end (after a blank line) or replaced in place between its markers,
 * and cut out again with the line break that ends it; the user's text around it is kept as it is.
 */
export const coworkInstructionsEditor = (command: string): FileEditor => {
  const section = `${coworkSection(command)}\n`
  const find = (text: string): { readonly from: number; readonly to: number } | null => {
    const from = text.indexOf(COWORK_MARKERS.start)
    const end = from < 0 ? -1 : text.indexOf(COWORK_MARKERS.end, from)
    if (end < 0) return null
    const to = end + COWORK_MARKERS.end.length
    return { from, to: text.startsWith("\r\n", to) ? to + 2 : text.startsWith("\n", to) ? to + 1 : to }
  }
  return {
    executable: false,
    holds: (contents) => find(contents) !== null,
    add: (current) => {
      if (current === null || current === "") return { ok: true, contents: section }
      const at = find(current)
      if (at !== null) return { ok: true, contents: current.slice(0, at.from) + section + current.slice(at.to) }
      return { ok: true, contents: `${current}${current.endsWith("\n") ? "\n" : "\n\n"}${section}` }
    },
    remove: (current) => {
      const at = find(current)
      if (at === null) return { ok: true, contents: current, empty: current.trim() === "" }
      const before = current.slice(0, at.from)
      const after = current.slice(at.to)
      const contents = after === "" ? before.replace(/\n\n$/, "\n") : before + after
      return { ok: true, contents, empty: contents.trim() === "" }
    },
    restores: (stripped, original) => stripped.trimEnd() === original.trimEnd()
  }
}

/**
 * The Claude Cowork adapter. Cowork sends Claude-format calls (its computer-use actions included) and is answered
 * like Claude Code; with no hook API yet, install adds a governance section to the project's `CLAUDE_COWORK.md`.
 */
export const claudeCoworkAdapter: ClientAdapter = {
  name: "claude-cowork",
  detect: (env) => env["SSG_CLIENT"] === "claude-cowork" || hasEnv(env, "CLAUDE_COWORK_VERSION"),
  ...claudeFormatParsers("claude-cowork"),
  formatOutput: claudeCodeOutput,
  toolCapability: (tool) => mapCapability(TOOLS, tool),
  ...configSteps(
    (dir, options) => [managedFile(dir, COWORK_INSTRUCTIONS_PATH, coworkInstructionsEditor(options.command ?? "ssg"))],
    ["Cowork has no tool hook yet: the CLAUDE_COWORK.md section asks the agent to check its calls, which nothing enforces."]
  )
}
