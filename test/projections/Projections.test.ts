import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdtempSync, realpathSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Envelope, Event } from "../../src/domain/Event.js"
import * as AuditLog from "../../src/pipeline/AuditLog.js"
import * as Keys from "../../src/pipeline/Keys.js"
import { pathsFrom, SsgPaths } from "../../src/pipeline/Paths.js"
import { BLOCKED_KEPT, blockedProjection } from "../../src/projections/Blocked.js"
import { latencyQuantile, metricsProjection } from "../../src/projections/Metrics.js"
import { fold } from "../../src/projections/Projection.js"
import * as Projections from "../../src/projections/Projections.js"
import { rcaProjection } from "../../src/projections/Rca.js"
import { incrementalAndWhole, random } from "../support/projection.js"

const DECISIONS = ["allow", "block", "ask", "force", "log", "shadow"] as const
const CLIENTS = ["claude-code", "codex", "gemini", "__proto__", "constructor"]

const randomEvent = (next: () => number): Event => {
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(next() * xs.length)]!
  if (next() < 0.2) {
    return { _tag: "v1.ToolCompleted", tool: "Bash", call_id: null, success: next() < 0.8, duration_ms: Math.round(next() * 5000) }
  }
  const decision = pick(DECISIONS)
  return {
    _tag: "v1.EvalDecided",
    tool: pick(["Bash", "Read", "Write"]),
    capability: "execute",
    client: pick(CLIENTS),
    decision,
    rule_id: decision === "allow" && next() < 0.7 ? null : pick(["r-1", "r-2", "hasOwnProperty", "loop-guard"]),
    also_matched: [],
    latency_ms: Math.round(next() ** 3 * 50_000) / 1000,
    input_summary: "x",
    input_sha256: "ab".repeat(32)
  }
}

const envelopeOf = (event: Event, seq: number): Envelope => {
  const { _tag, ...data } = event
  return {
    seq,
    id: `id-${seq}`,
    timestamp: "2026-11-22T00:00:00.000Z",
    type: _tag,
    source: { log_id: "l", host: "h", user: "u", client: "c", session: null, cwd: "/" },
    data
  }
}

const encoded = (state: ReturnType<typeof metricsProjection.initial>) => JSON.stringify(metricsProjection.encode(state))

describe("the metrics projection", () => {
  it("folds incrementally through encode/decode into exactly the state of one fold from the start (100 random logs)", () => {
    for (let seed = 1; seed <= 100; seed++) {
      const next = random(seed)
      const envelopes = Array.from({ length: Math.floor(next() * 400) }, (_, i) => envelopeOf(randomEvent(next), i + 1))
      const { incremental, whole } = incrementalAndWhole(metricsProjection, envelopes, next)
      assert.strictEqual(incremental, whole, `seed ${seed}`)
    }
  })

  it("counts decisions, rules and clients (names like __proto__ are plain keys) and reads latency percentiles", () => {
    const events: Array<Event> = [
      ...[0.1, 0.2, 0.3, 0.4, 10].map((latency_ms, i): Event => ({
        _tag: "v1.EvalDecided",
        tool: "Bash",
        capability: "execute",
        client: i === 4 ? "__proto__" : "claude-code",
        decision: i % 2 === 0 ? "block" : "allow",
        rule_id: i % 2 === 0 ? "no-rm" : null,
        also_matched: [],
        latency_ms,
        input_summary: "",
        input_sha256: ""
      })),
      { _tag: "v1.ToolCompleted", tool: "Bash", call_id: null, success: true, duration_ms: 3 }
    ]
    const state = fold(metricsProjection, metricsProjection.initial(), events.map(envelopeOf))
    assert.strictEqual(state.evaluations, 5)
    assert.deepStrictEqual([...state.decisions], [["block", 3], ["allow", 2]])
    assert.deepStrictEqual([...state.rules], [["no-rm", 3]])
    assert.deepStrictEqual([...state.clients], [["claude-code", { evaluations: 4, blocked: 2 }], ["__proto__", { evaluations: 1, blocked: 1 }]])
    assert.strictEqual(Object.getPrototypeOf(metricsProjection.decode(metricsProjection.encode(state))), Object.prototype)
    const p50 = latencyQuantile(state, 0.5)!
    assert.isTrue(p50 <= 0.3 && p50 > 0.3 / 1.01, `p50 ${p50}`)
    const p99 = latencyQuantile(state, 0.99)!
    assert.isTrue(p99 <= 10 && p99 > 10 / 1.01, `p99 ${p99}`)
    assert.isNull(latencyQuantile(metricsProjection.initial(), 0.5))
  })
})

