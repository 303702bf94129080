import { describe, expect, it } from "vitest"
import { nemoclawAdapter as adapter } from "../../src/adapters/NemoClaw.js"
import type { Capability } from "../../src/domain/ToolCall.js"
import { expectRoundTrip, fixture, parsed, RESULTS } from "./support.js"

describe("nemoclaw adapter", () => {
  it("is detected by NEMOCLAW_AGENT or NEMOCLAW_SANDBOX_NAME", () => {
    expect(adapter.detect({ NEMOCLAW_AGENT: "openclaw" })).toBe(true)
    expect(adapter.detect({ NEMOCLAW_SANDBOX_NAME: "alpha" })).toBe(true)
    expect(adapter.detect({ NEMOCLAW_AGENT: "" })).toBe(false)
    expect(adapter.detect({})).toBe(false)
  })

  it("reads {tool, input} calls named by NemoClaw verbs", () => {
    expect(parsed(adapter.parseInput(fixture("nemoclaw", "verb-call")))).toEqual({
      client: "nemoclaw",
      event: "pre",
      hookEvent: "PreToolUse",
      tool: "fs_write",
      input: { path: "/sandbox/work/out.txt", content: "done" },
      session: "sandbox-alpha",
      cwd: null,
      toolUseId: null
    })
  })

  it("maps NemoClaw's verbs", () => {
    const expected: Record<string, Capability> = {
      process_exec: "execute",
      shell_exec: "execute",
      bash: "execute",
      shell: "execute",
      fs_read: "read",
      file_read: "read",
      fs_write: "write",
      file_write: "write",
      fs_edit: "write",
      net_egress: "network",
      network_request: "network",
      inference: "network",
      sandbox_spawn: "agent"
    }
    expect(Object.fromEntries(Object.keys(expected).map((t) => [t, adapter.toolCapability(t)]))).toEqual(expected)
  })

  it("answers like the generic adapter: force carries the SUBSTITUTE as reason and the MESSAGE as message", () => {
    expect(adapter.formatOutput(RESULTS.force)).toEqual({
      stdout:
        '{"decision":"force","rule_id":"use-read-tool","reason":"Use the Read tool with the file\'s path.","message":"cat is slower than the Read tool."}\n',
      stderr: "Use the Read tool with the file's path.\n",
      exitCode: 2
    })
  })

  it("installs and removes the host-side shell wrapper", () => {
    expectRoundTrip(adapter.install("/srv"), adapter.uninstall("/srv"), { "/srv/README": "keep" })
  })
})
