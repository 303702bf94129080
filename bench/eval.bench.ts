import { createHash } from "node:crypto"
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { genericCapability } from "../src/adapters/Generic.js"
import { DEMO_CALLS } from "./calls.js"
import { compileRuleSet } from "../src/domain/rules/Evaluate.js"
import { parseRulesFile } from "../src/domain/rules/Parser.js"
import type { Rule } from "../src/domain/rules/Rule.js"
import type { ToolCall } from "../src/domain/ToolCall.js"

/** One benchmark's figures: per-evaluation latency percentiles in microseconds. */
export interface EvalFigures {
  readonly name: string
  readonly rules: number
  readonly evaluations: number
  readonly p50: number
  readonly p99: number
  readonly mean: number
  readonly compileMs: number
}

const root = fileURLToPath(new URL("..", import.meta.url))
const corpusDir = join(root, "..", "shared", "rules-corpus")

const walk = (d: string): Array<string> =>
  readdirSync(d)
    .sort()
    .flatMap((n) => {
      const p = join(d, n)
      return statSync(p).isDirectory() ? walk(p) : p.endsWith(".rules") ? [p] : []
    })

const loadRules = (dir: string): Array<Rule> => walk(dir).flatMap((f) => parseRulesFile(readFileSync(f, "utf8"), f).rules)

/** Every distinct rule of the corpus (identical rule text counted once). */
export const uniqueCorpusRules = (): Array<Rule> | null => {
  if (!existsSync(corpusDir)) return null
  const seen = new Set<string>()
  return loadRules(corpusDir).filter((r) => {
    const key = createHash("sha256").update(r.rawText).digest("hex")
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

const CONTENT = [
  "import { useState } from \"react\"",
  "",
  "export function Cart({ items }: { items: Array<{ id: string; price: number }> }) {",
  "  const [open, setOpen] = useState(false)",
  "  const total = items.reduce((sum, i) => sum + i.price, 0)",
  "  return <aside className=\"cart\" onClick={() => setOpen(!open)}>{total.toFixed(2)}</aside>",
  "}",
  ""
].join("\n")

/** The workload: the demo's realistic calls plus typical source writes and edits. */
export const workload = (): Array<ToolCall> => [
  ...DEMO_CALLS.map((d) => d.call as ToolCall),
  { tool: "Write", input: { file_path: "/home/dev/shop/src/components/Cart.tsx", content: CONTENT } },
  { tool: "Edit", input: { file_path: "/home/dev/shop/src/api/orders.ts", old_string: "let x = 1", new_string: "const total = await db.orders.sum()" } },
  { tool: "Write", input: { file_path: "/home/dev/shop/README.md", content: "# Shop\n\nRun `npm test`.\n" } },
  { tool: "Bash", input: { command: "npm run build && npm test -- --coverage" } },
  { tool: "Read", input: { file_path: "/home/dev/shop/package.json" } }
]

const percentile = (sorted: Float64Array, p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!

/** Measures per-evaluation latency of a rule set over the workload. */
export const benchEval = (name: string, rules: ReadonlyArray<Rule>, rounds: number): EvalFigures => {
  const t0 = performance.now()
  const set = compileRuleSet(rules)
  const compileMs = performance.now() - t0
  const calls = workload().map((call) => ({ call, capability: genericCapability(call.tool) }))
  for (let i = 0; i < 200; i++) for (const c of calls) set.evaluate(c.call, c.capability)
  const samples = new Float64Array(rounds * calls.length)
  let n = 0
  for (let r = 0; r < rounds; r++) {
    for (const c of calls) {
      const start = process.hrtime.bigint()
      set.evaluate(c.call, c.capability)
      samples[n++] = Number(process.hrtime.bigint() - start) / 1000
    }
  }
  samples.sort()
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length
  return { name, rules: rules.length, evaluations: samples.length, p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), mean, compileMs }
}

/** Runs the evaluation benchmarks: the starter set, and all unique corpus rules when ../shared is present. */
export const runEvalBenchmarks = (): Array<EvalFigures> => {
  const out = [benchEval("starter ruleset (rules/)", loadRules(join(root, "rules")), 4000)]
  const corpus = uniqueCorpusRules()
  if (corpus === null) console.log("corpus absent (../shared/rules-corpus): skipping the 1,500-rule benchmark")
  else out.push(benchEval("all unique corpus rules", corpus, 4000))
  return out
}
