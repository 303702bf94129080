import { spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { antigravityAdapter } from "../../src/adapters/Antigravity.js"
import { codexAdapter } from "../../src/adapters/Codex.js"
import { nemoclawAdapter } from "../../src/adapters/NemoClaw.js"
import { REFUSED_STATUS, wrapperClients, wrapperScript } from "../../src/adapters/ShellWrapper.js"
import { applyPlan, expectRoundTrip, healthOf } from "./support.js"

let root = ""
let fakeBin = ""
let project = ""

const FAKE_SSG = `#!/bin/sh
cat > "$FAKE_DIR/payload.json"
printf '%s|%s|%s' "$SSG_CLIENT" "$SSG_SHELL_WRAPPER" "$*" > "$FAKE_DIR/call.txt"
[ -z "$FAKE_REASON" ] || printf '%s\\n' "$FAKE_REASON" >&2
exit \${FAKE_STATUS:-0}
`

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "ssg-wrapper-"))
  fakeBin = join(root, "fake-bin")
  project = join(root, "project")
  mkdirSync(fakeBin)
  mkdirSync(join(project, ".ssg", "bin"), { recursive: true })
  writeFileSync(join(fakeBin, "ssg"), FAKE_SSG)
  chmodSync(join(fakeBin, "ssg"), 0o755)
})

afterAll(() => rmSync(root, { recursive: true, force: true }))

interface Run {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
  readonly payload: Record<string, unknown> | null
  readonly call: string | null
}

/** Runs the wrapper (for `clients`) as `bash ARGS…` from the project, with the fake ssg first on PATH after the wrapper. */
const runWrapper = (clients: ReadonlyArray<string>, args: ReadonlyArray<string>, env: Record<string, string> = {}): Run => {
  const wrapper = join(project, ".ssg", "bin", "bash")
  writeFileSync(wrapper, wrapperScript("ssg", clients))
  chmodSync(wrapper, 0o755)
  rmSync(join(root, "payload.json"), { force: true })
  rmSync(join(root, "call.txt"), { force: true })
  const result = spawnSync(wrapper, args, {
    cwd: project,
    encoding: "utf8",
    timeout: 20_000,
    env: {
      PATH: `${join(project, ".ssg", "bin")}:${fakeBin}:${process.env["PATH"] ?? "/usr/bin:/bin"}`,
      HOME: root,
      FAKE_DIR: root,
      ...env
    }
  })
  const payloadFile = join(root, "payload.json")
  const callFile = join(root, "call.txt")
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    payload: existsSync(payloadFile) ? (JSON.parse(readFileSync(payloadFile, "utf8")) as Record<string, unknown>) : null,
    call: existsSync(callFile) ? readFileSync(callFile, "utf8") : null
  }
}

