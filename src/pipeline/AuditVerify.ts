import type { SqliteClient } from "@effect/sql-sqlite-node/SqliteClient"
import { Effect } from "effect"
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { type Checkpoint, verify as verifyCheckpoint } from "../domain/Checkpoint.js"
import { bytesEqual, EMPTY_ROOT, leafHash, nodeHash } from "../domain/Merkle.js"
import { AuditError, AuditLog } from "./AuditLog.js"
import { CHAIN_START, chainHash } from "./LogWriter.js"
import { type CheckpointRow, type EntryRow, STORED_LEVEL } from "./AuditStore.js"
import { Keys } from "./Keys.js"
import { nodeSignatureCheck } from "./SigningKey.js"
import { envelopeColumnsMatch, parallelScan, type ScannedRange, type Subtree } from "./ParallelScan.js"
import { SsgPaths } from "./Paths.js"

/** The class of the first problem `ssg audit verify` finds. */
export type BreakClass =
  | "payload-mismatch"
  | "leaf-mismatch"
  | "chain-mismatch"
  | "missing-entry"
  | "reordered-entries"
  | "inserted-entry"
  | "truncated"
  | "rolled-back"
  | "forked-checkpoint"
  | "bad-checkpoint-signature"
  | "unsigned-entries"
  | "tree-node-mismatch"
  | "missing-tree-node"
  | "no-outside-checkpoint"

/** The outcome of a verification: valid, or the first broken entry (or range) with its class and hashes. */
export interface VerifyReport {
  readonly valid: boolean
  readonly length: number
  readonly first: { readonly seq: number; readonly timestamp: string; readonly type: string } | null
  readonly last: { readonly seq: number; readonly timestamp: string; readonly type: string } | null
  readonly firstBroken: number | null
  readonly breakClass: BreakClass | null
  readonly reason: string | null
  readonly expected: string | null
  readonly got: string | null
  readonly checkpointsVerified: number
  /** Size the verification started from (0 for a full verification). */
  readonly verifiedFrom: number
}

/** What an incremental verification resumes from: the last verified size, its chain hash and compact-range border. */
interface VerifiedState {
  readonly size: number
  readonly chain: string
  readonly border: ReadonlyArray<string>
}

const columnsMatch = (bytes: Uint8Array, ...columns: ReadonlyArray<unknown>): boolean => {
  const [id, type, time, session] = columns.map((c) => (c === null ? Buffer.alloc(0) : Buffer.from(String(c), "utf8")))
  const blob = Buffer.concat([bytes, id!, type!, time!, session!])
  return envelopeColumnsMatch(blob, 0, bytes.length, bytes.length, id!.length, type!.length, time!.length, session!.length)
}

const sha = (hex: Uint8Array): string => `sha256:${Buffer.from(hex).toString("hex")}`

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.length)
const hashLeaf = (bytes: Uint8Array): Buffer => asBuffer(leafHash(bytes))
const hashNode = (l: Uint8Array, r: Uint8Array): Buffer => asBuffer(nodeHash(l, r))
const hashChain = (p: Uint8Array, l: Uint8Array): Buffer => asBuffer(chainHash(p, l))

/**
 * A streaming RFC 6962 tree over node:crypto: push leaves, read the root of the prefix seen so far. `onNode` sees every
 * perfect subtree it hashes from STORED_LEVEL up (a clone has none).
 */
class Stack {
  size: number
  hashes: Array<Buffer>
  onNode: ((level: number, index: number, hash: Buffer) => void) | undefined = undefined
  constructor(size: number, border: ReadonlyArray<Buffer>) {
    this.size = size
    this.hashes = [...border]
  }
  push(leaf: Buffer): void {
    this.pushSubtree(0, leaf)
  }
  /** Appends the root of a perfect subtree of 2^level leaves; the size must be a multiple of 2^level. */
  pushSubtree(level: number, hash: Buffer): void {
    const width = 2 ** level
    let i = this.size / width
    this.hashes.push(hash)
    this.size += width
    let at = level
    while (i % 2 === 1) {
      const r = this.hashes.pop()!
      const l = this.hashes.pop()!
      const node = hashNode(l, r)
      this.hashes.push(node)
      i = (i - 1) / 2
      at++
      if (at >= STORED_LEVEL && this.onNode !== undefined) this.onNode(at, i, node)
    }
  }
  clone(): Stack {
    return new Stack(this.size, this.hashes)
  }
  root(): Buffer {
    if (this.hashes.length === 0) return asBuffer(EMPTY_ROOT.slice())
    let r = this.hashes[this.hashes.length - 1]!
    for (let k = this.hashes.length - 2; k >= 0; k--) r = hashNode(this.hashes[k]!, r)
    return r
  }
}

