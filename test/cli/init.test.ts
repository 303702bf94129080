import { spawnSync } from "node:child_process"
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { parse as parseToml } from "smol-toml"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { BIN, ROOT, useCliSandbox } from "../support/cli.js"

const sb = useCliSandbox("ssg-init")

/** The home directory the child sees (`HOME`): `--global` writes here and detection looks here too. */
let userHome = ""
beforeEach(() => {
  userHome = realpathSync(mkdtempSync(join(tmpdir(), "ssg-init-user-")))
})
afterEach(() => rmSync(userHome, { recursive: true, force: true }))

const CLIENT_VARIABLES = [
  "SSG_CLIENT",
  "CLAUDE_CODE_VERSION",
  "CLAUDE_CODE_ENTRYPOINT",
  "CLAUDECODE",
  "CURSOR_SESSION_ID",
  "NEMOCLAW_AGENT",
  "NEMOCLAW_SANDBOX_NAME",
  "CLAUDE_COWORK_VERSION",
  "ANTIGRAVITY_AGENT",
  "SSG_SHELL_WRAPPER",
  "SSG_REAL_BASH",
  "SSG_SESSION_ID"
]

/** The child's environment: the sandbox's `SSG_HOME`, `HOME = userHome`, no client variables unless `extra` sets them. */
const childEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: userHome, SSG_HOME: sb.home, SSG_DEBUG: "", PWD: sb.cwd }
  for (const name of CLIENT_VARIABLES) delete env[name]
  return { ...env, ...extra }
}

/** Runs the built `ssg ARGS…` in the project directory with the controlled environment. */
const ssg = (args: ReadonlyArray<string>, extra: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: sb.cwd, env: childEnv(extra), encoding: "utf8" })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const put = (root: string, rel: string, text: string | Buffer): string => {
  const path = join(root, rel)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
  return path
}
const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, "utf8").replace(/^\uFEFF/, ""))

interface Node {
  readonly mode: number
  /** File bytes as latin1 (one character per byte), absent for a directory. */
  readonly bytes?: string
  readonly mtimeNs?: bigint
}

/** Every directory and file under `root` with its mode and exact bytes (and modification time when asked). */
const snapshot = (root: string, mtimes = false): Record<string, Node> => {
  const out: Record<string, Node> = {}
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel === "" ? name : `${rel}/${name}`
      const st = statSync(join(root, r), { bigint: true })
      const mode = Number(st.mode & 0o7777n)
      if (st.isDirectory()) {
        out[`${r}/`] = { mode }
        walk(r)
      } else {
        out[r] = {
          mode,
          bytes: readFileSync(join(root, r)).toString("latin1"),
          ...(mtimes ? { mtimeNs: st.mtimeNs } : {})
        }
      }
    }
  }
  walk("")
  return out
}

/** A snapshot without the entries under `prefix`. */
const without = (snap: Record<string, Node>, prefix: string): Record<string, Node> =>
  Object.fromEntries(Object.entries(snap).filter(([p]) => !p.startsWith(prefix)))

const STARTER = readdirSync(join(ROOT, "rules"))
  .filter((n) => n.endsWith(".rules"))
  .sort()

const expectStarterRules = (): void => {
  const dir = join(sb.cwd, ".sigmashake", "rules")
  expect(readdirSync(dir).sort()).toEqual(STARTER)
  for (const name of STARTER) expect(readFileSync(join(dir, name)).equals(readFileSync(join(ROOT, "rules", name)))).toBe(true)
}

/** ssg's Claude Code hooks, exactly as ClaudeCode.ts registers them. */
const claudeHooks = (command = "ssg") => {
  const post = { type: "command", command: `${command} hook post`, async: true, timeout: 30 }
  return {
    PreToolUse: { matcher: "*", hooks: [{ type: "command", command: `${command} hook eval`, timeout: 30 }] },
    PostToolUse: { matcher: "*", hooks: [post] },
    PostToolUseFailure: { matcher: "*", hooks: [post] }
  }
}

const OTHER_HOOK = { matcher: "Bash", hooks: [{ type: "command", command: "./scripts/audit-bash.sh" }] }

