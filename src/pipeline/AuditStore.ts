import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"

const REJECT = "SELECT RAISE(ABORT, 'the ssg audit log is append-only')"

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
    chain BLOB NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS entries_type ON entries (type, seq)",
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
  "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '1')"
]

/** Creates the schema (if needed) with durable WAL settings. */
export const initialize: Effect.Effect<void, SqlError, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe("PRAGMA synchronous = FULL")
  yield* sql.unsafe("PRAGMA busy_timeout = 10000")
  const present = yield* sql.unsafe<{ n: number }>(
    "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
  )
  if ((present[0]?.n ?? 0) > 0) {
    const version = yield* sql.unsafe<{ value: string }>("SELECT value FROM meta WHERE key = 'schema'")
    if (version[0]?.value === "1") return
  }
  for (const statement of SCHEMA) yield* sql.unsafe(statement)
})

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
