import Database from "better-sqlite3"
import { Context, Effect, Layer, Schema, Scope } from "effect"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { SsgPaths } from "../pipeline/Paths.js"
import type { ForwardRecord } from "./Record.js"

/** The sink state store cannot be read or written. */
export class SinkStateError extends Schema.TaggedError<SinkStateError>()("SinkStateError", {
  message: Schema.String
}) {}

/** A sink's durable delivery state. */
export interface SinkStatus {
  readonly name: string
  /** Last log seq the destination confirmed (or dead-lettered); delivery resumes after it. */
  readonly cursor: number
  /** Size of the last signed checkpoint the destination confirmed. */
  readonly checkpointSize: number
  readonly delivered: number
  readonly lastSuccessAt: string | null
  readonly lastErrorAt: string | null
  readonly lastError: string | null
  readonly paused: boolean
  readonly pausedReason: string | null
  readonly deadLetters: number
}

/** A record the destination refused as invalid, kept with the destination's answer. */
export interface DeadLetter {
  readonly id: number
  readonly sink: string
  readonly recordId: string
  readonly seq: number
  readonly record: ForwardRecord
  readonly reason: string
  readonly at: string
}

/** A poison record to dead-letter: the record and why the destination refused it. */
export interface Rejected {
  readonly record: ForwardRecord
  readonly reason: string
}

/** Per-sink cursors, errors, pause flags and dead letters in `$SSG_HOME/sinks.db`, apart from the audit log. */
export class SinkState extends Context.Tag("ssg/SinkState")<
  SinkState,
  {
    readonly path: string
    /** The state of `name` (a fresh sink starts at cursor 0). */
    readonly get: (name: string) => Effect.Effect<SinkStatus, SinkStateError>
    /**
     * Records a confirmed delivery in one transaction: the cursor and checkpoint size move forward (never back), and
     * with `from` (where the batch was read) only while the cursor is still there, so a replay made meanwhile stands;
     * the dead letters are stored, the last error is cleared. `delivered` counts the confirmed records.
     */
    readonly confirm: (
      name: string,
      update: {
        readonly cursor: number
        readonly checkpointSize: number
        readonly delivered: number
        readonly deadLetters: ReadonlyArray<Rejected>
        readonly from?: { readonly cursor: number; readonly checkpointSize: number }
      }
    ) => Effect.Effect<void, SinkStateError>
    /** Stores dead letters at once (before the rest of their batch is re-sent); a record already there is kept. */
    readonly deadLetter: (name: string, letters: ReadonlyArray<Rejected>) => Effect.Effect<void, SinkStateError>
    /** Records a failed attempt (the message must hold no secret). */
    readonly failed: (name: string, message: string) => Effect.Effect<void, SinkStateError>
    /** Pauses the sink with a reason, or (null) resumes it. */
    readonly pause: (name: string, reason: string | null) => Effect.Effect<void, SinkStateError>
    /** Moves the cursor to just before `fromSeq` (and the checkpoint size with it) so delivery repeats from there. */
    readonly rewind: (name: string, fromSeq: number) => Effect.Effect<void, SinkStateError>
    /** Dead letters of `name`, oldest first; `ids` limits them. */
    readonly deadLetters: (name: string, ids?: ReadonlyArray<number>) => Effect.Effect<ReadonlyArray<DeadLetter>, SinkStateError>
    /** Removes dead letters (delivered on retry, or dropped); returns how many went. */
    readonly removeDeadLetters: (name: string, ids: ReadonlyArray<number>) => Effect.Effect<number, SinkStateError>
  }
