import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { createReadStream, readFileSync } from "node:fs"
import { createInterface } from "node:readline"
import { formatProof, parseProof, parseVerifierKey, verify as verifyCheckpoint } from "../domain/Checkpoint.js"
import { leafHash, verifyInclusion } from "../domain/Merkle.js"
import { AuditLog, type StoredEntry } from "../pipeline/AuditLog.js"
import { verifyLog, type VerifyReport } from "../pipeline/AuditVerify.js"
import { Keys } from "../pipeline/Keys.js"
import { recordOfLine } from "../sinks/Record.js"
import { StreamProblem, streamVerifier } from "../sinks/StreamVerify.js"
import { Finding, UsageError } from "./finding.js"
import { jsonOption } from "./options.js"

const hex = (b: Uint8Array): string => `sha256:${Buffer.from(b).toString("hex")}`

/** Parses `30s`, `15m`, `1h`, `7d` or an ISO 8601 date (`2026-11-22`, `2026-11-22T10:00Z`) into an ISO timestamp lower bound. */
export const parseSince = (value: string, now: number): string | null => {
  const m = /^(\d+)\s*([smhd])$/.exec(value.trim())
  if (m !== null) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"]
    return new Date(now - Number(m[1]) * unit).toISOString()
  }
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) return null
  const t = Date.parse(value.trim())
  return Number.isNaN(t) ? null : new Date(t).toISOString()
}

const summary = (e: StoredEntry): string => {
  const d = e.envelope.data as Record<string, unknown>
  switch (e.type) {
    case "v1.EvalDecided":
      return `${String(d["decision"])} ${String(d["tool"])}${d["rule_id"] ? ` by ${String(d["rule_id"])}` : ""} — ${String(d["input_summary"] ?? "")}`
    case "v1.RuleChanged":
      return `${String(d["rule_id"])}: ${String(d["change"])} ${String(d["from"])} → ${String(d["to"])}`
    default:
      return JSON.stringify(d).slice(0, 100)
  }
}

const entryJson = (e: StoredEntry) => ({ ...e.envelope, leaf: hex(e.leaf), chain: hex(e.chain) })

/** Prints a verification report as `ssg audit verify` does (text, or one JSON document); `stubs` adds a stream's hash-only entries. */
const printVerifyReport = (r: VerifyReport, json: boolean, stubs: ReadonlyArray<number> | null = null) =>
  Effect.gen(function* () {
    if (json) {
      yield* Console.log(
        JSON.stringify({
          valid: r.valid,
          length: r.length,
          first_broken: r.firstBroken,
          reason: r.reason,
          class: r.breakClass,
          expected: r.expected,
          got: r.got,
          checkpoints_verified: r.checkpointsVerified,
          verified_from: r.verifiedFrom,
          ...(stubs !== null ? { stubs: stubs.length } : {})
        })
      )
    } else {
      yield* Console.log(`Chain length: ${r.length} entries`)
      if (r.first !== null) yield* Console.log(`First entry: #${r.first.seq} ${r.first.timestamp} (${r.first.type})`)
      if (r.last !== null) yield* Console.log(`Last entry: #${r.last.seq} ${r.last.timestamp} (${r.last.type})`)
      if (r.verifiedFrom > 0) yield* Console.log(`Verified incrementally from entry #${r.verifiedFrom + 1}`)
      yield* Console.log(`Checkpoints verified: ${r.checkpointsVerified}`)
      if (stubs !== null && stubs.length > 0) {
        const shown = stubs.slice(0, 5).map((seq) => `#${seq}`).join(", ")
        yield* Console.log(
          `Hash-only stubs: ${stubs.length} (${shown}${stubs.length > 5 ? ", …" : ""}): verified by hash, their content is not in the stream`
        )
      }
      if (r.valid) yield* Console.log("Chain integrity: VALID ✓")
      else {
        yield* Console.log(r.firstBroken !== null ? `Chain integrity: BROKEN at entry #${r.firstBroken}` : "Chain integrity: BROKEN")
        if (r.reason !== null) yield* Console.log(`Reason: ${r.reason}`)
        if (r.expected !== null) yield* Console.log(`Expected: ${r.expected}`)
        if (r.got !== null) yield* Console.log(`Got: ${r.got}`)
      }
    }
  })

const verifyCommand = Command.make(
  "verify",
  {
    json: jsonOption,
    incremental: Options.boolean("incremental").pipe(Options.withDescription("verify only what was appended since the last verification"))
  },
  ({ incremental, json }) =>
    Effect.gen(function* () {
      const r: VerifyReport = yield* verifyLog({ incremental })
      yield* printVerifyReport(r, json)
      if (!r.valid) return yield* new Finding({ message: "audit log verification failed", silent: true })
    })
).pipe(Command.withDescription("Recompute every leaf, chain link, root and checkpoint signature (exit 1 if broken)"))

