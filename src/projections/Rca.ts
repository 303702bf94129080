import type { Envelope } from "../domain/Event.js"
import type { Projection } from "./Projection.js"

/** How urgent a root-cause pack is, most urgent first. */
export const SEVERITIES = ["critical", "high", "medium", "low"] as const

/** A pack's severity. */
export type Severity = (typeof SEVERITIES)[number]

/** What raised a pack. */
export type Trigger = "fail-closed" | "loop-guard" | "block" | "ask" | "force" | "error-spiral" | "gate-failed"

/** The pattern a pack belongs to. */
export type PatternKind = "repeated-block" | "loop" | "error-spiral" | "failed-gate" | "single"

/** One event of the session before a pack, in a line. */
export interface ContextEvent {
  readonly seq: number
  readonly timestamp: string
  readonly type: string
  readonly summary: string
}

/** A pre-computed root-cause pack for one blocked, asked, forced or failing moment (its trace id is the event id). */
export interface RcaPack {
  readonly trace_id: string
  readonly seq: number
  timestamp: string
  readonly trigger: Trigger
  severity: Severity
  summary: string
  readonly session: string | null
  readonly client: string
  readonly attempted: { readonly tool: string; readonly capability: string | null; readonly input_summary: string } | null
  readonly why: { readonly rule_id: string | null; readonly message: string | null }
  readonly context: ReadonlyArray<ContextEvent>
  pattern: { readonly kind: PatternKind; count: number; description: string }
  /** For an error spiral: the last tool error; for a failed gate: the run and gate. */
  detail: string | null
}

interface SessionState {
  /** The session's last events, summarised when a pack or the stored state needs them. */
  readonly recent: Array<ContextEvent | Envelope>
  failures: number
  spiral: string | null
  readonly blocks: Map<string, number>
}

/** The RCA fold: packs (newest last), per-session context and counters, and block counts per rule. */
export interface RcaState {
  readonly packs: Array<RcaPack>
  readonly sessions: Map<string, SessionState>
  readonly ruleBlocks: Map<string, number>
}

/** How many packs the projection keeps (the newest; in memory up to twice as many between trims). */
export const PACKS_KEPT = 1_000
/** How many sessions' context it keeps (the most recently active). */
export const SESSIONS_KEPT = 1_000
/** How many events of a session's context a pack shows. */
export const CONTEXT_EVENTS = 5
/** Consecutive tool failures in a session that make an error spiral. */
export const SPIRAL_FAILURES = 3
/** Blocks by one rule in one session from which they form a repeated-block pattern. */
export const REPEATED_BLOCKS = 3

const NO_SESSION = "(no session)"

const text = (value: unknown): string | null => (typeof value === "string" ? value : null)

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

const summarize = (envelope: Envelope): string => {
  const d = envelope.data as Record<string, unknown>
  switch (envelope.type) {
    case "v1.EvalDecided":
      return `${text(d["tool"]) ?? "?"} → ${text(d["decision"]) ?? "?"}${text(d["rule_id"]) !== null ? ` (${d["rule_id"]})` : ""}: ${clip(text(d["input_summary"]) ?? "", 80)}`
    case "v1.ToolCompleted":
      return `${text(d["tool"]) ?? "?"} ${d["success"] === true ? "succeeded" : `failed${text(d["error"]) !== null ? `: ${clip(text(d["error"])!, 80)}` : ""}`}`
    case "v1.WorkflowGateFinished":
      return `gate ${text(d["gate"]) ?? "?"} ${text(d["status"]) ?? "?"}`
    default:
      return envelope.type
  }
}

const contextOf = (item: ContextEvent | Envelope): ContextEvent =>
  "summary" in item ? item : { seq: item.seq, timestamp: item.timestamp, type: item.type, summary: summarize(item) }

const contextBefore = (session: SessionState): Array<ContextEvent> => {
  for (let i = 0; i < session.recent.length; i++) session.recent[i] = contextOf(session.recent[i]!)
  return session.recent as Array<ContextEvent>
}

const sessionOf = (state: RcaState, key: string): SessionState => {
  let session = state.sessions.get(key)
  if (session === undefined) session = { recent: [], failures: 0, spiral: null, blocks: new Map() }
  state.sessions.delete(key)
  state.sessions.set(key, session)
  if (state.sessions.size > SESSIONS_KEPT) state.sessions.delete(state.sessions.keys().next().value!)
  return session
}

