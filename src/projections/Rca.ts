import { canonicalJson } from "../domain/CanonicalJson.js"
import type { Envelope } from "../domain/Event.js"
import { envelopeFromText } from "../pipeline/AuditLog.js"
import { canonicalType, DATA_START, type EntryText, flatDataEnd, member, scalarAt } from "./EnvelopeText.js"
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
  /** The session's last entries: summarised, or as the log holds them until a pack or the stored state needs them. */
  readonly recent: Array<ContextEvent | EntryText>
  failures: number
  /** The seq of the pack of the session's current error spiral. */
  spiral: number | null
  readonly blocks: Map<string, number>
}

/** A pack as the fold keeps it: its seq and severity at hand, the pack itself built from its log entries when first read. */
export class PackSlot {
  private built: RcaPack | undefined
  constructor(
    readonly seq: number,
    readonly severity: Severity,
    private readonly trigger: Trigger,
    private readonly entry: EntryText | null,
    private readonly context: ReadonlyArray<ContextEvent | EntryText>,
    private readonly inSession: number,
    private readonly overall: number,
    built?: RcaPack
  ) {
    this.built = built
  }

  /** A slot holding a pack already built (as the projection store returns it). */
  static of(pack: RcaPack): PackSlot {
    return new PackSlot(pack.seq, pack.severity, pack.trigger, null, [], 0, 0, pack)
  }

  /** The pack; built on first read from the entry that raised it and the session context before it. */
  get pack(): RcaPack {
    return (this.built ??= buildPack(this.entry!, this.trigger, this.severity, this.context.map(contextOf), this.inSession, this.overall))
  }
}

