import { describe, expect, it } from "vitest"
import { GENERIC_KEYWORDS, genericCapability } from "../../src/adapters/Generic.js"
import type { Capability } from "../../src/domain/ToolCall.js"

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
