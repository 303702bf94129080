import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { claudeCodeAdapter } from "../adapters/ClaudeCode.js"
import { hookDecide } from "../pipeline/Hook.js"
import { displayPath, SsgPaths } from "../pipeline/Paths.js"
import { RuleFiles } from "../pipeline/RuleFiles.js"
import { Finding, UsageError } from "./finding.js"
import { jsonOption } from "./options.js"

const DECISIONS = new Set(["allow", "block", "log", "shadow", "ask", "force"])

/** One replayed step of a scenario file and its outcome. */
interface StepResult {
  readonly line: number
  readonly description: string
  readonly tool_name: string
  readonly expected_decision: string
  readonly decision: string
  readonly expected_rule_id: string | null
  readonly rule_id: string | null
  readonly pass: boolean
}

interface ScenarioStep {
  readonly line: number
  readonly tool: string
  readonly input: Record<string, unknown>
  readonly decision: string
  readonly ruleId: string | null
  readonly description: string
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** Parses a certify scenario file (JSONL: a `meta` line, then `step` lines); throws UsageError naming file:line. */
const parseScenario = (path: string, shown: string): { readonly name: string; readonly steps: Array<ScenarioStep> } => {
  const lines = readFileSync(path, "utf8").split("\n")
  const fail = (line: number, message: string): never => {
    throw new UsageError({ message: `${shown}:${line}: ${message}` })
  }
  let name: string | null = null
  const steps: Array<ScenarioStep> = []
  lines.forEach((text, i) => {
    const line = i + 1
    if (text.trim() === "") return
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (e) {
      return fail(line, `not JSON: ${(e as Error).message}`)
    }
    if (!isObject(value)) return fail(line, "expected a JSON object")
    if (name === null) {
      if (value["kind"] !== "meta") return fail(line, 'the first line must be {"kind":"meta",...}')
      for (const key of ["name", "description", "claude_code_version"]) {
        if (typeof value[key] !== "string") fail(line, `meta field "${key}" must be a string`)
      }
      if (!Array.isArray(value["tags"]) || !value["tags"].every((t) => typeof t === "string")) {
        fail(line, 'meta field "tags" must be an array of strings')
      }
      name = value["name"] as string
      return
    }
    if (value["kind"] !== "step") return fail(line, 'expected {"kind":"step",...}')
    if (typeof value["tool_name"] !== "string" || value["tool_name"] === "") fail(line, 'step field "tool_name" must be a non-empty string')
    if (!isObject(value["tool_input"])) fail(line, 'step field "tool_input" must be an object')
    if (typeof value["expected_decision"] !== "string" || !DECISIONS.has(value["expected_decision"])) {
      fail(line, 'step field "expected_decision" must be one of allow, block, log, shadow, ask, force')
    }
    const ruleId = value["expected_rule_id"]
    if (ruleId !== undefined && typeof ruleId !== "string") fail(line, 'step field "expected_rule_id" must be a string')
    if (typeof value["description"] !== "string") fail(line, 'step field "description" must be a string')
    steps.push({
      line,
      tool: value["tool_name"] as string,
      input: value["tool_input"] as Record<string, unknown>,
      decision: value["expected_decision"] as string,
      ruleId: (ruleId as string | undefined) ?? null,
      description: value["description"] as string
    })
  })
  if (name === null) fail(1, "empty scenario file (expected a meta line)")
  return { name: name!, steps }
}

/** Replays one step through the hook's evaluation in a fresh SSG_HOME and project: nothing is shared between steps. */
const replay = (step: ScenarioStep, rulesDir: string, index: number) => {
  const sandbox = mkdtempSync(join(tmpdir(), "ssg-certify-"))
  try {
    const env = { ...process.env, SSG_HOME: join(sandbox, "home") }
    const raw = JSON.stringify({
      session_id: `certify-${process.pid}-${index}`,
      transcript_path: join(sandbox, "transcript.jsonl"),
      cwd: sandbox,
      permission_mode: "default",
      hook_event_name: "PreToolUse",
      tool_name: step.tool,
      tool_input: step.input,
      tool_use_id: `toolu_certify_${index}`
    })
    const adapter = claudeCodeAdapter
    return hookDecide(adapter, adapter.parseInput(raw), env, sandbox, { rulesDirs: [rulesDir] })
  } finally {
    rmSync(sandbox, { recursive: true, force: true })
  }
}

const scenarioFiles = (dir: string): Array<string> =>
  readdirSync(dir)
    .filter((n) => n.endsWith(".jsonl"))
    .sort()
    .map((n) => join(dir, n))

/** `ssg certify`: replays scenario files through the hook's evaluation and reports each step. */
export const certifyCommand = Command.make(
  "certify",
  {
    dir: Options.directory("dir").pipe(
      Options.withDescription("directory of *.jsonl scenario files (default .sigmashake/scenarios)"),
      Options.optional
    ),
    rulesDir: Options.directory("rules-dir").pipe(
      Options.withDescription("rules directory to certify (default .sigmashake/rules)"),
      Options.optional
    ),
    verbose: Options.boolean("verbose").pipe(Options.withDescription("list every step, not only the failures")),
    json: jsonOption
  },
  ({ dir, json, rulesDir, verbose }) =>
    Effect.gen(function* () {
      const { cwd } = yield* SsgPaths
      const scenarios = resolve(cwd, dir._tag === "Some" ? dir.value : join(".sigmashake", "scenarios"))
      const rules = resolve(cwd, rulesDir._tag === "Some" ? rulesDir.value : join(".sigmashake", "rules"))
      const isDir = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() === true
      if (!isDir(scenarios)) return yield* new UsageError({ message: `scenario directory not found: ${displayPath(cwd, scenarios)}` })
      if (!isDir(rules)) return yield* new UsageError({ message: `rules directory not found: ${displayPath(cwd, rules)}` })
      yield* Effect.flatMap(RuleFiles, (ruleFiles) => ruleFiles.loadValid({ dirs: [rules] }))
      const files = scenarioFiles(scenarios)
      if (files.length === 0) return yield* new UsageError({ message: `no *.jsonl scenario files in ${displayPath(cwd, scenarios)}` })
      const parsed = yield* Effect.try({
        try: () => files.map((f) => ({ file: displayPath(cwd, f), ...parseScenario(f, displayPath(cwd, f)) })),
        catch: (e) => (e instanceof UsageError ? e : new UsageError({ message: String(e) }))
      })
      let index = 0
      const report = parsed.map((s) => ({
        file: s.file,
        name: s.name,
        steps: s.steps.map((step): StepResult => {
          const verdict = replay(step, rules, index++)
          const pass = verdict.decision === step.decision && (step.ruleId === null || verdict.ruleId === step.ruleId)
          return {
            line: step.line,
            description: step.description,
            tool_name: step.tool,
            expected_decision: step.decision,
            decision: verdict.decision,
            expected_rule_id: step.ruleId,
            rule_id: verdict.ruleId,
            pass
          }
        })
      }))
      const all = report.flatMap((s) => s.steps)
      const failed = all.filter((s) => !s.pass).length
      if (json) {
        yield* Console.log(JSON.stringify({ passed: all.length - failed, failed, scenarios: report }))
      } else {
        for (const s of report) {
          const bad = s.steps.filter((t) => !t.pass).length
          yield* Console.log(`${bad === 0 ? "PASS" : "FAIL"} ${s.file} (${s.name}): ${s.steps.length - bad}/${s.steps.length} steps`)
          for (const t of s.steps) {
            if (t.pass && !verbose) continue
            const expected = `${t.expected_decision}${t.expected_rule_id !== null ? ` by ${t.expected_rule_id}` : ""}`
            const got = `${t.decision}${t.rule_id !== null ? ` by ${t.rule_id}` : ""}`
            yield* Console.log(
              `  ${t.pass ? "ok  " : "FAIL"} ${s.file}:${t.line} ${t.description}: expected ${expected}, got ${got}`
            )
          }
        }
        yield* Console.log(`${all.length - failed} passed, ${failed} failed`)
      }
      if (failed > 0) return yield* new Finding({ message: `${failed} scenario step(s) failed`, silent: true })
    })
).pipe(Command.withDescription("Replay certification scenarios (JSONL) through the hook's evaluation path"))
