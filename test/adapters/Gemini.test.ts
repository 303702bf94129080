import { readdirSync, readFileSync } from "node:fs"
import { parse as parseToml } from "smol-toml"
import { describe, expect, it } from "vitest"
import { GEMINI_TOOLS, geminiAdapter as adapter } from "../../src/adapters/Gemini.js"
import { geminiPolicyToml } from "../../src/adapters/GeminiPolicy.js"
import { parseRulesFile } from "../../src/domain/rules/Parser.js"
import type { Rule } from "../../src/domain/rules/Rule.js"
import type { Capability } from "../../src/domain/ToolCall.js"
import { applyPlan, expectRoundTrip, failure, fixture, healthOf, parsed, RESULTS } from "./support.js"

const DIR = "/home/dev"
const SETTINGS = "/home/dev/.gemini/settings.json"
const POLICY = "/home/dev/.gemini/policies/ssg-governance.toml"

const rulesOf = (text: string): ReadonlyArray<Rule> => {
  const file = parseRulesFile(text, "test.rules")
  expect(file.diagnostics).toEqual([])
  return file.rules
}

const RULES = rulesOf(`rule block-sudo {
  severity error
  DENY execution
  IF command STARTS_WITH "sudo "
  MESSAGE "No root."
}

rule force-cat {
  severity info
  FORCE execution
  SUBSTITUTE "Use read_file."
  IF command STARTS_WITH "cat "
  OR command REGEX "^\\\\s*cat\\\\s"
  MESSAGE "cat seen"
}

rule ask-deploy {
  severity warning
  ASK any
  IF command CONTAINS "deploy --prod"
  MESSAGE "Deploys need a person."
}

rule allow-status {
  severity info
  ALLOW execution
  IF command EQUALS "git status"
  MESSAGE "harmless"
}

rule log-fetches {
  severity info
  LOG network
  IF tool NOT EQUALS ""
  MESSAGE "fetch recorded"
}

rule block-memory {
  DENY write
  IF tool EQUALS "save_memory"
  MESSAGE "No memory writes."
}

rule shadow-everything {
  SHADOW any
  IF tool NOT EQUALS ""
}

rule off {
  enabled false
  DENY any
  IF tool EQUALS "read_file"
}

rule block-env {
  DENY read
  IF path GLOB "**/.env"
  MESSAGE "No .env."
}
`)

/** Gemini CLI's own matching of a `commandRegex` (see its policy utils): `"command":"<regex>` searched in the args' JSON. */
const geminiMatches = (commandRegex: string, command: string): boolean =>
  new RegExp(`"command":"${commandRegex}`).test(JSON.stringify({ command }))

describe("gemini parseInput", () => {
  it("reads a BeforeTool payload", () => {
    expect(parsed(adapter.parseInput(fixture("gemini", "before-shell")))).toEqual({
      client: "gemini",
      event: "pre",
      hookEvent: "BeforeTool",
      tool: "run_shell_command",
      input: { command: "rm -rf dist", description: "clean the build output" },
      session: "gem-5e1",
      cwd: "/home/dev/site",
      toolUseId: null,
      transcriptPath: "/home/dev/.gemini/tmp/chats/session-5e1.json"
    })
  })

  it("reads an MCP call", () => {
    expect(parsed(adapter.parseInput(fixture("gemini", "before-mcp")))).toMatchObject({
      tool: "mcp__filesystem__write_file",
      input: { path: "/home/dev/site/notes.md", content: "draft" }
    })
  })

  it("reads AfterTool payloads: the response, and its error as the failure", () => {
    const ok = parsed(adapter.parseInput(fixture("gemini", "after-read")))
    expect(ok).toMatchObject({ event: "post", hookEvent: "AfterTool", response: { llmContent: "# Site", returnDisplay: "Read README.md" } })
    expect(ok.error).toBeUndefined()
    expect(parsed(adapter.parseInput(fixture("gemini", "after-error"))).error).toBe("getaddrinfo ENOTFOUND example.invalid")
    expect(parsed(adapter.parseInput('{"hook_event_name":"AfterTool","tool_name":"x","tool_response":{"error":"boom"}}')).error).toBe("boom")
  })

  it("fails on malformed payloads and other events", () => {
    expect(failure(adapter.parseInput('{"hook_event_name":"BeforeTool","tool_input":{}}'))).toEqual({
      kind: "malformed",
      error: 'field "tool_name" must be a non-empty string'
    })
    expect(failure(adapter.parseInput('{"hook_event_name":"BeforeTool","tool_name":"read_file","tool_input":"x"}'))).toEqual({
      kind: "malformed",
      error: 'field "tool_input" must be a JSON object'
    })
    expect(failure(adapter.parseInput("tool_name=read_file")).kind).toBe("malformed")
    expect(failure(adapter.parseInput('{"hook_event_name":"BeforeModel","llm_request":{}}'))).toEqual({
      kind: "unsupported-event",
      error: 'field "hook_event_name": ssg does not handle the event "BeforeModel"'
    })
  })
})

