import {
  agentReason,
  approvalRefusal,
  type ClientAdapter,
  type HookRequest,
  type HookResponse,
  type HookResult,
  refusal,
  SILENT,
  verdictOf
} from "./Adapter.js"
import { capabilityMap, mapCapability, type ToolGroups } from "./CapabilityMap.js"
import { claudeDecision, claudeFormatParsers } from "./ClaudeFormat.js"
import { configSteps, managedFile } from "./ManagedFile.js"
import { WRAPPER_PATH, wrapperEditor } from "./ShellWrapper.js"

/** Codex CLI's tools by capability: its shell tools, plus the names its hooks report (`Bash`, `apply_patch`). */
export const CODEX_TOOLS: ToolGroups = {
  execute: ["bash", "shell", "command"],
  write: ["apply_patch"]
}

const TOOLS = capabilityMap(CODEX_TOOLS)

/**
 * Codex's PreToolUse answer (CLI and Desktop). Codex rejects a deny without a reason and ignores a bare allow and any
 * ask, so: block and force are a `deny` with a non-empty reason (force: the SUBSTITUTE), also on stderr with exit 2
 * (Codex blocks on exit 2 only when stderr holds a reason); ask becomes such a deny saying a person's approval is
 * needed, since Codex would otherwise run the call; allow, log and shadow print nothing. Post events answer nothing.
 */
export const codexOutput = (result: HookResult, request?: HookRequest): HookResponse => {
  if (request?.event === "post") return SILENT
  switch (verdictOf(result)) {
    case "deny": {
      const reason = agentReason(result)
      return refusal(claudeDecision("deny", reason), reason)
    }
    case "ask": {
      const reason = approvalRefusal(result)
      return refusal(claudeDecision("deny", reason), reason)
    }
    case "allow":
      return SILENT
  }
}

/** The Codex CLI adapter: Codex hook payloads, Codex answers, and the `.ssg/bin/bash` wrapper for `bash -c` commands. */
export const codexAdapter: ClientAdapter = {
  name: "codex",
  detect: (env) => env["SSG_CLIENT"] === "codex",
  ...claudeFormatParsers("codex"),
  formatOutput: codexOutput,
  toolCapability: (tool) => mapCapability(TOOLS, tool),
  ...configSteps(
    (dir, options) => [managedFile(dir, WRAPPER_PATH, wrapperEditor("codex", options.command ?? "ssg"))],
    [
      "Start Codex with the wrapper as its shell: SHELL=\"$PWD/.ssg/bin/bash\" codex",
      "Only `bash -c` commands pass through the wrapper; Codex's own file edits (apply_patch) do not."
    ]
  )
}
