import { describe, expect, it } from "vitest"
import { useCliSandbox } from "../support/cli.js"
import { CheckpointError } from "../../src/domain/Checkpoint.js"
import { CompactRange, leafHash } from "../../src/domain/Merkle.js"
import { CHAIN_START, chainHash, signCheckpointWith } from "../../src/pipeline/LogWriter.js"
import { signingKeyFromSeed } from "../../src/pipeline/SigningKey.js"
import { checkpointRecord, type EntryRecord, entryId, type ForwardRecord } from "../../src/sinks/Record.js"
import { StreamProblem, streamVerifier } from "../../src/sinks/StreamVerify.js"

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

  it("refuses a record it cannot place (seq not a positive integer, no log id, a checkpoint without a note)", () => {
    const records = stream(20, 10)
    const entry = records[3] as EntryRecord
    expect(() => verify([...records, { ...entry, seq: 1e300 }])).toThrow(new StreamProblem('not a valid ssg.entry record: field "seq" must be a positive integer'))
    expect(() => verify([{ ...entry, log_id: undefined as unknown as string }])).toThrow('field "log_id" must be a non-empty string')
    const checkpoint = records.find((r) => r.kind === "ssg.checkpoint")!
    expect(() => verify([{ ...checkpoint, note: 7 as unknown as string }])).toThrow('not a valid ssg.checkpoint record: field "note"')
  })

  it("refuses a verifier key that does not parse before reading any record", () => {
    expect(() => streamVerifier("garbage", null)).toThrow(CheckpointError)
  })
})

describe("ssg audit verify-stream input problems (exit 2, one line)", () => {
  const sb = useCliSandbox("ssg-verify-stream")
  const lines = (records: ReadonlyArray<unknown>) => records.map((r) => JSON.stringify(r)).join("\n") + "\n"
  const run = (file: string, ...flags: Array<string>) => {
    const r = sb.ssg("audit", "verify-stream", file, "--key", key.vkey, ...flags)
    expect(r.stdout).toBe("")
    expect(r.code).toBe(2)
    return r.stderr
  }

  it("verifies a good stream and refuses an empty one, a bad key, a malformed record and mixed logs", () => {
    const records = stream(20, 10)
    const good = sb.write("good.jsonl", lines(records))
    const ok = sb.ssg("audit", "verify-stream", good, "--key", key.vkey, "--json")
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, length: 20 })

    expect(run(sb.write("empty.jsonl", ""))).toBe(`ssg: ${sb.cwd}/empty.jsonl: the stream holds no ssg records\n`)
    const badKey = sb.ssg("audit", "verify-stream", good, "--key", "garbage")
    expect(badKey.code).toBe(2)
    expect(badKey.stderr).toMatch(/^ssg: --key: verifier key must be <name>\+<key id>\+<key>\n$/)
    const entry = records[1] as EntryRecord
    const malformed = sb.write("malformed.jsonl", lines([records[0], { ...entry, log_id: null }, ...records.slice(2)]))
    expect(run(malformed)).toBe(`ssg: ${malformed}:2: not a valid ssg.entry record: field "log_id" must be a non-empty string\n`)
    const other = signingKeyFromSeed(new Uint8Array(32).fill(3))
    const mixed = sb.write("mixed.jsonl", lines([...records, { ...entry, log_id: other.name, id: entryId(other.name, entry.seq) }]))
    expect(run(mixed)).toMatch(/^ssg: .*mixed\.jsonl: the stream mixes records of 2 logs \(.*\); choose one with --log-id\n$/)
  })
})