const verifyStreamCommand = Command.make(
  "verify-stream",
  {
    file: Args.text({ name: "FILE|-" }).pipe(Args.withDescription("forwarded records as JSON lines (HEC envelopes and Splunk exports too); - for stdin")),
    key: Options.text("key").pipe(Options.withDescription("the log's verifier key (default: this machine's keys/signing.pub)"), Options.optional),
    logId: Options.text("log-id").pipe(Options.withDescription("verify only this log's records"), Options.optional),
    json: jsonOption
  },
  ({ file, json, key, logId }) =>
    Effect.gen(function* () {
      const vkey = Option.isSome(key)
        ? key.value
        : (yield* (yield* Keys).loadPublic.pipe(
            Effect.mapError((e) => new UsageError({ message: `no verifier key: pass --key (the log's key, from \`ssg keys show\`); ${e.message}` }))
          )).vkey
      const verifier = yield* Effect.try({
        try: () => streamVerifier(vkey, Option.getOrNull(logId)),
        catch: (e) => new UsageError({ message: `--key: ${(e as Error).message}` })
      })
      const name = file === "-" ? "standard input" : file
      yield* Effect.tryPromise({
        try: async () => {
          const input = file === "-" ? process.stdin : createReadStream(file, "utf8")
          let n = 0
          for await (const line of createInterface({ input, crlfDelay: Infinity })) {
            n++
            const record = line.trim() === "" ? null : recordOfLine(line)
            try {
              if (record !== null) verifier.add(record)
            } catch (e) {
              throw new StreamProblem(`${name}:${n}: ${(e as Error).message}`)
            }
          }
        },
        catch: (e) => new UsageError({ message: e instanceof StreamProblem ? e.message : `cannot read ${name}: ${(e as Error).message}` })
      })
      const r = yield* Effect.try({
        try: () => verifier.finish(),
        catch: (e) => new UsageError({ message: `${name}: ${(e as Error).message}` })
      })
      yield* printVerifyReport(r, json, verifier.stubs())
      if (!r.valid) return yield* new Finding({ message: "stream verification failed", silent: true })
    })
).pipe(
  Command.withDescription("Check forwarded records (as exported from a SIEM): no gap, no alteration, covered by signed checkpoints")
)

const logCommand = Command.make(
  "log",
  {
    since: Options.text("since").pipe(Options.withDescription("only entries newer than this: 30m, 1h, 7d or an ISO date"), Options.optional),
    type: Options.text("type").pipe(Options.withDescription("only this event type, e.g. v1.EvalDecided"), Options.optional),
    limit: Options.integer("limit").pipe(Options.withDescription("at most N entries (the newest)"), Options.optional),
    json: jsonOption
  },
  ({ json, limit, since, type }) =>
    Effect.gen(function* () {
      const log = yield* AuditLog
      if (Option.isSome(limit) && limit.value < 1) return yield* new UsageError({ message: "--limit must be 1 or more" })
      const sinceIso = Option.isSome(since) ? parseSince(since.value, Date.now()) : null
      if (Option.isSome(since) && sinceIso === null) {
        return yield* new UsageError({ message: `--since: cannot read "${since.value}" (use 30m, 1h, 7d or an ISO date)` })
      }
      const all = yield* log.entries({
        ...(sinceIso !== null ? { since: sinceIso } : {}),
        ...(Option.isSome(type) ? { type: type.value } : {})
      })
      const shown = Option.isSome(limit) ? all.slice(Math.max(0, all.length - limit.value)) : all
      if (json) return yield* Console.log(JSON.stringify(shown.map(entryJson)))
      for (const e of shown) yield* Console.log(`#${e.seq}  ${e.recordedAt}  ${e.type.padEnd(22)} ${summary(e)}`)
      yield* Console.log(`${shown.length} entr${shown.length === 1 ? "y" : "ies"}`)
    })
).pipe(Command.withDescription("List audit log entries"))

