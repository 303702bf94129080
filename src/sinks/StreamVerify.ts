import { createHash } from "node:crypto"
import { canonicalBytes, canonicalJson } from "../domain/CanonicalJson.js"
import { type Checkpoint, parseVerifierKey, verify as verifyCheckpoint } from "../domain/Checkpoint.js"
import { bytesEqual, CompactRange, leafHash } from "../domain/Merkle.js"
import { broken, classifyBreak, EMPTY_REPORT, type VerifyReport } from "../pipeline/AuditVerify.js"
import { CHAIN_START, chainHash } from "../pipeline/LogWriter.js"
import { nodeSignatureCheck } from "../pipeline/SigningKey.js"
import { entryId, type CheckpointRecord, type EntryRecord, type ForwardRecord } from "./Record.js"

/** A stream that cannot be verified as given: a malformed ssg record, records of several logs (pick one), or none. */
export class StreamProblem extends Error {}

interface SeenEntry {
  readonly leaf: Uint8Array
  readonly storedLeaf: Uint8Array
  readonly storedChain: Uint8Array
  readonly claimed: number | null
  /** What the record's own fields (id, log id, type, timestamp) say that its entry contradicts, or null. */
  readonly wrapperProblem: string | null
  readonly full: boolean
  readonly fingerprint: string
  readonly timestamp: string
  readonly type: string
}

/** Accumulates a stream of forwarded records one at a time, keeping ~200 bytes per entry, then reports. */
export interface StreamVerifier {
  readonly add: (record: ForwardRecord) => void
  readonly finish: () => VerifyReport
  /** Seqs of the entries seen only as hash-only stubs (no envelope), ascending: verified by hash, their content unseen. */
  readonly stubs: () => ReadonlyArray<number>
}

const isText = (value: unknown): boolean => typeof value === "string" && value !== ""

const isCount = (value: unknown, min: number): boolean => Number.isSafeInteger(value) && (value as number) >= min

/** What makes a record unusable (no log id, position or note to place it by; an entry that is not an object), or null. */
const shapeProblem = (r: ForwardRecord): string | null => {
  if (!isText(r.log_id)) return 'field "log_id" must be a non-empty string'
  if (r.kind === "ssg.checkpoint") {
    if (!isCount(r.size, 0)) return 'field "size" must be a non-negative integer'
    return isText(r.note) ? null : 'field "note" must be the signed checkpoint text'
  }
  if (!isCount(r.seq, 1)) return 'field "seq" must be a positive integer'
  return r.entry === undefined || (typeof r.entry === "object" && r.entry !== null && !Array.isArray(r.entry))
    ? null
    : 'field "entry" must be the entry\'s JSON object'
}

/**
 * Verifies a stream of forwarded records (any order, duplicates allowed) like `ssg audit verify` verifies the database:
 * entries 1..N all present and unaltered (leaf from the envelope's canonical bytes, chain links), every checkpoint
 * signed by `vkey` and matching the tree of the entries, every entry covered by a checkpoint. `logId` picks one log.
 * Throws the key's CheckpointError at once when `vkey` is not a verifier key; `add` throws StreamProblem on a malformed
 * ssg record, `finish` when the stream holds no record of one log.
 */
export const streamVerifier = (vkey: string, logId: string | null): StreamVerifier => {
  parseVerifierKey(vkey)
  const entries = new Map<number, SeenEntry>()
  const conflicts = new Set<number>()
  const checkpoints = new Map<number, CheckpointRecord>()
  const logs = new Set<string>()
  const add = (record: ForwardRecord): void => {
    const problem = shapeProblem(record)
    if (problem !== null) throw new StreamProblem(`not a valid ${record.kind} record: ${problem}`)
    if (logId !== null && record.log_id !== logId) return
    logs.add(record.log_id)
    if (record.kind === "ssg.checkpoint") {
      if (!checkpoints.has(record.size) || record.note !== checkpoints.get(record.size)!.note) {
        if (checkpoints.has(record.size)) conflicts.add(-record.size)
        checkpoints.set(record.size, record)
      }
      return
    }
    const entry = seenEntry(record)
    const seen = entries.get(record.seq)
    if (seen === undefined) entries.set(record.seq, entry)
    else if (seen.fingerprint !== entry.fingerprint) {
      if (!seen.full) entries.set(record.seq, entry)
      else if (entry.full) conflicts.add(record.seq)
    }
  }
  const stubs = () => [...entries].filter(([, e]) => !e.full).map(([seq]) => seq).sort((a, b) => a - b)
  return { add, finish: () => report(entries, conflicts, checkpoints, logs, vkey), stubs }
}

const seenEntry = (r: EntryRecord): SeenEntry => {
  const storedLeaf = hexBytes(r.leaf)
  const leaf = r.entry === undefined ? storedLeaf : leafOf(r.entry)
  return {
    leaf,
    storedLeaf,
    storedChain: hexBytes(r.chain),
    claimed: r.entry !== undefined && Number.isSafeInteger(r.entry.seq) ? r.entry.seq : null,
    wrapperProblem: wrapperProblem(r),
    full: r.entry !== undefined,
    fingerprint: createHash("sha256").update(wrapperText(r)).update(leaf).digest("base64"),
    timestamp: String(r.timestamp),
    type: String(r.type)
  }
}

