// The probes behind the interleaved A/B figures of BENCHMARKS.md (issue 3); run with `SSG_BENCH_ENTRY=bench/probes.ts node scripts/bench.mjs PROBE ...`:
//   fill HOME SIZE      a log of SIZE entries in HOME, appended in groups of 5,000
//   verify HOME RUNS    full `audit verify` of HOME's log, RUNS times: wall time and process CPU
//   proofs HOME         3 rounds of 2,000 inclusion and 1,000 consistency proofs: p50, p99, CPU per proof
//   append N GROUP      a fresh log: 3 rounds of N single appends, then 3 rounds of 100 appends of GROUP events
//   rebuild HOME NAME RUNS  rebuilds projection NAME over HOME's log RUNS times: events/s and process CPU per event
//   incremental HOME RUNS   RUNS times: appends 10,000 entries to HOME's log in one group, then times `audit verify --incremental`
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Layer } from "effect"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { eventParts } from "../src/domain/Event.js"
import * as AuditLog from "../src/pipeline/AuditLog.js"
import { openHotPath } from "../src/pipeline/AuditStore.js"
import { verifyLog } from "../src/pipeline/AuditVerify.js"
import * as Keys from "../src/pipeline/Keys.js"
import { appendEvents, eventSource } from "../src/pipeline/LogWriter.js"
import { pathsFrom, SsgPaths } from "../src/pipeline/Paths.js"
import { createKeyFiles } from "../src/pipeline/SigningKey.js"
import * as Projections from "../src/projections/Projections.js"
import { event as evalEvent } from "./audit.bench.js"

const event = (i: number) => eventParts(evalEvent(i))

const cpuSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start)
  return used.user + used.system
}