const CHUNK = 20_000

interface Anchor {
  readonly label: string
  readonly note: string
}

/**
 * Verifies every leaf, chain link, stored tree node, checkpoint root and signature and the outside checkpoint with the
 * log's public key alone; `incremental` resumes. A missing outside checkpoint is read again once (the first append
 * writes it just after committing).
 */
export const verifyLog = (options: { readonly incremental: boolean; readonly parallelMin?: number }) =>
  Effect.gen(function* () {
    const log = yield* AuditLog
    const report = yield* verifyOnce(log, options)
    if (report.breakClass !== "no-outside-checkpoint" || !existsSync(log.latestPath)) return report
    return yield* verifyOnce(log, options)
  })

const verifyOnce = (log: AuditLog["Type"], options: { readonly incremental: boolean; readonly parallelMin?: number }) =>
  Effect.gen(function* () {
    const { home } = yield* SsgPaths
    const statePath = join(home, "checkpoints", "verified.json")
    const latestNote = yield* Effect.try({
      try: () => readSettled(log.latestPath),
      catch: (e) => new AuditError({ reason: "storage", message: `cannot read ${log.latestPath}: ${(e as Error).message}` })
    })
    if (!existsSync(log.path)) {
      if (latestNote === null) return EMPTY_REPORT
      const size = safeSize(latestNote)
      return {
        ...EMPTY_REPORT,
        valid: false,
        firstBroken: 1,
        breakClass: "rolled-back" as const,
        reason: `rolled back: the database is missing but the outside checkpoint covers ${size} entries`
      }
    }
    const sql = yield* log.client
    const empty = yield* sql`SELECT NOT (EXISTS (SELECT 1 FROM entries) OR EXISTS (SELECT 1 FROM head)
      OR EXISTS (SELECT 1 FROM checkpoints))`.values
    if (latestNote === null && Number(empty[0]?.[0]) === 1) return EMPTY_REPORT
    const key = yield* (yield* Keys).loadPublic.pipe(
      Effect.mapError((e) => new AuditError({ reason: "key", message: e.message }))
    )
    const savedState = options.incremental ? readState(statePath) : null
    const prefix = yield* scanPrefix(log.path, sql, savedState, latestNote, options.parallelMin ?? PARALLEL_MIN)
    const { report, state } = yield* sql.withTransaction(
      verifySnapshot(log, sql, key.vkey, latestNote, savedState, prefix)
    )
    if (state !== null) {
      yield* Effect.try({
        try: () => {
          writeFileSync(`${statePath}.tmp`, JSON.stringify(state))
          renameSync(`${statePath}.tmp`, statePath)
        },
        catch: (e) =>
          new AuditError({ reason: "storage", message: `cannot write ${statePath}: ${(e as Error).message}` })
      })
    }
    return report
  }).pipe(
    Effect.catchTag("SqlError", (e) =>
      Effect.fail(
        new AuditError({
          reason: "storage",
          message: `audit log ${log.path}: ${e.cause instanceof Error ? e.cause.message : String(e.cause ?? e)}`
        })
      )
    )
  )

/**
 * The outside checkpoint's text, read until two reads agree (at most four): appenders rewrite it in place, so a read
 * racing a write could otherwise see a mix of two notes. Null when there is no file.
 */
const readSettled = (path: string): string | null => {
  const read = (): string | null => {
    try {
      return readFileSync(path, "utf8")
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null
      throw e
    }
  }
  let text = read()
  for (let attempt = 0; attempt < 3 && text !== null; attempt++) {
    const again = read()
    if (again === text) return text
    text = again
  }
  return text
}

