import Database from "better-sqlite3"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { nodeHash } from "../domain/Merkle.js"

const requireHere = createRequire(import.meta.url)

/** The SQLite addon's path, passed straight to better-sqlite3 (its own lookup tries many paths; the hook starts faster). */
const nativeBinding = (() => {
  const path = join(dirname(requireHere.resolve("better-sqlite3")), "..", "build", "Release", "better_sqlite3.node")
  return existsSync(path) ? path : undefined
})()

const REJECT = "SELECT RAISE(ABORT, 'the ssg audit log is append-only')"

/** The event types most appends have (one per tool call); `entries_type` indexes every other type only. */
export const BULK_TYPES: ReadonlyArray<string> = ["v1.EvalDecided", "v1.ToolCompleted"]

/** The SQL condition under which `entries_type` indexes a row; a query must repeat it verbatim to use the index. */
export const INDEXED_TYPE = `type NOT IN (${BULK_TYPES.map((t) => `'${t}'`).join(", ")})`

/** Tree nodes below this level are not stored: each is hashed from its 2^level (at most 8) stored leaves. */
export const STORED_LEVEL = 4

/** Statements that create the audit log schema; idempotent, each safe to run concurrently from several processes. */
export const SCHEMA: ReadonlyArray<string> = [
  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  `CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    bytes BLOB NOT NULL,
    leaf BLOB NOT NULL,
    chain BLOB NOT NULL,
    session TEXT
  )`,
  `CREATE INDEX IF NOT EXISTS entries_type ON entries (type, seq) WHERE ${INDEXED_TYPE}`,
  "CREATE INDEX IF NOT EXISTS entries_session ON entries (session, seq) WHERE session IS NOT NULL",
  "CREATE INDEX IF NOT EXISTS entries_time ON entries (recorded_at)",
  `CREATE TABLE IF NOT EXISTS nodes (
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (level, idx)
  ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS checkpoints (
    size INTEGER PRIMARY KEY,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    chain BLOB NOT NULL,
    border BLOB NOT NULL,
    note TEXT NOT NULL
  )`,
  ...["entries", "nodes", "checkpoints"].flatMap((table) =>
    ["UPDATE", "DELETE"].map(
      (op) =>
        `CREATE TRIGGER IF NOT EXISTS ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table} BEGIN ${REJECT}; END`
    )
  ),
  ...Object.entries({
    entries: "EXISTS (SELECT 1 FROM entries WHERE seq = NEW.seq) OR EXISTS (SELECT 1 FROM entries WHERE id = NEW.id)",
    nodes: "EXISTS (SELECT 1 FROM nodes WHERE level = NEW.level AND idx = NEW.idx)",
    checkpoints: "EXISTS (SELECT 1 FROM checkpoints WHERE size = NEW.size)"
  }).map(
    ([table, clash]) =>
      `CREATE TRIGGER IF NOT EXISTS ${table}_no_replace BEFORE INSERT ON ${table} WHEN ${clash} BEGIN ${REJECT}; END`
  ),
  "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '3')"
]

/** The schema version this build writes. */
export const SCHEMA_VERSION = "3"

const MIGRATIONS: Record<string, ReadonlyArray<string>> = {
  "1": [
    "ALTER TABLE entries ADD COLUMN session TEXT",
    "CREATE INDEX IF NOT EXISTS entries_session ON entries (session, seq) WHERE session IS NOT NULL",
    "UPDATE meta SET value = '2' WHERE key = 'schema'"
  ],
  "2": [
    "DROP INDEX IF EXISTS entries_type",
    `CREATE INDEX entries_type ON entries (type, seq) WHERE ${INDEXED_TYPE}`,
    "UPDATE meta SET value = '3' WHERE key = 'schema'"
  ]
}

const prepareSchema = (db: Database.Database): void => {
  const version = (): string | undefined => {
    const present = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get()
    if (present === undefined) return undefined
    return (db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined)?.value
  }
  const current = version()
  if (current === SCHEMA_VERSION) return
  db.exec("BEGIN IMMEDIATE")
  try {
    const locked = version()
    if (locked === undefined) for (const statement of SCHEMA) db.exec(statement)
    else {
      for (let at = locked; at !== SCHEMA_VERSION; at = version()!) {
        const steps = MIGRATIONS[at ?? ""]
        if (steps === undefined) throw new Error(`unsupported audit database schema version ${at}`)
        for (const statement of steps) db.exec(statement)
      }
    }
    db.exec("COMMIT")
  } catch (error) {
    if (db.inTransaction) db.exec("ROLLBACK")
    throw error
  }
}

const NODE_CACHE_SIZE = 1 << 14

const CACHED_LEVEL = 8

/** One stored entry row. */
export interface EntryRow {
  readonly seq: number
  readonly id: string
  readonly type: string
  readonly recorded_at: string
  readonly bytes: Uint8Array
  readonly leaf: Uint8Array
  readonly chain: Uint8Array
}

/** The single head row: size, root, chain and compact-range border after the last transaction, and its signed note. */
export interface HeadRow {
  readonly size: number
  readonly root: Uint8Array
  readonly chain: Uint8Array
  readonly border: Uint8Array
  readonly note: string
}

