import { describe, expect, it } from "vitest"
import { CLAUDE_CODE_TOOLS, claudeCodeAdapter as adapter } from "../../src/adapters/ClaudeCode.js"
import type { Capability } from "../../src/domain/ToolCall.js"
import { applyPlan, expectRoundTrip, failure, fixture, healthOf, parsed, RESULTS, writesOf } from "./support.js"

const DIR = "/work/proj"
const SETTINGS = "/work/proj/.claude/settings.json"
const BACKUP = "/work/proj/.ssg/backup/.claude/settings.json"

const HOOKS = {
  PreToolUse: [{ matcher: "*", hooks: [{ type: "command", command: "ssg hook eval", timeout: 30 }] }],
  PostToolUse: [{ matcher: "*", hooks: [{ type: "command", command: "ssg hook post", async: true, timeout: 30 }] }],
  PostToolUseFailure: [{ matcher: "*", hooks: [{ type: "command", command: "ssg hook post", async: true, timeout: 30 }] }]
}

describe("claude-code parseInput", () => {
  it("reads a PreToolUse payload", () => {
    expect(parsed(adapter.parseInput(fixture("claude-code", "pre-bash")))).toEqual({
      client: "claude-code",
      event: "pre",
      hookEvent: "PreToolUse",
      tool: "Bash",
      input: { command: "npm test", description: "Run test suite", timeout: 120000, run_in_background: false },
      session: "abc123",
      cwd: "/home/dev/shop",
      toolUseId: "toolu_01ABC123",
      permissionMode: "default",
      transcriptPath: "/home/dev/.claude/projects/shop/abc123.jsonl"
    })
  })

  it("keeps the subagent and permission mode of a call made inside a subagent", () => {
    const request = parsed(adapter.parseInput(fixture("claude-code", "pre-edit-subagent")))
    expect(request).toMatchObject({ tool: "Edit", agentId: "agent-7", permissionMode: "acceptEdits", toolUseId: "toolu_01EDIT" })
    expect(request.input).toEqual({
      file_path: "/home/dev/shop/src/cart.ts",
      old_string: "total = 0",
      new_string: "total = 1",
      replace_all: false
    })
  })

  it("reads a PostToolUse payload with the response and the duration", () => {
    expect(parsed(adapter.parseInput(fixture("claude-code", "post-bash")))).toEqual({
      client: "claude-code",
      event: "post",
      hookEvent: "PostToolUse",
      tool: "Bash",
      input: { command: "npm test" },
      session: "abc123",
      cwd: "/home/dev/shop",
      toolUseId: "toolu_01ABC123",
      permissionMode: "default",
      transcriptPath: "/home/dev/.claude/projects/shop/abc123.jsonl",
      response: { stdout: "12 passed", stderr: "", interrupted: false, isImage: false },
      durationMs: 4210
    })
  })

  it("reads a PostToolUseFailure payload with its error", () => {
    const request = parsed(adapter.parseInput(fixture("claude-code", "post-failure")))
    expect(request).toMatchObject({
      event: "post",
      hookEvent: "PostToolUseFailure",
      error: "Exit code 1\nsrc/cart.ts:3:1 unused variable",
      interrupted: false,
      durationMs: 950,
      toolUseId: "toolu_01LINT"
    })
    expect(request.response).toBeUndefined()
  })

  it("takes the usage and the resolved model from an Agent tool's response", () => {
    const request = parsed(adapter.parseInput(fixture("claude-code", "post-agent")))
    expect(request.usage).toEqual({ input_tokens: 4000, output_tokens: 1120, cache_read_input_tokens: 0 })
    expect(request.model).toBe("claude-sonnet-4-5")
    expect(request.durationMs).toBe(30512)
  })

  it("reads an MCP call and bare tool_name/tool_input steps (certify scenarios)", () => {
    expect(parsed(adapter.parseInput(fixture("claude-code", "pre-mcp")))).toMatchObject({
      tool: "mcp__github__create_issue",
      input: { owner: "acme", repo: "shop", title: "Flaky cart test" }
    })
    expect(parsed(adapter.parseInput('{"tool_name":"Read","tool_input":{"file_path":"/a"}}'))).toEqual({
      client: "claude-code",
      event: "pre",
      hookEvent: "PreToolUse",
      tool: "Read",
      input: { file_path: "/a" },
      session: null,
      cwd: null,
      toolUseId: null
    })
  })

  it("turns malformed payloads into one-line failures naming the field", () => {
    const cases: Record<string, string> = {
      "": "the payload is empty; expected a JSON object",
      "[1]": "the payload must be a JSON object, not an array",
      null: "the payload must be a JSON object, not null",
      '"Bash"': "the payload must be a JSON object, not a string",
      "42": "the payload must be a JSON object, not a number",
      '{"hook_event_name":"PreToolUse","tool_input":{}}': 'field "tool_name" must be a non-empty string',
      '{"tool_name":""}': 'field "tool_name" must be a non-empty string',
      '{"tool_name":7}': 'field "tool_name" must be a string',
      '{"tool_name":"Bash","tool_input":"rm -rf /"}': 'field "tool_input" must be a JSON object',
      '{"tool_name":"Bash","tool_input":[]}': 'field "tool_input" must be a JSON object',
      '{"tool_name":"Bash","session_id":5}': 'field "session_id" must be a string',
      '{"hook_event_name":3,"tool_name":"Bash"}': 'field "hook_event_name" must be a string',
      '{"hook_event_name":"PostToolUse","tool_name":"Bash","duration_ms":"fast"}': 'field "duration_ms" must be a number'
    }
    for (const [raw, error] of Object.entries(cases)) {
      expect(failure(adapter.parseInput(raw)), raw).toEqual({ kind: "malformed", error })
    }
    const notJson = failure(adapter.parseInput("{tool_name: Bash"))
    expect(notJson.kind).toBe("malformed")
    expect(notJson.error).toMatch(/^the payload is not JSON: /)
    expect(notJson.error).not.toContain("\n")
  })

  it("reports events other than tool events as unsupported, not malformed", () => {
    expect(failure(adapter.parseInput('{"hook_event_name":"SessionStart","session_id":"s","source":"startup"}'))).toEqual({
      kind: "unsupported-event",
      error: 'field "hook_event_name": ssg does not handle the event "SessionStart"'
    })
  })

  it("parses a decoded payload the same way", () => {
    const raw = fixture("claude-code", "pre-bash")
    expect(adapter.parseValue(JSON.parse(raw))).toEqual(adapter.parseInput(raw))
  })
})

