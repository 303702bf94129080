import { type ClientAdapter, hasEnv } from "./Adapter.js"
import { capabilityMap, mapCapability, type ToolGroups } from "./CapabilityMap.js"
import { claudeFormatParsers } from "./ClaudeFormat.js"
import { decisionOutput } from "./Generic.js"
import { configSteps, managedFile } from "./ManagedFile.js"
import { WRAPPER_PATH, wrapperEditor } from "./ShellWrapper.js"

/** NemoClaw's sandbox verbs by capability. */
export const NEMOCLAW_TOOLS: ToolGroups = {
  execute: ["process_exec", "shell_exec", "bash", "shell"],
  read: ["fs_read", "file_read"],
  write: ["fs_write", "file_write", "fs_edit"],
  network: ["net_egress", "network_request", "inference"],
  agent: ["sandbox_spawn"]
}

const TOOLS = capabilityMap(NEMOCLAW_TOOLS)

/**
 * The NemoClaw adapter. NemoClaw enforces its own sandbox policy and has no tool hook, so ssg guards the host side
 * through the `.ssg/bin/bash` wrapper; payloads are `{tool, input}` or Claude-format calls (NemoClaw verbs as tool
 * names), answered like the generic adapter (exit 2 refuses).
 */
export const nemoclawAdapter: ClientAdapter = {
  name: "nemoclaw",
  detect: (env) => env["SSG_CLIENT"] === "nemoclaw" || hasEnv(env, "NEMOCLAW_AGENT") || hasEnv(env, "NEMOCLAW_SANDBOX_NAME"),
  ...claudeFormatParsers("nemoclaw"),
  formatOutput: decisionOutput,
  toolCapability: (tool) => mapCapability(TOOLS, tool),
  ...configSteps(
    (dir, options) => [managedFile(dir, WRAPPER_PATH, wrapperEditor("nemoclaw", options.command ?? "ssg"))],
    [
      "The wrapper guards host-side shell commands (set SHELL=\"$PWD/.ssg/bin/bash\" where nemoclaw runs); inside a sandbox NemoClaw's own policy applies.",
      "ssg does not write a NemoClaw policy fragment; add sandbox policies with `nemoclaw <sandbox> policy-add`."
    ]
  )
}
