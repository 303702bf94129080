import { join } from "node:path"
import {
  agentReason,
  answer,
  type ClientAdapter,
  type Env,
  type HookRequest,
  type HookResponse,
  type HookResult,
  hasEnv,
  type InstallOptions,
  refusal,
  SILENT,
  userMessage,
  verdictOf
} from "./Adapter.js"
import { capabilityMap, mapCapability, type ToolGroups } from "./CapabilityMap.js"
import { claudeDecision, claudeFormatParsers } from "./ClaudeFormat.js"
import { HOOK_TIMEOUT_SECONDS, type HookEntry, hookCommand, isSsgHandler, jsonHooksEditor } from "./JsonHooks.js"
import { configSteps, managedFile } from "./ManagedFile.js"

/** Claude Code's built-in tools by capability; bookkeeping tools (todo list, plan mode, questions, skills) are `unknown`. */
export const CLAUDE_CODE_TOOLS: ToolGroups = {
  execute: ["Bash", "PowerShell", "KillShell", "KillBash"],
  read: ["Read", "NotebookRead", "BashOutput", "ReadMcpResourceTool"],
  write: ["Write", "Edit", "MultiEdit", "NotebookEdit"],
  search: ["Glob", "Grep", "LS", "ListMcpResourcesTool", "LSP"],
  network: ["WebFetch", "WebSearch"],
  agent: ["Agent", "Task", "TaskOutput", "TaskStop"],
  unknown: [
    "TodoWrite",
    "TodoRead",
    "TaskCreate",
    "TaskGet",
    "TaskList",
    "TaskUpdate",
    "ExitPlanMode",
    "EnterPlanMode",
    "AskUserQuestion",
    "SlashCommand",
    "Skill",
    "ToolSearch",
    "EnterWorktree",
    "ExitWorktree",
    "CronCreate",
    "CronDelete",
    "CronList"
  ]
}

const TOOLS = capabilityMap(CLAUDE_CODE_TOOLS)

/** Where Claude Code reads project settings (user settings: the same path under the home directory). */
export const CLAUDE_SETTINGS_PATH = join(".claude", "settings.json")

/**
 * Claude Code's PreToolUse answer (also Cowork's): block and force are a `deny` whose reason (the MESSAGE; for force the
 * SUBSTITUTE) goes to the agent, written on stderr as well with exit 2, which blocks even where the JSON is not read;
 * ask is an `ask` whose reason (the PROMPT) goes to the person; allow, log and shadow print nothing, leaving Claude
 * Code's own permission rules and prompts in charge. Post events answer nothing.
 */
export const claudeCodeOutput = (result: HookResult, request?: HookRequest): HookResponse => {
  if (request?.event === "post") return SILENT
  switch (verdictOf(result)) {
    case "deny": {
      const reason = agentReason(result)
      return refusal(claudeDecision("deny", reason), reason)
    }
    case "ask":
      return answer(claudeDecision("ask", userMessage(result)))
    case "allow":
      return SILENT
  }
}

/** The hooks ssg registers in Claude-format settings: `hook eval` before every tool, `hook post` after it, in the background. */
export const claudeHookEntries = (options: InstallOptions): ReadonlyArray<HookEntry> => {
  const post = { type: "command", command: hookCommand(options, "post"), async: true, timeout: HOOK_TIMEOUT_SECONDS }
  return [
    {
      event: "PreToolUse",
      matcher: "*",
      handler: {
        type: "command",
        command: hookCommand(options, "eval"),
        timeout: HOOK_TIMEOUT_SECONDS,
        ...(options.failClosed === true ? { onFailure: "block" } : {})
      }
    },
    { event: "PostToolUse", matcher: "*", handler: post },
    { event: "PostToolUseFailure", matcher: "*", handler: post }
  ]
}

/** The Claude Code adapter: Claude-format payloads, `hookSpecificOutput` answers, `.claude/settings.json` hooks. */
export const claudeCodeAdapter: ClientAdapter = {
  name: "claude-code",
  detect: (env: Env) =>
    env["SSG_CLIENT"] === "claude-code" ||
    hasEnv(env, "CLAUDE_CODE_VERSION") ||
    hasEnv(env, "CLAUDE_CODE_ENTRYPOINT") ||
    env["CLAUDECODE"] === "1",
  ...claudeFormatParsers("claude-code"),
  formatOutput: claudeCodeOutput,
  toolCapability: (tool) => mapCapability(TOOLS, tool),
  ...configSteps(
    (dir, options) => [
      managedFile(
        dir,
        CLAUDE_SETTINGS_PATH,
        jsonHooksEditor({ layout: "nested", entries: claudeHookEntries(options), skeleton: {}, isOurs: isSsgHandler(options) })
      )
    ],
    [
      "Claude Code reads .claude/settings.json when a session starts: restart running sessions.",
      "Claude Code's own deny and ask permission rules still apply after ssg allows a call."
    ]
  )
}