describe("gemini formatOutput", () => {
  it("denies block and force with decision and reason, on stderr too, exit 2", () => {
    expect(adapter.formatOutput(RESULTS.block)).toEqual({
      stdout: '{"decision":"deny","reason":"Deleting the root directory is blocked."}\n',
      stderr: "Deleting the root directory is blocked.\n",
      exitCode: 2
    })
    expect(adapter.formatOutput(RESULTS.force)).toEqual({
      stdout: `{"decision":"deny","reason":"Use the Read tool with the file's path."}\n`,
      stderr: "Use the Read tool with the file's path.\n",
      exitCode: 2
    })
  })

  it("denies ask, which a Gemini hook cannot express", () => {
    const out = adapter.formatOutput(RESULTS.ask)
    expect(out.exitCode).toBe(2)
    expect(JSON.parse(out.stdout)).toEqual({
      decision: "deny",
      reason: "Needs a person's approval (ssg rule ask-publish), which this client's hook cannot ask for: Publish version 2.0.0 of shop?"
    })
  })

  it("prints nothing for allow, log, shadow and for AfterTool", () => {
    for (const result of [RESULTS.allow, RESULTS.allowRule, RESULTS.log, RESULTS.shadow]) {
      expect(adapter.formatOutput(result)).toEqual({ stdout: "", stderr: "", exitCode: 0 })
    }
    expect(adapter.formatOutput(RESULTS.block, parsed(adapter.parseInput(fixture("gemini", "after-read"))))).toEqual({
      stdout: "",
      stderr: "",
      exitCode: 0
    })
  })
})

describe("gemini toolCapability", () => {
  it("maps Gemini CLI's tools and both MCP spellings", () => {
    const expected: Record<string, Capability> = {
      run_shell_command: "execute",
      read_file: "read",
      read_many_files: "read",
      write_file: "write",
      edit_file: "write",
      replace: "write",
      search_files: "search",
      list_files: "search",
      glob: "search",
      search_file_content: "search",
      list_directory: "search",
      web_fetch: "network",
      google_web_search: "network",
      write_todos: "unknown",
      mcp__filesystem__write_file: "write",
      mcp_filesystem_read_text_file: "read",
      mcp_shell_get_status: "unknown",
      mcp_github_create_issue: "write"
    }
    expect(Object.fromEntries(Object.keys(expected).map((t) => [t, adapter.toolCapability(t)]))).toEqual(expected)
  })
})

