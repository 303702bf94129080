import { describe, expect, it } from "vitest"
import { GENERIC_KEYWORDS, genericAdapter, genericCapability } from "../../src/adapters/Generic.js"
import type { Capability } from "../../src/domain/ToolCall.js"
import { fixture, RESULTS } from "./support.js"

const expectCapabilities = (expected: Record<string, Capability>): void => {
  const actual = Object.fromEntries(Object.keys(expected).map((tool) => [tool, genericCapability(tool)]))
  expect(actual).toEqual(expected)
}

describe("genericCapability", () => {
  it("maps Claude Code's tools", () => {
    expectCapabilities({
      Bash: "execute",
      Read: "read",
      Write: "write",
      Edit: "write",
      MultiEdit: "write",
      NotebookEdit: "write",
      NotebookRead: "read",
      Glob: "search",
      Grep: "search",
      LS: "search",
      WebFetch: "network",
      WebSearch: "network",
      Agent: "agent",
      Task: "agent",
      TodoWrite: "unknown",
      ExitPlanMode: "unknown"
    })
  })

  it("maps Codex's tools", () => {
    expectCapabilities({
      shell: "execute",
      local_shell: "execute",
      exec_command: "execute",
      apply_patch: "write",
      update_plan: "unknown",
      view_image: "read"
    })
  })

  it("maps Gemini CLI's tools", () => {
    expectCapabilities({
      run_shell_command: "execute",
      read_file: "read",
      write_file: "write",
      replace: "write",
      glob: "search",
      search_file_content: "search",
      web_fetch: "network",
      google_web_search: "network",
      list_directory: "search",
      read_many_files: "read",
      save_memory: "write"
    })
  })

  it("maps Cursor's tools", () => {
    expectCapabilities({
      run_terminal_cmd: "execute",
      edit_file: "write",
      read_file: "read",
      list_dir: "search",
      codebase_search: "search",
      grep_search: "search",
      file_search: "search",
      delete_file: "write",
      web_search: "network",
      todo_write: "unknown"
    })
  })

  it("drops an mcp__<server>__ prefix and reads the tool's own words", () => {
    expectCapabilities({
      mcp__filesystem__write_file: "write",
      mcp__filesystem__read_text_file: "read",
      mcp__filesystem__move_file: "write",
      mcp__filesystem__create_directory: "write",
      mcp__filesystem__search_files: "search",
      mcp__my_server__delete_file: "write",
      mcp__github__create_or_update_file: "write",
      mcp__fetch__fetch: "network",
      mcp__shell__get_info: "unknown",
      mcp__x__y: "unknown"
    })
  })

  it("splits snake_case, kebab-case, camelCase, acronyms and spaces; the first keyword word decides", () => {
    expectCapabilities({
      str_replace_based_edit_tool: "write",
      "fetch-url": "network",
      downloadFile: "network",
      HTTPRequest: "network",
      "Run Terminal": "execute",
      rename_then_read: "write"
    })
  })

  it("matches whole words only, never a prefix of a word", () => {
    expectCapabilities({ Catalog: "unknown", Listen: "unknown", Readme: "unknown", Taskmaster: "unknown" })
    expectCapabilities({ run: "unknown", Runner: "unknown" })
    expectCapabilities({ "": "unknown", __: "unknown", mcp__server__: "unknown" })
  })

  it("keeps the lower-case compounds of the earlier keyword map", () => {
    expectCapabilities({
      webfetch: "network",
      websearch: "network",
      googlewebsearch: "network",
      multiedit: "write",
      notebookedit: "write",
      strreplace: "write",
      applypatch: "write",
      runshell: "execute",
      runcommand: "execute",
      subagent: "agent"
    })
  })
})

describe("GENERIC_KEYWORDS", () => {
  it("holds each keyword once, as one lower-case word", () => {
    const words = GENERIC_KEYWORDS.map(([word]) => word)
    expect(new Set(words).size).toBe(words.length)
    for (const word of words) expect(word, word).toMatch(/^[a-z0-9]+$/)
  })
})

describe("genericAdapter", () => {
  it("reads {tool, input} and Claude-format calls", () => {
    const call = genericAdapter.parseInput(fixture("generic", "tool-call"))
    expect(call).toEqual({
      ok: true,
      request: {
        client: "generic",
        event: "pre",
        hookEvent: "PreToolUse",
        tool: "Bash",
        input: { command: "ls -la" },
        session: null,
        cwd: null,
        toolUseId: null
      }
    })
    expect(genericAdapter.parseInput('{"tool":"Bash","input":"ls"}')).toEqual({
      ok: false,
      kind: "malformed",
      error: 'field "input" must be a JSON object'
    })
  })

  it("prints the decision JSON and exits 2 for calls that must not run as asked", () => {
    expect(genericAdapter.formatOutput(RESULTS.allow)).toEqual({
      stdout: '{"decision":"allow","rule_id":null,"reason":null}\n',
      stderr: "",
      exitCode: 0
    })
    expect(genericAdapter.formatOutput(RESULTS.ask)).toEqual({
      stdout: '{"decision":"ask","rule_id":"ask-publish","reason":"Publishing needs a person.","prompt":"Publish version 2.0.0 of shop?"}\n',
      stderr:
        "Needs a person's approval (ssg rule ask-publish), which this client's hook cannot ask for: Publish version 2.0.0 of shop?\n",
      exitCode: 2
    })
    expect(genericAdapter.formatOutput(RESULTS.block).exitCode).toBe(2)
    expect(genericAdapter.formatOutput(RESULTS.log).exitCode).toBe(0)
  })

  it("uses the keyword map, is always detected, and installs nothing", () => {
    expect(genericAdapter.toolCapability("run_terminal_cmd")).toBe("execute")
    expect(genericAdapter.detect({})).toBe(true)
    expect(genericAdapter.install("/p").apply({})).toEqual({ ok: true, writes: {} })
    expect(genericAdapter.healthCheck("/p").check({})).toEqual({ ok: true, problems: [] })
  })
})