describe("claude-code formatOutput", () => {
  const deny = (reason: string) =>
    `${JSON.stringify({ hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: reason } })}\n`

  it("denies a block with the MESSAGE, in the JSON and on stderr, and exits 2", () => {
    expect(adapter.formatOutput(RESULTS.block)).toEqual({
      stdout: deny("Deleting the root directory is blocked."),
      stderr: "Deleting the root directory is blocked.\n",
      exitCode: 2
    })
  })

  it("denies a force with the SUBSTITUTE as the reason", () => {
    expect(adapter.formatOutput(RESULTS.force)).toEqual({
      stdout: deny("Use the Read tool with the file's path."),
      stderr: "Use the Read tool with the file's path.\n",
      exitCode: 2
    })
  })

  it("asks with the PROMPT, exit 0, nothing on stderr", () => {
    expect(adapter.formatOutput(RESULTS.ask)).toEqual({
      stdout: `${JSON.stringify({
        hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "ask", permissionDecisionReason: "Publish version 2.0.0 of shop?" }
      })}\n`,
      stderr: "",
      exitCode: 0
    })
  })

  it("says nothing for allow, log and shadow, so Claude Code's own permissions decide", () => {
    for (const result of [RESULTS.allow, RESULTS.allowRule, RESULTS.log, RESULTS.shadow]) {
      expect(adapter.formatOutput(result), result.decision).toEqual({ stdout: "", stderr: "", exitCode: 0 })
    }
  })

  it("names the rule when a refusal has no text", () => {
    expect(adapter.formatOutput({ decision: "block", ruleId: "r1", reason: null }).stderr).toBe("Blocked by ssg rule r1.\n")
    expect(adapter.formatOutput({ decision: "force", ruleId: "r2", reason: "", substitute: "" }).stderr).toBe("Blocked by ssg rule r2.\n")
    expect(adapter.formatOutput({ decision: "block", ruleId: null, reason: null }).stderr).toBe("Blocked by ssg.\n")
    const ask = JSON.parse(adapter.formatOutput({ decision: "ask", ruleId: "r3", reason: null }).stdout)
    expect(ask.hookSpecificOutput.permissionDecisionReason).toBe("ssg rule r3 requires a person's approval for this call.")
  })

  it("answers nothing to a post event", () => {
    const post = parsed(adapter.parseInput(fixture("claude-code", "post-bash")))
    expect(adapter.formatOutput(RESULTS.block, post)).toEqual({ stdout: "", stderr: "", exitCode: 0 })
  })
})

