import { describe, expect, it } from "vitest"
import { cursorAdapter as adapter } from "../../src/adapters/Cursor.js"
import type { Capability } from "../../src/domain/ToolCall.js"
import { applyPlan, expectRoundTrip, failure, fixture, healthOf, parsed, RESULTS } from "./support.js"

const DIR = "/home/dev/app"
const HOOKS_FILE = "/home/dev/app/.cursor/hooks.json"

const COMMON = { client: "cursor", session: "conv-123", toolUseId: null } as const

describe("cursor parseInput", () => {
  it("reads beforeShellExecution as a Shell call with the command at the top level", () => {
    expect(parsed(adapter.parseInput(fixture("cursor", "before-shell")))).toEqual({
      ...COMMON,
      event: "pre",
      hookEvent: "beforeShellExecution",
      tool: "Shell",
      input: { command: "npm install express", cwd: "/home/dev/app/server" },
      cwd: "/home/dev/app/server",
      model: "gpt-4",
      turnId: "gen-456"
    })
  })

  it("reads beforeMCPExecution, decoding a tool_input sent as a JSON string", () => {
    expect(parsed(adapter.parseInput(fixture("cursor", "before-mcp")))).toEqual({
      ...COMMON,
      event: "pre",
      hookEvent: "beforeMCPExecution",
      tool: "database_query",
      input: { query: "SELECT * FROM users" },
      cwd: "/home/dev/app",
      turnId: "gen-457"
    })
  })

  it("reads beforeReadFile as a Read of the path, without the file's content", () => {
    const request = parsed(adapter.parseInput(fixture("cursor", "before-read")))
    expect(request).toMatchObject({ tool: "Read", input: { file_path: "/home/dev/app/.env" }, hookEvent: "beforeReadFile" })
    expect(JSON.stringify(request)).not.toContain("sk-not-a-real-key")
  })

  it("reads preToolUse with its tool-use id", () => {
    expect(parsed(adapter.parseInput(fixture("cursor", "pre-tool-use")))).toEqual({
      client: "cursor",
      session: "conv-123",
      event: "pre",
      hookEvent: "preToolUse",
      tool: "Write",
      input: { file_path: "/home/dev/app/src/index.ts", content: "export {}\n" },
      cwd: "/home/dev/app",
      toolUseId: "tool-991",
      model: "claude-sonnet-4-5",
      turnId: "gen-459"
    })
  })

  it("reads after-events as post events with output and duration", () => {
    expect(parsed(adapter.parseInput(fixture("cursor", "after-shell")))).toMatchObject({
      event: "post",
      tool: "Shell",
      input: { command: "npm install express", cwd: "/home/dev/app/server" },
      response: "added 64 packages",
      durationMs: 150
    })
    expect(parsed(adapter.parseInput(fixture("cursor", "after-file-edit")))).toMatchObject({
      event: "post",
      tool: "Edit",
      input: { file_path: "/home/dev/app/src/main.ts", edits: [{ old_string: "const foo = 1", new_string: "const foo = 2" }] }
    })
  })

  it("reads the Claude-format events Cursor sends to Claude Code hooks", () => {
    expect(parsed(adapter.parseInput(fixture("cursor", "claude-compatible")))).toMatchObject({
      event: "pre",
      hookEvent: "PreToolUse",
      tool: "Shell",
      input: { command: "git push origin main" },
      session: "conv-123"
    })
  })

  it("fails on malformed payloads with the field named", () => {
    const cases: Record<string, string> = {
      '{"hook_event_name":"beforeShellExecution","conversation_id":"c"}': 'field "command" must be a string',
      '{"hook_event_name":"beforeShellExecution","command":["ls"]}': 'field "command" must be a string',
      '{"hook_event_name":"beforeReadFile"}': 'field "file_path" must be a non-empty string',
      '{"hook_event_name":"beforeMCPExecution","tool_name":"q","tool_input":"not json"}':
        'field "tool_input" must be a JSON object or a string holding one',
      '{"hook_event_name":"beforeMCPExecution","tool_name":"q","tool_input":"[1]"}':
        'field "tool_input" must be a JSON object or a string holding one',
      '{"hook_event_name":"preToolUse","tool_input":{}}': 'field "tool_name" must be a non-empty string',
      '{"hook_event_name":"afterShellExecution","command":"ls","duration":"slow"}': 'field "duration" must be a number',
      '{"hook_event_name":"preToolUse","tool_name":"Read","conversation_id":1}': 'field "conversation_id" must be a string'
    }
    for (const [raw, error] of Object.entries(cases)) {
      expect(failure(adapter.parseInput(raw)), raw).toEqual({ kind: "malformed", error })
    }
    expect(failure(adapter.parseInput('{"hook_event_name":"beforeSubmitPrompt","prompt":"hi"}')).kind).toBe("unsupported-event")
  })
})

