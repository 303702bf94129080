import type { Envelope } from "../domain/Event.js"
import type { StoredEntry } from "../pipeline/AuditLog.js"

/**
 * One forwarded log entry: its stable id (`log_id:seq`), seq, type, leaf and chain hashes (hex) and the envelope whose
 * canonical JSON is the leaf's input. A stub (an event type the sink's filter leaves out) carries no `entry`.
 */
export interface EntryRecord {
  readonly kind: "ssg.entry"
  readonly id: string
  readonly log_id: string
  readonly seq: number
  readonly type: string
  readonly timestamp: string
  readonly leaf: string
  readonly chain: string
  readonly entry?: Envelope
}

/** One signed C2SP checkpoint of the log: tree size, root (hex) and the signed note verbatim. */
export interface CheckpointRecord {
  readonly kind: "ssg.checkpoint"
  readonly id: string
  readonly log_id: string
  readonly size: number
  readonly root: string
  readonly note: string
}

/** What every sink forwards: log entries and the signed checkpoints that cover them. */
export type ForwardRecord = EntryRecord | CheckpointRecord

/** The stable id of entry `seq` of log `logId`, the consumer's de-duplication key. */
export const entryId = (logId: string, seq: number): string => `${logId}:${seq}`

/** The record of a stored entry; `full` false gives the hash-only stub. */
export const entryRecord = (entry: StoredEntry, full: boolean): EntryRecord => {
  const logId = entry.envelope.source.log_id
  return {
    kind: "ssg.entry",
    id: entryId(logId, entry.seq),
    log_id: logId,
    seq: entry.seq,
    type: entry.type,
    timestamp: entry.recordedAt,
    leaf: Buffer.from(entry.leaf).toString("hex"),
    chain: Buffer.from(entry.chain).toString("hex"),
    ...(full ? { entry: entry.envelope } : {})
  }
}

/** The record of the signed checkpoint `note` over the first `size` entries with root `root`. */
export const checkpointRecord = (logId: string, size: number, root: Uint8Array, note: string): CheckpointRecord => ({
  kind: "ssg.checkpoint",
  id: `${logId}:checkpoint:${size}`,
  log_id: logId,
  size,
  root: Buffer.from(root).toString("hex"),
  note
})

/** The position a record sorts at in a stream: an entry's seq, a checkpoint's size (after the entry it covers). */
export const recordSeq = (record: ForwardRecord): number => (record.kind === "ssg.entry" ? record.seq : record.size)

/** Epoch seconds for a record: the entry's recording time, or now for a checkpoint. */
export const recordTime = (record: ForwardRecord): number =>
  record.kind === "ssg.entry" ? Date.parse(record.timestamp) / 1000 : Date.now() / 1000

/**
 * Finds the forwarded record in one line of a stream: the record itself, a HEC envelope (`event`), a Splunk search
 * export (`result._raw` or `_raw`, JSON text) or a Kafka consumer dump (`value`). Null when the line holds none.
 */
export const recordOfLine = (line: string): ForwardRecord | null => {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return null
  }
  return recordOf(value, 0)
}

const recordOf = (value: unknown, depth: number): ForwardRecord | null => {
  if (depth > 3) return null
  if (typeof value === "string") {
    try {
      return recordOf(JSON.parse(value), depth + 1)
    } catch {
      return null
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null
  const v = value as Record<string, unknown>
  if (v["kind"] === "ssg.entry" || v["kind"] === "ssg.checkpoint") return v as unknown as ForwardRecord
  for (const key of ["event", "result", "_raw", "value"]) {
    if (key in v) {
      const found = recordOf(v[key], depth + 1)
      if (found !== null) return found
    }
  }
  return null
}