>() {}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS sink_state (
    name TEXT PRIMARY KEY,
    cursor INTEGER NOT NULL DEFAULT 0,
    checkpoint_size INTEGER NOT NULL DEFAULT 0,
    delivered INTEGER NOT NULL DEFAULT 0,
    last_success_at TEXT,
    last_error_at TEXT,
    last_error TEXT,
    paused INTEGER NOT NULL DEFAULT 0,
    paused_reason TEXT
  )`,
  `CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sink TEXT NOT NULL,
    record_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    record TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (sink, record_id)
  )`
]

interface StateRow {
  readonly name: string
  readonly cursor: number
  readonly checkpoint_size: number
  readonly delivered: number
  readonly last_success_at: string | null
  readonly last_error_at: string | null
  readonly last_error: string | null
  readonly paused: number
  readonly paused_reason: string | null
}

/** The SinkState service; `sinks.db` opens (WAL, synchronous=FULL) on first use. */
export const layer = Layer.scoped(
  SinkState,
  Effect.gen(function* () {
    const { home } = yield* SsgPaths
    const path = join(home, "sinks.db")
    const scope = yield* Effect.scope
    const store = yield* Effect.cached(
      Effect.acquireRelease(
        Effect.try({
          try: () => {
            mkdirSync(home, { recursive: true })
            const db = new Database(path, { timeout: 10_000 })
            db.pragma("journal_mode = WAL")
            db.pragma("synchronous = FULL")
            for (const statement of SCHEMA) db.exec(statement)
            return db
          },
          catch: storage(path)
        }),
        (db) => Effect.sync(() => db.close())
      ).pipe(Scope.extend(scope))
    )
    const run = <A>(body: (db: Database.Database) => A) =>
      Effect.flatMap(store, (db) => Effect.try({ try: () => body(db), catch: storage(path) }))
    const ensure = (db: Database.Database, name: string) =>
      db.prepare("INSERT OR IGNORE INTO sink_state (name) VALUES (?)").run(name)
    const insertLetters = (db: Database.Database, name: string, letters: ReadonlyArray<Rejected>, at: string) => {
      const insert = db.prepare(
        "INSERT OR IGNORE INTO dead_letters (sink, record_id, seq, record, reason, at) VALUES (?, ?, ?, ?, ?, ?)"
      )
      for (const { reason, record } of letters) {
        insert.run(name, record.id, record.kind === "ssg.entry" ? record.seq : record.size, JSON.stringify(record), reason, at)
      }
    }

    const get = (name: string) =>
      run((db) => {
        const row = db.prepare<[string], StateRow>("SELECT * FROM sink_state WHERE name = ?").get(name)
        const count = db.prepare<[string], number>("SELECT COUNT(*) FROM dead_letters WHERE sink = ?").pluck().get(name) ?? 0
        return row === undefined ? fresh(name, count) : statusOf(row, count)
      })

    return {
      path,
      get,
      confirm: (name, update) =>
        run((db) =>
          db.transaction(() => {
            ensure(db, name)
            const now = new Date().toISOString()
            insertLetters(db, name, update.deadLetters, now)
            const moves = "(@fromCursor IS NULL OR (cursor = @fromCursor AND checkpoint_size = @fromSize))"
            db.prepare(
              `UPDATE sink_state SET cursor = CASE WHEN ${moves} THEN MAX(cursor, @cursor) ELSE cursor END,
               checkpoint_size = CASE WHEN ${moves} THEN MAX(checkpoint_size, @size) ELSE checkpoint_size END,
               delivered = delivered + @delivered, last_success_at = @now, last_error = NULL, last_error_at = NULL WHERE name = @name`
            ).run({
              fromCursor: update.from?.cursor ?? null,
              fromSize: update.from?.checkpointSize ?? null,
              cursor: update.cursor,
              size: update.checkpointSize,
              delivered: update.delivered,
              now,
              name
            })
          })()
        ),
      deadLetter: (name, letters) =>
        run((db) => db.transaction(() => insertLetters(db, name, letters, new Date().toISOString()))()),
      failed: (name, message) =>
        run((db) => {
          ensure(db, name)
          db.prepare("UPDATE sink_state SET last_error = ?, last_error_at = ? WHERE name = ?").run(
            message,
            new Date().toISOString(),
            name
          )
        }),
      pause: (name, reason) =>
        run((db) => {
          ensure(db, name)
          db.prepare("UPDATE sink_state SET paused = ?, paused_reason = ? WHERE name = ?").run(reason === null ? 0 : 1, reason, name)
        }),
      rewind: (name, fromSeq) =>
        run((db) => {
          ensure(db, name)
          const to = Math.max(0, fromSeq - 1)
          db.prepare("UPDATE sink_state SET cursor = ?, checkpoint_size = ? WHERE name = ?").run(to, to, name)
        }),
      deadLetters: (name, ids) =>
        run((db) =>
          db
            .prepare<[string], { id: number; sink: string; record_id: string; seq: number; record: string; reason: string; at: string }>(
              "SELECT id, sink, record_id, seq, record, reason, at FROM dead_letters WHERE sink = ? ORDER BY id"
            )
            .all(name)
            .filter((row) => ids === undefined || ids.includes(row.id))
            .map((row) => ({
              id: row.id,
              sink: row.sink,
              recordId: row.record_id,
              seq: row.seq,
              record: JSON.parse(row.record) as ForwardRecord,
              reason: row.reason,
              at: row.at
            }))
        ),
      removeDeadLetters: (name, ids) =>
        run((db) =>
          db.transaction(() => {
            const remove = db.prepare("DELETE FROM dead_letters WHERE sink = ? AND id = ?")
            return ids.reduce((n, id) => n + remove.run(name, id).changes, 0)
          })()
        )
    }
  })
)

const storage = (path: string) => (e: unknown) =>
  new SinkStateError({ message: `sink state ${path}: ${e instanceof Error ? e.message : String(e)}` })

const fresh = (name: string, deadLetters: number): SinkStatus => ({
  name,
  cursor: 0,
  checkpointSize: 0,
  delivered: 0,
  lastSuccessAt: null,
  lastErrorAt: null,
  lastError: null,
  paused: false,
  pausedReason: null,
  deadLetters
})

const statusOf = (row: StateRow, deadLetters: number): SinkStatus => ({
  name: row.name,
  cursor: row.cursor,
  checkpointSize: row.checkpoint_size,
  delivered: row.delivered,
  lastSuccessAt: row.last_success_at,
  lastErrorAt: row.last_error_at,
  lastError: row.last_error,
  paused: row.paused === 1,
  pausedReason: row.paused_reason,
  deadLetters
})
