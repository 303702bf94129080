import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Event, EvalDecided } from "../src/domain/Event.js"
import * as AuditLog from "../src/pipeline/AuditLog.js"
import { verifyLog } from "../src/pipeline/AuditVerify.js"
import * as Keys from "../src/pipeline/Keys.js"
import { pathsFrom, SsgPaths } from "../src/pipeline/Paths.js"
import { pricer } from "../src/domain/Pricing.js"
import { costProjection, costSummary } from "../src/projections/Cost.js"
import { blockedProjection } from "../src/projections/Blocked.js"
import { latencyQuantile, metricsProjection } from "../src/projections/Metrics.js"
import { dayReport, productivityProjection } from "../src/projections/Productivity.js"
import type { Projection } from "../src/projections/Projection.js"
import { currentPack, rcaProjection } from "../src/projections/Rca.js"
import { packMarkdown, packView } from "../src/projections/RcaView.js"
import * as Projections from "../src/projections/Projections.js"

/** One audit-log benchmark figure. */
export interface AuditFigure {
  readonly name: string
  readonly value: string
  readonly target: string
}

/** The benchmark's `i`-th event: a ~500-byte `v1.EvalDecided` (every seventh a block). */
export const event = (i: number): Event =>
  EvalDecided.make({
    tool: "Bash",
    capability: "execute",
    client: "bench",
    decision: i % 7 === 0 ? "block" : "allow",
    rule_id: i % 7 === 0 ? "block-rm-rf-critical-paths" : null,
    also_matched: [],
    latency_ms: 0.012,
    input_summary: `npm run test -- --shard ${i % 16}/16 src/feature-${i % 97}.test.ts`,
    input_sha256: "9f2c1e7a4b3d5c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60"
  })

const layerFor = (home: string) =>
  Projections.layer.pipe(
    Layer.provideMerge(AuditLog.layer),
    Layer.provideMerge(Keys.layer),
    Layer.provideMerge(Layer.succeed(SsgPaths, pathsFrom({ SSG_HOME: home }, home))),
    Layer.provideMerge(NodeContext.layer)
  )

const percentile = (xs: Array<number>, p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!
}

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const start = performance.now()
    const value = yield* effect
    return { value, ms: performance.now() - start }
  })

