import { runAuditBenchmarks } from "./audit.bench.js"
import { runEvalBenchmarks } from "./eval.bench.js"
import { runHookBenchmarks } from "./hook.bench.js"
import { runSinkBenchmarks } from "./sinks.bench.js"

const fmt = (n: number): string => n.toFixed(2)
const auditSize = Number(process.env["SSG_BENCH_AUDIT_SIZE"] ?? 1_000_000)
const suite = process.env["SSG_BENCH_SUITE"] ?? "all"
const sinkSize = Number(process.env["SSG_BENCH_SINK_SIZE"] ?? 1_000_000)

console.log(`ssg benchmarks — node ${process.version}, ${process.platform}/${process.arch}`)
if (suite === "all" || suite === "eval") {
  console.log("")
  console.log("eval latency per call, in process (µs)")
  console.log("| rule set | rules | evaluations | p50 µs | p99 µs | mean µs | compile ms |")
  console.log("|---|---|---|---|---|---|---|")
  for (const f of runEvalBenchmarks()) {
    console.log(`| ${f.name} | ${f.rules} | ${f.evaluations} | ${fmt(f.p50)} | ${fmt(f.p99)} | ${fmt(f.mean)} | ${fmt(f.compileMs)} |`)
  }
}
if (suite === "all" || suite === "audit") {
  console.log("")
  console.log(`audit log (SSG_BENCH_AUDIT_SIZE=${auditSize})`)
  console.log("| measurement | result | target |")
  console.log("|---|---|---|")
  for (const f of await runAuditBenchmarks(auditSize)) console.log(`| ${f.name} | ${f.value} | ${f.target} |`)
}
if (suite === "all" || suite === "hook") {
  const h = runHookBenchmarks()
  console.log("")
  console.log("cold `ssg hook eval` (a fresh process per call, one audit append each) against a bare `node -e 0`")
  console.log("| runs | node -e 0 p50 ms | ssg hook eval p50 ms | p90 ms | ratio p50 | target |")
  console.log("|---|---|---|---|---|---|")
  console.log(`| ${h.runs} | ${fmt(h.nodeP50)} | ${fmt(h.hookP50)} | ${fmt(h.hookP90)} | ${fmt(h.ratio)}× | ≤ 1.5× |`)
}
if (suite === "all" || suite === "sinks") {
  console.log("")
  console.log(`forwarding (SSG_BENCH_SINK_SIZE=${sinkSize}; \`ssg sinks run --once\` as a subprocess, test servers in this process)`)
  console.log("| measurement | result | target |")
  console.log("|---|---|---|")
  for (const f of await runSinkBenchmarks(sinkSize)) console.log(`| ${f.name} | ${f.value} | ${f.target} |`)
}