/** Pre-existing Claude Code settings in layouts a rewrite cannot reproduce and in ones it can. */
const SETTINGS_LAYOUTS: ReadonlyArray<readonly [string, string]> = [
  [
    "CRLF, 4-space indent and inline arrays",
    '{\r\n    "permissions": {\r\n        "allow": ["Bash(npm test)", "Read(./src/**)"],\r\n        "deny": ["Read(./.env)"]\r\n    },\r\n    "env": { "NODE_ENV": "test" },\r\n    "model": "opus",\r\n    "hooks": {\r\n        "PreToolUse": [\r\n            {"matcher": "Bash", "hooks": [{"type": "command", "command": "./scripts/audit-bash.sh"}]}\r\n        ]\r\n    }\r\n}\r\n'
  ],
  [
    "4-space indent, no final newline",
    JSON.stringify(
      {
        permissions: { allow: ["Bash(npm test)", "Read(./src/**)"], deny: ["Read(./.env)"] },
        env: { NODE_ENV: "test" },
        model: "opus",
        hooks: { PreToolUse: [OTHER_HOOK] }
      },
      null,
      4
    )
  ],
  [
    "byte-order mark, tab indent, empty hooks object",
    '\uFEFF{\n\t"permissions": {\n\t\t"allow": ["Bash(npm test)", "Read(./src/**)"],\n\t\t"deny": ["Read(./.env)"]\n\t},\n\t"env": {"NODE_ENV": "test"},\n\t"model": "opus",\n\t"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./scripts/audit-bash.sh"}]}], "Stop": []}\n}\n'
  ]
]