const lookup = (key: string) =>
  Effect.gen(function* () {
    const log = yield* AuditLog
    const e = yield* log.entry(/^\d+$/.test(key) ? Number(key) : key)
    if (e === null) return yield* new Finding({ message: `no audit entry ${/^\d+$/.test(key) ? `#${key}` : `with id ${key}`}` })
    return e
  })

const showCommand = Command.make("show", { key: Args.text({ name: "SEQ|ID" }), json: jsonOption }, ({ json, key }) =>
  Effect.gen(function* () {
    const e = yield* lookup(key)
    if (json) return yield* Console.log(JSON.stringify(entryJson(e)))
    yield* Console.log(JSON.stringify(e.envelope, null, 2))
    yield* Console.log(`leaf:  ${hex(e.leaf)}`)
    yield* Console.log(`chain: ${hex(e.chain)}`)
  })
).pipe(Command.withDescription("Show one audit entry by seq or id"))

const checkpointCommand = Command.make("checkpoint", {}, () =>
  Effect.gen(function* () {
    const head = yield* (yield* AuditLog).head
    if (head === null) return yield* new Finding({ message: "no checkpoint yet: the audit log is empty" })
    yield* Effect.sync(() => process.stdout.write(head.note))
  })
).pipe(Command.withDescription("Print the newest signed checkpoint (C2SP signed note) verbatim"))

const proofCommand = Command.make("proof", { seq: Args.integer({ name: "SEQ" }), json: jsonOption }, ({ json, seq }) =>
  Effect.gen(function* () {
    const log = yield* AuditLog
    const { entry, head, proof } = yield* log.inclusion(seq)
    const receipt = formatProof(seq - 1, proof, head.note, entry.bytes)
    if (!json) return yield* Effect.sync(() => process.stdout.write(receipt))
    yield* Console.log(
      JSON.stringify({
        seq,
        index: seq - 1,
        tree_size: head.size,
        entry: entryJson(entry),
        proof: proof.map((p) => Buffer.from(p).toString("hex")),
        checkpoint: head.note,
        receipt
      })
    )
  })
).pipe(Command.withDescription("Print an offline receipt for one entry: entry bytes, inclusion proof, signed checkpoint"))

const verifyReceiptCommand = Command.make(
  "verify-receipt",
  {
    file: Args.file({ name: "FILE", exists: "yes" }),
    key: Options.text("key").pipe(Options.withDescription("the log's verifier key (from `ssg keys show`)"))
  },
  ({ file, key }) =>
    Effect.gen(function* () {
      const text = yield* Effect.try({
        try: () => readFileSync(file, "utf8"),
        catch: (e) => new UsageError({ message: `cannot read ${file}: ${(e as Error).message}` })
      })
      yield* Effect.try({
        try: () => parseVerifierKey(key),
        catch: (e) => new UsageError({ message: `--key: ${(e as Error).message}` })
      })
      const outcome = yield* Effect.try({
        try: () => {
          const receipt = parseProof(text)
          const cp = verifyCheckpoint(receipt.checkpoint, key)
          if (receipt.extra === null) throw new Error("the receipt carries no entry bytes")
          const leaf = leafHash(receipt.extra)
          if (!verifyInclusion(leaf, receipt.index, cp.size, receipt.proof, cp.root)) {
            throw new Error(`the entry is not included at index ${receipt.index} of the tree of size ${cp.size}`)
          }
          const envelope = JSON.parse(Buffer.from(receipt.extra).toString("utf8")) as { seq: number; type: string; timestamp: string }
          return { cp, envelope }
        },
        catch: (e) => new Finding({ message: `${file}: receipt INVALID: ${(e as Error).message}` })
      })
      yield* Console.log(
        `receipt valid: entry #${outcome.envelope.seq} (${outcome.envelope.type}, ${outcome.envelope.timestamp}) is in ${outcome.cp.origin} at size ${outcome.cp.size}`
      )
    })
).pipe(Command.withDescription("Check an offline receipt with the log's verifier key; needs no database (exit 1 if invalid)"))

const consistencyCommand = Command.make(
  "consistency",
  { oldSize: Args.integer({ name: "OLD_SIZE" }), newSize: Args.integer({ name: "NEW_SIZE" }).pipe(Args.optional), json: jsonOption },
  ({ json, newSize, oldSize }) =>
    Effect.gen(function* () {
      const log = yield* AuditLog
      const r = yield* log.consistency(oldSize, Option.getOrUndefined(newSize))
      const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64")
      if (json) {
        return yield* Console.log(
          JSON.stringify({
            old_size: r.oldSize,
            new_size: r.newSize,
            old_root: hex(r.oldRoot),
            new_root: hex(r.newRoot),
            proof: r.proof.map((p) => Buffer.from(p).toString("hex"))
          })
        )
      }
      yield* Console.log(`old ${r.oldSize} ${b64(r.oldRoot)}`)
      yield* Console.log(`new ${r.newSize} ${b64(r.newRoot)}`)
      for (const p of r.proof) yield* Console.log(b64(p))
    })
).pipe(Command.withDescription("Print a consistency proof between two tree sizes (NEW_SIZE defaults to the head)"))

/** `ssg audit …`: verify, read and prove the append-only audit log. */
export const auditCommand = Command.make("audit").pipe(
  Command.withDescription("Verify, read and prove entries of the append-only Merkle audit log"),
  Command.withSubcommands([
    verifyCommand,
    verifyStreamCommand,
    logCommand,
    showCommand,
    checkpointCommand,
    proofCommand,
    verifyReceiptCommand,
    consistencyCommand
  ])
)