/** The RCA fold: pack slots (newest last), per-session context and counters, and block counts per rule. */
export interface RcaState {
  readonly packs: Array<PackSlot>
  /** Sessions, least recently active first. */
  readonly sessions: Map<string, SessionState>
  readonly ruleBlocks: Map<string, number>
  /** The key of the most recently active session (last in `sessions`), when known. */
  active: string | null
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

/** The packs kept and served (the newest PACKS_KEPT), oldest first. */
export const keptPacks = (state: RcaState): Array<RcaPack> => state.packs.slice(oldestKept(state)).map((slot) => slot.pack)

/** The pack with trace id `id` among the newest PACKS_KEPT, if there. */
export const findPack = (state: RcaState, id: string): RcaPack | undefined => {
  for (let i = state.packs.length - 1; i >= oldestKept(state); i--) if (state.packs[i]!.pack.trace_id === id) return state.packs[i]!.pack
  return undefined
}

/** The current pack: the most severe, then the most recent; undefined when there are none. */
export const currentPack = (state: RcaState): RcaPack | undefined => {
  let best: PackSlot | undefined
  for (let i = oldestKept(state); i < state.packs.length; i++) {
    const slot = state.packs[i]!
    if (best === undefined || SEVERITIES.indexOf(slot.severity) < SEVERITIES.indexOf(best.severity) || (slot.severity === best.severity && slot.seq > best.seq)) {
      best = slot
    }
  }
  return best?.pack
}

const NO_SESSION = "(no session)"
const EVAL = "v1.EvalDecided"
const TOOL = "v1.ToolCompleted"
const GATE = "v1.WorkflowGateFinished"
const EVAL_END = `,"type":"${EVAL}"}`
const TOOL_END = `,"type":"${TOOL}"}`
const GATE_END = `,"type":"${GATE}"}`

type Field = readonly [key: string, name: string]

const field = (key: string): Field => [key, member(key)]
const DECISION = field("decision")
const RULE_ID = field("rule_id")
const SUCCESS = field("success")
const STATUS = field("status")
const SESSION = member("session")

const text = (value: unknown): string | null => (typeof value === "string" ? value : null)

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

const summarize = (envelope: Envelope): string => {
  const d = envelope.data as Record<string, unknown>
  switch (envelope.type) {
    case EVAL:
      return `${text(d["tool"]) ?? "?"} → ${text(d["decision"]) ?? "?"}${text(d["rule_id"]) !== null ? ` (${d["rule_id"]})` : ""}: ${clip(text(d["input_summary"]) ?? "", 80)}`
    case TOOL:
      return `${text(d["tool"]) ?? "?"} ${d["success"] === true ? "succeeded" : `failed${text(d["error"]) !== null ? `: ${clip(text(d["error"])!, 80)}` : ""}`}`
    case GATE:
      return `gate ${text(d["gate"]) ?? "?"} ${text(d["status"]) ?? "?"}`
    default:
      return envelope.type
  }
}

const parse = (entry: EntryText): Envelope => envelopeFromText(entry[0], entry[1])

const contextOf = (item: ContextEvent | EntryText): ContextEvent => {
  if (!Array.isArray(item)) return item as ContextEvent
  const envelope = parse(item as EntryText)
  return { seq: envelope.seq, timestamp: envelope.timestamp, type: envelope.type, summary: summarize(envelope) }
}

const oldestKept = (state: RcaState): number => Math.max(0, state.packs.length - PACKS_KEPT)

const sessionOf = (state: RcaState, key: string): SessionState => {
  let session = state.sessions.get(key)
  if (key === state.active && session !== undefined) return session
  if (session === undefined) session = { recent: [], failures: 0, spiral: null, blocks: new Map() }
  state.sessions.delete(key)
  state.sessions.set(key, session)
  state.active = key
  if (state.sessions.size > SESSIONS_KEPT) state.sessions.delete(state.sessions.keys().next().value!)
  return session
}

const bump = (counts: Map<string, number>, key: string): number => {
  const n = (counts.get(key) ?? 0) + 1
  counts.set(key, n)
  return n
}

const addPack = (state: RcaState, slot: PackSlot): void => {
  state.packs.push(slot)
  if (state.packs.length >= 2 * PACKS_KEPT) state.packs.splice(0, state.packs.length - PACKS_KEPT)
}

const evolveEntry = (state: RcaState, entry: EntryText): RcaState => {
  const line = entry[1]
  let type: string
  if (line.endsWith(EVAL_END)) type = EVAL
  else if (line.endsWith(TOOL_END)) type = TOOL
  else if (line.endsWith(GATE_END)) type = GATE
  else if (canonicalType(line) !== undefined) return state
  else return evolveParsed(state, entry)
  const end = flatDataEnd(line)
  if (end === -1) return evolveParsed(state, entry)
  return apply(state, entry, type, text(scalarAt(line, SESSION, end, line.length)), end, null)
}

const evolveParsed = (state: RcaState, entry: EntryText): RcaState => {
  const envelope = parse(entry)
  const type = envelope.type
  if (type !== EVAL && type !== TOOL && type !== GATE) return state
  return apply(state, entry, type, text(envelope.source.session), -1, envelope.data as Record<string, unknown>)
}

const read = (entry: EntryText, end: number, data: Record<string, unknown> | null, [key, name]: Field): unknown =>
  data === null ? scalarAt(entry[1], name, DATA_START, end) : data[key]

const apply = (state: RcaState, entry: EntryText, type: string, sessionId: string | null, end: number, data: Record<string, unknown> | null): RcaState => {
  const session = sessionOf(state, sessionId ?? NO_SESSION)
  if (type === EVAL) {
    const decision = read(entry, end, data, DECISION)
    if (decision === "block" || decision === "ask" || decision === "force") {
      const ruleId = text(read(entry, end, data, RULE_ID))
      if (decision === "block" && ruleId === "ssg-fail-closed") addPack(state, slot(entry, "fail-closed", "critical", session))
      else if (decision === "block" && ruleId === "loop-guard") addPack(state, slot(entry, "loop-guard", "high", session))
      else if (decision === "block") {
        const rule = ruleId ?? "(no rule)"
        const inSession = bump(session.blocks, rule)
        const overall = bump(state.ruleBlocks, rule)
        addPack(state, slot(entry, "block", inSession >= REPEATED_BLOCKS ? "high" : "medium", session, inSession, overall))
      } else if (decision === "ask") addPack(state, slot(entry, "ask", "low", session))
      else addPack(state, slot(entry, "force", "medium", session))
    }
  } else if (type === TOOL) {
    if (read(entry, end, data, SUCCESS) === true) {
      session.failures = 0
      session.spiral = null
    } else {
      session.failures++
      if (session.failures === SPIRAL_FAILURES) {
        session.spiral = entry[0]
        addPack(state, slot(entry, "error-spiral", "high", session))
      } else if (session.failures > SPIRAL_FAILURES && session.spiral !== null) {
        const spiral = state.packs.findLast((p) => p.seq === session.spiral)
        if (spiral !== undefined) grow(spiral.pack, session.failures, parse(entry))
      }
    }
  } else if (read(entry, end, data, STATUS) === "failed") {
    addPack(state, slot(entry, "gate-failed", "high", session))
  }
  session.recent.push(entry)
  if (session.recent.length > CONTEXT_EVENTS) session.recent.shift()
  return state
}

const slot = (entry: EntryText, trigger: Trigger, severity: Severity, session: SessionState, inSession = 0, overall = 0): PackSlot =>
  new PackSlot(entry[0], severity, trigger, entry, session.recent.slice(), inSession, overall)

const grow = (spiral: RcaPack, failures: number, envelope: Envelope): void => {
  spiral.pattern.count = failures
  spiral.pattern.description = `${failures} consecutive tool failures`
  spiral.summary = `${failures} tool calls in a row failed in this session`
  spiral.timestamp = envelope.timestamp
  spiral.detail = text((envelope.data as Record<string, unknown>)["error"]) ?? spiral.detail
}

const buildPack = (
  entry: EntryText,
  trigger: Trigger,
  severity: Severity,
  context: Array<ContextEvent>,
  inSession: number,
  overall: number
): RcaPack => {
  const envelope = parse(entry)
  const d = envelope.data as Record<string, unknown>
  const pack = (
    summary: string,
    client: string,
    attempted: RcaPack["attempted"],
    why: RcaPack["why"],
    pattern: RcaPack["pattern"],
    detail: string | null
  ): RcaPack => ({
    trace_id: envelope.id,
    seq: envelope.seq,
    timestamp: envelope.timestamp,
    trigger,
    severity,
    summary,
    session: envelope.source.session,
    client,
    attempted,
    why,
    context,
    pattern,
    detail
  })
  if (trigger === "error-spiral") {
    return pack(
      `${SPIRAL_FAILURES} tool calls in a row failed in this session`,
      envelope.source.client,
      { tool: text(d["tool"]) ?? "?", capability: null, input_summary: "" },
      { rule_id: null, message: null },
      { kind: "error-spiral", count: SPIRAL_FAILURES, description: `${SPIRAL_FAILURES} consecutive tool failures` },
      text(d["error"])
    )
  }
  if (trigger === "gate-failed") {
    const gate = text(d["gate"]) ?? "?"
    const run = text(d["run_id"]) ?? "?"
    return pack(
      `workflow gate ${gate} failed (run ${run})`,
      envelope.source.client,
      null,
      { rule_id: null, message: null },
      { kind: "failed-gate", count: 1, description: `gate ${gate} of run ${run}` },
      `run ${run}, gate ${gate}`
    )
  }
  const ruleId = text(d["rule_id"])
  const tool = text(d["tool"]) ?? "?"
  const input = text(d["input_summary"]) ?? ""
  const rule = ruleId ?? "(no rule)"
  const [summary, pattern]: readonly [string, RcaPack["pattern"]] =
    trigger === "fail-closed"
      ? [`ssg could not evaluate a ${tool} call and blocked it (fail closed)`, { kind: "single", count: 1, description: "ssg itself failed (rules, config, key or log), not the agent" }]
      : trigger === "loop-guard"
        ? [`loop guard: the same ${tool} command came a third time in a row`, { kind: "loop", count: 3, description: "the agent repeats one command without changing approach" }]
        : trigger === "block"
          ? [
              `${rule} blocked ${tool}: ${clip(input, 80)}`,
              inSession >= REPEATED_BLOCKS
                ? { kind: "repeated-block", count: inSession, description: `${rule} blocked this session ${inSession} times (${overall} in all)` }
                : { kind: "single", count: overall, description: `${rule} has blocked ${overall} call(s) in all` }
            ]
          : trigger === "ask"
            ? [`${ruleId ?? "a rule"} asks a human before ${tool}: ${clip(input, 80)}`, { kind: "single", count: 1, description: "waiting for a human decision" }]
            : [`${ruleId ?? "a rule"} replaced ${tool} with guidance: ${clip(input, 80)}`, { kind: "single", count: 1, description: "the agent was steered to another tool or command" }]
  return pack(
    summary,
    text(d["client"]) ?? envelope.source.client,
    { tool, capability: text(d["capability"]), input_summary: input },
    { rule_id: ruleId, message: text(d["reason"]) },
    pattern,
    null
  )
}

const entries = (value: unknown): Array<[string, unknown]> =>
  Array.isArray(value) ? value.filter((e): e is [string, unknown] => Array.isArray(e) && e.length === 2 && typeof e[0] === "string") : []

/** `rca`: root-cause packs for blocks, asks, forces, loop-guard trips, error spirals and failed gates. */
export const rcaProjection: Projection<RcaState> = {
  name: "rca",
  version: 2,
  initial: () => ({ packs: [], sessions: new Map(), ruleBlocks: new Map(), active: null }),
  evolve: (state, envelope) => evolveEntry(state, [envelope.seq, canonicalJson(envelope)]),
  evolveEntry,
  encode: (state) => ({
    packs: keptPacks(state),
    sessions: [...state.sessions].map(([k, s]) => [k, { recent: s.recent.map(contextOf), failures: s.failures, spiral: s.spiral, blocks: [...s.blocks] }]),
    ruleBlocks: [...state.ruleBlocks]
  }),
  decode: (data) => {
    const d = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>
    return {
      packs: Array.isArray(d["packs"]) ? (d["packs"] as Array<RcaPack>).map(PackSlot.of) : [],
      sessions: new Map(
        entries(d["sessions"]).map(([k, v]) => {
          const s = (v ?? {}) as { recent?: Array<ContextEvent>; failures?: number; spiral?: number | null; blocks?: unknown }
          return [k, { recent: s.recent ?? [], failures: s.failures ?? 0, spiral: s.spiral ?? null, blocks: new Map(entries(s.blocks) as Array<[string, number]>) }]
        })
      ),
      ruleBlocks: new Map(entries(d["ruleBlocks"]) as Array<[string, number]>),
      active: null
    }
  }
}
