import type { Envelope } from "../domain/Event.js"
import { type SourceFields, splicesVerbatim } from "../domain/EnvelopeBytes.js"
import { envelopeFromText, type StoredEntry } from "../pipeline/AuditLog.js"
import type { ForwardRow } from "../pipeline/AuditStore.js"

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
export const entryRecord = (entry: StoredEntry, full: boolean): EntryRecord =>
  recordOfParts(
    entry.seq,
    entry.type,
    entry.recordedAt,
    Buffer.from(entry.leaf).toString("hex"),
    Buffer.from(entry.chain).toString("hex"),
    entry.envelope.source.log_id,
    full ? entry.envelope : undefined
  )

/**
 * The record of an entry read as a forward row, equal to `entryRecord` of the same entry. When `source` was read from
 * the stored bytes and they re-serialise verbatim, `entry` is parsed only if read and `recordJson`/`recordBytes` splice
 * the stored bytes; otherwise the envelope is parsed now (throwing AuditError when it is not JSON).
 */
export const entryRecordOfRow = (row: ForwardRow, full: boolean, source: SourceFields | null): EntryRecord => {
  const [seq, type, recordedAt, bytes, leaf, chain] = row
  if (source === null || !splicesVerbatim(bytes)) {
    const envelope = envelopeFromText(seq, bytes.toString("utf8"))
    return recordOfParts(seq, type, recordedAt, leaf, chain, envelope.source.log_id, full ? envelope : undefined)
  }
  if (!full) return recordOfParts(seq, type, recordedAt, leaf, chain, source.log_id, undefined)
  const logId = source.log_id
  const record: EntryRecord = {
    kind: "ssg.entry",
    id: entryId(logId, seq),
    log_id: logId,
    seq,
    type,
    timestamp: recordedAt,
    leaf,
    chain,
    get entry(): Envelope {
      return parsedEntry(this)
    }
  }
  STORED.set(record, { bytes, host: source.host })
  return record
}

/** `JSON.stringify(record)`, with the stored envelope spliced in for records of `entryRecordOfRow`. */
export const recordJson = (record: ForwardRecord): string => {
  const stored = STORED.get(record)
  return stored === undefined ? JSON.stringify(record) : `${recordHead(record as EntryRecord)}${stored.bytes.toString("utf8")}}`
}

/**
 * The UTF-8 of `prefix + recordJson(record) + suffix` as parts to write: `text`, then the stored `envelope` bytes (copied,
 * never decoded) and `tail`; `bytes` is the total length.
 */
export interface RecordFrame {
  readonly text: string
  readonly envelope: Buffer | null
  readonly tail: string
  readonly bytes: number
}

/** The frame of `prefix + recordJson(record) + suffix`. */
export const recordFrame = (record: ForwardRecord, prefix = "", suffix = ""): RecordFrame => {
  const stored = STORED.get(record)
  if (stored === undefined) {
    const text = `${prefix}${JSON.stringify(record)}${suffix}`
    return { text, envelope: null, tail: "", bytes: Buffer.byteLength(text) }
  }
  const text = `${prefix}${recordHead(record as EntryRecord)}`
  const tail = `}${suffix}`
  return { text, envelope: stored.bytes, tail, bytes: Buffer.byteLength(text) + stored.bytes.length + Buffer.byteLength(tail) }
}

/** Writes `frame` into `target` at `at` (which must have `frame.bytes` free); returns the offset after it. */
export const writeFrame = (frame: RecordFrame, target: Buffer, at: number): number => {
  let end = at + target.write(frame.text, at)
  if (frame.envelope !== null) {
    end += frame.envelope.copy(target, end)
    end += target.write(frame.tail, end)
  }
  return end
}

/** The UTF-8 bytes of `prefix + recordJson(record) + suffix`, the stored envelope bytes copied in. */
export const recordBytes = (record: ForwardRecord, prefix = "", suffix = ""): Buffer => {
  const frame = recordFrame(record, prefix, suffix)
  const bytes = Buffer.allocUnsafe(frame.bytes)
  writeFrame(frame, bytes, 0)
  return bytes
}

/** `encode`, computed once per record (records are immutable; the cache holds them weakly). */
export const perRecord = <A>(encode: (record: ForwardRecord) => A): ((record: ForwardRecord) => A) => {
  const known = new WeakMap<ForwardRecord, A>()
  return (record) => {
    if (known.has(record)) return known.get(record)!
    const value = encode(record)
    known.set(record, value)
    return value
  }
}

/** The host that recorded an entry record (its envelope's `source.host`), read without parsing the envelope. */
export const entryHost = (record: EntryRecord): string | undefined => {
  const stored = STORED.get(record)
  return stored !== undefined ? stored.host : record.entry?.source.host
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

const STORED = new WeakMap<ForwardRecord, { readonly bytes: Buffer; readonly host: string | undefined }>()

const recordHead = (record: EntryRecord): string =>
  `{"kind":"ssg.entry","id":${JSON.stringify(record.id)},"log_id":${JSON.stringify(record.log_id)},"seq":${record.seq},` +
  `"type":${JSON.stringify(record.type)},"timestamp":${JSON.stringify(record.timestamp)},` +
  `"leaf":"${record.leaf}","chain":"${record.chain}","entry":`

const parsedEntry = (record: EntryRecord): Envelope => {
  const envelope = envelopeFromText(record.seq, STORED.get(record)!.bytes.toString("utf8"))
  Object.defineProperty(record, "entry", { value: envelope, enumerable: true, writable: true, configurable: true })
  return envelope
}

const recordOfParts = (
  seq: number,
  type: string,
  timestamp: string,
  leaf: string,
  chain: string,
  logId: string,
  entry: Envelope | undefined
): EntryRecord =>
  entry === undefined
    ? { kind: "ssg.entry", id: entryId(logId, seq), log_id: logId, seq, type, timestamp, leaf, chain }
    : { kind: "ssg.entry", id: entryId(logId, seq), log_id: logId, seq, type, timestamp, leaf, chain, entry }

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
