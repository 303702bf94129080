import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { Context, Effect, Layer, Schema, Scope } from "effect"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { type Envelope, type Event, eventParts } from "../domain/Event.js"
import { consistencyProofFromNodes, inclusionProofFromNodes, rootFromNodes } from "../domain/Merkle.js"
import {
  BULK_TYPES,
  type CheckpointRow,
  type EntryRow,
  type ForwardRow,
  type HeadRow,
  type HotPath,
  INDEXED_TYPE,
  openHotPath
} from "./AuditStore.js"
import { Keys } from "./Keys.js"
import { type Appended, appendEvents, eventSource, type SourceInfo } from "./LogWriter.js"
import type { SigningKey } from "./SigningKey.js"

export type { Appended, SourceInfo } from "./LogWriter.js"
import { SsgPaths } from "./Paths.js"

/** A failure of the audit log: unreadable or corrupt storage, a missing entry, a key problem. */
export class AuditError extends Schema.TaggedError<AuditError>()("AuditError", {
  reason: Schema.Literal("storage", "not-found", "key", "range"),
  message: Schema.String
}) {}

/** An entry as read back: its row, decoded envelope and hashes. */
export interface StoredEntry {
  readonly seq: number
  readonly id: string
  readonly type: string
  readonly recordedAt: string
  readonly bytes: Uint8Array
  readonly leaf: Uint8Array
  readonly chain: Uint8Array
  readonly envelope: Envelope
}

/** The signed head of the log after an append: size, root and the C2SP signed checkpoint. */
export interface LogHead {
  readonly size: number
  readonly root: Uint8Array
  readonly chain: Uint8Array
  readonly note: string
}

/** A batch as forwarders read it: entry rows (envelope bytes, hashes in hex) and the signed checkpoints they reach. */
export interface ForwardBatch {
  readonly entries: ReadonlyArray<ForwardRow>
  readonly checkpoints: ReadonlyArray<{ readonly size: number; readonly root: Uint8Array; readonly note: string }>
}

/** Filters for listing entries. */
export interface EntryQuery {
  readonly since?: string
  readonly type?: string
  readonly limit?: number
  readonly afterSeq?: number
}

/** The append-only, hash-chained Merkle audit log in `$SSG_HOME/audit.db`. */
export class AuditLog extends Context.Tag("ssg/AuditLog")<
  AuditLog,
  {
    readonly path: string
    /** The file holding the newest signed checkpoint outside the database. */
    readonly latestPath: string
    /** Appends events in one transaction (one signed checkpoint covers them all); returns their seqs. */
    readonly append: (
      events: ReadonlyArray<Event>,
      source?: Partial<SourceInfo>
    ) => Effect.Effect<ReadonlyArray<Appended>, AuditError>
    /** The signed head, or null for an empty log. */
    readonly head: Effect.Effect<LogHead | null, AuditError>
    readonly entries: (query: EntryQuery) => Effect.Effect<ReadonlyArray<StoredEntry>, AuditError>
    /** An entry by seq or id, or null. */
    readonly entry: (key: number | string) => Effect.Effect<StoredEntry | null, AuditError>
    /** An entry with its inclusion proof against the signed head. */
    readonly inclusion: (
      seq: number
    ) => Effect.Effect<{ entry: StoredEntry; proof: Array<Uint8Array>; head: LogHead }, AuditError>
    /** A consistency proof between two tree sizes (new size defaults to the head). */
    readonly consistency: (
      oldSize: number,
      newSize?: number
    ) => Effect.Effect<
      { oldSize: number; newSize: number; oldRoot: Uint8Array; newRoot: Uint8Array; proof: Array<Uint8Array> },
      AuditError
    >
    /** Every retained signed checkpoint, by size. */
    readonly checkpoints: Effect.Effect<ReadonlyArray<CheckpointRow>, AuditError>
    /**
     * Up to `limit` entries after `seq` as forward rows, with the signed checkpoints (retained and head) of sizes in
     * (`checkpointSize`, last seq read], by size; one read transaction.
     */
    readonly forwardBatch: (seq: number, limit: number, checkpointSize: number) => Effect.Effect<ForwardBatch, AuditError>
    /** Runs a read over the raw client (verification streams through it). */
    readonly client: Effect.Effect<SqliteClient.SqliteClient, AuditError>
    /** Up to `limit` envelopes after entry `seq`, in order (what projections fold). */
    readonly envelopesAfter: (seq: number, limit: number) => Effect.Effect<ReadonlyArray<Envelope>, AuditError>
    /** Up to `limit` entries after entry `seq`, in order, as [seq, envelope JSON text] (parsed by whoever folds them). */
    readonly textsAfter: (seq: number, limit: number) => Effect.Effect<ReadonlyArray<readonly [number, string]>, AuditError>
    /** The envelopes of the newest `limit` entries of `type`, newest first. */
    readonly latestOfType: (type: string, limit: number) => Effect.Effect<ReadonlyArray<Envelope>, AuditError>
  }
