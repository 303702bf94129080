import { Schema } from "effect"
import type { Effect } from "effect"
import type { SinkConfig } from "./SinkConfig.js"
import type { ForwardRecord } from "./Record.js"

/**
 * Why a send or probe failed, which decides what the runner does: `unavailable`/`throttled`/`timeout` retry with backoff
 * (honouring `retryAfterMs`) while probing; `auth`/`config` pause the sink; `split` asks for smaller
 * batches (the destination refused the batch as a whole). Messages never hold a secret.
 */
export class SinkFailure extends Schema.TaggedError<SinkFailure>()("SinkFailure", {
  reason: Schema.Literal("unavailable", "throttled", "timeout", "auth", "config", "split"),
  message: Schema.String,
  retryAfterMs: Schema.optional(Schema.Number)
}) {}

/** A record of the batch the destination refused as invalid (poison): its index in the batch and the answer. */
export interface Refusal {
  readonly index: number
  readonly reason: string
}

/**
 * The destination's answer to a batch: `refused` records go to the dead-letter table, `resend` lists the indexes not
 * confirmed (to send again without the refused ones). Every other record is confirmed.
 */
export interface SendResult {
  readonly refused: ReadonlyArray<Refusal>
  readonly resend: ReadonlyArray<number>
}

/** A batch the destination confirmed in full. */
export const CONFIRMED: SendResult = { refused: [], resend: [] }

/**
 * One destination. `send` succeeds only once the destination confirmed every record not listed in its result (HEC 200
 * or a true indexer ack, Kafka acks=-1, Kafka REST per-record 200, webhook 2xx); `sizeOf` is a record's encoded size,
 * for batching by bytes; `probe` checks health and credentials without sending records.
 */
export interface Sink {
  readonly config: SinkConfig
  readonly sizeOf: (record: ForwardRecord) => number
  /** Encodes a batch ahead of `send` (while the previous batch is in flight); a `send` of the same records reuses it. */
  readonly prepare?: (batch: ReadonlyArray<ForwardRecord>) => void
  readonly send: (batch: ReadonlyArray<ForwardRecord>) => Effect.Effect<SendResult, SinkFailure>
  readonly probe: Effect.Effect<string, SinkFailure>
  readonly close: Effect.Effect<void>
}

/** The value of environment variable `name`, or a config failure naming the variable (never a value). */
export const secretFrom = (env: NodeJS.ProcessEnv, name: string, sink: string): string => {
  const value = env[name]
  if (value === undefined || value === "") {
    throw new SinkFailure({ reason: "config", message: `sink ${sink}: environment variable ${name} is not set` })
  }
  return value
}

/** `text` with every occurrence of the secrets replaced by `***` (for messages that quote a destination's answer). */
export const redactSecrets = (text: string, secrets: ReadonlyArray<string>): string =>
  secrets.reduce((t, s) => (s.length >= 4 ? t.split(s).join("***") : t), text)

/** Milliseconds to wait from a `Retry-After` header (delta seconds or an HTTP date), or undefined. */
export const retryAfterMs = (header: string | ReadonlyArray<string> | undefined, now: number): number | undefined => {
  const value = Array.isArray(header) ? header[0] : header
  if (typeof value !== "string" || value.trim() === "") return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}
