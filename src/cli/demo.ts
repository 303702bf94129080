import { Command } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Console, Effect, Layer } from "effect"
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ADAPTERS } from "../adapters/HookClient.js"
import * as AuditLog from "../pipeline/AuditLog.js"
import { verifyLog } from "../pipeline/AuditVerify.js"
import { hookDecide, hookPost } from "../pipeline/Hook.js"
import * as Keys from "../pipeline/Keys.js"
import { pathsFrom, SsgPaths } from "../pipeline/Paths.js"
import * as RuleFiles from "../pipeline/RuleFiles.js"
import { demoSession } from "./DemoSession.js"
import { Finding } from "./finding.js"
import { applyPlan, installStarterRules, STARTER_RULES_DIR } from "./init.js"

const MARK: Record<string, string> = { block: "✗", allow: "✓", log: "•", shadow: "~", ask: "?", force: "→" }

const tally = (counts: ReadonlyMap<string, number>): string =>
  [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} ${k}`)
    .join(", ")

const bump = (map: Map<string, number>, key: string): void => {
  map.set(key, (map.get(key) ?? 0) + 1)
}

/** The services `ssg audit verify` needs, for the demo's own temporary SSG_HOME. */
const sandboxLayer = (home: string, cwd: string) =>
  AuditLog.layer.pipe(
    Layer.provideMerge(Keys.layer),
    Layer.provideMerge(Layer.succeed(SsgPaths, pathsFrom({ SSG_HOME: home }, cwd))),
    Layer.provideMerge(NodeContext.layer)
  )

/**
 * `ssg demo`: in a fresh temporary SSG_HOME and project, installs the starter ruleset and the Claude Code and Gemini
 * hooks as `ssg init` does, replays a built-in session of Claude Code, Codex and Gemini CLI tool calls through the
 * hook's code path (each call recorded, each post-tool event too), summarises the decisions, verifies the audit log
 * and prints its signed checkpoint.
 */
export const demoCommand = Command.make("demo", {}, () =>
  Effect.gen(function* () {
    const sandbox = realpathSync(mkdtempSync(join(tmpdir(), "ssg-demo-")))
    try {
      const home = join(sandbox, "ssg-home")
      const project = join(sandbox, "project")
      mkdirSync(join(project, ".sigmashake"), { recursive: true })
      const rules = yield* Effect.flatMap(RuleFiles.RuleFiles, (f) => f.loadValid({ dirs: [STARTER_RULES_DIR] }))
      yield* Console.log(`ssg demo — a fresh SSG_HOME and project in ${sandbox}`)
      installStarterRules(join(project, ".sigmashake", "rules"))
      for (const name of ["claude-code", "gemini"] as const) applyPlan(ADAPTERS[name].install(project, { rules: rules.rules }), project, home)
      yield* Console.log(`init: ${rules.rules.length} starter rules in .sigmashake/rules; hooks for claude-code and gemini installed`)
      const env: NodeJS.ProcessEnv = { ...process.env, SSG_HOME: home }
      delete env["SSG_CLIENT"]
      const steps = demoSession(project)
      const byClient = new Map<string, Map<string, number>>()
      const byRule = new Map<string, number>()
      let calls = 0
      let posts = 0
      const samples: Array<string> = []
      for (const step of steps) {
        const adapter = ADAPTERS[step.client]
        const parsed = adapter.parseValue(step.payload)
        if (step.phase === "post") {
          const answer = hookPost(adapter, parsed, env, project)
          if (answer.exitCode !== 0) return yield* new Finding({ message: `demo: post-tool event failed: ${answer.stderr.trim()}` })
          posts++
          continue
        }
        calls++
        const verdict = hookDecide(adapter, parsed, env, project)
        const counts = byClient.get(step.client) ?? new Map<string, number>()
        bump(counts, verdict.decision)
        byClient.set(step.client, counts)
        if (verdict.ruleId !== null) bump(byRule, `${MARK[verdict.decision] ?? ""} ${verdict.decision.padEnd(6)} ${verdict.ruleId}`)
        if (verdict.decision !== "allow" && samples.length < 12) {
          const input = step.payload["tool_input"] as Record<string, unknown>
          const what = String(input["command"] ?? input["file_path"] ?? input["absolute_path"] ?? input["url"] ?? input["prompt"] ?? "")
          samples.push(`  ${step.client.padEnd(11)} ${String(step.payload["tool_name"]).padEnd(18)} ${what.replace(/\s+/g, " ").slice(0, 44).padEnd(44)} ${MARK[verdict.decision]} ${verdict.decision} (${verdict.ruleId})`)
        }
      }
      yield* Console.log(`replayed ${calls} tool calls and ${posts} post-tool events through \`ssg hook eval\` / \`ssg hook post\``)
      yield* Console.log("")
      yield* Console.log("decisions by client")
      for (const [client, counts] of byClient) yield* Console.log(`  ${client.padEnd(11)} ${tally(counts)}`)
      yield* Console.log("")
      yield* Console.log("decisions by rule")
      for (const [rule, n] of [...byRule.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
        yield* Console.log(`  ${String(n).padStart(3)}  ${rule}`)
      }
      yield* Console.log("")
      yield* Console.log("some of the calls that were not simply allowed")
      for (const line of samples) yield* Console.log(line)
      const report = yield* verifyLog({ incremental: false }).pipe(Effect.provide(sandboxLayer(home, project)))
      yield* Console.log("")
      yield* Console.log(`ssg audit verify: ${report.length} entries, ${report.checkpointsVerified} signed checkpoints checked`)
      yield* Console.log(report.valid ? "Chain integrity: VALID ✓" : `Chain integrity: BROKEN at entry #${report.firstBroken} (${report.reason})`)
      yield* Console.log("")
      yield* Console.log("signed checkpoint (checkpoints/latest):")
      yield* Console.log(readFileSync(join(home, "checkpoints", "latest"), "utf8").trimEnd())
      if (!report.valid) return yield* new Finding({ message: "demo: the audit log does not verify", silent: true })
    } finally {
      rmSync(sandbox, { recursive: true, force: true })
    }
  })
).pipe(Command.withDescription("Replay a built-in agent session through the hook in a temporary SSG_HOME and verify the log"))