describe("claude-code toolCapability", () => {
  it("maps 30 or more built-in tools", () => {
    expect(Object.values(CLAUDE_CODE_TOOLS).flat().length).toBeGreaterThanOrEqual(30)
    const expected: Record<string, Capability> = {
      Bash: "execute",
      PowerShell: "execute",
      KillShell: "execute",
      Read: "read",
      BashOutput: "read",
      NotebookRead: "read",
      Write: "write",
      Edit: "write",
      MultiEdit: "write",
      NotebookEdit: "write",
      Glob: "search",
      Grep: "search",
      LS: "search",
      WebFetch: "network",
      WebSearch: "network",
      Agent: "agent",
      Task: "agent",
      TaskCreate: "unknown",
      TaskUpdate: "unknown",
      TodoWrite: "unknown",
      ExitPlanMode: "unknown",
      AskUserQuestion: "unknown",
      Skill: "unknown"
    }
    expect(Object.fromEntries(Object.keys(expected).map((t) => [t, adapter.toolCapability(t)]))).toEqual(expected)
  })

  it("maps MCP tools by their tool part, never by the server's name", () => {
    expect(adapter.toolCapability("mcp__github__create_issue")).toBe("write")
    expect(adapter.toolCapability("mcp__plugin_acme_fs__read_text_file")).toBe("read")
    expect(adapter.toolCapability("mcp__shell__get_status")).toBe("unknown")
    expect(adapter.toolCapability("mcp__browser__Bash")).toBe("execute")
  })

  it("falls back to the generic keywords for tools it does not know", () => {
    expect(adapter.toolCapability("SuperGrep")).toBe("search")
    expect(adapter.toolCapability("Frobnicate")).toBe("unknown")
  })
})