describe("shell wrapper script", () => {
  it("sends a bash -c command to `ssg hook eval` and runs it when ssg exits 0", () => {
    const run = runWrapper(["codex"], ["-c", "echo hi from $0", "named"])
    expect(run.stdout).toBe("hi from named\n")
    expect(run.status).toBe(0)
    expect(run.payload).toEqual({
      tool_name: "Bash",
      tool_input: { command: "echo hi from $0" },
      cwd: project,
      session_id: expect.stringMatching(/^ppid-\d+$/)
    })
    expect(run.call).toBe("codex|1|hook eval")
  })

  it("refuses a command ssg blocks, printing the reason, without running it", () => {
    const marker = join(root, "ran")
    const run = runWrapper(["codex"], ["-c", `touch ${marker}`], { FAKE_STATUS: "2", FAKE_REASON: "Blocked by ssg rule no-touch." })
    expect(run.status).toBe(REFUSED_STATUS)
    expect(run.stderr).toBe("ssg refused to run this command: Blocked by ssg rule no-touch.\n")
    expect(run.stdout).toBe("")
    expect(existsSync(marker)).toBe(false)
  })

  it("refuses when ssg fails or cannot be found", () => {
    const failed = runWrapper(["codex"], ["-c", "echo no"], { FAKE_STATUS: "1", FAKE_REASON: "database locked" })
    expect(failed.status).toBe(REFUSED_STATUS)
    expect(failed.stdout).toBe("")
    expect(failed.stderr).toBe("ssg could not check this command (ssg hook eval exited with status 1), so it was not run. database locked\n")
    const wrapper = join(project, ".ssg", "bin", "bash")
    writeFileSync(wrapper, wrapperScript("/nonexistent/ssg", ["codex"]))
    const missing = spawnSync(wrapper, ["-c", "echo no"], { cwd: project, encoding: "utf8", env: { PATH: process.env["PATH"] ?? "" } })
    expect(missing.status).toBe(REFUSED_STATUS)
    expect(missing.stdout).toBe("")
    expect(missing.stderr).toContain("exited with status 127")
  })

  it("finds the command string after option clusters, -o arguments, long options and --", () => {
    const forms: Array<ReadonlyArray<string>> = [
      ["-lc", "echo one"],
      ["-o", "pipefail", "-c", "echo one"],
      ["--norc", "--noprofile", "-e", "-c", "echo one"],
      ["--rcfile", "/dev/null", "-c", "echo one"],
      ["-c", "--", "echo one"],
      ["-xo", "nounset", "-c", "echo one"]
    ]
    for (const args of forms) {
      const run = runWrapper(["codex"], args)
      expect(run.payload?.["tool_input"], args.join(" ")).toEqual({ command: "echo one" })
      expect(run.stdout, args.join(" ")).toBe("one\n")
    }
  })

  it("passes other invocations straight to the real bash", () => {
    const script = join(root, "script.sh")
    writeFileSync(script, 'echo "script $1"\n')
    const run = runWrapper(["codex"], [script, "arg"])
    expect(run.stdout).toBe("script arg\n")
    expect(run.call).toBeNull()
    const nested = runWrapper(["codex"], ["-c", "echo nested"], { SSG_SHELL_WRAPPER: "1" })
    expect(nested.stdout).toBe("nested\n")
    expect(nested.call).toBeNull()
  })

  it("encodes any command text as exact JSON", () => {
    const commands = [
      `printf '%s\\n' "a \\"quoted\\" \\\\ word"`,
      "echo tab\there\r\nline two\n",
      "echo ünïcödé ✓ 日本",
      "echo \u0001\u001f end",
      "",
      "x\\"
    ]
    for (const command of commands) {
      const run = runWrapper(["codex"], ["-c", command], { FAKE_STATUS: "2" })
      expect(run.payload?.["tool_input"], JSON.stringify(command)).toEqual({ command })
    }
    expect(runWrapper(["codex"], ["-c", "true"], { SSG_SESSION_ID: 'abc"1' }).payload?.["session_id"]).toBe('abc"1')
  })

  it("always names one of its own clients to ssg", () => {
    const clients = ["codex", "antigravity"]
    expect(runWrapper(clients, ["-c", "true"]).call).toBe("antigravity|1|hook eval")
    expect(runWrapper(clients, ["-c", "true"], { SSG_CLIENT: "codex" }).call).toBe("codex|1|hook eval")
    expect(runWrapper(clients, ["-c", "true"], { SSG_CLIENT: "claude-code" }).call).toBe("antigravity|1|hook eval")
    expect(runWrapper(["codex", "nemoclaw"], ["-c", "true"], { NEMOCLAW_SANDBOX_NAME: "alpha" }).call).toBe("nemoclaw|1|hook eval")
    expect(runWrapper(["antigravity", "codex"], ["-c", "true"], { ANTIGRAVITY_AGENT: "1", SSG_CLIENT: "" }).call).toBe(
      "antigravity|1|hook eval"
    )
  })
})

describe("shell wrapper install", () => {
  const DIR = "/work/agent"
  const WRAPPER = "/work/agent/.ssg/bin/bash"

  it("is shared by the clients that install it; each uninstall removes only its own share", () => {
    const codexOnly = applyPlan(codexAdapter.install(DIR), {})
    const both = applyPlan(antigravityAdapter.install(DIR), codexOnly)
    expect(wrapperClients(both[WRAPPER]!)).toEqual(["antigravity", "codex"])
    const afterCodex = applyPlan(codexAdapter.uninstall(DIR), both)
    expect(afterCodex[WRAPPER]).toBe(wrapperScript("ssg", ["antigravity"]))
    expect(applyPlan(antigravityAdapter.uninstall(DIR), afterCodex)).toEqual({})
    expect(healthOf(nemoclawAdapter.healthCheck(DIR), both).problems).toEqual([`${WRAPPER} is out of date; install again to update it`])
    expect(healthOf(codexAdapter.healthCheck(DIR), both)).toEqual({ ok: true, problems: [] })
  })

  it("backs up a file of its own name and puts it back on uninstall", () => {
    const theirs = { [WRAPPER]: "#!/bin/sh\nexec /opt/bash \"$@\"\n" }
    const { installed } = expectRoundTrip(nemoclawAdapter.install(DIR), nemoclawAdapter.uninstall(DIR), theirs)
    expect(installed["/work/agent/.ssg/backup/.ssg/bin/bash"]).toBe(theirs[WRAPPER])
    expect(wrapperClients(installed[WRAPPER]!)).toEqual(["nemoclaw"])
  })

  it("embeds the configured ssg command, quoted for the shell", () => {
    expect(wrapperScript("node '/opt/my ssg/bin/ssg.js'", ["codex"])).toContain(
      "ssg_command='node '\\''/opt/my ssg/bin/ssg.js'\\'''\n"
    )
  })
})