describe("geminiPolicyToml", () => {
  const toml = geminiPolicyToml(RULES, GEMINI_TOOLS)
  const policy = parseToml(toml) as { rule: Array<Record<string, unknown>> }

  it("is valid TOML with one table per condition group Gemini can state", () => {
    expect(policy.rule).toEqual([
      { toolName: "run_shell_command", commandRegex: "sudo ", decision: "deny", priority: 100, denyMessage: "No root." },
      { toolName: "run_shell_command", commandRegex: "cat ", decision: "deny", priority: 10, denyMessage: "Use read_file." },
      { toolName: "run_shell_command", commandRegex: ".*deploy \\-\\-prod", decision: "ask_user", priority: 50 },
      { toolName: "run_shell_command", commandRegex: 'git status"', decision: "allow", priority: 10 },
      { toolName: ["web_fetch", "google_web_search"], decision: "allow", priority: 10 },
      { toolName: "save_memory", decision: "deny", priority: 50, denyMessage: "No memory writes." }
    ])
  })

  it("names what only the hook applies, and leaves out SHADOW and disabled rules", () => {
    expect(toml).toContain("# Applied by the ssg hook only (conditions this policy language cannot state exactly):\n#   force-cat (condition group 2)\n#   block-env\n")
    expect(toml).not.toContain("shadow-everything")
    expect(toml).not.toMatch(/\boff\b/)
    expect(toml.startsWith("# ssg-governance: generated by ssg")).toBe(true)
  })

  it("writes command conditions that match in Gemini exactly the commands ssg matches", () => {
    const [sudo, , deploy, status] = policy.rule.map((r) => String(r["commandRegex"]))
    expect(geminiMatches(sudo!, "sudo rm -rf /")).toBe(true)
    expect(geminiMatches(sudo!, "echo sudo ")).toBe(false)
    expect(geminiMatches(sudo!, "sudoedit x")).toBe(false)
    expect(geminiMatches(deploy!, "make build && ./ci deploy --prod now")).toBe(true)
    expect(geminiMatches(deploy!, "./ci deploy --production")).toBe(true)
    expect(geminiMatches(deploy!, "./ci deploy -prod")).toBe(false)
    expect(geminiMatches(status!, "git status")).toBe(true)
    expect(geminiMatches(status!, "git status --short")).toBe(false)
  })

  it("escapes quotes, backslashes and regex characters in literals", () => {
    const [rule] = rulesOf(`rule odd {
  severity error
  DENY execution
  IF command STARTS_WITH "echo \\"a\\\\b\\" (x|y)."
  MESSAGE "say \\"no\\" \\\\ \ttab"
}
`)
    const generated = parseToml(geminiPolicyToml([rule!], GEMINI_TOOLS)) as { rule: Array<Record<string, unknown>> }
    const regex = String(generated.rule[0]!["commandRegex"])
    expect(geminiMatches(regex, 'echo "a\\b" (x|y). && more')).toBe(true)
    expect(geminiMatches(regex, 'echo "a\\b" (x|y)x')).toBe(false)
    expect(geminiMatches(regex, 'echo "ab" (x|y).')).toBe(false)
    expect(generated.rule[0]!["denyMessage"]).toBe('say "no" \\ \ttab')
  })

  it("is deterministic and handles the starter ruleset", () => {
    const dir = new URL("../../rules/", import.meta.url)
    const starter = readdirSync(dir)
      .filter((f) => f.endsWith(".rules"))
      .sort()
      .flatMap((f) => parseRulesFile(readFileSync(new URL(f, dir), "utf8"), f).rules)
    const text = geminiPolicyToml(starter, GEMINI_TOOLS)
    expect(geminiPolicyToml(starter, GEMINI_TOOLS)).toBe(text)
    expect(() => parseToml(text)).not.toThrow()
  })
})

describe("gemini install", () => {
  const options = { rules: RULES }
  const install = adapter.install(DIR, options)
  const uninstall = adapter.uninstall(DIR, options)

  it("registers the hooks and writes the policy, and removes both", () => {
    const { installed } = expectRoundTrip(install, uninstall, {})
    expect(JSON.parse(installed[SETTINGS]!)).toEqual({
      hooks: {
        BeforeTool: [
          { matcher: ".*", hooks: [{ type: "command", command: "ssg hook eval", name: "ssg-governance", timeout: 30000 }] }
        ],
        AfterTool: [
          { matcher: ".*", hooks: [{ type: "command", command: "ssg hook post", name: "ssg-governance-post", timeout: 30000 }] }
        ]
      }
    })
    expect(installed[POLICY]).toBe(geminiPolicyToml(RULES, GEMINI_TOOLS))
  })

  it("keeps existing settings and restores a policy file that was there before", () => {
    const settings = '{\n  "theme": "GitHub",\n  "hooksConfig": {\n    "enabled": true\n  }\n}\n'
    const foreign = '[[rule]]\ntoolName = "glob"\ndecision = "allow"\npriority = 1\n'
    const { installed } = expectRoundTrip(install, uninstall, { [SETTINGS]: settings, [POLICY]: foreign })
    expect(JSON.parse(installed[SETTINGS]!).theme).toBe("GitHub")
    expect(installed["/home/dev/.ssg/backup/.gemini/policies/ssg-governance.toml"]).toBe(foreign)
  })

  it("regenerates the policy when the rules change, and reports it stale until then", () => {
    const installed = applyPlan(install, {})
    const fewer = { rules: RULES.slice(0, 1) }
    expect(healthOf(adapter.healthCheck(DIR, options), installed)).toEqual({ ok: true, problems: [] })
    expect(healthOf(adapter.healthCheck(DIR, fewer), installed).problems).toEqual([`${POLICY} is out of date; install again to update it`])
    expect(healthOf(adapter.healthCheck(DIR), installed)).toEqual({ ok: true, problems: [] })
    const updated = applyPlan(adapter.install(DIR, fewer), installed)
    expect(updated[POLICY]).toBe(geminiPolicyToml(RULES.slice(0, 1), GEMINI_TOOLS))
    expect(applyPlan(adapter.uninstall(DIR, fewer), updated)).toEqual({})
  })
})