describe("ssg init / uninstall --client claude-code", () => {
  it.each(SETTINGS_LAYOUTS)(
    "keeps every existing setting (%s), is idempotent, and uninstall restores the file byte for byte",
    (_layout, original) => {
      const settings = put(sb.cwd, ".claude/settings.json", original)
      const before = snapshot(sb.cwd)

      const first = ssg(["init", "--client", "claude-code"])
      expect(first.stderr).toBe("")
      expect(first.code).toBe(0)
      expect(first.stdout).toContain(`.sigmashake/rules: added ${STARTER.length} starter rule file(s)`)
      expect(first.stdout).toMatch(/^claude-code: installed \(\.claude\/settings\.json/m)
      expectStarterRules()

      const value = readJson(settings)
      const { hooks, ...rest } = value
      expect(rest).toEqual({
        permissions: { allow: ["Bash(npm test)", "Read(./src/**)"], deny: ["Read(./.env)"] },
        env: { NODE_ENV: "test" },
        model: "opus"
      })
      const ours = claudeHooks()
      expect(hooks).toMatchObject({
        PreToolUse: [OTHER_HOOK, ours.PreToolUse],
        PostToolUse: [ours.PostToolUse],
        PostToolUseFailure: [ours.PostToolUseFailure]
      })
      const text = readFileSync(settings, "utf8")
      expect(text.startsWith("\uFEFF")).toBe(original.startsWith("\uFEFF"))
      expect(text.includes("\r\n")).toBe(original.includes("\r\n"))

      const installed = snapshot(sb.cwd, true)
      const again = ssg(["init", "--client", "claude-code"])
      expect(again.code).toBe(0)
      expect(again.stdout).toContain(".sigmashake/rules: already holds the starter rule files")
      expect(again.stdout).toMatch(/^claude-code: already installed$/m)
      expect(snapshot(sb.cwd, true)).toEqual(installed)

      const removed = ssg(["uninstall", "--client", "claude-code"])
      expect(removed.code).toBe(0)
      expect(removed.stdout).toMatch(/^claude-code: removed \(/)
      expect(readFileSync(settings).equals(Buffer.from(original))).toBe(true)
      // The starter rules stay: once copied they are the user's rules to edit and keep, not part of the client's
      // configuration that init changed, so uninstall must not delete them (nor the user's changes to them).
      const after = snapshot(sb.cwd)
      expect(without(after, ".sigmashake/")).toEqual(before)
      expectStarterRules()

      const twice = ssg(["uninstall", "--client", "claude-code"])
      expect(twice).toMatchObject({ code: 0, stdout: "claude-code: nothing to remove\n" })
      expect(snapshot(sb.cwd)).toEqual(after)
    }
  )

  it("keeps the file's mode and, after the user edits the settings, keeps their edit when removing ssg's hooks", () => {
    const original = '{\r\n    "env": {"A": "1"},\r\n    "hooks": {"PreToolUse": []}\r\n}\r\n'
    const settings = put(sb.cwd, ".claude/settings.json", original)
    chmodSync(settings, 0o600)
    expect(ssg(["init", "--client", "claude-code"]).code).toBe(0)
    expect(statSync(settings).mode & 0o777).toBe(0o600)
    expect(readdirSync(join(sb.cwd, ".ssg", "backup", ".claude"))).toEqual(["settings.json"])

    const edited = readJson(settings)
    writeFileSync(settings, JSON.stringify({ ...edited, model: "sonnet" }, null, 2))
    expect(ssg(["uninstall", "--client", "claude-code"]).code).toBe(0)
    expect(readJson(settings)).toEqual({ env: { A: "1" }, model: "sonnet" })
    expect(statSync(settings).mode & 0o777).toBe(0o600)
    expect(snapshot(sb.cwd)[".ssg/"]).toBeUndefined()
  })

  it("creates .claude/settings.json in a project without .claude, and uninstall deletes it and the folder", () => {
    const r = ssg(["init", "--client", "claude-code"])
    expect(r.code).toBe(0)
    const ours = claudeHooks()
    expect(readJson(join(sb.cwd, ".claude", "settings.json"))).toEqual({
      hooks: { PreToolUse: [ours.PreToolUse], PostToolUse: [ours.PostToolUse], PostToolUseFailure: [ours.PostToolUseFailure] }
    })
    expect(readFileSync(join(sb.cwd, ".claude", "settings.json"), "utf8")).toMatch(/^\{\n {2}"hooks": \{\n[^]*\}\n$/)
    expect(Object.keys(snapshot(sb.cwd)).filter((p) => !p.startsWith(".sigmashake/"))).toEqual([".claude/", ".claude/settings.json"])

    expect(ssg(["uninstall", "--client", "claude-code"]).code).toBe(0)
    expect(Object.keys(snapshot(sb.cwd))).toEqual([".sigmashake/", ".sigmashake/rules/", ...STARTER.map((n) => `.sigmashake/rules/${n}`)])
  })

  it("keeps a rule file of a starter file's name that the project already has", () => {
    const mine = "# my own git rules\n"
    put(sb.cwd, ".sigmashake/rules/git.rules", mine)
    const r = ssg(["init", "--client", "claude-code"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`.sigmashake/rules: added ${STARTER.length - 1} starter rule file(s), kept 1 existing`)
    expect(readFileSync(join(sb.cwd, ".sigmashake", "rules", "git.rules"), "utf8")).toBe(mine)
  })

  it("registers the command given with --command, and uninstall --command finds it again", () => {
    const command = `${process.execPath} ${BIN}`
    expect(ssg(["init", "--client", "claude-code", "--command", command]).code).toBe(0)
    const ours = claudeHooks(command)
    expect(readJson(join(sb.cwd, ".claude", "settings.json"))).toEqual({
      hooks: { PreToolUse: [ours.PreToolUse], PostToolUse: [ours.PostToolUse], PostToolUseFailure: [ours.PostToolUseFailure] }
    })
    expect(ssg(["init", "--list", "--command", command]).stdout).toMatch(/^claude-code\s+detected\s+installed$/m)
    expect(ssg(["uninstall", "--client", "claude-code", "--command", command]).code).toBe(0)
    expect(snapshot(sb.cwd)[".claude/"]).toBeUndefined()
  })
})

describe("ssg init --global", () => {
  it("writes $HOME/.claude/settings.json instead of the project's, and uninstall --global restores it", () => {
    const original = '{\n    "permissions": {"defaultMode": "acceptEdits"},\n    "statusLine": {"type": "command", "command": "~/bin/status"}\n}'
    const settings = put(userHome, ".claude/settings.json", original)
    put(userHome, "notes.txt", "unrelated")
    const homeBefore = snapshot(userHome)

    const r = ssg(["init", "--global", "--client", "claude-code"])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`claude-code: installed (${settings}`)
    const ours = claudeHooks()
    expect(readJson(settings)).toEqual({
      permissions: { defaultMode: "acceptEdits" },
      statusLine: { type: "command", command: "~/bin/status" },
      hooks: { PreToolUse: [ours.PreToolUse], PostToolUse: [ours.PostToolUse], PostToolUseFailure: [ours.PostToolUseFailure] }
    })
    const project = snapshot(sb.cwd)
    expect(project[".claude/"]).toBeUndefined()
    expect(project[".ssg/"]).toBeUndefined()
    expect(ssg(["init", "--list", "--global"]).stdout).toMatch(/^claude-code\s+detected\s+installed$/m)

    const installed = snapshot(userHome, true)
    expect(ssg(["init", "--global", "--client", "claude-code"]).stdout).toMatch(/^claude-code: already installed$/m)
    expect(snapshot(userHome, true)).toEqual(installed)

    const u = ssg(["uninstall", "--global"])
    expect(u.code).toBe(0)
    expect(u.stdout).toMatch(/^claude-code: removed \(/)
    expect(readFileSync(settings).equals(Buffer.from(original))).toBe(true)
    expect(snapshot(userHome)).toEqual(homeBefore)
  })

  it("creates and then removes $HOME/.claude when the home directory had none", () => {
    expect(ssg(["init", "--global", "--client", "claude-code"]).code).toBe(0)
    expect(Object.keys(snapshot(userHome))).toEqual([".claude/", ".claude/settings.json"])
    expect(ssg(["uninstall", "--global", "--client", "claude-code"]).code).toBe(0)
    expect(snapshot(userHome)).toEqual({})
  })
})

const CUSTOM_RULES = `rule no-sudo {
  severity error
  DENY execution
  IF command STARTS_WITH "sudo "
  MESSAGE "No root here."
}

rule cat-means-read {
  severity info
  FORCE execution
  SUBSTITUTE "Use read_file instead."
  IF command STARTS_WITH "cat "
  MESSAGE "cat seen"
}

rule deploys-need-a-person {
  severity warning
  ASK any
  IF command CONTAINS "deploy --prod"
  MESSAGE "Deploys need a person."
  PROMPT "Deploy to production?"
}

rule status-is-fine {
  severity info
  ALLOW execution
  IF command EQUALS "git status"
  MESSAGE "harmless"
}

rule record-memory {
  severity warning
  LOG write
  IF tool EQUALS "save_memory"
  MESSAGE "memory written"
}

rule watch-everything {
  SHADOW any
  IF tool NOT EQUALS ""
}
`

/** The `[[rule]]` table generated for one rule, found by the comment naming it. */
const policyTable = (toml: string, id: string): Record<string, unknown> => {
  const block = new RegExp(`^# ${id}\\n(\\[\\[rule\\]\\]\\n(?:[^\\n]+\\n)+)`, "m").exec(toml)
  expect(block, `no table for ${id}`).not.toBeNull()
  return (parseToml(block![1]!) as { rule: Array<Record<string, unknown>> }).rule[0]!
}

describe("ssg init --client gemini", () => {
  const policyPath = () => join(sb.cwd, ".gemini", "policies", "ssg-governance.toml")

  it("registers the hooks and generates the policy from the rules with the documented decision and priority mapping", () => {
    put(sb.cwd, ".sigmashake/rules/custom.rules", CUSTOM_RULES)
    const original = '{\r\n  "theme": "GitHub",\r\n  "hooks": {\r\n    "BeforeTool": [{"matcher": "write_file", "hooks": [{"type": "command", "command": "lint.sh"}]}]\r\n  }\r\n}\r\n'
    const settings = put(sb.cwd, ".gemini/settings.json", original)
    const before = snapshot(sb.cwd)

    const r = ssg(["init", "--client", "gemini"])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^gemini: installed \(/m)
    expect(readJson(settings)).toEqual({
      theme: "GitHub",
      hooks: {
        BeforeTool: [
          { matcher: "write_file", hooks: [{ type: "command", command: "lint.sh" }] },
          { matcher: ".*", hooks: [{ type: "command", command: "ssg hook eval", name: "ssg-governance", timeout: 30000 }] }
        ],
        AfterTool: [
          { matcher: ".*", hooks: [{ type: "command", command: "ssg hook post", name: "ssg-governance-post", timeout: 30000 }] }
        ]
      }
    })

    const toml = readFileSync(policyPath(), "utf8")
    expect(toml.startsWith("# ssg-governance: generated by ssg")).toBe(true)
    expect(() => parseToml(toml)).not.toThrow()
    expect(policyTable(toml, "no-sudo")).toEqual({
      toolName: "run_shell_command",
      commandRegex: "sudo ",
      decision: "deny",
      priority: 100,
      denyMessage: "No root here."
    })
    expect(policyTable(toml, "cat-means-read")).toEqual({
      toolName: "run_shell_command",
      commandRegex: "cat ",
      decision: "deny",
      priority: 10,
      denyMessage: "Use read_file instead."
    })
    expect(policyTable(toml, "deploys-need-a-person")).toEqual({
      toolName: "run_shell_command",
      commandRegex: ".*deploy \\-\\-prod",
      decision: "ask_user",
      priority: 50
    })
    expect(policyTable(toml, "status-is-fine")).toEqual({
      toolName: "run_shell_command",
      commandRegex: 'git status"',
      decision: "allow",
      priority: 10
    })
    expect(policyTable(toml, "record-memory")).toEqual({ toolName: "save_memory", decision: "allow", priority: 50 })
    expect(policyTable(toml, "log-subagent-launches")).toEqual({ toolName: "delegate_to_agent", decision: "allow", priority: 10 })
    expect(toml).not.toContain("watch-everything")
    expect(toml).toMatch(/^# Applied by the ssg hook only[^\n]*\n(#   \S.*\n)*#   block-force-push\n/m)

    const installed = snapshot(sb.cwd, true)
    expect(ssg(["init", "--client", "gemini"]).stdout).toMatch(/^gemini: already installed$/m)
    expect(snapshot(sb.cwd, true)).toEqual(installed)

    writeFileSync(join(sb.cwd, ".sigmashake", "rules", "custom.rules"), CUSTOM_RULES.replace("severity error", "severity warning"))
    const regenerated = ssg(["init", "--client", "gemini"])
    expect(regenerated.stdout).toMatch(/^gemini: installed \(\.gemini\/policies\/ssg-governance\.toml\)$/m)
    expect(policyTable(readFileSync(policyPath(), "utf8"), "no-sudo")["priority"]).toBe(50)
    expect(snapshot(sb.cwd, true)[".gemini/settings.json"]).toEqual(installed[".gemini/settings.json"])

    expect(ssg(["uninstall", "--client", "gemini"]).code).toBe(0)
    expect(readFileSync(settings).equals(Buffer.from(original))).toBe(true)
    expect(without(snapshot(sb.cwd), ".sigmashake/")).toEqual(without(before, ".sigmashake/"))
    expect(snapshot(sb.cwd)[".gemini/policies/"]).toBeUndefined()
  })

  it("puts back a policy file of the same name that was there before", () => {
    const theirs = '[[rule]]\ntoolName = "glob"\ndecision = "allow"\npriority = 1\n'
    put(sb.cwd, ".gemini/policies/ssg-governance.toml", theirs)
    expect(ssg(["init", "--client", "gemini"]).code).toBe(0)
    expect(readFileSync(policyPath(), "utf8").startsWith("# ssg-governance: generated by ssg")).toBe(true)
    expect(ssg(["uninstall", "--client", "gemini"]).code).toBe(0)
    expect(readFileSync(policyPath(), "utf8")).toBe(theirs)
    expect(snapshot(sb.cwd)[".ssg/"]).toBeUndefined()
    expect(snapshot(sb.cwd)[".gemini/settings.json"]).toBeUndefined()
  })
})

describe("ssg init --client cursor", () => {
  const ours = [
    ["preToolUse", { command: "ssg hook eval", failClosed: true }],
    ["postToolUse", { command: "ssg hook post" }],
    ["postToolUseFailure", { command: "ssg hook post" }]
  ] as const

  it("adds ssg's entries to an existing hooks file next to the user's, and removes exactly them", () => {
    const original = '{"version":1,"hooks":{"beforeShellExecution":[{"command":"./audit.sh"}],"preToolUse":[{"command":"./mine.sh"}]}}'
    const hooksFile = put(sb.cwd, ".cursor/hooks.json", original)
    const before = snapshot(sb.cwd)
    const r = ssg(["init", "--client", "cursor"])
    expect(r.code).toBe(0)
    expect(readJson(hooksFile)).toEqual({
      version: 1,
      hooks: {
        beforeShellExecution: [{ command: "./audit.sh" }],
        preToolUse: [{ command: "./mine.sh" }, ours[0][1]],
        postToolUse: [ours[1][1]],
        postToolUseFailure: [ours[2][1]]
      }
    })
    expect(readFileSync(hooksFile, "utf8")).not.toContain("\n")
    const installed = snapshot(sb.cwd, true)
    expect(ssg(["init", "--client", "cursor"]).stdout).toMatch(/^cursor: already installed$/m)
    expect(snapshot(sb.cwd, true)).toEqual(installed)
    expect(ssg(["uninstall", "--client", "cursor"]).code).toBe(0)
    expect(without(snapshot(sb.cwd), ".sigmashake/")).toEqual(before)
  })

  it("creates .cursor/hooks.json with version 1 and deletes it on uninstall", () => {
    expect(ssg(["init", "--client", "cursor"]).code).toBe(0)
    expect(readJson(join(sb.cwd, ".cursor", "hooks.json"))).toEqual({
      version: 1,
      hooks: Object.fromEntries(ours.map(([event, handler]) => [event, [handler]]))
    })
    expect(ssg(["uninstall", "--client", "cursor"]).code).toBe(0)
    expect(snapshot(sb.cwd)[".cursor/"]).toBeUndefined()
  })
})

describe("the .ssg/bin/bash shell wrapper (codex)", () => {
  const command = () => `${process.execPath} ${BIN}`
  const wrapper = () => join(sb.cwd, ".ssg", "bin", "bash")
  const runWrapper = (script: string, extra: Record<string, string> = {}) => {
    const r = spawnSync(wrapper(), ["-c", script], { cwd: sb.cwd, env: childEnv(extra), encoding: "utf8" })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }
  const decisions = () => {
    const log = ssg(["audit", "log", "--json"])
    expect(log.code).toBe(0)
    return (JSON.parse(log.stdout) as Array<{ type: string; data: Record<string, unknown>; source: Record<string, unknown> }>)
      .filter((e) => e.type === "v1.EvalDecided")
      .map((e) => [e.source["client"], e.data["decision"], e.data["rule_id"]])
  }

  it("is installed executable, refuses a blocked command, runs an allowed one, and is removed by uninstall", () => {
    const canary = put(userHome, "canary.txt", "still here")
    const r = ssg(["init", "--client", "codex", "--command", command()])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^codex: installed \(\.ssg\/bin\/bash\)$/m)
    expect(statSync(wrapper()).mode & 0o111).toBe(0o111)
    expect(readFileSync(wrapper(), "utf8")).toMatch(/^#!\/bin\/sh\n# ssg shell wrapper/)

    const blocked = runWrapper("rm -rf ~/")
    expect(blocked.code).toBe(126)
    expect(blocked.stdout).toBe("")
    expect(blocked.stderr).toMatch(/^ssg refused to run this command: Recursive delete of the filesystem root/)
    expect(readFileSync(canary, "utf8")).toBe("still here")

    const allowed = runWrapper("echo hi")
    expect(allowed).toEqual({ code: 0, stdout: "hi\n", stderr: "" })
    expect(decisions()).toEqual([
      ["codex", "block", "block-rm-rf-critical-paths"],
      ["codex", "allow", null]
    ])

    const installed = snapshot(sb.cwd, true)
    expect(ssg(["init", "--client", "codex", "--command", command()]).stdout).toMatch(/^codex: already installed$/m)
    expect(snapshot(sb.cwd, true)).toEqual(installed)

    expect(ssg(["uninstall", "--client", "codex"]).code).toBe(0)
    expect(Object.keys(snapshot(sb.cwd)).filter((p) => !p.startsWith(".sigmashake/"))).toEqual([])
  })

  it("stays with the configured command when one of the clients sharing it is uninstalled", () => {
    expect(ssg(["init", "--client", "codex", "--command", command()]).code).toBe(0)
    expect(ssg(["init", "--client", "antigravity", "--command", command()]).code).toBe(0)
    expect(readFileSync(wrapper(), "utf8")).toMatch(/^# ssg-clients: antigravity codex$/m)
    expect(ssg(["uninstall", "--client", "codex"]).stdout).toBe("codex: removed (.ssg/bin/bash)\n")
    expect(readFileSync(wrapper(), "utf8")).toMatch(/^# ssg-clients: antigravity$/m)
    expect(readFileSync(wrapper(), "utf8")).toContain(`\nssg_command='${command()}'\n`)
    expect(statSync(wrapper()).mode & 0o111).toBe(0o111)
    const blocked = runWrapper("rm -rf ~/")
    expect(blocked.code).toBe(126)
    expect(blocked.stderr).toMatch(/^ssg refused to run this command: Recursive delete/)
    expect(runWrapper("echo hi")).toEqual({ code: 0, stdout: "hi\n", stderr: "" })
    expect(decisions().map(([client]) => client)).toEqual(["antigravity", "antigravity"])
    expect(ssg(["uninstall", "--client", "antigravity"]).code).toBe(0)
    expect(snapshot(sb.cwd)[".ssg/"]).toBeUndefined()
  })
})

describe("ssg init --client all, then ssg uninstall", () => {
  it("installs every client into a project that already configures several, and uninstall restores all of it byte for byte", () => {
    put(sb.cwd, ".claude/settings.json", '{\r\n\t"permissions": {"deny": ["Read(./.env)"]},\r\n\t"hooks": {"PreToolUse": []}\r\n}')
    put(sb.cwd, ".gemini/settings.json", '{\n  "theme": "GitHub",\n  "hooks": {\n    "BeforeTool": [\n      {\n        "matcher": "write_file",\n        "hooks": [\n          {\n            "type": "command",\n            "command": "lint.sh"\n          }\n        ]\n      }\n    ]\n  }\n}\n')
    put(sb.cwd, ".gemini/policies/team.toml", '[[rule]]\ntoolName = "glob"\ndecision = "allow"\npriority = 1\n')
    put(sb.cwd, ".cursor/hooks.json", '\uFEFF{"version": 1, "hooks": {}}\n')
    put(sb.cwd, ".codex/hooks.json", '{ "hooks" : { "PreToolUse" : [ ] } }')
    put(sb.cwd, ".codex/config.toml", 'model = "o3"\n')
    put(sb.cwd, "CLAUDE_COWORK.md", "# Team notes\r\n\r\nBe nice.")
    put(sb.cwd, "src/app.ts", "export {}\n")
    const before = snapshot(sb.cwd)

    const r = ssg(["init", "--client", "all", "--command", `${process.execPath} ${BIN}`])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const names = ["claude-code", "codex", "codex-desktop", "gemini", "cursor", "antigravity", "nemoclaw", "claude-cowork"]
    for (const name of names) expect(r.stdout).toMatch(new RegExp(`^${name}: installed \\(`, "m"))
    expect(r.stdout).not.toMatch(/^generic:/m)
    const list = ssg(["init", "--list", "--command", `${process.execPath} ${BIN}`]).stdout
    for (const name of names) expect(list).toMatch(new RegExp(`^${name}\\s+(not )?detected\\s+installed$`, "m"))
    expect(readFileSync(join(sb.cwd, ".ssg", "bin", "bash"), "utf8")).toMatch(/^# ssg-clients: antigravity codex nemoclaw$/m)
    expect(readFileSync(join(sb.cwd, "CLAUDE_COWORK.md"), "utf8")).toContain("<!-- SSG_GOVERNANCE_START -->")
    expect(readJson(join(sb.cwd, ".codex", "hooks.json"))["hooks"]).toHaveProperty("PreToolUse")

    const installed = snapshot(sb.cwd, true)
    const again = ssg(["init", "--client", "all", "--command", `${process.execPath} ${BIN}`])
    expect(again.code).toBe(0)
    for (const name of names) expect(again.stdout).toMatch(new RegExp(`^${name}: already installed$`, "m"))
    expect(snapshot(sb.cwd, true)).toEqual(installed)

    const u = ssg(["uninstall", "--command", `${process.execPath} ${BIN}`])
    expect(u.stderr).toBe("")
    expect(u.code).toBe(0)
    for (const name of names) expect(u.stdout).toMatch(new RegExp(`^${name}: removed \\(`, "m"))
    expect(without(snapshot(sb.cwd), ".sigmashake/")).toEqual(before)

    const nothing = ssg(["uninstall"])
    expect(nothing).toMatchObject({ code: 0, stdout: "", stderr: "" })
  })
})

describe("client detection", () => {
  it("sets up Gemini in a project that has a .gemini folder, and nothing else", () => {
    mkdirSync(join(sb.cwd, ".gemini"))
    const r = ssg(["init"])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^gemini: installed \(\.gemini\/settings\.json, \.gemini\/policies\/ssg-governance\.toml\)$/m)
    expect(Object.keys(snapshot(sb.cwd)).filter((p) => !p.startsWith(".sigmashake/"))).toEqual([
      ".gemini/",
      ".gemini/policies/",
      ".gemini/policies/ssg-governance.toml",
      ".gemini/settings.json"
    ])
    expect(ssg(["uninstall"]).code).toBe(0)
    expect(Object.keys(snapshot(sb.cwd)).filter((p) => !p.startsWith(".sigmashake/"))).toEqual([".gemini/"])
  })

  it("detects a client by its environment variable or by its folder in the home directory", () => {
    const byEnv = ssg(["init"], { CURSOR_SESSION_ID: "s-1" })
    expect(byEnv.stdout).toMatch(/^cursor: installed \(\.cursor\/hooks\.json\)$/m)
    expect(byEnv.stdout).not.toMatch(/^claude-code:/m)

    mkdirSync(join(userHome, ".claude"))
    const byHome = ssg(["init"])
    expect(byHome.stdout).toMatch(/^claude-code: installed \(\.claude\/settings\.json\)$/m)
    expect(readdirSync(join(userHome, ".claude"))).toEqual([])
  })

  it("says so when no client is detected, exits 0 and still creates the rules", () => {
    const r = ssg(["init"])
    expect(r).toMatchObject({ code: 0, stderr: "" })
    expect(r.stdout).toBe(
      `.sigmashake/rules: added ${STARTER.length} starter rule file(s)\nno client detected here; name one with --client (e.g. --client claude-code) or use --client all\n`
    )
    expectStarterRules()
    expect(Object.keys(snapshot(sb.cwd))).toEqual([".sigmashake/", ".sigmashake/rules/", ...STARTER.map((n) => `.sigmashake/rules/${n}`)])
  })

  it.each([["init"], ["uninstall"]])("ssg %s --client nope exits 2 with one line naming the valid clients, writing nothing", (verb) => {
    const r = ssg([verb, "--client", "nope"])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr).toBe(
      'ssg: unknown client "nope" (expected one of claude-code, codex, codex-desktop, gemini, cursor, antigravity, nemoclaw, claude-cowork, generic, or all)\n'
    )
    expect(snapshot(sb.cwd)).toEqual({})
  })
})

describe("ssg init --list", () => {
  const LINE = /^(\S+) +(detected|not detected) +(installed|not installed)$/
  const listed = () => {
    const r = ssg(["init", "--list"])
    expect(r).toMatchObject({ code: 0, stderr: "" })
    const lines = r.stdout.trimEnd().split("\n")
    expect(lines.every((l) => LINE.test(l))).toBe(true)
    return Object.fromEntries(lines.map((l) => LINE.exec(l)!.slice(1, 4)).map(([n, d, i]) => [n, `${d}, ${i}`]))
  }

  it("prints one line per client whose status follows detection, init and uninstall, and writes nothing", () => {
    const clients = ["claude-code", "codex", "codex-desktop", "gemini", "cursor", "antigravity", "nemoclaw", "claude-cowork", "generic"]
    const initial = listed()
    expect(Object.keys(initial)).toEqual(clients)
    for (const name of clients.slice(0, -1)) expect(initial[name]).toBe("not detected, not installed")
    expect(snapshot(sb.cwd)).toEqual({})

    mkdirSync(join(sb.cwd, ".claude"))
    expect(listed()["claude-code"]).toBe("detected, not installed")
    expect(ssg(["init"]).code).toBe(0)
    const after = listed()
    expect(after["claude-code"]).toBe("detected, installed")
    expect(after["gemini"]).toBe("not detected, not installed")

    expect(ssg(["init", "--client", "gemini"]).code).toBe(0)
    expect(listed()["gemini"]).toBe("detected, installed")

    expect(ssg(["uninstall", "--client", "claude-code"]).code).toBe(0)
    expect(listed()["claude-code"]).toBe("detected, not installed")
    expect(readdirSync(join(sb.cwd, ".claude"))).toEqual([])
  })
})

describe("ssg init with a configuration file that is not valid JSON", () => {
  it("fails with exit 2 and one line naming the file, and writes nothing", () => {
    const broken = put(sb.cwd, ".claude/settings.json", '{"permissions": {"allow": [}, }')
    const before = snapshot(sb.cwd, true)
    const r = ssg(["init", "--client", "claude-code"])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr).toMatch(new RegExp(`^ssg: ${broken.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: not valid JSON \\([^\\n]*\\); fix or remove it first\\n$`))
    expect(snapshot(sb.cwd, true)).toEqual(before)

    const detected = ssg(["init"])
    expect(detected.code).toBe(2)
    expect(detected.stderr.split("\n")).toHaveLength(2)
    expect(snapshot(sb.cwd, true)).toEqual(before)
  })

  it("writes nothing for any client when one of several files is broken", () => {
    put(sb.cwd, ".claude/settings.json", '{"env": {"A": "1"}}\n')
    const broken = put(sb.cwd, ".cursor/hooks.json", "version: 1\n")
    const before = snapshot(sb.cwd, true)
    const r = ssg(["init", "--client", "all"])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`ssg: ${broken}: not valid JSON`)
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(snapshot(sb.cwd, true)).toEqual(before)
  })
})
