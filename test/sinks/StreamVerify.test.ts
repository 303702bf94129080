import { describe, expect, it } from "vitest"
import { CompactRange, leafHash } from "../../src/domain/Merkle.js"
import { CHAIN_START, chainHash, signCheckpointWith } from "../../src/pipeline/LogWriter.js"
import { signingKeyFromSeed } from "../../src/pipeline/SigningKey.js"
import { checkpointRecord, type EntryRecord, entryId, type ForwardRecord } from "../../src/sinks/Record.js"
import { streamVerifier } from "../../src/sinks/StreamVerify.js"

const key = signingKeyFromSeed(new Uint8Array(32).fill(9))
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

/** `size` hash-only entry records of one log and a signed checkpoint every `every` entries and at the end. */
const stream = (size: number, every: number): Array<ForwardRecord> => {
  const out: Array<ForwardRecord> = []
  const range = CompactRange.empty()
  let previous: Uint8Array = CHAIN_START
  for (let seq = 1; seq <= size; seq++) {
    const leaf = leafHash(new TextEncoder().encode(`entry ${seq}`))
    previous = chainHash(previous, leaf)
    range.append(leaf)
    out.push({
      kind: "ssg.entry",
      id: entryId(key.name, seq),
      log_id: key.name,
      seq,
      type: "v1.EvalDecided",
      timestamp: "2026-11-22T00:00:00.000Z",
      leaf: hex(leaf),
      chain: hex(previous)
    } satisfies EntryRecord)
    if (seq % every === 0 || seq === size) out.push(checkpointRecord(key.name, seq, range.root(), signCheckpointWith(key, seq, range.root())))
  }
  return out
}

const verify = (records: Iterable<ForwardRecord>) => {
  const verifier = streamVerifier(key.vkey, null)
  for (const r of records) verifier.add(r)
  return verifier.finish()
}

describe("streamVerifier", () => {
  it("verifies a stream of 200,000 entries in reverse order (as a SIEM export lists them), with duplicates", () => {
    const records = stream(200_000, 50_000)
    const report = verify([...records.slice(0, 1_000), ...records].reverse())
    expect(report).toMatchObject({ valid: true, length: 200_000, checkpointsVerified: 4 })
    expect(report.first).toMatchObject({ seq: 1 })
    expect(report.last).toMatchObject({ seq: 200_000 })
  })

  it("names the first missing entry and the next one present, also when the next is far away", () => {
    const records = stream(1_000, 1_000).filter((r) => r.kind !== "ssg.entry" || r.seq < 10 || r.seq > 900)
    expect(verify(records)).toMatchObject({ valid: false, breakClass: "missing-entry", firstBroken: 10 })
    expect(verify(records).reason).toContain("the next entry is #901")
  })

  it("ignores records whose seq is not a positive integer (they cannot fill a gap)", () => {
    const records = stream(20, 10)
    const odd = { ...(records[3] as EntryRecord), seq: 1e300 }
    expect(verify([...records, odd])).toMatchObject({ valid: true, length: 20 })
  })
})
