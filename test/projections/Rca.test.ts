import { describe, expect, it } from "vitest"
import { canonicalJson } from "../../src/domain/CanonicalJson.js"
import type { Envelope } from "../../src/domain/Event.js"
import { fold } from "../../src/projections/Projection.js"
import { incrementalAndWhole, random } from "../support/projection.js"
import { CONTEXT_EVENTS, currentPack, findPack, keptPacks, PACKS_KEPT, rcaProjection, type RcaState } from "../../src/projections/Rca.js"
import { nextSteps, packView } from "../../src/projections/RcaView.js"

let seq = 0
const at = (n: number) => new Date(Date.parse("2026-11-22T10:00:00.000Z") + n * 1000).toISOString()
const envelope = (type: string, data: Record<string, unknown>, session: string | null = "s1"): Envelope => {
  seq++
  return { seq, id: `ev-${seq}`, timestamp: at(seq), type, source: { log_id: "l", host: "h", user: "u", client: "claude-code", session, cwd: "/" }, data }
}
const decided = (decision: string, rule_id: string | null, input = "rm -rf /", session: string | null = "s1") =>
  envelope("v1.EvalDecided", { tool: "Bash", capability: "execute", client: "claude-code", decision, rule_id, input_summary: input, input_sha256: "x", reason: rule_id === null ? null : `msg of ${rule_id}` }, session)
const completed = (success: boolean, error: string | null = null, session: string | null = "s1") =>
  envelope("v1.ToolCompleted", { tool: "Bash", call_id: null, success, duration_ms: 5, error }, session)
const run = (events: ReadonlyArray<Envelope>): RcaState => fold(rcaProjection, rcaProjection.initial(), events)