describe("cursor formatOutput", () => {
  const shell = parsed(adapter.parseInput(fixture("cursor", "before-shell")))
  const read = parsed(adapter.parseInput(fixture("cursor", "before-read")))

  it("denies block with user and agent messages, on stderr too, exit 2", () => {
    expect(adapter.formatOutput(RESULTS.block, shell)).toEqual({
      stdout: `${JSON.stringify({
        permission: "deny",
        user_message: "ssg rule no-rm-rf: Deleting the root directory is blocked.",
        agent_message: "Deleting the root directory is blocked."
      })}\n`,
      stderr: "Deleting the root directory is blocked.\n",
      exitCode: 2
    })
  })

  it("denies force with the SUBSTITUTE for the agent and the MESSAGE for the person", () => {
    expect(JSON.parse(adapter.formatOutput(RESULTS.force, shell).stdout)).toEqual({
      permission: "deny",
      user_message: "ssg rule use-read-tool: cat is slower than the Read tool.",
      agent_message: "Use the Read tool with the file's path."
    })
  })

  it("asks with the PROMPT for the person", () => {
    expect(adapter.formatOutput(RESULTS.ask, shell)).toEqual({
      stdout: `${JSON.stringify({
        permission: "ask",
        user_message: "Publish version 2.0.0 of shop?",
        agent_message: "Publishing needs a person."
      })}\n`,
      stderr: "",
      exitCode: 0
    })
  })

  it("allows allow, log and shadow explicitly", () => {
    for (const result of [RESULTS.allow, RESULTS.allowRule, RESULTS.log, RESULTS.shadow]) {
      expect(adapter.formatOutput(result, shell)).toEqual({ stdout: '{"permission":"allow"}\n', stderr: "", exitCode: 0 })
    }
  })

  it("answers beforeReadFile with permission alone, denying an ask", () => {
    expect(adapter.formatOutput(RESULTS.block, read)).toEqual({
      stdout: '{"permission":"deny"}\n',
      stderr: "Deleting the root directory is blocked.\n",
      exitCode: 2
    })
    expect(adapter.formatOutput(RESULTS.ask, read).stdout).toBe('{"permission":"deny"}\n')
    expect(adapter.formatOutput(RESULTS.ask, read).exitCode).toBe(2)
    expect(adapter.formatOutput(RESULTS.allow, read).stdout).toBe('{"permission":"allow"}\n')
  })

  it("adds Claude's hookSpecificOutput when Cursor runs a Claude Code hook", () => {
    const claudeNamed = parsed(adapter.parseInput(fixture("cursor", "claude-compatible")))
    expect(JSON.parse(adapter.formatOutput(RESULTS.block, claudeNamed).stdout)).toEqual({
      permission: "deny",
      user_message: "ssg rule no-rm-rf: Deleting the root directory is blocked.",
      agent_message: "Deleting the root directory is blocked.",
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "deny",
        permissionDecisionReason: "Deleting the root directory is blocked."
      }
    })
    expect(JSON.parse(adapter.formatOutput(RESULTS.ask, claudeNamed).stdout).hookSpecificOutput).toEqual({
      hookEventName: "PreToolUse",
      permissionDecision: "ask",
      permissionDecisionReason: "Publish version 2.0.0 of shop?"
    })
    expect(adapter.formatOutput(RESULTS.allow, claudeNamed).stdout).toBe('{"permission":"allow"}\n')
    expect(JSON.parse(adapter.formatOutput(RESULTS.block, shell).stdout).hookSpecificOutput).toBeUndefined()
  })

  it("answers nothing to after-events, and the full shape without a request", () => {
    const after = parsed(adapter.parseInput(fixture("cursor", "after-shell")))
    expect(adapter.formatOutput(RESULTS.block, after)).toEqual({ stdout: "", stderr: "", exitCode: 0 })
    expect(JSON.parse(adapter.formatOutput(RESULTS.block).stdout).permission).toBe("deny")
  })
})

