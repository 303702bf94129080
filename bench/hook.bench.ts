import { spawnSync } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/** Cold start-up of `ssg hook eval` against a bare node start, measured in the same run. */
export interface HookFigures {
  readonly runs: number
  readonly nodeP50: number
  readonly hookP50: number
  readonly hookP90: number
  readonly ratio: number
}

const root = fileURLToPath(new URL("..", import.meta.url))

const median = (xs: ReadonlyArray<number>, p = 0.5): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!
}

const timeRun = (args: ReadonlyArray<string>, input: string, env: NodeJS.ProcessEnv, cwd: string): number => {
  const start = performance.now()
  const run = spawnSync(process.execPath, args, { input, env, cwd, encoding: "utf8" })
  const ms = performance.now() - start
  if (run.error !== undefined) throw run.error
  return ms
}

/**
 * Runs `ssg hook eval` (the built bin/ssg.js) `runs` times on a Claude Code Bash payload in a project holding the
 * starter ruleset, each run a fresh process appending to the audit log, interleaved with bare `node -e 0` runs.
 */
export const runHookBenchmarks = (runs = 40): HookFigures => {
  const dir = mkdtempSync(join(tmpdir(), "ssg-bench-hook-"))
  try {
    const home = join(dir, "home")
    const project = join(dir, "project")
    mkdirSync(join(project, ".sigmashake"), { recursive: true })
    cpSync(join(root, "rules"), join(project, ".sigmashake", "rules"), { recursive: true })
    const env = { ...process.env, SSG_HOME: home, SSG_CLIENT: "claude-code" }
    const payload = (i: number) =>
      JSON.stringify({
        session_id: "bench",
        transcript_path: join(project, "t.jsonl"),
        cwd: project,
        permission_mode: "default",
        hook_event_name: "PreToolUse",
        tool_name: "Bash",
        tool_input: { command: `npm test -- --shard ${i}` },
        tool_use_id: `toolu_${i}`
      })
    const hook = [join(root, "bin", "ssg.js"), "hook", "eval"]
    timeRun(hook, payload(-1), env, project)
    const node: Array<number> = []
    const hooks: Array<number> = []
    for (let i = 0; i < runs; i++) {
      node.push(timeRun(["-e", "0"], "", env, project))
      hooks.push(timeRun(hook, payload(i), env, project))
    }
    const nodeP50 = median(node)
    const hookP50 = median(hooks)
    return { runs, nodeP50, hookP50, hookP90: median(hooks, 0.9), ratio: hookP50 / nodeP50 }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
