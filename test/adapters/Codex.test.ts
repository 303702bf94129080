import { describe, expect, it } from "vitest"
import { codexAdapter as codex } from "../../src/adapters/Codex.js"
import { codexDesktopAdapter as desktop } from "../../src/adapters/CodexDesktop.js"
import { wrapperClients } from "../../src/adapters/ShellWrapper.js"
import type { Capability } from "../../src/domain/ToolCall.js"
import { applyPlan, expectRoundTrip, failure, fixture, healthOf, parsed, RESULTS, writesOf } from "./support.js"

const DIR = "/work/api"
const HOOKS_FILE = "/work/api/.codex/hooks.json"
const WRAPPER = "/work/api/.ssg/bin/bash"

const denial = (reason: string) =>
  `${JSON.stringify({ hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: reason } })}\n`

describe("codex parseInput", () => {
  it("reads Codex's PreToolUse payload with its turn and model", () => {
    const expected = {
      event: "pre",
      hookEvent: "PreToolUse",
      tool: "Bash",
      input: { command: "cargo build --release" },
      session: "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
      cwd: "/home/dev/api",
      toolUseId: "call_8f2a",
      model: "gpt-5-codex",
      permissionMode: "default",
      turnId: "turn-4"
    }
    expect(parsed(codex.parseInput(fixture("codex", "pre-bash")))).toEqual({ client: "codex", ...expected })
    expect(parsed(desktop.parseInput(fixture("codex", "pre-bash")))).toEqual({ client: "codex-desktop", ...expected })
  })

  it("reads apply_patch with the patch as its command, and a post event with a string response", () => {
    const patch = parsed(desktop.parseInput(fixture("codex", "pre-apply-patch")))
    expect(patch.tool).toBe("apply_patch")
    expect(String(patch.input["command"])).toMatch(/^\*\*\* Begin Patch\n/)
    expect(patch.transcriptPath).toBe("/home/dev/.codex/sessions/rollout.jsonl")
    expect(parsed(desktop.parseInput(fixture("codex", "post-bash")))).toMatchObject({
      event: "post",
      response: "Finished release profile",
      toolUseId: "call_8f2a"
    })
  })

  it("fails on malformed payloads with the field named", () => {
    expect(failure(codex.parseInput('{"hook_event_name":"PreToolUse","turn_id":"t"}'))).toEqual({
      kind: "malformed",
      error: 'field "tool_name" must be a non-empty string'
    })
    expect(failure(desktop.parseInput('{"tool_name":"Bash","turn_id":9}'))).toEqual({
      kind: "malformed",
      error: 'field "turn_id" must be a string'
    })
    expect(failure(codex.parseInput('{"hook_event_name":"Stop"}')).kind).toBe("unsupported-event")
  })
})

describe("codex formatOutput (CLI and Desktop alike)", () => {
  for (const adapter of [codex, desktop]) {
    it(`${adapter.name}: denies block and force with a non-empty reason, on stderr too, exit 2`, () => {
      expect(adapter.formatOutput(RESULTS.block)).toEqual({
        stdout: denial("Deleting the root directory is blocked."),
        stderr: "Deleting the root directory is blocked.\n",
        exitCode: 2
      })
      expect(adapter.formatOutput(RESULTS.force)).toEqual({
        stdout: denial("Use the Read tool with the file's path."),
        stderr: "Use the Read tool with the file's path.\n",
        exitCode: 2
      })
      const bare = adapter.formatOutput({ decision: "block", ruleId: "r9", reason: "" })
      expect(JSON.parse(bare.stdout).hookSpecificOutput.permissionDecisionReason).toBe("Blocked by ssg rule r9.")
    })

    it(`${adapter.name}: turns ask into a deny (Codex ignores ask) saying approval is needed`, () => {
      const reason =
        "Needs a person's approval (ssg rule ask-publish), which this client's hook cannot ask for: Publish version 2.0.0 of shop?"
      expect(adapter.formatOutput(RESULTS.ask)).toEqual({ stdout: denial(reason), stderr: `${reason}\n`, exitCode: 2 })
    })

    it(`${adapter.name}: prints nothing for allow, log and shadow (Codex rejects a bare allow)`, () => {
      for (const result of [RESULTS.allow, RESULTS.allowRule, RESULTS.log, RESULTS.shadow]) {
        expect(adapter.formatOutput(result)).toEqual({ stdout: "", stderr: "", exitCode: 0 })
      }
    })
  }

  it("never emits allow or ask", () => {
    for (const result of Object.values(RESULTS)) {
      const out = codex.formatOutput(result).stdout
      expect(out).not.toMatch(/"permissionDecision":"(allow|ask)"/)
    }
  })
})

