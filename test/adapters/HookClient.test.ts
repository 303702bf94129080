import { readdirSync, readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { CLIENT_NAMES, type Env } from "../../src/adapters/Adapter.js"
import { adapterByName, ADAPTERS, hookClient, payloadClient, selectAdapter } from "../../src/adapters/HookClient.js"
import { fixture } from "./support.js"

const claude = JSON.parse(fixture("claude-code", "pre-bash")) as unknown
const codex = JSON.parse(fixture("codex", "pre-bash")) as unknown
const gemini = JSON.parse(fixture("gemini", "before-shell")) as unknown
const cursorShell = JSON.parse(fixture("cursor", "before-shell")) as unknown
const cursorClaudeFormat = JSON.parse(fixture("cursor", "claude-compatible")) as unknown
const generic = JSON.parse(fixture("generic", "tool-call")) as unknown

const pick = (env: Env, payload?: unknown): string => selectAdapter(env, payload).name

describe("ADAPTERS", () => {
  it("holds one adapter per client, under its own name", () => {
    expect(Object.keys(ADAPTERS).sort()).toEqual([...CLIENT_NAMES].sort())
    for (const [name, adapter] of Object.entries(ADAPTERS)) expect(adapter.name).toBe(name)
    expect(adapterByName("cursor")).toBe(ADAPTERS.cursor)
    expect(adapterByName("__proto__")).toBeUndefined()
    expect(adapterByName("toString")).toBeUndefined()
  })
})

describe("selectAdapter", () => {
  it("lets SSG_CLIENT win over the environment and the payload", () => {
    expect(pick({ SSG_CLIENT: "gemini", CLAUDE_CODE_VERSION: "2.1.200" }, claude)).toBe("gemini")
    expect(pick({ SSG_CLIENT: "codex" }, cursorShell)).toBe("codex")
    expect(pick({ SSG_CLIENT: "nonsense", CLAUDE_CODE_VERSION: "2.1.200" }, generic)).toBe("claude-code")
    expect(pick({ SSG_CLIENT: "" }, generic)).toBe("generic")
  })

  it("tells Cursor's payloads from Claude Code's by their fields, even under Claude Code's variables", () => {
    expect(pick({ CLAUDE_CODE_VERSION: "2.1.200" }, cursorClaudeFormat)).toBe("cursor")
    expect(pick({ CLAUDE_CODE_VERSION: "2.1.200" }, cursorShell)).toBe("cursor")
    expect(pick({}, { hook_event_name: "beforeReadFile", file_path: "/a" })).toBe("cursor")
    expect(pick({ CURSOR_SESSION_ID: "s" }, claude)).toBe("cursor")
    expect(pick({ CLAUDE_CODE_VERSION: "2.1.200" }, claude)).toBe("claude-code")
  })

  it("recognises Gemini CLI and Codex payloads without any variable", () => {
    expect(pick({}, gemini)).toBe("gemini")
    expect(pick({}, codex)).toBe("codex-desktop")
    expect(pick({}, claude)).toBe("claude-code")
  })

  it("detects clients by their environment variables, the more specific first", () => {
    expect(pick({ CLAUDE_COWORK_VERSION: "1.0", CLAUDE_CODE_VERSION: "2.1.200" }, claude)).toBe("claude-cowork")
    expect(pick({ NEMOCLAW_AGENT: "openclaw" }, generic)).toBe("nemoclaw")
    expect(pick({ NEMOCLAW_SANDBOX_NAME: "alpha" })).toBe("nemoclaw")
    expect(pick({ ANTIGRAVITY_AGENT: "1" }, generic)).toBe("antigravity")
    expect(pick({ CURSOR_SESSION_ID: "abc" }, generic)).toBe("cursor")
    expect(pick({ CLAUDE_CODE_ENTRYPOINT: "cli" }, generic)).toBe("claude-code")
    expect(pick({ CLAUDECODE: "1" })).toBe("claude-code")
  })

  it("never takes GEMINI_API_KEY for Gemini CLI", () => {
    expect(pick({ GEMINI_API_KEY: "k" }, generic)).toBe("generic")
    expect(pick({ GEMINI_API_KEY: "k" }, claude)).toBe("claude-code")
    expect(pick({ GEMINI_API_KEY: "k" })).toBe("generic")
  })

  it("falls back to generic", () => {
    expect(pick({}, generic)).toBe("generic")
    expect(pick({})).toBe("generic")
    expect(pick({}, "not an object")).toBe("generic")
    expect(pick({}, { hook_event_name: "SessionStart" })).toBe("generic")
  })

  it("reads payload markers only from objects", () => {
    expect(payloadClient(null)).toBeNull()
    expect(payloadClient([{ conversation_id: "x" }])).toBeNull()
    expect(payloadClient({ conversation_id: null, tool: "x" })).toBeNull()
  })
})

describe("hookClient", () => {
  it("decodes the raw payload only when SSG_CLIENT does not decide", () => {
    expect(hookClient({ SSG_CLIENT: "cursor" }, "{ not json").name).toBe("cursor")
    expect(hookClient({}, "{ not json").name).toBe("generic")
    expect(hookClient({}, fixture("gemini", "before-shell")).name).toBe("gemini")
    expect(hookClient({ ANTIGRAVITY_AGENT: "1" }, fixture("antigravity", "wrapper-bash")).name).toBe("antigravity")
  })
})

describe("every adapter", () => {
  const hostile = [
    "",
    " ",
    "{",
    "0",
    "true",
    '"x"',
    "[]",
    "{}",
    '{"__proto__":{"tool_name":"Bash"}}',
    '{"tool_name":"Bash","tool_input":{"__proto__":{"x":1}}}',
    '{"hook_event_name":"PreToolUse","tool_name":{"a":1}}',
    '{"hook_event_name":null,"tool_name":"Bash","cwd":["/"]}',
    `{"tool_name":"Bash","tool_input":${"[".repeat(2000)}${"]".repeat(2000)}}`,
    '{"hook_event_name":"afterMCPExecution","tool_name":"q","tool_input":"{\\"a\\":"}',
    '{"hook_event_name":"AfterTool","tool_name":"x","tool_response":{"error":{"code":1}}}'
  ]

  it("parses hostile payloads into results, never throwing", () => {
    for (const adapter of Object.values(ADAPTERS)) {
      for (const raw of hostile) {
        const result = adapter.parseInput(raw)
        expect(typeof result.ok, `${adapter.name} ${raw.slice(0, 40)}`).toBe("boolean")
        if (!result.ok) expect(result.error, `${adapter.name} ${raw.slice(0, 40)}`).not.toContain("\n")
      }
    }
  })

  it("answers every decision with only JSON (or nothing) on stdout and a blocking exit code for refusals", () => {
    const decisions = ["block", "force", "ask", "allow", "log", "shadow"] as const
    for (const adapter of Object.values(ADAPTERS)) {
      for (const decision of decisions) {
        const out = adapter.formatOutput({ decision, ruleId: "r", reason: "why", substitute: "instead", prompt: "ok?" })
        if (out.stdout !== "") {
          expect(out.stdout.endsWith("\n")).toBe(true)
          expect(() => JSON.parse(out.stdout) as unknown).not.toThrow()
        }
        expect([0, 2]).toContain(out.exitCode)
        if (decision === "block" || decision === "force") {
          expect(out.exitCode, `${adapter.name} ${decision}`).toBe(2)
          expect(out.stderr, `${adapter.name} ${decision}`).toBe(decision === "force" ? "instead\n" : "why\n")
        }
        if (decision === "allow" || decision === "log" || decision === "shadow") {
          expect(out.exitCode, `${adapter.name} ${decision}`).toBe(0)
          expect(out.stderr).toBe("")
        }
      }
    }
  })

  it("imports nothing but node builtins and ssg's own pure modules (the hook path must start fast)", () => {
    const dir = new URL("../../src/adapters/", import.meta.url)
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const source = readFileSync(new URL(file, dir), "utf8")
      const imports = [...source.matchAll(/^(?:import|export)[^"']*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]!)
      for (const target of imports) {
        expect(target, `${file} imports ${target}`).toMatch(/^(node:[a-z_/]+|\.\/[A-Za-z]+\.js|\.\.\/domain\/(ToolCall|rules\/Rule)\.js)$/)
      }
    }
  })
})