/** The report of an empty, valid log. */
export const EMPTY_REPORT: VerifyReport = {
  valid: true,
  length: 0,
  first: null,
  last: null,
  firstBroken: null,
  breakClass: null,
  reason: null,
  expected: null,
  got: null,
  checkpointsVerified: 0,
  verifiedFrom: 0
}

const readState = (path: string): VerifiedState | null => {
  try {
    const state = JSON.parse(readFileSync(path, "utf8")) as Partial<VerifiedState> | null
    if (
      state === null ||
      typeof state !== "object" ||
      !Number.isSafeInteger(state.size) ||
      state.size! < 0 ||
      typeof state.chain !== "string" ||
      Buffer.from(state.chain, "base64").length !== 32 ||
      !Array.isArray(state.border) ||
      state.border.length !== state.size!.toString(2).replace(/0/g, "").length ||
      !state.border.every((h) => typeof h === "string" && Buffer.from(h, "base64").length === 32)
    ) {
      return null
    }
    return state as VerifiedState
  } catch {
    return null
  }
}

const parseEnvelope = (row: Pick<EntryRow, "bytes">): { readonly seq?: unknown; readonly timestamp?: unknown } | null => {
  try {
    const value: unknown = JSON.parse(Buffer.from(row.bytes).toString("utf8"))
    return typeof value === "object" && value !== null ? value : null
  } catch {
    return null
  }
}

const describe = (row: EntryRow) => {
  const timestamp = parseEnvelope(row)?.timestamp
  return { seq: row.seq, timestamp: typeof timestamp === "string" ? timestamp : row.recorded_at, type: row.type }
}

const envelopeSeq = (row: Pick<EntryRow, "bytes">): number | null => {
  const seq = parseEnvelope(row)?.seq
  return typeof seq === "number" && Number.isSafeInteger(seq) ? seq : null
}

/** A report's break fields: first broken entry, class, reason and the expected/got hashes. */
export const broken = (
  firstBroken: number,
  breakClass: BreakClass,
  reason: string,
  expected: Uint8Array | null,
  got: Uint8Array | null
) => ({
  firstBroken,
  breakClass,
  reason,
  expected: expected === null ? null : sha(expected),
  got: got === null ? null : sha(got)
})

/**
 * Classifies entry `p` whose recomputed leaf or chain hash differs from the stored (or forwarded) one: `claimed` is the
 * seq its envelope states, `previous` the chain hash of entry `p - 1`. The reasons are the ones `ssg audit verify` prints.
 */
export const classifyBreak = (
  p: number,
  claimed: number | null,
  leaf: Uint8Array,
  storedLeaf: Uint8Array,
  chain: Uint8Array,
  storedChain: Uint8Array,
  previous: Uint8Array
): ReturnType<typeof broken> => {
  const leafOk = bytesEqual(leaf, storedLeaf)
  if (!leafOk && bytesEqual(chainHash(previous, storedLeaf), storedChain)) {
    return broken(p, "payload-mismatch", `payload mismatch: the bytes of #${p} no longer hash to its leaf`, storedLeaf, leaf)
  }
  if (!leafOk && bytesEqual(chain, storedChain)) {
    return broken(p, "leaf-mismatch", `leaf hash mismatch: the stored leaf hash of #${p} was rewritten`, leaf, storedLeaf)
  }
  if (claimed !== null && claimed >= 1 && claimed < p) {
    return broken(
      claimed,
      "inserted-entry",
      `inserted entry: position #${p} holds entry #${claimed}, so #${claimed}–#${p - 1} were inserted before it`,
      chain,
      storedChain
    )
  }
  if (claimed !== null && claimed > p) {
    return broken(p, "reordered-entries", `reordered entries: position #${p} holds entry #${claimed}`, chain, storedChain)
  }
  if (!leafOk) {
    return broken(p, "payload-mismatch", `payload mismatch: the bytes of #${p} no longer hash to its leaf`, storedLeaf, leaf)
  }
  return broken(p, "chain-mismatch", `chain mismatch: the chain hash of #${p} does not link to #${p - 1}`, chain, storedChain)
}

/** Entries already checked in parallel: `(from, to]` leaves and chain links verified, the tree built up to `to`. */
interface Prefix {
  readonly from: number
  readonly to: number
  readonly stack: Stack
  readonly rootAt: ReadonlyMap<number, Buffer>
  readonly lastChain: Uint8Array
}

