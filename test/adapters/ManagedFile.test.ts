import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { describe, expect, it } from "vitest"
import type { ConfigPlan } from "../../src/adapters/Adapter.js"
import { claudeCodeAdapter } from "../../src/adapters/ClaudeCode.js"
import { codexAdapter } from "../../src/adapters/Codex.js"
import { geminiAdapter } from "../../src/adapters/Gemini.js"
import { detectStyle, jsonEqual, serializeJson } from "../../src/adapters/JsonHooks.js"
import { applyPlan, expectRoundTrip, writesOf } from "./support.js"

const DIR = "/p"
const SETTINGS = "/p/.claude/settings.json"
const BACKUP = "/p/.ssg/backup/.claude/settings.json"
const install = claudeCodeAdapter.install(DIR)
const uninstall = claudeCodeAdapter.uninstall(DIR)

/** Performs a plan on disk the way `ssg init` / `ssg uninstall` would. */
const runOnDisk = (plan: ConfigPlan): void => {
  const current = Object.fromEntries(plan.files.map((f) => [f, existsSync(f) ? readFileSync(f, "utf8") : null]))
  const result = plan.apply(current)
  if (!result.ok) throw new Error(result.error)
  for (const [path, write] of Object.entries(result.writes)) {
    if (write === "delete") {
      unlinkSync(path)
      continue
    }
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, write.contents)
    if (write.executable) chmodSync(path, 0o755)
  }
}

describe("JSON layout", () => {
  it("detects indentation, line endings, the final newline and a byte-order mark", () => {
    expect(detectStyle('{\n    "a": 1\n}\n')).toEqual({ indent: "    ", eol: "\n", finalEol: true, bom: false })
    expect(detectStyle('{\r\n\t"a": 1\r\n}')).toEqual({ indent: "\t", eol: "\r\n", finalEol: false, bom: false })
    expect(detectStyle('\uFEFF{"a":1}')).toEqual({ indent: "", eol: "\n", finalEol: false, bom: true })
    expect(detectStyle("")).toEqual({ indent: "  ", eol: "\n", finalEol: true, bom: false })
  })

  it("serializes back to the same bytes when the text was already in its own style", () => {
    for (const text of ['{\n    "a": [\n        1\n    ]\n}\n', '{\r\n\t"a": 1\r\n}', '\uFEFF{"a":{"b":[]}}']) {
      expect(serializeJson(JSON.parse(text.replace(/^\uFEFF/, "")), detectStyle(text))).toBe(text)
    }
  })

  it("compares JSON values structurally, ignoring key order", () => {
    expect(jsonEqual({ a: [1, { b: 2, c: 3 }] }, { a: [1, { c: 3, b: 2 }] })).toBe(true)
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false)
    expect(jsonEqual({ a: undefined }, { b: undefined })).toBe(false)
    expect(jsonEqual(null, {})).toBe(false)
  })
})

describe("managed files", () => {
  it("restores settings holding empty hooks exactly", () => {
    for (const original of ['{"hooks": {}}', '{\n  "hooks": {\n    "PreToolUse": []\n  }\n}\n']) {
      expectRoundTrip(install, uninstall, { [SETTINGS]: original })
    }
  })

  it("keeps the first backup when ssg's entries were removed by hand and installed again", () => {
    const original = '{ "model" : "opus" }'
    const first = applyPlan(install, { [SETTINGS]: original })
    expect(first[BACKUP]).toBe(original)
    const byHand = { ...first, [SETTINGS]: '{\n  "model": "opus"\n}\n' }
    const again = applyPlan(install, byHand)
    expect(again[BACKUP]).toBe(original)
    expect(applyPlan(uninstall, again)).toEqual({ [SETTINGS]: original })
  })

  it("drops a stale backup when the file is gone, and leaves the file absent", () => {
    const first = applyPlan(install, { [SETTINGS]: "{}" })
    const { [SETTINGS]: _gone, ...rest } = first
    expect(writesOf(uninstall, rest)).toEqual({ [BACKUP]: "delete" })
  })

  it("fails as a whole: a file it cannot edit means no write at all", () => {
    const settings = `${DIR}/.gemini/settings.json`
    const policy = `${DIR}/.gemini/policies/ssg-governance.toml`
    expect(geminiAdapter.install(DIR).apply({ [settings]: "{oops", [policy]: null })).toEqual({
      ok: false,
      error: `${settings}: not valid JSON (${jsonError("{oops")}); fix or remove it first`
    })
    expect(install.apply({ [SETTINGS]: '{"hooks":{"PostToolUse":"x"}}' })).toEqual({
      ok: false,
      error: `${SETTINGS}: field "hooks.PostToolUse" must be a list`
    })
  })

  it("works on a real directory: existing settings restored byte for byte, the wrapper made executable", () => {
    const dir = mkdtempSync(join(tmpdir(), "ssg-managed-"))
    try {
      const settings = join(dir, ".claude", "settings.json")
      mkdirSync(dirname(settings))
      const original = '{\n\t"permissions": { "allow": ["Read"] },\n\t"model": "opus"\n}'
      writeFileSync(settings, original)
      runOnDisk(claudeCodeAdapter.install(dir))
      runOnDisk(codexAdapter.install(dir))
      expect(JSON.parse(readFileSync(settings, "utf8")).hooks.PreToolUse[0].hooks[0].command).toBe("ssg hook eval")
      expect(statSync(join(dir, ".ssg", "bin", "bash")).mode & 0o111).toBe(0o111)
      runOnDisk(claudeCodeAdapter.install(dir))
      runOnDisk(claudeCodeAdapter.uninstall(dir))
      runOnDisk(codexAdapter.uninstall(dir))
      expect(readFileSync(settings, "utf8")).toBe(original)
      expect(existsSync(join(dir, ".ssg", "bin", "bash"))).toBe(false)
      expect(existsSync(join(dir, ".ssg", "backup", ".claude", "settings.json"))).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

const jsonError = (text: string): string => {
  try {
    JSON.parse(text)
    return ""
  } catch (e) {
    return (e as Error).message
  }
}