/** One retained signed checkpoint. */
export interface CheckpointRow {
  readonly size: number
  readonly root: Uint8Array
  readonly note: string
  readonly created_at: string
}

/** An entry as forwarders read it: seq, type, recording time, envelope bytes and the leaf and chain hashes in hex. */
export type ForwardRow = readonly [seq: number, type: string, recordedAt: string, envelope: Buffer, leaf: string, chain: string]

/** A row to insert into `entries`. */
export type NewEntry = EntryRow & { readonly session: string | null }

/**
 * Prepared statements on one synchronous better-sqlite3 connection (the driver under @effect/sql-sqlite-node) for the
 * log's hot paths: the append transaction and proof node lookups, each a single synchronous call.
 */
export interface HotPath {
  /** Runs `body` in a `BEGIN IMMEDIATE` transaction (waits for other writers up to the busy timeout). */
  readonly immediate: <A>(body: () => A) => A
  /** Runs `body` in one read transaction: one snapshot, and the file locks taken once instead of per statement. */
  readonly read: <A>(body: () => A) => A
  readonly head: () => HeadRow | undefined
  readonly insertEntry: (row: NewEntry) => void
  readonly insertNode: (level: number, idx: number, hash: Uint8Array) => void
  readonly writeHead: (head: HeadRow) => void
  readonly insertCheckpoint: (row: CheckpointRow) => void
  /**
   * The hash of the perfect subtree (level, idx): level 0 is the leaf hash of entry idx + 1, levels below STORED_LEVEL
   * are hashed from the stored leaves, higher ones are stored; undefined when absent. Nodes from level 8 up are cached
   * (a complete subtree never changes, and every proof passes near the root).
   */
  readonly node: (level: number, idx: number) => Uint8Array | undefined
  readonly entry: (seq: number) => EntryRow | undefined
  /** The envelope bytes of the newest entries of `type` in `session`, newest first. */
  readonly recentInSession: (session: string, type: string, limit: number) => ReadonlyArray<Uint8Array>
  /** The envelope bytes of the newest entries of `type`, newest first. */
  readonly recentOfType: (type: string, limit: number) => ReadonlyArray<Uint8Array>
  /** Up to `limit` entries after `seq`, in order, as [seq, envelope JSON text]. */
  readonly after: (seq: number, limit: number) => ReadonlyArray<readonly [number, string]>
  /** Up to `limit` entries after `seq`, in order, as rows of the envelope bytes and the hashes in hex (one statement). */
  readonly forwardRowsAfter: (seq: number, limit: number) => ReadonlyArray<ForwardRow>
  /** The retained signed checkpoints of sizes in (`after`, `upTo`], by size. */
  readonly checkpointsIn: (after: number, upTo: number) => ReadonlyArray<Pick<CheckpointRow, "size" | "root" | "note">>
  readonly close: () => void
}

/**
 * Opens (creating or migrating the schema when needed) the audit database with prepared statements for the log's hot
 * paths: WAL, synchronous=FULL, 10 s busy timeout.
 */