describe("the rca projection", () => {
  it("raises a pack per block, ask, force, loop-guard trip and fail-closed block, with fixed severities; allow/log raise none", () => {
    seq = 0
    const state = run([
      decided("allow", null),
      decided("log", "audit-everything"),
      decided("block", "no-rm"),
      decided("ask", "ask-push"),
      decided("force", "use-read"),
      decided("block", "loop-guard"),
      decided("block", "ssg-fail-closed")
    ])
    expect(keptPacks(state).map((p) => [p.trace_id, p.trigger, p.severity])).toEqual([
      ["ev-3", "block", "medium"],
      ["ev-4", "ask", "low"],
      ["ev-5", "force", "medium"],
      ["ev-6", "loop-guard", "high"],
      ["ev-7", "fail-closed", "critical"]
    ])
    expect(currentPack(state)?.trace_id).toBe("ev-7")
    const block = findPack(state, "ev-3")!
    expect(block).toMatchObject({ attempted: { tool: "Bash", capability: "execute", input_summary: "rm -rf /" }, why: { rule_id: "no-rm", message: "msg of no-rm" } })
    expect(block.context.map((c) => c.seq)).toEqual([1, 2])
  })

  it("the third block by one rule in a session is a high-severity repeated-block pack; other sessions count apart", () => {
    seq = 0
    const state = run([decided("block", "no-rm"), decided("block", "no-rm", "x", "s2"), decided("block", "no-rm"), decided("block", "no-rm")])
    expect(keptPacks(state).map((p) => [p.severity, p.pattern.kind, p.pattern.count])).toEqual([
      ["medium", "single", 1],
      ["medium", "single", 2],
      ["medium", "single", 3],
      ["high", "repeated-block", 3]
    ])
    expect(currentPack(state)?.trace_id).toBe("ev-4")
    expect(nextSteps(keptPacks(state)[3]!, null)[1]).toContain("no-rm keeps blocking this session")
  })

  it("an error spiral: one pack at the third consecutive failure, updated while it grows, reset by a success", () => {
    seq = 0
    const state = run([
      completed(false, "e1"),
      completed(false, "e2"),
      completed(false, "e3"),
      completed(false, "e4"),
      completed(true),
      completed(false, "e6"),
      completed(false, "e7")
    ])
    expect(keptPacks(state)).toHaveLength(1)
    expect(keptPacks(state)[0]).toMatchObject({ trace_id: "ev-3", trigger: "error-spiral", severity: "high", detail: "e4", pattern: { kind: "error-spiral", count: 4 } })
    expect(keptPacks(state)[0]!.context.map((c) => c.summary)).toEqual(["Bash failed: e1", "Bash failed: e2"])
  })

  it("a failed workflow gate raises a pack; a passed one does not", () => {
    seq = 0
    const state = run([
      envelope("v1.WorkflowGateFinished", { run_id: "r1", gate: "tests", status: "passed", duration_ms: 1 }),
      envelope("v1.WorkflowGateFinished", { run_id: "r1", gate: "lint", status: "failed", duration_ms: 1 })
    ])
    expect(keptPacks(state).map((p) => [p.trace_id, p.trigger, p.summary])).toEqual([["ev-2", "gate-failed", "workflow gate lint failed (run r1)"]])
  })

  it("keeps the last events of the session as context and the newest packs only", () => {
    seq = 0
    const state = run([
      ...Array.from({ length: 8 }, () => decided("allow", null, "ls")),
      decided("block", "no-rm"),
      ...Array.from({ length: PACKS_KEPT + 5 }, () => decided("ask", "ask-1", "y", "s3"))
    ])
    expect(findPack(state, "ev-9")).toBeUndefined()
    expect((rcaProjection.encode(state) as { packs: Array<unknown> }).packs).toHaveLength(PACKS_KEPT)
    const first = run([...Array.from({ length: 8 }, () => decided("allow", null, "ls")), decided("block", "no-rm")])
    expect(keptPacks(first)[0]!.context).toHaveLength(CONTEXT_EVENTS)
  })

  it("next steps: the SUBSTITUTE for force, approval for ask, the rule's place when it keeps blocking", () => {
    seq = 0
    const state = run([decided("force", "use-read"), decided("ask", "ask-push")])
    const rule = { id: "use-read", location: "r.rules:3", enabled: true, decision: "FORCE", conditions: ['IF command STARTS_WITH "cat "'], message: "m", substitute: "Use the Read tool", prompt: null }
    expect(packView(keptPacks(state)[0]!, rule).next_steps).toEqual(["Do this instead: Use the Read tool"])
    expect(packView(keptPacks(state)[1]!, null)).toMatchObject({ rule_missing: true, next_steps: ["A human must approve or deny this call."] })
  })

  it("reads entries from canonical text without parsing them into exactly the state parsing every envelope gives (100 random logs)", () => {
    const inputs = ['rm -rf "/"', 'echo \\"decision\\":\\"allow', "echo ${HOME}", 'x","decision":"allow', "é \u2028 \\n", ""]
    for (let s = 1; s <= 100; s++) {
      const next = random(1000 + s)
      const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(next() * xs.length)]!
      seq = 0
      const events: Array<Envelope> = Array.from({ length: Math.floor(next() * 300) }, () => {
        const session = pick(["s1", 'q"{', null])
        const r = next()
        if (r < 0.3) return completed(next() < 0.4, pick([null, ...inputs]), session)
        if (r < 0.35) return envelope("v1.WorkflowGateFinished", { run_id: pick(inputs), gate: "g", status: pick(["failed", "passed"]), duration_ms: 1 }, session)
        if (r < 0.4) return envelope("v1.RuleActionRan", { rule_id: pick(inputs), decision: "block" }, session)
        return decided(pick(["allow", "block", "ask", "force"]), pick(["no-rm", "loop-guard", "ssg-fail-closed", null]), pick(inputs), session)
      })
      const folded = (text: (e: Envelope) => string) =>
        JSON.stringify(rcaProjection.encode(events.reduce((state, e) => rcaProjection.evolveEntry!(state, [e.seq, text(e)]), rcaProjection.initial())))
      expect(folded(canonicalJson), `seed ${s}`).toBe(folded((e) => JSON.stringify(e)))
    }
  })

  it("folds incrementally through encode/decode into exactly the state of one fold (100 random logs)", () => {
    for (let s = 1; s <= 100; s++) {
      const next = random(s)
      seq = 0
      const events: Array<Envelope> = Array.from({ length: Math.floor(next() * 300) }, () => {
        const session = ["s1", "s2", null][Math.floor(next() * 3)]!
        const r = next()
        if (r < 0.4) return completed(next() < 0.4, "err", session)
        if (r < 0.45) return envelope("v1.WorkflowGateFinished", { run_id: "r", gate: "g", status: next() < 0.5 ? "failed" : "passed", duration_ms: 1 }, session)
        return decided(["allow", "block", "ask", "force"][Math.floor(next() * 4)]!, ["no-rm", "loop-guard", null][Math.floor(next() * 3)]!, "c", session)
      })
      const { incremental, whole } = incrementalAndWhole(rcaProjection, events, next)
      expect(incremental, `seed ${s}`).toBe(whole)
    }
  })
})
