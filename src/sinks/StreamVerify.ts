import { canonicalBytes, canonicalJson } from "../domain/CanonicalJson.js"
import { type Checkpoint, verify as verifyCheckpoint } from "../domain/Checkpoint.js"
import { bytesEqual, CompactRange, leafHash } from "../domain/Merkle.js"
import { broken, classifyBreak, EMPTY_REPORT, type VerifyReport } from "../pipeline/AuditVerify.js"
import { CHAIN_START, chainHash } from "../pipeline/LogWriter.js"
import { nodeSignatureCheck } from "../pipeline/SigningKey.js"
import { entryId, type CheckpointRecord, type EntryRecord, type ForwardRecord } from "./Record.js"

/** Records of several logs in one stream (the caller must pick one), or of none. */
export class StreamProblem extends Error {}

/**
 * Verifies a stream of forwarded records (any order, duplicates allowed) like `ssg audit verify` verifies the database:
 * entries 1..N all present and unaltered (leaf from the envelope's canonical bytes, chain links), every checkpoint
 * signed by `vkey` and matching the tree of the entries, every entry covered by a checkpoint. `logId` picks one log.
 */
export const verifyStream = (records: Iterable<ForwardRecord>, vkey: string, logId: string | null): VerifyReport => {
  const entries = new Map<number, EntryRecord>()
  const conflicts = new Set<number>()
  const checkpoints = new Map<number, CheckpointRecord>()
  const logs = new Set<string>()
  for (const record of records) {
    if (logId !== null && record.log_id !== logId) continue
    logs.add(record.log_id)
    if (record.kind === "ssg.checkpoint") {
      if (!checkpoints.has(record.size) || record.note !== checkpoints.get(record.size)!.note) {
        if (checkpoints.has(record.size)) conflicts.add(-record.size)
        checkpoints.set(record.size, record)
      }
      continue
    }
    const seen = entries.get(record.seq)
    if (seen === undefined) entries.set(record.seq, record)
    else if (canonicalJson(seen) !== canonicalJson(record)) {
      if (seen.entry === undefined) entries.set(record.seq, record)
      else if (record.entry !== undefined) conflicts.add(record.seq)
    }
  }
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
  const maxSeq = entries.size === 0 ? 0 : Math.max(...entries.keys())
  const describe = (r: EntryRecord) => ({ seq: r.seq, timestamp: r.timestamp, type: r.type })
  const first = entries.get(1) ?? null
  const range = CompactRange.empty()
  const rootAt = new Map<number, Uint8Array>()
  let previous: Uint8Array = CHAIN_START
  let position = 0
  let failure: ReturnType<typeof broken> | null = null
  for (let p = 1; p <= maxSeq; p++) {
    const r = entries.get(p)
    if (r === undefined) {
      let next = p + 1
      while (!entries.has(next)) next++
      failure = broken(p, "missing-entry", `missing entry: #${p} is not in the stream (the next entry is #${next})`, null, null)
      break
    }
    const storedLeaf = hexBytes(r.leaf)
    const storedChain = hexBytes(r.chain)
    if (conflicts.has(p)) {
      failure = broken(p, "payload-mismatch", `payload mismatch: #${p} was forwarded twice with different bytes`, null, null)
      break
    }
    const leaf = r.entry === undefined ? storedLeaf : leafOf(r.entry)
    const chain = chainHash(previous, leaf)
    const claimed = r.entry !== undefined && Number.isSafeInteger(r.entry.seq) ? r.entry.seq : null
    const idOk = r.id === entryId(r.log_id, p) && (r.entry === undefined || r.entry.source?.log_id === r.log_id)
    if (!bytesEqual(leaf, storedLeaf) || !bytesEqual(chain, storedChain) || (claimed !== null && claimed !== p) || !idOk) {
      failure =
        !bytesEqual(leaf, storedLeaf) || !bytesEqual(chain, storedChain) || (claimed !== null && claimed !== p)
          ? classifyBreak(p, claimed, leaf, storedLeaf, chain, storedChain, previous)
          : broken(p, "payload-mismatch", `payload mismatch: the record id or log id of #${p} was rewritten`, null, null)
      break
    }
    previous = chain
    range.append(leaf)
    position = p
    if (checkpoints.has(p)) rootAt.set(p, range.root())
  }
  const last = position > 0 ? describe(entries.get(position)!) : null
  const base = {
    length: failure === null ? position : maxSeq,
    first: first === null ? null : describe(first),
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

const hexBytes = (hex: unknown): Uint8Array =>
  typeof hex === "string" && /^[0-9a-f]{64}$/i.test(hex) ? new Uint8Array(Buffer.from(hex, "hex")) : new Uint8Array(32)

const leafOf = (envelope: unknown): Uint8Array => {
  try {
    return leafHash(canonicalBytes(envelope))
  } catch {
    return new Uint8Array(32)
  }
}