describe("claude-code install and uninstall", () => {
  const install = adapter.install(DIR)
  const uninstall = adapter.uninstall(DIR)

  it("plans .claude/settings.json and its backup", () => {
    expect(install.files).toEqual([SETTINGS, BACKUP])
  })

  it("creates the settings file with ssg's hooks, and deletes it on uninstall", () => {
    const { installed } = expectRoundTrip(install, uninstall, {})
    expect(Object.keys(installed)).toEqual([SETTINGS])
    expect(installed[SETTINGS]).toBe(`${JSON.stringify({ hooks: HOOKS }, null, 2)}\n`)
  })

  it("keeps every other setting and hook, and restores the file byte for byte", () => {
    const original = `{
    "$schema": "https://json.schemastore.org/claude-code-settings.json",
    "permissions": {
        "allow": [
            "Bash(npm run *)"
        ],
        "deny": [
            "Bash(git push *)"
        ]
    },
    "hooks": {
        "PreToolUse": [
            {
                "matcher": "Bash",
                "hooks": [
                    {
                        "type": "command",
                        "command": "./scripts/guard.sh"
                    }
                ]
            }
        ],
        "Stop": [
            {
                "hooks": [
                    {
                        "type": "command",
                        "command": "say done"
                    }
                ]
            }
        ]
    },
    "model": "opus"
}`
    const { installed } = expectRoundTrip(install, uninstall, { [SETTINGS]: original })
    const settings = JSON.parse(installed[SETTINGS]!)
    expect(settings.permissions).toEqual({ allow: ["Bash(npm run *)"], deny: ["Bash(git push *)"] })
    expect(settings.model).toBe("opus")
    expect(Object.keys(settings)).toEqual(["$schema", "permissions", "hooks", "model"])
    expect(settings.hooks.PreToolUse).toEqual([
      { matcher: "Bash", hooks: [{ type: "command", command: "./scripts/guard.sh" }] },
      ...HOOKS.PreToolUse
    ])
    expect(settings.hooks.Stop).toEqual([{ hooks: [{ type: "command", command: "say done" }] }])
    expect(installed[SETTINGS]).toMatch(/^\{\n {4}"\$schema"/)
    expect(installed[BACKUP]).toBeUndefined()
  })

  it("saves the original when rewriting would change its layout, and writes those bytes back", () => {
    const original = '{ "permissions": { "allow": ["Read"] },\r\n  "env": {"A": "1"} }\r\n'
    const { installed } = expectRoundTrip(install, uninstall, { [SETTINGS]: original })
    expect(installed[BACKUP]).toBe(original)
    expect(installed[SETTINGS]).toContain("\r\n")
  })

  it("restores an empty object and an empty file exactly", () => {
    for (const original of ["{}", "{}\n", "", "  \n"]) {
      expectRoundTrip(install, uninstall, { [SETTINGS]: original })
    }
  })

  it("keeps the user's later changes when uninstalling", () => {
    const original = '{\n  "model": "opus"\n}\n'
    const installed = applyPlan(install, { [SETTINGS]: original })
    const edited = JSON.parse(installed[SETTINGS]!)
    edited.env = { DEBUG: "1" }
    const removed = applyPlan(uninstall, { ...installed, [SETTINGS]: JSON.stringify(edited, null, 2) + "\n" })
    expect(removed).toEqual({ [SETTINGS]: '{\n  "model": "opus",\n  "env": {\n    "DEBUG": "1"\n  }\n}\n' })
  })

  it("replaces an older ssg hook instead of adding a second one", () => {
    const older = applyPlan(adapter.install(DIR, { command: "npx ssg" }), {})
    expect(JSON.parse(older[SETTINGS]!).hooks.PreToolUse[0].hooks[0].command).toBe("npx ssg hook eval")
    const current = applyPlan(install, older)
    expect(JSON.parse(current[SETTINGS]!).hooks).toEqual(HOOKS)
  })

  it("asks Claude Code to block when the hook cannot run, if told to", () => {
    const tree = applyPlan(adapter.install(DIR, { failClosed: true }), {})
    expect(JSON.parse(tree[SETTINGS]!).hooks.PreToolUse[0].hooks[0]).toEqual({
      type: "command",
      command: "ssg hook eval",
      timeout: 30,
      onFailure: "block"
    })
  })

  it("refuses files it cannot edit safely, writing nothing", () => {
    const cases: Record<string, RegExp> = {
      "{ not json": /settings\.json: not valid JSON/,
      "[]": /settings\.json: must hold a JSON object/,
      '{"hooks": []}': /field "hooks" must be a JSON object/,
      '{"hooks": {"PreToolUse": {}}}': /field "hooks\.PreToolUse" must be a list/
    }
    for (const [text, error] of Object.entries(cases)) {
      const result = install.apply({ [SETTINGS]: text, [BACKUP]: null })
      expect(result.ok, text).toBe(false)
      if (!result.ok) expect(result.error).toMatch(error)
    }
  })

  it("uninstalls nothing from a directory ssg never touched", () => {
    expect(writesOf(uninstall, {})).toEqual({})
    expect(writesOf(uninstall, { [SETTINGS]: '{"model":"opus"}' })).toEqual({})
  })

  it("checks health: missing, installed, out of date", () => {
    const health = adapter.healthCheck(DIR)
    expect(healthOf(health, {})).toEqual({ ok: false, problems: [`${SETTINGS} does not exist`] })
    expect(healthOf(health, { [SETTINGS]: "{}" })).toEqual({ ok: false, problems: [`${SETTINGS} does not hold ssg's hook`] })
    const installed = applyPlan(install, {})
    expect(healthOf(health, installed)).toEqual({ ok: true, problems: [] })
    const stale = applyPlan(adapter.install(DIR, { failClosed: true }), {})
    expect(healthOf(health, stale)).toEqual({ ok: false, problems: [`${SETTINGS} is out of date; install again to update it`] })
  })
})