const bump = (counts: Map<string, number>, key: string): number => {
  const n = (counts.get(key) ?? 0) + 1
  counts.set(key, n)
  return n
}

const addPack = (state: RcaState, pack: RcaPack): void => {
  state.packs.push(pack)
  if (state.packs.length >= 2 * PACKS_KEPT) state.packs.splice(0, state.packs.length - PACKS_KEPT)
}

const evalPack = (state: RcaState, session: SessionState, envelope: Envelope): RcaPack | null => {
  const d = envelope.data as Record<string, unknown>
  const decision = text(d["decision"])
  if (decision !== "block" && decision !== "ask" && decision !== "force") return null
  const ruleId = text(d["rule_id"])
  const tool = text(d["tool"]) ?? "?"
  const input = text(d["input_summary"]) ?? ""
  let trigger: Trigger
  let severity: Severity
  let summary: string
  let pattern: RcaPack["pattern"]
  if (decision === "block" && ruleId === "ssg-fail-closed") {
    trigger = "fail-closed"
    severity = "critical"
    summary = `ssg could not evaluate a ${tool} call and blocked it (fail closed)`
    pattern = { kind: "single", count: 1, description: "ssg itself failed (rules, config, key or log), not the agent" }
  } else if (decision === "block" && ruleId === "loop-guard") {
    trigger = "loop-guard"
    severity = "high"
    summary = `loop guard: the same ${tool} command came a third time in a row`
    pattern = { kind: "loop", count: 3, description: "the agent repeats one command without changing approach" }
  } else if (decision === "block") {
    const rule = ruleId ?? "(no rule)"
    const inSession = bump(session.blocks, rule)
    const overall = bump(state.ruleBlocks, rule)
    const repeated = inSession >= REPEATED_BLOCKS
    trigger = "block"
    severity = repeated ? "high" : "medium"
    summary = `${rule} blocked ${tool}: ${clip(input, 80)}`
    pattern = repeated
      ? { kind: "repeated-block", count: inSession, description: `${rule} blocked this session ${inSession} times (${overall} in all)` }
      : { kind: "single", count: overall, description: `${rule} has blocked ${overall} call(s) in all` }
  } else if (decision === "ask") {
    trigger = "ask"
    severity = "low"
    summary = `${ruleId ?? "a rule"} asks a human before ${tool}: ${clip(input, 80)}`
    pattern = { kind: "single", count: 1, description: "waiting for a human decision" }
  } else {
    trigger = "force"
    severity = "medium"
    summary = `${ruleId ?? "a rule"} replaced ${tool} with guidance: ${clip(input, 80)}`
    pattern = { kind: "single", count: 1, description: "the agent was steered to another tool or command" }
  }
  return {
    trace_id: envelope.id,
    seq: envelope.seq,
    timestamp: envelope.timestamp,
    trigger,
    severity,
    summary,
    session: envelope.source.session,
    client: text(d["client"]) ?? envelope.source.client,
    attempted: { tool, capability: text(d["capability"]), input_summary: input },
    why: { rule_id: ruleId, message: text(d["reason"]) },
    context: contextBefore(session).slice(),
    pattern,
    detail: null
  }
}