describe("cursor toolCapability", () => {
  it("maps Cursor's tools and its hook names", () => {
    const expected: Record<string, Capability> = {
      run_terminal_command: "execute",
      run_terminal_cmd: "execute",
      Shell: "execute",
      edit_file: "write",
      create_file: "write",
      delete_file: "write",
      Write: "write",
      read_file: "read",
      Read: "read",
      codebase_search: "search",
      grep_search: "search",
      file_search: "search",
      list_dir: "search",
      web_search: "network",
      fetch: "network",
      Task: "agent",
      todo_write: "unknown",
      database_query: "unknown",
      mcp__postgres__run_query: "unknown",
      mcp__fs__write_file: "write"
    }
    expect(Object.fromEntries(Object.keys(expected).map((t) => [t, adapter.toolCapability(t)]))).toEqual(expected)
  })
})

describe("cursor install (.cursor/hooks.json)", () => {
  const install = adapter.install(DIR)
  const uninstall = adapter.uninstall(DIR)

  it("creates a version 1 hooks file, failing closed on preToolUse, and deletes it again", () => {
    const { installed } = expectRoundTrip(install, uninstall, {})
    expect(JSON.parse(installed[HOOKS_FILE]!)).toEqual({
      version: 1,
      hooks: {
        preToolUse: [{ command: "ssg hook eval", failClosed: true }],
        postToolUse: [{ command: "ssg hook post" }],
        postToolUseFailure: [{ command: "ssg hook post" }]
      }
    })
  })

  it("keeps other hooks of the same event and restores the file byte for byte", () => {
    const original = `{
\t"version": 1,
\t"hooks": {
\t\t"preToolUse": [
\t\t\t{
\t\t\t\t"command": "./hooks/format.sh",
\t\t\t\t"matcher": "Write"
\t\t\t}
\t\t],
\t\t"stop": [
\t\t\t{
\t\t\t\t"command": "./hooks/notify.sh"
\t\t\t}
\t\t]
\t}
}
`
    const { installed } = expectRoundTrip(install, uninstall, { [HOOKS_FILE]: original })
    expect(installed[HOOKS_FILE]).toContain('\t"hooks"')
    expect(JSON.parse(installed[HOOKS_FILE]!).hooks.preToolUse).toEqual([
      { command: "./hooks/format.sh", matcher: "Write" },
      { command: "ssg hook eval", failClosed: true }
    ])
  })

  it("restores a file that held only the version", () => {
    expectRoundTrip(install, uninstall, { [HOOKS_FILE]: '{"version":1}' })
    expectRoundTrip(install, uninstall, { [HOOKS_FILE]: '{\n  "version": 1,\n  "hooks": {}\n}\n' })
  })

  it("checks its health", () => {
    expect(healthOf(adapter.healthCheck(DIR), applyPlan(install, {}))).toEqual({ ok: true, problems: [] })
  })
})