>() {}

const storage = (e: unknown) =>
  new AuditError({ reason: "storage", message: `audit log: ${e instanceof Error ? e.message : String(e)}` })

const decodeEntry = (row: EntryRow): StoredEntry => ({
  seq: row.seq,
  id: row.id,
  type: row.type,
  recordedAt: row.recorded_at,
  bytes: new Uint8Array(row.bytes),
  leaf: new Uint8Array(row.leaf),
  chain: new Uint8Array(row.chain),
  envelope: parseEnvelope(row)
})

const parseEnvelope = (row: Pick<EntryRow, "seq" | "bytes">): Envelope => envelopeFromText(row.seq, Buffer.from(row.bytes).toString("utf8"))

/** The envelope in entry `seq`'s stored JSON text; throws an AuditError when the text is not a JSON object. */
export const envelopeFromText = (seq: number, text: string): Envelope => {
  let envelope: unknown = null
  try {
    envelope = JSON.parse(text)
  } catch {
    envelope = null
  }
  if (typeof envelope === "object" && envelope !== null && !Array.isArray(envelope)) return envelope as Envelope
  throw new AuditError({
    reason: "storage",
    message: `audit log: entry #${seq} is not a JSON envelope (run \`ssg audit verify\`)`
  })
}

const decodeEntries = (rows: ReadonlyArray<EntryRow>) =>
  Effect.try({ try: () => rows.map(decodeEntry), catch: (e) => (e instanceof AuditError ? e : storage(e)) })

const headOf = (row: HeadRow): LogHead => ({
  size: row.size,
  root: new Uint8Array(row.root),
  chain: new Uint8Array(row.chain),
  note: row.note
})

const nodeOf =
  (hot: HotPath) =>
  (level: number, idx: number): Uint8Array => {
    const hash = hot.node(level, idx)
    if (hash === undefined) {
      throw new AuditError({
        reason: "storage",
        message: `audit log: tree node (${level}, ${idx}) is missing (run \`ssg audit verify\`)`
      })
    }
    return hash
  }