const evolve = (state: RcaState, envelope: Envelope): RcaState => {
  const type = envelope.type
  if (type !== "v1.EvalDecided" && type !== "v1.ToolCompleted" && type !== "v1.WorkflowGateFinished") return state
  const session = sessionOf(state, envelope.source.session ?? NO_SESSION)
  const d = envelope.data as Record<string, unknown>
  if (type === "v1.EvalDecided") {
    const pack = evalPack(state, session, envelope)
    if (pack !== null) addPack(state, pack)
  } else if (type === "v1.ToolCompleted") {
    if (d["success"] === true) {
      session.failures = 0
      session.spiral = null
    } else {
      session.failures++
      const error = text(d["error"])
      if (session.failures === SPIRAL_FAILURES) {
        session.spiral = envelope.id
        addPack(state, {
          trace_id: envelope.id,
          seq: envelope.seq,
          timestamp: envelope.timestamp,
          trigger: "error-spiral",
          severity: "high",
          summary: `${SPIRAL_FAILURES} tool calls in a row failed in this session`,
          session: envelope.source.session,
          client: envelope.source.client,
          attempted: { tool: text(d["tool"]) ?? "?", capability: null, input_summary: "" },
          why: { rule_id: null, message: null },
          context: [...contextBefore(session)],
          pattern: { kind: "error-spiral", count: SPIRAL_FAILURES, description: `${SPIRAL_FAILURES} consecutive tool failures` },
          detail: error
        })
      } else if (session.failures > SPIRAL_FAILURES && session.spiral !== null) {
        const spiral = state.packs.findLast((p) => p.trace_id === session.spiral)
        if (spiral !== undefined) {
          spiral.pattern.count = session.failures
          spiral.pattern.description = `${session.failures} consecutive tool failures`
          spiral.summary = `${session.failures} tool calls in a row failed in this session`
          spiral.timestamp = envelope.timestamp
          spiral.detail = error ?? spiral.detail
        }
      }
    }
  } else if (d["status"] === "failed") {
    const gate = text(d["gate"]) ?? "?"
    const run = text(d["run_id"]) ?? "?"
    addPack(state, {
      trace_id: envelope.id,
      seq: envelope.seq,
      timestamp: envelope.timestamp,
      trigger: "gate-failed",
      severity: "high",
      summary: `workflow gate ${gate} failed (run ${run})`,
      session: envelope.source.session,
      client: envelope.source.client,
      attempted: null,
      why: { rule_id: null, message: null },
      context: [...contextBefore(session)],
      pattern: { kind: "failed-gate", count: 1, description: `gate ${gate} of run ${run}` },
      detail: `run ${run}, gate ${gate}`
    })
  }
  session.recent.push(envelope)
  if (session.recent.length > CONTEXT_EVENTS) session.recent.shift()
  return state
}

const oldestKept = (state: RcaState): number => Math.max(0, state.packs.length - PACKS_KEPT)

/** The pack with trace id `id` among the newest PACKS_KEPT, if there. */
export const findPack = (state: RcaState, id: string): RcaPack | undefined => {
  for (let i = state.packs.length - 1; i >= oldestKept(state); i--) if (state.packs[i]!.trace_id === id) return state.packs[i]
  return undefined
}

/** The current pack: the most severe, then the most recent; undefined when there are none. */
export const currentPack = (state: RcaState): RcaPack | undefined => {
  let best: RcaPack | undefined
  for (const pack of state.packs.slice(oldestKept(state))) {
    if (best === undefined || SEVERITIES.indexOf(pack.severity) < SEVERITIES.indexOf(best.severity) || (pack.severity === best.severity && pack.seq > best.seq)) {
      best = pack
    }
  }
  return best
}

const entries = (value: unknown): Array<[string, unknown]> =>
  Array.isArray(value) ? value.filter((e): e is [string, unknown] => Array.isArray(e) && e.length === 2 && typeof e[0] === "string") : []

/** `rca`: root-cause packs for blocks, asks, forces, loop-guard trips, error spirals and failed gates. */
export const rcaProjection: Projection<RcaState> = {
  name: "rca",
  version: 1,
  initial: () => ({ packs: [], sessions: new Map(), ruleBlocks: new Map() }),
  evolve,
  encode: (state) => ({
    packs: state.packs.slice(-PACKS_KEPT),
    sessions: [...state.sessions].map(([k, s]) => [k, { recent: s.recent.map(contextOf), failures: s.failures, spiral: s.spiral, blocks: [...s.blocks] }]),
    ruleBlocks: [...state.ruleBlocks]
  }),
  decode: (data) => {
    const d = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>
    return {
      packs: Array.isArray(d["packs"]) ? (d["packs"] as Array<RcaPack>) : [],
      sessions: new Map(
        entries(d["sessions"]).map(([k, v]) => {
          const s = (v ?? {}) as { recent?: Array<ContextEvent>; failures?: number; spiral?: string | null; blocks?: unknown }
          return [k, { recent: s.recent ?? [], failures: s.failures ?? 0, spiral: s.spiral ?? null, blocks: new Map(entries(s.blocks) as Array<[string, number]>) }]
        })
      ),
      ruleBlocks: new Map(entries(d["ruleBlocks"]) as Array<[string, number]>)
    }
  }
}
