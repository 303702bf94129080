import type { ClientAdapter } from "./Adapter.js"
import { capabilityMap, mapCapability, type ToolGroups } from "./CapabilityMap.js"
import { claudeFormatParsers } from "./ClaudeFormat.js"
import { decisionOutput } from "./Generic.js"
import { configSteps, managedFile } from "./ManagedFile.js"
import { WRAPPER_PATH, wrapperEditor } from "./ShellWrapper.js"

/** Antigravity's agent tools by capability (`Bash` is the shell wrapper's name for a `bash -c` command). */
export const ANTIGRAVITY_TOOLS: ToolGroups = {
  execute: ["run_command", "send_command_input", "bash"],
  read: ["view_file"],
  write: ["write_to_file", "replace_file_content", "multi_replace_file_content"],
  search: ["list_dir", "grep_search"],
  network: ["read_url_content", "search_web"],
  agent: ["browser_subagent"]
}

const TOOLS = capabilityMap(ANTIGRAVITY_TOOLS)

/**
 * The Antigravity adapter. Antigravity has no hook of its own, so ssg sees its shell commands through the
 * `.ssg/bin/bash` wrapper, whose Bash-call payloads this adapter reads and answers like the generic one (exit 2 refuses).
 */
export const antigravityAdapter: ClientAdapter = {
  name: "antigravity",
  detect: (env) => env["SSG_CLIENT"] === "antigravity" || env["ANTIGRAVITY_AGENT"] === "1",
  ...claudeFormatParsers("antigravity"),
  formatOutput: decisionOutput,
  toolCapability: (tool) => mapCapability(TOOLS, tool),
  ...configSteps(
    (dir, options) => [managedFile(dir, WRAPPER_PATH, wrapperEditor("antigravity", options.command ?? "ssg"))],
    [
      "Point Antigravity's shell at the wrapper: export SHELL=\"$PWD/.ssg/bin/bash\"",
      "Antigravity's own file tools (view_file, write_to_file, …) do not pass through the wrapper; only shell commands are checked."
    ]
  )
}