describe("codex toolCapability", () => {
  it("maps the CLI's and the hooks' tool names", () => {
    const expected: Record<string, Capability> = {
      bash: "execute",
      Bash: "execute",
      shell: "execute",
      command: "execute",
      apply_patch: "write",
      mcp__linear__create_issue: "write",
      update_plan: "unknown"
    }
    expect(Object.fromEntries(Object.keys(expected).map((t) => [t, codex.toolCapability(t)]))).toEqual(expected)
  })

  it("maps Codex Desktop's tools, computer use included", () => {
    const expected: Record<string, Capability> = {
      local_shell: "execute",
      unified_exec: "execute",
      computer_use: "execute",
      click: "execute",
      type: "execute",
      key: "execute",
      apply_patch: "write",
      update_plan: "write",
      view_image: "read",
      screenshot: "read",
      web_search: "network",
      in_app_browser: "network",
      Bash: "execute"
    }
    expect(Object.fromEntries(Object.keys(expected).map((t) => [t, desktop.toolCapability(t)]))).toEqual(expected)
  })
})

describe("codex install (shell wrapper)", () => {
  it("writes an executable .ssg/bin/bash for codex and removes it again", () => {
    const install = codex.install(DIR)
    expect(writesOf(install, {})[WRAPPER]).toMatchObject({ executable: true })
    const { installed } = expectRoundTrip(install, codex.uninstall(DIR), {})
    expect(wrapperClients(installed[WRAPPER]!)).toEqual(["codex"])
    expect(install.notes.join("\n")).toContain('SHELL="$PWD/.ssg/bin/bash" codex')
  })
})

describe("codex-desktop install (.codex/hooks.json)", () => {
  const install = desktop.install(DIR)
  const uninstall = desktop.uninstall(DIR)

  it("registers hook eval and hook post for every tool", () => {
    const { installed } = expectRoundTrip(install, uninstall, {})
    expect(JSON.parse(installed[HOOKS_FILE]!)).toEqual({
      hooks: {
        PreToolUse: [{ hooks: [{ type: "command", command: "ssg hook eval", timeout: 30 }] }],
        PostToolUse: [{ hooks: [{ type: "command", command: "ssg hook post", timeout: 30 }] }]
      }
    })
  })

  it("keeps the team's hooks and restores their file byte for byte", () => {
    const original = `{
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "^Bash$",
        "hooks": [
          {
            "type": "command",
            "command": "python3 .codex/hooks/pre_tool_use_policy.py",
            "timeout": 30,
            "statusMessage": "Checking Bash command"
          }
        ]
      }
    ]
  }
}
`
    const { installed } = expectRoundTrip(install, uninstall, { [HOOKS_FILE]: original })
    const hooks = JSON.parse(installed[HOOKS_FILE]!).hooks
    expect(hooks.PreToolUse).toHaveLength(2)
    expect(hooks.PreToolUse[0].hooks[0].command).toBe("python3 .codex/hooks/pre_tool_use_policy.py")
  })

  it("checks its health", () => {
    expect(healthOf(desktop.healthCheck(DIR), applyPlan(install, {}))).toEqual({ ok: true, problems: [] })
    expect(healthOf(desktop.healthCheck(DIR), {}).ok).toBe(false)
  })
})
