import { spawnSync } from "node:child_process"
import { chmodSync } from "node:fs"
import { BIN, type CliResult, type CliSandbox } from "../support/cli.js"

/** True when the tests run as root, where permission bits do not stop reads or writes. */
export const RUNNING_AS_ROOT = process.getuid?.() === 0

/** Runs the built CLI so that file permission bits apply: as `nobody` (uid 65534) when the tests run as root. */
export const ssgUnprivileged = (sb: CliSandbox, ...args: Array<string>): CliResult => {
  if (RUNNING_AS_ROOT) {
    chmodSync(sb.cwd, 0o755)
    chmodSync(sb.home, 0o755)
  }
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: sb.cwd,
    env: { ...process.env, SSG_HOME: sb.home, SSG_DEBUG: "" },
    input: "",
    encoding: "utf8",
    ...(RUNNING_AS_ROOT ? { uid: 65534, gid: 65534 } : {})
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
