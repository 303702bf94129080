import { describe, expect, it } from "vitest"
import { antigravityAdapter as adapter } from "../../src/adapters/Antigravity.js"
import type { Capability } from "../../src/domain/ToolCall.js"
import { expectRoundTrip, failure, fixture, parsed, RESULTS } from "./support.js"

describe("antigravity adapter", () => {
  it("is detected by ANTIGRAVITY_AGENT=1 only", () => {
    expect(adapter.detect({ ANTIGRAVITY_AGENT: "1" })).toBe(true)
    expect(adapter.detect({ ANTIGRAVITY_AGENT: "0" })).toBe(false)
    expect(adapter.detect({ SSG_CLIENT: "antigravity" })).toBe(true)
    expect(adapter.detect({})).toBe(false)
  })

  it("reads the shell wrapper's Bash calls", () => {
    expect(parsed(adapter.parseInput(fixture("antigravity", "wrapper-bash")))).toEqual({
      client: "antigravity",
      event: "pre",
      hookEvent: "PreToolUse",
      tool: "Bash",
      input: { command: "python3 manage.py migrate" },
      session: "ppid-4242",
      cwd: "/home/dev/django-app",
      toolUseId: null
    })
    expect(failure(adapter.parseInput('{"tool_input":{"command":"ls"}}')).error).toBe('field "tool_name" must be a non-empty string')
  })

  it("answers with the decision JSON and refuses block, force and ask with exit 2", () => {
    expect(adapter.formatOutput(RESULTS.block)).toEqual({
      stdout: '{"decision":"block","rule_id":"no-rm-rf","reason":"Deleting the root directory is blocked."}\n',
      stderr: "Deleting the root directory is blocked.\n",
      exitCode: 2
    })
    expect(adapter.formatOutput(RESULTS.ask).exitCode).toBe(2)
    expect(adapter.formatOutput(RESULTS.force).exitCode).toBe(2)
    expect(adapter.formatOutput(RESULTS.shadow)).toEqual({
      stdout: '{"decision":"shadow","rule_id":"shadow-push","reason":"push seen"}\n',
      stderr: "",
      exitCode: 0
    })
  })

  it("maps Antigravity's tools", () => {
    const expected: Record<string, Capability> = {
      run_command: "execute",
      send_command_input: "execute",
      Bash: "execute",
      view_file: "read",
      write_to_file: "write",
      replace_file_content: "write",
      multi_replace_file_content: "write",
      list_dir: "search",
      grep_search: "search",
      read_url_content: "network",
      search_web: "network",
      browser_subagent: "agent"
    }
    expect(Object.fromEntries(Object.keys(expected).map((t) => [t, adapter.toolCapability(t)]))).toEqual(expected)
  })

  it("installs and removes the shell wrapper", () => {
    const { installed } = expectRoundTrip(adapter.install("/p"), adapter.uninstall("/p"), {})
    expect(Object.keys(installed)).toEqual(["/p/.ssg/bin/bash"])
    expect(adapter.install("/p").notes.join("\n")).toContain("only shell commands are checked")
  })
})
