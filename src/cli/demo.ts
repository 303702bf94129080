import { Command } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Console, Effect, Layer } from "effect"
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ADAPTERS } from "../adapters/HookClient.js"
import * as AuditLog from "../pipeline/AuditLog.js"
import { verifyLog } from "../pipeline/AuditVerify.js"
import { hookDecide, hookPost } from "../pipeline/Hook.js"
import * as Keys from "../pipeline/Keys.js"
import { pathsFrom, SsgPaths } from "../pipeline/Paths.js"
import * as RuleFiles from "../pipeline/RuleFiles.js"
import { pricer } from "../domain/Pricing.js"
import { costProjection, costSummary } from "../projections/Cost.js"
import { fold } from "../projections/Projection.js"
import { dayReport, productivityProjection } from "../projections/Productivity.js"
import { currentPack, rcaProjection } from "../projections/Rca.js"
import { packMarkdown, packView, ruleView } from "../projections/RcaView.js"
import { runSinks } from "../sinks/Runner.js"
import { readSinkConfigs } from "../sinks/SinkConfig.js"
import * as SinkState from "../sinks/SinkState.js"
import { startHecServer } from "../../test/support/HecServer.js"
import { kcatAvailable, kcatConsume, startKafkaMock } from "../../test/support/KafkaMock.js"
import { costReportLines } from "./cost.js"
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

const HEC_TOKEN = "00000000-0000-4000-8000-00000000demo"

/** The model the demo's calls are priced as when their payload names none. */
const DEMO_MODEL = "claude-sonnet-4-5"

/** Forwards the demo's log with `ssg sinks run --once` semantics to a local HEC test server, and to a Kafka mock broker when kcat is installed; prints what arrived. */
const forwardDemo = (home: string, project: string) =>
  Effect.gen(function* () {
    const hec = yield* Effect.promise(() => startHecServer({ tokens: { [HEC_TOKEN]: { indexes: ["ssg"] } } }))
    const kafka = kcatAvailable() ? yield* Effect.promise(() => startKafkaMock("ssg-audit")) : null
    yield* Effect.gen(function* () {
      writeFileSync(
        join(project, ".sigmashake", "config.toml"),
        `[[sinks]]\nname = "splunk"\ntype = "splunk_hec"\nurl = "${hec.url}"\ntoken_env = "SSG_DEMO_HEC_TOKEN"\nindex = "ssg"\n` +
          (kafka === null ? "" : `\n[[sinks]]\nname = "kafka"\ntype = "kafka"\nbrokers = ["${kafka.bootstrap}"]\ntopic = "ssg-audit"\n`)
      )
      const configs = readSinkConfigs(home, project)
      const outcomes = yield* runSinks(configs, { once: true, env: { SSG_DEMO_HEC_TOKEN: HEC_TOKEN }, report: () => Effect.void }).pipe(
        Effect.provide(Layer.provideMerge(SinkState.layer, sandboxLayer(home, project)))
      )
      yield* Console.log("")
      yield* Console.log("forwarding (ssg sinks run --once):")
      for (const o of outcomes) yield* Console.log(`  ${o.name}: ${o.state} at #${o.cursor}, ${o.delivered} records delivered`)
      const kinds = hec.events.map((e) => (e.envelope["event"] as { kind: string }).kind)
      yield* Console.log(
        `  HEC test server at ${hec.url} received ${kinds.filter((k) => k === "ssg.entry").length} entries and ${kinds.filter((k) => k === "ssg.checkpoint").length} signed checkpoints in HEC envelopes (index ssg, sourcetype ${String(hec.events[0]?.envelope["sourcetype"] ?? "?")})`
      )
      if (kafka !== null) {
        const values = kcatConsume(kafka.bootstrap, "ssg-audit")
        yield* Console.log(`  Kafka mock broker (kcat) at ${kafka.bootstrap}, topic ssg-audit: kcat consumed ${values.length} records`)
      } else {
        yield* Console.log("  (kcat is not installed: the Kafka part of the demo is skipped)")
      }
    }).pipe(
      Effect.ensuring(
        Effect.promise(async () => {
          await hec.close()
          await kafka?.stop()
        })
      )
    )
  })

/**
 * `ssg demo`: in a fresh temporary SSG_HOME and project, installs the starter ruleset and the Claude Code and Gemini
 * hooks as `ssg init` does, replays a built-in session of Claude Code, Codex and Gemini CLI tool calls through the
 * hook's code path, summarises the decisions, verifies the audit log, forwards it to local test destinations, and ends
 * with the cost summary, today's productivity score and the current root-cause pack.
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
      const env: NodeJS.ProcessEnv = { ...process.env, SSG_HOME: home, SSG_MODEL: process.env["SSG_MODEL"] ?? DEMO_MODEL }
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
      yield* forwardDemo(home, project)

      const envelopes = yield* Effect.flatMap(AuditLog.AuditLog, (log) => log.envelopesAfter(0, 1_000_000)).pipe(Effect.provide(sandboxLayer(home, project)))
      const now = new Date()
      const cost = costSummary(fold(costProjection, costProjection.initial(), envelopes), { by: "tool", sinceDays: 7, now: now.getTime(), price: pricer({}) })
      yield* Console.log("")
      yield* Console.log(`cost summary (ssg cost summary; SSG_MODEL=${env["SSG_MODEL"]} where a payload names no model):`)
      for (const line of costReportLines(cost)) yield* Console.log(`  ${line}`)
      const productivity = dayReport(fold(productivityProjection, productivityProjection.initial(), envelopes), now.toISOString().slice(0, 10), now)
      yield* Console.log("")
      yield* Console.log(
        `productivity today (ssg productivity show): ${productivity.score ?? "no score"} / 100 — ${productivity.total} evaluations, blocked ratio ${(productivity.blocked_ratio * 100).toFixed(1)}%, force rate ${(productivity.force_rate * 100).toFixed(1)}%, retry rate ${(productivity.retry_rate * 100).toFixed(1)}%`
      )
      const pack = currentPack(fold(rcaProjection, rcaProjection.initial(), envelopes))
      if (pack !== undefined) {
        const rule = rules.rules.find((r) => r.id === pack.why.rule_id)
        yield* Console.log("")
        yield* Console.log("the current root-cause pack (ssg debug rca --current):")
        yield* Console.log("")
        yield* Console.log(packMarkdown(packView(pack, rule === undefined ? null : ruleView(rule, STARTER_RULES_DIR))))
      }

    } finally {
      rmSync(sandbox, { recursive: true, force: true })
    }
  })
).pipe(Command.withDescription("Replay a built-in agent session through the hook in a temporary SSG_HOME and verify the log"))