const percentile = (xs: ReadonlyArray<number>, p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

const layerFor = (home: string) =>
  AuditLog.layer.pipe(
    Layer.provideMerge(Keys.layer),
    Layer.provideMerge(Layer.succeed(SsgPaths, pathsFrom({ SSG_HOME: home }, home))),
    Layer.provideMerge(NodeContext.layer)
  )

const withLog = (home: string, body: Effect.Effect<void, AuditLog.AuditError, AuditLog.AuditLog | SsgPaths | Keys.Keys>) =>
  Effect.runPromise(Effect.scoped(body.pipe(Effect.provide(layerFor(home)))) as Effect.Effect<void>)

const fill = (home: string, size: number): void => {
  mkdirSync(join(home, "checkpoints"), { recursive: true })
  const key = createKeyFiles(home, new Uint8Array(32).fill(3), true)
  const source = eventSource(key, { cwd: "/tmp/probe", session: "probe" })
  const hot = openHotPath(join(home, "audit.db"))
  const start = performance.now()
  for (let i = 0; i < size; i += 5000) {
    const events = Array.from({ length: Math.min(5000, size - i) }, (_, k) => event(i + k))
    appendEvents(hot, events, source, key, join(home, "checkpoints", "latest"))
  }
  hot.close()
  console.log(`filled ${size} entries in ${((performance.now() - start) / 1000).toFixed(1)} s`)
}

const verify = (home: string, runs: number) =>
  withLog(
    home,
    Effect.gen(function* () {
      for (let r = 0; r < runs; r++) {
        const cpu = process.cpuUsage()
        const start = performance.now()
        const report = yield* verifyLog({ incremental: false })
        console.log(
          `verify ${report.length} valid=${report.valid}: ${((performance.now() - start) / 1000).toFixed(2)} s wall, ` +
            `${(cpuSince(cpu) / 1e6).toFixed(2)} s process CPU`
        )
      }
    })
  )

const proofs = (home: string) =>
  withLog(
    home,
    Effect.gen(function* () {
      const log = yield* AuditLog.AuditLog
      const size = (yield* log.head)?.size ?? 0
      for (let r = 0; r < 3; r++) {
        const inclusion: Array<number> = []
        const inclusionCpu = process.cpuUsage()
        for (let k = 0; k < 2000; k++) {
          const start = performance.now()
          yield* log.inclusion(1 + Math.floor(Math.random() * size))
          inclusion.push(performance.now() - start)
        }
        const inclusionUs = cpuSince(inclusionCpu) / 2000
        const consistency: Array<number> = []
        const consistencyCpu = process.cpuUsage()
        for (let k = 0; k < 1000; k++) {
          const start = performance.now()
          yield* log.consistency(1 + Math.floor(Math.random() * (size - 1)))
          consistency.push(performance.now() - start)
        }
        const consistencyUs = cpuSince(consistencyCpu) / 1000
        console.log(
          `inclusion p50 ${percentile(inclusion, 0.5).toFixed(3)} ms p99 ${percentile(inclusion, 0.99).toFixed(3)} ms ` +
            `cpu ${inclusionUs.toFixed(0)} µs | consistency p50 ${percentile(consistency, 0.5).toFixed(3)} ms ` +
            `p99 ${percentile(consistency, 0.99).toFixed(3)} ms cpu ${consistencyUs.toFixed(0)} µs`
        )
      }
    })
  )

const incremental = (home: string, runs: number) =>
  withLog(
    home,
    Effect.gen(function* () {
      const log = yield* AuditLog.AuditLog
      yield* verifyLog({ incremental: true })
      for (let r = 0; r < runs; r++) {
        yield* log.append(Array.from({ length: 10_000 }, (_, i) => evalEvent(i)))
        const cpu = process.cpuUsage()
        const start = performance.now()
        const report = yield* verifyLog({ incremental: true })
        console.log(
          `incremental verify from #${report.verifiedFrom + 1} to #${report.length} valid=${report.valid}: ` +
            `${(performance.now() - start).toFixed(1)} ms wall, ${(cpuSince(cpu) / 1000).toFixed(1)} ms process CPU`
        )
      }
    })
  )

const rebuild = (home: string, name: string, runs: number) =>
  withLog(
    home,
    Effect.gen(function* () {
      const projection = Projections.PROJECTIONS.find((p) => p.name === name)
      if (projection === undefined) return yield* Effect.die(`no projection ${name}`)
      const projections = yield* Projections.Projections
      for (let r = 0; r < runs; r++) {
        const cpu = process.cpuUsage()
        const start = performance.now()
        const caught = yield* projections.rebuild(projection).pipe(Effect.orDie)
        const ms = performance.now() - start
        console.log(
          `rebuild ${name} of ${caught.cursor} entries: ${Math.round(caught.cursor / (ms / 1000))} events/s, ` +
            `${(cpuSince(cpu) / caught.cursor).toFixed(2)} µs process CPU per event`
        )
      }
    }).pipe(Effect.provide(Projections.layer))
  )

const append = (singles: number, group: number): void => {
  const home = mkdtempSync(join(tmpdir(), "ssg-probe-"))
  try {
    mkdirSync(join(home, "checkpoints"))
    const key = createKeyFiles(home, new Uint8Array(32).fill(3), true)
    const source = eventSource(key, { cwd: "/tmp/probe", session: "probe" })
    const hot = openHotPath(join(home, "audit.db"))
    const latest = join(home, "checkpoints", "latest")
    appendEvents(hot, Array.from({ length: 5000 }, (_, i) => event(i)), source, key, latest)
    for (let r = 0; r < 3; r++) {
      const cpu = process.cpuUsage()
      const start = performance.now()
      for (let i = 0; i < singles; i++) appendEvents(hot, [event(i)], source, key, latest)
      const ms = performance.now() - start
      console.log(
        `single: ${Math.round(singles / (ms / 1000))} /s, ${((1000 * ms) / singles).toFixed(0)} µs wall and ` +
          `${(cpuSince(cpu) / singles).toFixed(0)} µs CPU per append`
      )
    }
    const groups = Array.from({ length: 100 }, (_, g) => Array.from({ length: group }, (_, i) => event(g * group + i)))
    for (let r = 0; r < 3; r++) {
      const cpu = process.cpuUsage()
      const start = performance.now()
      for (const events of groups) appendEvents(hot, events, source, key, latest)
      const ms = performance.now() - start
      console.log(
        `groups of ${group}: ${Math.round((100 * group) / (ms / 1000))} /s, ` +
          `${(cpuSince(cpu) / (100 * group)).toFixed(1)} µs CPU per event`
      )
    }
    hot.close()
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

const [probe, first = "", second = ""] = process.argv.slice(2)
if (probe === "fill") fill(first, Number(second))
else if (probe === "verify") await verify(first, Number(second || 1))
else if (probe === "proofs") await proofs(first)
else if (probe === "append") append(Number(first || 1000), Number(second || 256))
else if (probe === "incremental") await incremental(first, Number(second || 5))
else if (probe === "rebuild") await rebuild(first, second, Number(process.argv[5] || 3))
else {
  console.error("usage: SSG_BENCH_ENTRY=bench/probes.ts node scripts/bench.mjs fill HOME SIZE | verify HOME RUNS | proofs HOME | append N GROUP | rebuild HOME NAME RUNS | incremental HOME RUNS")
  process.exit(2)
}