/** Runs the audit log benchmarks on a fresh temporary SSG_HOME; `size` entries for the large-log figures. */
export const runAuditBenchmarks = async (size: number): Promise<Array<AuditFigure>> => {
  const home = mkdtempSync(join(tmpdir(), "ssg-bench-audit-"))
  const figures: Array<AuditFigure> = []
  try {
    const program = Effect.gen(function* () {
      const log = yield* AuditLog.AuditLog
      yield* log.append([event(0)])

      const singles = 3_000
      const singleEvents = Array.from({ length: singles }, (_, i) => [event(i)])
      const single = yield* timed(Effect.forEach(singleEvents, (events) => log.append(events), { discard: true }))
      figures.push({
        name: "durable single-event appends (1 event per transaction, synchronous=FULL, signed checkpoint each)",
        value: `${Math.round(singles / (single.ms / 1000)).toLocaleString("en-US")} /s`,
        target: "≥ 2,500 /s"
      })

      const group = 256
      const groups = 200
      const groupEvents = Array.from({ length: groups }, (_, g) => Array.from({ length: group }, (_, i) => event(g * group + i)))
      const grouped = yield* timed(Effect.forEach(groupEvents, (events) => log.append(events), { discard: true }))
      figures.push({
        name: `group-committed appends (${group} events per transaction, one signed checkpoint per group)`,
        value: `${Math.round((group * groups) / (grouped.ms / 1000)).toLocaleString("en-US")} /s`,
        target: "≥ 25,000 /s"
      })

      const batch = 5_000
      let current = (yield* log.head)?.size ?? 0
      const fill = yield* timed(
        Effect.whileLoop({
          while: () => current < size,
          body: () => log.append(Array.from({ length: Math.min(batch, size - current) }, (_, i) => event(current + i))),
          step: (appended) => {
            current += appended.length
          }
        })
      )
      const head = (yield* log.head)!
      figures.push({ name: `filled the log to ${head.size.toLocaleString("en-US")} entries`, value: `${(fill.ms / 1000).toFixed(1)} s`, target: "—" })

      const inclusion: Array<number> = []
      for (let k = 0; k < 2_000; k++) {
        const seq = 1 + Math.floor(Math.random() * head.size)
        inclusion.push((yield* timed(log.inclusion(seq))).ms)
      }
      figures.push({
        name: `inclusion proof generation at ${head.size.toLocaleString("en-US")} entries (p50 / p99)`,
        value: `${percentile(inclusion, 0.5).toFixed(3)} ms / ${percentile(inclusion, 0.99).toFixed(3)} ms`,
        target: "p99 ≤ 1 ms"
      })
      const consistency: Array<number> = []
      for (let k = 0; k < 1_000; k++) {
        const old = 1 + Math.floor(Math.random() * (head.size - 1))
        consistency.push((yield* timed(log.consistency(old))).ms)
      }
      figures.push({
        name: `consistency proof generation at ${head.size.toLocaleString("en-US")} entries (p50 / p99)`,
        value: `${percentile(consistency, 0.5).toFixed(3)} ms / ${percentile(consistency, 0.99).toFixed(3)} ms`,
        target: "p99 ≤ 1 ms"
      })

      const full = yield* timed(verifyLog({ incremental: false }))
      figures.push({
        name: `full \`audit verify\` of ${full.value.length.toLocaleString("en-US")} entries (${full.value.valid ? "valid" : "BROKEN"})`,
        value: `${(full.ms / 1000).toFixed(2)} s`,
        target: "≤ 5 s at 1,000,000"
      })

      const projections = yield* Projections.Projections
      const now = new Date()
      const reports: ReadonlyArray<readonly [Projection<any>, string, (state: any) => unknown]> = [
        [metricsProjection, "ssg metrics", (state) => latencyQuantile(state, 0.99)],
        [costProjection, "ssg cost summary", (state) => costSummary(state, { by: "tool", sinceDays: 7, now: now.getTime(), price: pricer({}) })],
        [productivityProjection, "ssg productivity show", (state) => dayReport(state, now.toISOString().slice(0, 10), now)],
        [rcaProjection, "ssg debug rca --current", (state) => {
          const pack = currentPack(state)
          return pack === undefined ? null : packMarkdown(packView(pack, null))
        }],
        [blockedProjection, "ssg blocked", (state) => state.length]
      ]
      for (const [projection, command, report] of reports) {
        const rebuilt = yield* timed(projections.rebuild(projection))
        figures.push({
          name: `projection catch-up from seq 1 (${projection.name}, ${rebuilt.value.cursor.toLocaleString("en-US")} entries)`,
          value: `${Math.round(rebuilt.value.cursor / (rebuilt.ms / 1000)).toLocaleString("en-US")} events/s`,
          target: "≥ 150,000 events/s (issue 5)"
        })
        const answered = yield* timed(Effect.map(projections.catchUp(projection), (caught) => report(caught.state)))
        figures.push({
          name: `\`${command}\` report once caught up (catch-up check, state load and report)`,
          value: `${answered.ms.toFixed(1)} ms`,
          target: "≤ 2 s (issue 5)"
        })
      }

      yield* log.append(Array.from({ length: 10_000 }, (_, i) => event(i)))
      const incremental = yield* timed(verifyLog({ incremental: true }))
      figures.push({
        name: `incremental \`audit verify\` of 10,000 new entries (${incremental.value.valid ? "valid" : "BROKEN"}, from #${incremental.value.verifiedFrom + 1})`,
        value: `${incremental.ms.toFixed(1)} ms`,
        target: "≤ 100 ms"
      })
    })
    await Effect.runPromise(Effect.scoped(program.pipe(Effect.provide(layerFor(home)))) as Effect.Effect<void>)
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
  return figures
}