describe("the blocked projection", () => {
  it("keeps the newest 1,000 blocked calls in order", () => {
    const block = (i: number): Event => ({
      _tag: "v1.EvalDecided",
      tool: "Bash",
      capability: "execute",
      client: "claude-code",
      decision: i % 3 === 0 ? "allow" : "block",
      rule_id: `r-${i}`,
      also_matched: [],
      latency_ms: 0.01,
      input_summary: `cmd ${i}`,
      input_sha256: ""
    })
    const state = fold(blockedProjection, blockedProjection.initial(), Array.from({ length: 1600 }, (_, i) => envelopeOf(block(i), i + 1)))
    assert.strictEqual(state.length, BLOCKED_KEPT)
    assert.deepStrictEqual(state.slice(-2).map((b) => [b.seq, b.rule_id, b.input_summary]), [[1598, "r-1597", "cmd 1597"], [1599, "r-1598", "cmd 1598"]])
    assert.isTrue(state.every((b, i) => i === 0 || b.seq > state[i - 1]!.seq))
  })
})

const tempHome = Effect.acquireRelease(
  Effect.sync(() => realpathSync(mkdtempSync(join(tmpdir(), "ssg-projections-")))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const layerFor = (home: string) =>
  Projections.layer.pipe(
    Layer.provideMerge(AuditLog.layer),
    Layer.provideMerge(Keys.layer),
    Layer.provideMerge(Layer.succeed(SsgPaths, pathsFrom({ SSG_HOME: home }, home)))
  )

describe("the projection store", () => {
  it.scoped("catches up incrementally across batches and restarts to the same state a rebuild computes", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      const next = random(42)
      const catchUps: Array<string> = []
      const rcaCatchUps: Array<string> = []
      for (let round = 0; round < 6; round++) {
        const size = Math.floor(next() * 3000)
        yield* Effect.gen(function* () {
          const log = yield* AuditLog.AuditLog
          if (size > 0) yield* log.append(Array.from({ length: size }, () => randomEvent(next)), { session: `s${round % 2}` })
          const caught = yield* (yield* Projections.Projections).catchUp(metricsProjection)
          catchUps.push(encoded(caught.state))
          assert.strictEqual(caught.cursor, (yield* log.head)?.size ?? 0)
          const rca = yield* (yield* Projections.Projections).catchUp(rcaProjection)
          rcaCatchUps.push(JSON.stringify(rcaProjection.encode(rca.state)))
          assert.strictEqual(rca.cursor, caught.cursor)
        }).pipe(Effect.provide(layerFor(home)), Effect.scoped)
      }
      const [rebuilt, rca, envelopes] = yield* Effect.all([
        Effect.flatMap(Projections.Projections, (p) => p.rebuild(metricsProjection)),
        Effect.flatMap(Projections.Projections, (p) => p.rebuild(rcaProjection)),
        Effect.flatMap(AuditLog.AuditLog, (log) => log.envelopesAfter(0, 1_000_000))
      ]).pipe(Effect.provide(layerFor(home)), Effect.scoped)
      assert.strictEqual(encoded(rebuilt.state), catchUps[catchUps.length - 1])
      assert.isAbove(rebuilt.state.evaluations, 1000)
      const rcaEncoded = JSON.stringify(rcaProjection.encode(rca.state))
      assert.strictEqual(rcaEncoded, rcaCatchUps[rcaCatchUps.length - 1])
      assert.strictEqual(rcaEncoded, JSON.stringify(rcaProjection.encode(fold(rcaProjection, rcaProjection.initial(), envelopes))))
      assert.isAbove(rca.state.packs.length, 500)
    })
  )
})
