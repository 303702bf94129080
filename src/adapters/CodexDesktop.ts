import { join } from "node:path"
import type { ClientAdapter, InstallOptions } from "./Adapter.js"
import { capabilityMap, mapCapability, type ToolGroups } from "./CapabilityMap.js"
import { claudeFormatParsers } from "./ClaudeFormat.js"
import { codexOutput } from "./Codex.js"
import { HOOK_TIMEOUT_SECONDS, type HookEntry, hookCommand, isSsgHandler, jsonHooksEditor } from "./JsonHooks.js"
import { configSteps, managedFile } from "./ManagedFile.js"

/** Codex Desktop's tools by capability, including its computer-use actions and the hooks' `Bash` name. */
export const CODEX_DESKTOP_TOOLS: ToolGroups = {
  execute: ["bash", "shell", "local_shell", "unified_exec", "command", "computer_use", "click", "type", "key"],
  write: ["apply_patch", "update_plan"],
  read: ["view_image", "screenshot"],
  network: ["web_search", "in_app_browser"]
}

const TOOLS = capabilityMap(CODEX_DESKTOP_TOOLS)

/** Where Codex reads hooks next to a configuration layer (`<repo>/.codex/`, or `~/.codex/` under the home directory). */
export const CODEX_HOOKS_PATH = join(".codex", "hooks.json")

/** The hooks ssg registers for Codex: `hook eval` before every tool (no matcher: all tools), `hook post` after. */
export const codexHookEntries = (options: InstallOptions): ReadonlyArray<HookEntry> => [
  { event: "PreToolUse", handler: { type: "command", command: hookCommand(options, "eval"), timeout: HOOK_TIMEOUT_SECONDS } },
  { event: "PostToolUse", handler: { type: "command", command: hookCommand(options, "post"), timeout: HOOK_TIMEOUT_SECONDS } }
]

/** The Codex Desktop adapter: Codex hook payloads and answers, ssg's hooks in `.codex/hooks.json`. */
export const codexDesktopAdapter: ClientAdapter = {
  name: "codex-desktop",
  detect: (env) => env["SSG_CLIENT"] === "codex-desktop",
  ...claudeFormatParsers("codex-desktop"),
  formatOutput: codexOutput,
  toolCapability: (tool) => mapCapability(TOOLS, tool),
  ...configSteps(
    (dir, options) => [
      managedFile(
        dir,
        CODEX_HOOKS_PATH,
        jsonHooksEditor({ layout: "nested", entries: codexHookEntries(options), skeleton: {}, isOurs: isSsgHandler(options) })
      )
    ],
    [
      "Codex runs project hooks only in trusted projects, and asks you to review new or changed hooks (/hooks) before they run.",
      "Older Codex builds need `[features] codex_hooks = true` in config.toml."
    ]
  )
}