export const openHotPath = (filename: string): HotPath => {
  const db = new Database(filename, { timeout: 10_000, ...(nativeBinding !== undefined ? { nativeBinding } : {}) })
  try {
    db.pragma("journal_mode = WAL")
    db.pragma("synchronous = FULL")
    prepareSchema(db)
    const lazy = <S>(prepare: () => S): (() => S) => {
      let statement: S | undefined
      return () => (statement ??= prepare())
    }
    const head = lazy(() => db.prepare<[], HeadRow>("SELECT size, root, chain, border, note FROM head WHERE id = 1"))
    const insertEntry = lazy(() =>
      db.prepare<[number, string, string, string, Uint8Array, Uint8Array, Uint8Array, string | null]>(
        "INSERT INTO entries (seq, id, type, recorded_at, bytes, leaf, chain, session) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
      )
    )
    const insertNode = lazy(() =>
      db.prepare<[number, number, Uint8Array]>("INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)")
    )
    const writeHead = lazy(() =>
      db.prepare<[number, Uint8Array, Uint8Array, Uint8Array, string]>(
        `INSERT INTO head (id, size, root, chain, border, note) VALUES (1, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET size = excluded.size, root = excluded.root, chain = excluded.chain,
         border = excluded.border, note = excluded.note`
      )
    )
    const insertCheckpoint = lazy(() =>
      db.prepare<[CheckpointRow]>(
        "INSERT INTO checkpoints (size, root, note, created_at) VALUES (@size, @root, @note, @created_at)"
      )
    )
    const leaf = lazy(() => db.prepare<[number], Uint8Array>("SELECT leaf FROM entries WHERE seq = ?").pluck())
    const leaves = lazy(() =>
      db
        .prepare<[number, number], Buffer | null>(
          "SELECT CAST(group_concat(unhex(printf('%016x', seq)) || leaf, '') AS BLOB) FROM entries " +
            "WHERE seq >= ? AND seq <= ? AND length(leaf) = 32"
        )
        .pluck()
    )
    const inner = lazy(() =>
      db.prepare<[number, number], Uint8Array>("SELECT hash FROM nodes WHERE level = ? AND idx = ?").pluck()
    )
    const entry = lazy(() =>
      db.prepare<[number], EntryRow>("SELECT seq, id, type, recorded_at, bytes, leaf, chain FROM entries WHERE seq = ?")
    )
    const inSession = lazy(() =>
      db
        .prepare<[string, string, number], Uint8Array>(
          "SELECT bytes FROM entries WHERE session = ? AND type = ? ORDER BY seq DESC LIMIT ?"
        )
        .pluck()
    )
    const ofType = lazy(() =>
      db.prepare<[string, number], Uint8Array>("SELECT bytes FROM entries WHERE type = ? ORDER BY seq DESC LIMIT ?").pluck()
    )
    const ofIndexedType = lazy(() =>
      db
        .prepare<[string, number], Uint8Array>(
          `SELECT bytes FROM entries WHERE type = ? AND ${INDEXED_TYPE} ORDER BY seq DESC LIMIT ?`
        )
        .pluck()
    )
    const cache: Array<Map<number, Uint8Array>> = []
    let cached = 0
    const lowSubtree = (level: number, idx: number): Uint8Array | undefined => {
      const width = 2 ** level
      const first = idx * width + 1
      const blob = leaves().get(first, first + width - 1)
      if (blob === null || blob === undefined || blob.length !== 40 * width) return undefined
      const layer: Array<Uint8Array> = []
      for (let k = 0; k < width; k++) {
        if (blob.readUInt32BE(40 * k) * 4294967296 + blob.readUInt32BE(40 * k + 4) !== first + k) return undefined
        layer.push(blob.subarray(40 * k + 8, 40 * k + 40))
      }
      for (let n = width; n > 1; n /= 2) for (let k = 0; k < n / 2; k++) layer[k] = nodeHash(layer[2 * k]!, layer[2 * k + 1]!)
      return layer[0]
    }
    const subtree = (level: number, idx: number): Uint8Array | undefined => {
      if (level === 0) return leaf().get(idx + 1)
      if (level < CACHED_LEVEL) return level >= STORED_LEVEL ? inner().get(level, idx) : lowSubtree(level, idx)
      const known = (cache[level] ??= new Map()).get(idx)
      if (known !== undefined) return known
      const hash = inner().get(level, idx)
      if (hash === undefined) return undefined
      if (++cached > NODE_CACHE_SIZE) {
        for (const m of cache) m?.clear()
        cached = 1
      }
      cache[level]!.set(idx, hash)
      return hash
    }
    const after = lazy(() =>
      db.prepare<[number, number], [number, string]>("SELECT seq, CAST(bytes AS TEXT) FROM entries WHERE seq > ? ORDER BY seq LIMIT ?").raw(true)
    )
    const forwardRowsAfter = lazy(() =>
      db
        .prepare<[number, number], ForwardRow>(
          "SELECT seq, type, recorded_at, bytes, lower(hex(leaf)), lower(hex(chain)) FROM entries " +
            "WHERE seq > ? ORDER BY seq LIMIT ?"
        )
        .raw(true)
    )
    const checkpointsIn = lazy(() =>
      db.prepare<[number, number], Pick<CheckpointRow, "size" | "root" | "note">>(
        "SELECT size, root, note FROM checkpoints WHERE size > ? AND size <= ? ORDER BY size"
      )
    )
    const begin = lazy(() => db.prepare("BEGIN IMMEDIATE"))
    const beginRead = lazy(() => db.prepare("BEGIN"))
    const commit = lazy(() => db.prepare("COMMIT"))
    const rollback = lazy(() => db.prepare("ROLLBACK"))
    return {
      immediate: (body) => {
        begin().run()
        try {
          const result = body()
          commit().run()
          return result
        } catch (error) {
          if (db.inTransaction) rollback().run()
          throw error
        }
      },
      read: (body) => {
        if (db.inTransaction) return body()
        beginRead().run()
        try {
          return body()
        } finally {
          if (db.inTransaction) commit().run()
        }
      },
      head: () => head().get(),
      insertEntry: (row) =>
        void insertEntry().run(row.seq, row.id, row.type, row.recorded_at, row.bytes, row.leaf, row.chain, row.session),
      insertNode: (level, idx, hash) => void insertNode().run(level, idx, hash),
      writeHead: (row) => void writeHead().run(row.size, row.root, row.chain, row.border, row.note),
      insertCheckpoint: (row) => void insertCheckpoint().run(row),
      node: subtree,
      entry: (seq) => entry().get(seq),
      recentInSession: (session, type, limit) => inSession().all(session, type, limit),
      recentOfType: (type, limit) => (BULK_TYPES.includes(type) ? ofType() : ofIndexedType()).all(type, limit),
      after: (seq, limit) => after().all(seq, limit),
      forwardRowsAfter: (seq, limit) => forwardRowsAfter().all(seq, limit),
      checkpointsIn: (after, upTo) => checkpointsIn().all(after, upTo),
      close: () => db.close()
    }
  } catch (error) {
    db.close()
    throw error
  }
}