/** Logs at least this much longer than the verified state are scanned on worker threads (shorter ones in this thread). */
export const PARALLEL_MIN = 50_000

const scanPrefix = (
  path: string,
  sql: SqliteClient,
  state: VerifiedState | null,
  latestNote: string | null,
  minimum: number
) =>
  Effect.gen(function* () {
    const from = state?.size ?? 0
    const rows = yield* sql`SELECT MAX(seq) FROM entries`.values
    const to = Number(rows[0]?.[0] ?? 0)
    if (to <= from) return null
    const retained = yield* sql`SELECT size FROM checkpoints WHERE size > ${from} UNION SELECT size FROM head`.values
    const sizes = new Set<number>([...retained.map((r) => Number(r[0])), ...(latestNote !== null ? [safeSize(latestNote)] : [])])
    const stack = new Stack(
      from,
      (state?.border ?? []).map((h) => Buffer.from(h, "base64"))
    )
    const rootAt = new Map<number, Buffer>()
    const extend = (base: Stack, subtrees: ReadonlyArray<Subtree>) => {
      for (const t of subtrees) base.pushSubtree(t.level, asBuffer(t.hash))
      return base
    }
    const onRange = (range: ScannedRange) => {
      for (const [size, subtrees] of range.at) rootAt.set(size, extend(stack.clone(), subtrees).root())
      extend(stack, range.subtrees)
    }
    const joined: Array<readonly [level: number, index: number, hash: Buffer]> = []
    stack.onNode = (level, index, hash) => joined.push([level, index, hash])
    const previous = state === null ? CHAIN_START : Buffer.from(state.chain, "base64")
    const wanted = [...sizes].filter((s) => s > from && s <= to)
    const workers = to - from >= minimum ? 2 : 0
    const result = yield* Effect.tryPromise(() =>
      parallelScan(path, from, to, previous, wanted, onRange, { workers })
    ).pipe(
      Effect.orElseSucceed(() => null)
    )
    stack.onNode = undefined
    if (result === null || !result.ok || stack.size !== to) return null
    for (const [level, index, hash] of joined) {
      const rows = yield* sql`SELECT hash FROM nodes WHERE level = ${level} AND idx = ${index}`.values
      if (nodeProblem(level, index, hash, rows[0]?.[0]) !== null) return null
    }
    return { from, to, stack, rootAt, lastChain: result.lastChain }
  })

/**
 * The stored tree nodes (from STORED_LEVEL up) that the leaves `(after, upTo]` complete, by level then index; a node is
 * complete when its last leaf is in.
 */
const storedNodes = (sql: SqliteClient, after: number, upTo: number) =>
  Effect.gen(function* () {
    const known: Array<Map<number, unknown>> = []
    for (let level = STORED_LEVEL, width = 2 ** STORED_LEVEL; width <= upTo; level++, width *= 2) {
      const lo = Math.floor(after / width)
      const hi = Math.floor(upTo / width) - 1
      if (lo > hi) continue
      const rows = yield* sql`SELECT idx, hash FROM nodes WHERE level = ${level} AND idx >= ${lo} AND idx <= ${hi}`.values
      known[level] = new Map(rows.map((r) => [Number(r[0]), r[1]]))
    }
    return known
  })

/** The break for tree node (level, index) recomputed as `hash` when `stored` (its row's hash, if any) differs; else null. */
const nodeProblem = (level: number, index: number, hash: Buffer, stored: unknown): ReturnType<typeof broken> | null => {
  if (stored instanceof Uint8Array && hash.equals(stored)) return null
  const width = 2 ** level
  const first = index * width + 1
  const where = `level ${level}, index ${index} (entries #${first}–#${first + width - 1})`
  return stored === undefined || stored === null
    ? broken(first, "missing-tree-node", `missing tree node: the node at ${where} is not in the database`, hash, null)
    : broken(
        first,
        "tree-node-mismatch",
        `tree node mismatch: the stored node at ${where} does not match the hash of those entries`,
        hash,
        stored instanceof Uint8Array ? stored : null
      )
}

