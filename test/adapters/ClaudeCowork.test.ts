import { describe, expect, it } from "vitest"
import { claudeCoworkAdapter as adapter, coworkSection } from "../../src/adapters/ClaudeCowork.js"
import type { Capability } from "../../src/domain/ToolCall.js"
import { applyPlan, expectRoundTrip, failure, fixture, healthOf, parsed, RESULTS } from "./support.js"

const DIR = "/Users/dev/reports"
const FILE = "/Users/dev/reports/CLAUDE_COWORK.md"
const BACKUP = "/Users/dev/reports/.ssg/backup/CLAUDE_COWORK.md"

describe("claude-cowork parseInput and formatOutput", () => {
  it("reads a Claude-format computer-use call", () => {
    expect(parsed(adapter.parseInput(fixture("claude-cowork", "pre-computer")))).toEqual({
      client: "claude-cowork",
      event: "pre",
      hookEvent: "PreToolUse",
      tool: "computer",
      input: { action: "left_click", coordinate: [640, 412] },
      session: "cowork-77",
      cwd: "/Users/dev/Documents/reports",
      toolUseId: "toolu_01CLICK",
      permissionMode: "default"
    })
    expect(failure(adapter.parseInput('{"tool_name":null}')).error).toBe('field "tool_name" must be a non-empty string')
  })

  it("answers like Claude Code", () => {
    expect(adapter.formatOutput(RESULTS.force)).toEqual({
      stdout: `${JSON.stringify({
        hookSpecificOutput: {
          hookEventName: "PreToolUse",
          permissionDecision: "deny",
          permissionDecisionReason: "Use the Read tool with the file's path."
        }
      })}\n`,
      stderr: "Use the Read tool with the file's path.\n",
      exitCode: 2
    })
    expect(adapter.formatOutput(RESULTS.log)).toEqual({ stdout: "", stderr: "", exitCode: 0 })
  })
})

describe("claude-cowork toolCapability", () => {
  it("maps computer-use actions, Open Cowork's aliases and Claude Code's tools", () => {
    const expected: Record<string, Capability> = {
      computer: "execute",
      computer_use: "execute",
      click: "execute",
      double_click: "execute",
      right_click: "execute",
      type: "execute",
      key: "execute",
      scroll: "execute",
      mouse_move: "execute",
      drag: "execute",
      screenshot: "read",
      file_read: "read",
      file_write: "write",
      bash: "execute",
      Read: "read",
      MultiEdit: "write",
      glob: "search",
      webfetch: "network",
      Agent: "agent",
      TodoWrite: "unknown",
      left_click_drag: "execute",
      "mcp__computer-use__left_click": "execute",
      "mcp__computer-use__zoom": "unknown",
      mcp__desktop__click: "execute"
    }
    expect(Object.fromEntries(Object.keys(expected).map((t) => [t, adapter.toolCapability(t)]))).toEqual(expected)
  })
})

describe("claude-cowork install (CLAUDE_COWORK.md section)", () => {
  const install = adapter.install(DIR)
  const uninstall = adapter.uninstall(DIR)
  const section = `${coworkSection("ssg")}\n`

  it("creates the file with the section, and deletes it again", () => {
    const { installed } = expectRoundTrip(install, uninstall, {})
    expect(installed).toEqual({ [FILE]: section })
    expect(section).toContain("ssg eval")
  })

  it("appends to the user's instructions and cuts the section out again, byte for byte", () => {
    for (const original of ["# Reports\n\nUse the quarterly template.\n", "# Reports", "Notes\r\n", "\n\n"]) {
      const { installed } = expectRoundTrip(install, uninstall, { [FILE]: original })
      expect(installed[FILE]!.startsWith(original)).toBe(true)
      expect(installed[FILE]!.endsWith(section)).toBe(true)
    }
  })

  it("updates the section in place and keeps text the user added around it", () => {
    const old = applyPlan(adapter.install(DIR, { command: "npx ssg" }), { [FILE]: "# Top\n" })
    const edited = { ...old, [FILE]: `${old[FILE]!}\n## Later notes\n` }
    const updated = applyPlan(install, edited)
    expect(updated[FILE]).toBe(`# Top\n\n${section}\n## Later notes\n`)
    expect(applyPlan(uninstall, updated)).toEqual({ [FILE]: "# Top\n\n\n## Later notes\n" })
  })

  it("saves the original when cutting the section would not give it back", () => {
    const { installed } = expectRoundTrip(install, uninstall, { [FILE]: "# Reports" })
    expect(installed[BACKUP]).toBe("# Reports")
  })

  it("checks its health", () => {
    expect(healthOf(adapter.healthCheck(DIR), applyPlan(install, {}))).toEqual({ ok: true, problems: [] })
    expect(healthOf(adapter.healthCheck(DIR), { [FILE]: "# mine\n" }).problems).toEqual([`${FILE} does not hold ssg's hook`])
  })
})