const report = (
  entries: Map<number, SeenEntry>,
  conflicts: Set<number>,
  checkpoints: Map<number, CheckpointRecord>,
  logs: Set<string>,
  vkey: string
): VerifyReport => {
  if (logs.size === 0) throw new StreamProblem("the stream holds no ssg records")
  if (logs.size > 1) throw new StreamProblem(`the stream mixes records of ${logs.size} logs (${[...logs].join(", ")}); choose one with --log-id`)
  const fail = (extra: Partial<VerifyReport>): VerifyReport => ({ ...EMPTY_REPORT, valid: false, ...extra })

  const parsed: Array<{ size: number; cp: Checkpoint }> = []
  for (const [size, record] of [...checkpoints].sort((a, b) => a[0] - b[0])) {
    try {
      const cp = verifyCheckpoint(record.note, vkey, nodeSignatureCheck)
      if (conflicts.has(-size)) throw new Error("two different notes were forwarded for this size")
      parsed.push({ size: cp.size, cp })
    } catch (e) {
      return fail({
        length: entries.size,
        breakClass: "bad-checkpoint-signature",
        firstBroken: size,
        reason: `badly signed checkpoint: the checkpoint at size ${size} does not verify with this log's key (${(e as Error).message})`,
        checkpointsVerified: parsed.length
      })
    }
  }
  const checkpointsVerified = parsed.length
  let maxSeq = 0
  for (const seq of entries.keys()) if (seq > maxSeq) maxSeq = seq
  const describe = (seq: number) => ({ seq, timestamp: entries.get(seq)!.timestamp, type: entries.get(seq)!.type })
  const first = entries.has(1) ? describe(1) : null
  const range = CompactRange.empty()
  const rootAt = new Map<number, Uint8Array>()
  let previous: Uint8Array = CHAIN_START
  let position = 0
  let failure: ReturnType<typeof broken> | null = null
  for (let p = 1; p <= maxSeq; p++) {
    const r = entries.get(p)
    if (r === undefined) {
      let next = Infinity
      for (const seq of entries.keys()) if (seq > p && seq < next) next = seq
      failure = broken(p, "missing-entry", `missing entry: #${p} is not in the stream (the next entry is #${next})`, null, null)
      break
    }
    if (conflicts.has(p)) {
      failure = broken(p, "payload-mismatch", `payload mismatch: #${p} was forwarded twice with different bytes`, null, null)
      break
    }
    const { claimed, leaf, storedChain, storedLeaf } = r
    const chain = chainHash(previous, leaf)
    if (!bytesEqual(leaf, storedLeaf) || !bytesEqual(chain, storedChain) || (claimed !== null && claimed !== p)) {
      failure = classifyBreak(p, claimed, leaf, storedLeaf, chain, storedChain, previous)
      break
    }
    if (r.wrapperProblem !== null) {
      failure = broken(p, "payload-mismatch", `payload mismatch: the record of #${p} ${r.wrapperProblem}`, null, null)
      break
    }
    previous = chain
    range.append(leaf)
    position = p
    if (checkpoints.has(p)) rootAt.set(p, range.root())
  }
  const last = position > 0 ? describe(position) : null
  const base = {
    length: failure === null ? position : maxSeq,
    first,
    last,
    checkpointsVerified
  }
  if (failure !== null) return fail({ ...base, ...failure })
  let previousSize = 0
  for (const { cp, size } of parsed) {
    if (size > position) {
      return fail({
        ...base,
        ...broken(
          position + 1,
          "truncated",
          `truncated: the stream has ${position} entries but the checkpoint at size ${size} covers ${size}`,
          cp.root,
          null
        )
      })
    }
    const root = rootAt.get(size) ?? CompactRange.empty().root()
    if (!bytesEqual(root, cp.root)) {
      return fail({
        ...base,
        ...broken(
          previousSize + 1,
          "forked-checkpoint",
          `forked checkpoint: the checkpoint at size ${size} signs a different tree; the entries changed somewhere in #${previousSize + 1}–#${size}`,
          cp.root,
          root
        )
      })
    }
    previousSize = size
  }
  if (position > previousSize) {
    return fail({
      ...base,
      ...broken(
        previousSize + 1,
        "unsigned-entries",
        `unsigned entries: #${previousSize + 1}–#${position} are not covered by any signed checkpoint in the stream`,
        null,
        null
      )
    })
  }
  return { ...EMPTY_REPORT, ...base, valid: true }
}

const wrapperProblem = (r: EntryRecord): string | null => {
  if (r.id !== entryId(r.log_id, r.seq)) return `has id ${JSON.stringify(r.id)}, not ${JSON.stringify(entryId(r.log_id, r.seq))}`
  const entry = r.entry
  if (entry === undefined) return null
  if (entry.source?.log_id !== r.log_id) return `names log ${JSON.stringify(r.log_id)} but its entry was written by ${JSON.stringify(entry.source?.log_id)}`
  if (entry.type !== r.type) return `says type ${JSON.stringify(r.type)} but its entry is ${JSON.stringify(entry.type)}`
  if (entry.timestamp !== r.timestamp) return `says timestamp ${JSON.stringify(r.timestamp)} but its entry says ${JSON.stringify(entry.timestamp)}`
  return null
}

const wrapperText = (r: EntryRecord): string => {
  try {
    return canonicalJson({ ...r, entry: undefined })
  } catch {
    return JSON.stringify({ ...r, entry: undefined })
  }
}

const hexBytes = (hex: unknown): Uint8Array =>
  typeof hex === "string" && /^[0-9a-f]{64}$/i.test(hex) ? new Uint8Array(Buffer.from(hex, "hex")) : new Uint8Array(32)

const leafOf = (envelope: unknown): Uint8Array => {
  try {
    return leafHash(canonicalBytes(envelope))
  } catch {
    return new Uint8Array(32)
  }
}