const verifySnapshot = (
  log: AuditLog["Type"],
  sql: SqliteClient,
  vkey: string,
  latestNote: string | null,
  savedState: VerifiedState | null,
  prefix: Prefix | null
) =>
  Effect.gen(function* () {
    const head = yield* log.head
    let state = savedState !== null && head !== null && savedState.size <= head.size ? savedState : null
    if (state !== null) {
      const rows = yield* sql<{ chain: Uint8Array }>`SELECT chain FROM entries WHERE seq = ${state.size}`
      if (rows[0] === undefined || !Buffer.from(rows[0].chain).equals(Buffer.from(state.chain, "base64"))) state = null
    }
    const retained = yield* sql<CheckpointRow>`SELECT size, root, note, created_at FROM checkpoints
      WHERE size > ${state?.size ?? -1} ORDER BY size`
    const anchors: Array<Anchor> = [
      ...retained.map((c) => ({ label: `checkpoint at size ${c.size}`, note: c.note })),
      ...(head !== null ? [{ label: "signed head", note: head.note }] : []),
      ...(latestNote !== null ? [{ label: "outside checkpoint (checkpoints/latest)", note: latestNote }] : [])
    ]
    const fail = (extra: Partial<VerifyReport>) => ({
      report: { ...EMPTY_REPORT, valid: false, ...extra },
      state: null
    })

    const parsed: Array<{ anchor: Anchor; cp: Checkpoint }> = []
    let checkpointsVerified = 0
    for (const anchor of anchors) {
      try {
        parsed.push({ anchor, cp: verifyCheckpoint(anchor.note, vkey, nodeSignatureCheck) })
        checkpointsVerified++
      } catch (e) {
        return fail({
          length: head?.size ?? 0,
          breakClass: "bad-checkpoint-signature",
          firstBroken: safeSize(anchor.note) || null,
          reason:
            `badly signed checkpoint: the ${anchor.label} does not verify with this log's key ` +
            `(${(e as Error).message})`,
          checkpointsVerified
        })
      }
    }
    const rootsWanted = new Map<number, Array<{ anchor: Anchor; cp: Checkpoint }>>()
    for (const p of parsed) rootsWanted.set(p.cp.size, [...(rootsWanted.get(p.cp.size) ?? []), p])
    const signedSize = parsed.reduce((max, p) => Math.max(max, p.cp.size), 0)

    const from = state?.size ?? 0
    let stack = new Stack(
      from,
      (state?.border ?? []).map((h) => Buffer.from(h, "base64"))
    )
    let previous: Uint8Array = state === null ? CHAIN_START : Buffer.from(state.chain, "base64")

    let failure: ReturnType<typeof broken> | null = null
    let first: VerifyReport["first"] = null
    let last: VerifyReport["last"] = null
    let position = from
    const rootAt = new Map<number, Buffer>()
    if (rootsWanted.has(stack.size)) rootAt.set(stack.size, stack.root())
    const usable =
      prefix !== null &&
      prefix.from === from &&
      [...rootsWanted.keys()].every((size) => size <= from || size > prefix.to || prefix.rootAt.has(size))
    if (usable) {
      stack = prefix.stack
      position = prefix.to
      previous = prefix.lastChain
      for (const [size, root] of prefix.rootAt) rootAt.set(size, root)
    }
    let known: Array<Map<number, unknown>> = []
    const nodes: { failure: ReturnType<typeof broken> | null } = { failure: null }
    stack.onNode = (level, index, hash) => {
      nodes.failure ??= nodeProblem(level, index, hash, known[level]?.get(index))
    }

    scan: while (true) {
      const values = yield* sql`SELECT seq, bytes, leaf, chain, id, type, recorded_at, json_quote(session) FROM entries
          WHERE seq > ${position} ORDER BY seq LIMIT ${CHUNK}`.values
      if (values.length === 0) break
      known = yield* storedNodes(sql, position, Number(values[values.length - 1]![0]))
      for (const v of values) {
        const row = { seq: v[0] as number, bytes: v[1] as Buffer, leaf: v[2] as Buffer, chain: v[3] as Buffer }
        const p = position + 1
        if (row.seq !== p) {
          failure = broken(
            p,
            "missing-entry",
            `missing entry: #${p} is not in the database (the next entry is #${row.seq})`,
            null,
            null
          )
          break scan
        }
        const leaf = hashLeaf(row.bytes)
        const chain = hashChain(previous, leaf)
        const storedLeaf = row.leaf
        const storedChain = row.chain
        if (!leaf.equals(storedLeaf) || !chain.equals(storedChain)) {
          failure = classifyBreak(p, envelopeSeq(row), leaf, storedLeaf, chain, storedChain, previous)
          break scan
        }
        if (!columnsMatch(row.bytes, v[4], v[5], v[6], v[7])) {
          failure = broken(
            p,
            "payload-mismatch",
            `payload mismatch: the id, type, time or session column of #${p} does not match its signed envelope`,
            null,
            null
          )
          break scan
        }
        previous = chain
        stack.push(leaf)
        position = p
        if (rootsWanted.has(p)) rootAt.set(p, stack.root())
      }
    }
    if (first === null && (position > 0 || failure !== null)) {
      const rows =
        yield* sql<EntryRow>`SELECT seq, id, type, recorded_at, bytes, leaf, chain FROM entries WHERE seq = 1`
      if (rows[0] !== undefined) first = describe(rows[0])
    }
    if (last === null && position > 0) {
      const rows =
        yield* sql<EntryRow>`SELECT seq, id, type, recorded_at, bytes, leaf, chain FROM entries WHERE seq = ${position}`
      if (rows[0] !== undefined) last = { seq: rows[0].seq, timestamp: rows[0].recorded_at, type: rows[0].type }
    }
    const length = failure === null ? position : (head?.size ?? position)
    const report = (extra: Partial<VerifyReport>): VerifyReport => ({
      ...EMPTY_REPORT,
      length,
      first,
      last,
      checkpointsVerified,
      verifiedFrom: from,
      ...extra
    })
    if (failure !== null) return { report: report({ valid: false, ...failure }), state: null }
    const sizes = [...rootsWanted.keys()].sort((a, b) => a - b)
    let previousSize = 0
    for (const size of sizes) {
      for (const { anchor, cp } of rootsWanted.get(size)!) {
        if (size > position) {
          const isOutside = anchor.label.startsWith("outside")
          return {
            report: report({
              valid: false,
              ...broken(
                position + 1,
                isOutside ? "rolled-back" : "truncated",
                isOutside
                  ? `rolled back: the database has ${position} entries but the outside checkpoint covers ${size} ` +
                      "(an older copy was restored or the tail removed)"
                  : `truncated: the database has ${position} entries but the ${anchor.label} covers ${size}`,
                cp.root,
                null
              )
            }),
            state: null
          }
        }
        if (size < from) continue
        const root = rootAt.get(size)!
        if (!root.equals(Buffer.from(cp.root))) {
          const since = anchor.label.startsWith("outside") ? 0 : previousSize
          return {
            report: report({
              valid: false,
              ...broken(
                since + 1,
                "forked-checkpoint",
                `forked checkpoint: the ${anchor.label} signs a different tree; ` +
                  `the entries changed somewhere in #${since + 1}–#${size}`,
                cp.root,
                root
              )
            }),
            state: null
          }
        }
      }
      previousSize = size
    }
    if (position > signedSize) {
      return {
        report: report({
          valid: false,
          ...broken(
            signedSize + 1,
            "unsigned-entries",
            `unsigned entries: #${signedSize + 1}–#${position} are not covered by any signed checkpoint ` +
              "(appended without the log's key?)",
            null,
            null
          )
        }),
        state: null
      }
    }
    if (nodes.failure !== null) return { report: report({ valid: false, ...nodes.failure }), state: null }
    if (latestNote === null && position > 0) {
      return {
        report: report({
          valid: false,
          breakClass: "no-outside-checkpoint",
          reason:
            `no outside checkpoint at ${log.latestPath}: a truncation or rollback of the database cannot be detected`
        }),
        state: null
      }
    }
    const verified: VerifiedState = {
      size: position,
      chain: Buffer.from(previous).toString("base64"),
      border: stack.hashes.map((h) => h.toString("base64"))
    }
    return { report: report({ valid: true }), state: verified }
  })

const safeSize = (note: string): number => {
  const m = /^[^\n]*\n(\d+)\n/.exec(note)
  return m === null ? 0 : Number(m[1])
}