/** The AuditLog service; the database opens on first use, so commands that never touch the log never open it. */
export const layer = Layer.scoped(
  AuditLog,
  Effect.gen(function* () {
    const { home, cwd } = yield* SsgPaths
    const keys = yield* Keys
    const scope = yield* Effect.scope
    const path = join(home, "audit.db")
    const latestPath = join(home, "checkpoints", "latest")
    const unopenable = (e: unknown) => {
      const inner = typeof e === "object" && e !== null && "cause" in e && e.cause instanceof Error ? e.cause : e
      const cause =
        inner instanceof AuditError
          ? inner.message.replace(/^audit log: /, "")
          : inner instanceof Error
            ? inner.message
            : String(inner)
      return new AuditError({ reason: "storage", message: `cannot open the audit log ${path}: ${cause}` })
    }
    const store = yield* Effect.cached(
      Effect.gen(function* () {
        yield* Effect.try({ try: () => mkdirSync(join(home, "checkpoints"), { recursive: true }), catch: storage })
        const hot = yield* Effect.acquireRelease(
          Effect.try({ try: () => openHotPath(path), catch: storage }),
          (opened) => Effect.sync(() => opened.close())
        ).pipe(Scope.extend(scope))
        const sql = yield* SqliteClient.make({ filename: path }).pipe(
          Effect.provide(Reactivity.layer),
          Scope.extend(scope)
        )
        yield* sql.unsafe("PRAGMA busy_timeout = 10000")
        return { sql, hot }
      }).pipe(
        Effect.mapError(unopenable),
        Effect.catchAllDefect((defect) => Effect.fail(unopenable(defect)))
      )
    )
    const client = Effect.map(store, (s) => s.sql)
    const signingKey = yield* Effect.cached(
      keys.loadOrCreate.pipe(Effect.mapError((e) => new AuditError({ reason: "key", message: e.message })))
    )
    const readHead = (sql: SqliteClient.SqliteClient) =>
      sql<HeadRow>`SELECT size, root, chain, border, note FROM head WHERE id = 1`.pipe(
        Effect.map((rows) => rows[0] ?? null)
      )

    const writer = Effect.flatMap(store, ({ hot }) => Effect.map(signingKey, (key: SigningKey) => ({ hot, key })))
    const append = (
      events: ReadonlyArray<Event>,
      src: Partial<SourceInfo> = {}
    ): Effect.Effect<ReadonlyArray<Appended>, AuditError> =>
      events.length === 0
        ? Effect.succeed([])
        : Effect.flatMap(writer, ({ hot, key }) =>
            Effect.try({
              try: () => appendEvents(hot, events.map(eventParts), eventSource(key, { cwd, ...src }), key, latestPath),
              catch: storage
            })
          )

    const head = Effect.gen(function* () {
      const sql = yield* client
      const row = yield* readHead(sql)
      return row === null ? null : headOf(row)
    }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(storage(e.cause ?? e))))

    const entries = (query: EntryQuery) =>
      Effect.gen(function* () {
        const sql = yield* client
        const conditions = [
          sql`seq > ${query.afterSeq ?? 0}`,
          ...(query.since !== undefined ? [sql`recorded_at >= ${query.since}`] : []),
          ...(query.type !== undefined ? [sql`type = ${query.type}`] : []),
          ...(query.type !== undefined && !BULK_TYPES.includes(query.type) ? [sql.unsafe(INDEXED_TYPE)] : [])
        ]
        const rows = yield* sql<EntryRow>`SELECT seq, id, type, recorded_at, bytes, leaf, chain FROM entries
          WHERE ${sql.and(conditions)} ORDER BY seq LIMIT ${query.limit ?? -1}`
        return yield* decodeEntries(rows)
      }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(storage(e.cause ?? e))))

    const entry = (k: number | string) =>
      Effect.gen(function* () {
        const sql = yield* client
        const rows =
          typeof k === "number"
            ? yield* sql<EntryRow>`SELECT seq, id, type, recorded_at, bytes, leaf, chain FROM entries WHERE seq = ${k}`
            : yield* sql<EntryRow>`SELECT seq, id, type, recorded_at, bytes, leaf, chain FROM entries WHERE id = ${k}`
        return rows[0] === undefined ? null : (yield* decodeEntries(rows))[0]!
      }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(storage(e.cause ?? e))))

    const hotRead = <A>(read: (hot: HotPath) => A) =>
      Effect.flatMap(store, ({ hot }) =>
        Effect.try({ try: () => hot.read(() => read(hot)), catch: (e) => (e instanceof AuditError ? e : storage(e)) })
      )

    const inclusion = (seq: number) =>
      hotRead((hot) => {
        const h = hot.head()
        if (h === undefined || !Number.isSafeInteger(seq) || seq < 1 || seq > h.size) {
          throw new AuditError({ reason: "not-found", message: `no entry #${seq} (the log has ${h?.size ?? 0} entries)` })
        }
        const row = hot.entry(seq)
        if (row === undefined)
          throw new AuditError({ reason: "not-found", message: `entry #${seq} is missing from the database` })
        const proof = inclusionProofFromNodes(seq - 1, h.size, nodeOf(hot))
        return { entry: decodeEntry(row), proof, head: headOf(h) }
      })

    const consistency = (oldSize: number, newSize?: number) =>
      hotRead((hot) => {
        const h = hot.head()
        const size = newSize ?? h?.size ?? 0
        if (h === undefined || !Number.isSafeInteger(oldSize) || !Number.isSafeInteger(size) || oldSize < 1 || oldSize > size || size > h.size) {
          throw new AuditError({
            reason: "range",
            message: `sizes must satisfy 1 <= OLD_SIZE <= NEW_SIZE <= ${h?.size ?? 0} (got ${oldSize} and ${size})`
          })
        }
        const node = nodeOf(hot)
        return {
          oldSize,
          newSize: size,
          oldRoot: rootFromNodes(oldSize, node),
          newRoot: rootFromNodes(size, node),
          proof: consistencyProofFromNodes(oldSize, size, node)
        }
      })

    const checkpoints = Effect.gen(function* () {
      const sql = yield* client
      return yield* sql<CheckpointRow>`SELECT size, root, note, created_at FROM checkpoints ORDER BY size`
    }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(storage(e.cause ?? e))))

    const forwardBatch = (seq: number, limit: number, checkpointSize: number) =>
      hotRead((hot): ForwardBatch => {
        const entries = hot.forwardRowsAfter(seq, limit)
        if (entries.length === 0) return { entries, checkpoints: [] }
        const last = entries[entries.length - 1]![0]
        const h = hot.head()
        const headIn = h !== undefined && h.size <= last && h.size > checkpointSize
        const checkpoints = hot.checkpointsIn(checkpointSize, last).filter((c) => !headIn || c.size !== h.size)
        if (headIn) checkpoints.push({ size: h.size, root: h.root, note: h.note })
        return { entries, checkpoints }
      })

    const envelopesAfter = (seq: number, limit: number) =>
      hotRead((hot) => hot.after(seq, limit).map(([s, text]) => envelopeFromText(s, text)))

    const textsAfter = (seq: number, limit: number) => hotRead((hot) => hot.after(seq, limit))

    const latestOfType = (type: string, limit: number) =>
      hotRead((hot) => hot.recentOfType(type, limit).map((bytes) => parseEnvelope({ seq: 0, bytes })))

    return {
      path,
      latestPath,
      append,
      head,
      entries,
      entry,
      inclusion,
      consistency,
      checkpoints,
      forwardBatch,
      client,
      envelopesAfter,
      textsAfter,
      latestOfType
    }
  })
)
