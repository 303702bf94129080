import type { Envelope } from "../domain/Event.js"
import type { Projection } from "./Projection.js"

/** One blocked call as `ssg blocked` lists it. */
export interface BlockedCall {
  readonly seq: number
  readonly timestamp: string
  readonly client: string
  readonly session: string | null
  readonly tool: string
  readonly rule_id: string | null
  readonly reason: string | null
  readonly input_summary: string
}

/** How many of the most recent blocked calls the projection keeps. */
export const BLOCKED_KEPT = 1_000

const text = (value: unknown): string | null => (typeof value === "string" ? value : null)

/** `blocked`: the most recent blocked calls (`v1.EvalDecided` with decision `block`), oldest first. */
export const blockedProjection: Projection<Array<BlockedCall>> = {
  name: "blocked",
  version: 1,
  initial: () => [],
  evolve: (state, envelope: Envelope) => {
    if (envelope.type !== "v1.EvalDecided") return state
    const data = envelope.data as Record<string, unknown>
    if (data["decision"] !== "block") return state
    state.push({
      seq: envelope.seq,
      timestamp: envelope.timestamp,
      client: text(data["client"]) ?? envelope.source.client,
      session: envelope.source.session,
      tool: text(data["tool"]) ?? "",
      rule_id: text(data["rule_id"]),
      reason: text(data["reason"]),
      input_summary: text(data["input_summary"]) ?? ""
    })
    if (state.length > BLOCKED_KEPT) state.splice(0, state.length - BLOCKED_KEPT)
    return state
  },
  encode: (state) => state,
  decode: (data) => (Array.isArray(data) ? (data as Array<BlockedCall>) : [])
}
