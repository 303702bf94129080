import Database from "better-sqlite3"
import { Context, Effect, Layer, Schema, Scope } from "effect"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { AuditLog } from "../pipeline/AuditLog.js"
import { SsgPaths } from "../pipeline/Paths.js"
import { blockedProjection } from "./Blocked.js"
import { costProjection } from "./Cost.js"
import { metricsProjection } from "./Metrics.js"
import { productivityProjection } from "./Productivity.js"
import { rcaProjection } from "./Rca.js"
import { fold, type Projection } from "./Projection.js"

/** A projection store that cannot be read or written, or an unknown projection name. */
export class ProjectionError extends Schema.TaggedError<ProjectionError>()("ProjectionError", {
  reason: Schema.Literal("storage", "unknown"),
  message: Schema.String
}) {}

/** Every projection ssg keeps, by name. */
export const PROJECTIONS: ReadonlyArray<Projection<any>> = [
  metricsProjection,
  blockedProjection,
  costProjection,
  productivityProjection,
  rcaProjection
]

/** A projection's state after catching up, and the last seq folded into it. */
export interface Caught<S> {
  readonly state: S
  readonly cursor: number
}

/** Projection states in `$SSG_HOME/projections.db`, apart from the log: each with its cursor (last seq applied). */
export class Projections extends Context.Tag("ssg/Projections")<
  Projections,
  {
    /** Folds the entries appended since the projection's cursor into its state and stores both; returns them. */
    readonly catchUp: <S>(projection: Projection<S>) => Effect.Effect<Caught<S>, ProjectionError>
    /** Recomputes the projection from seq 1. */
    readonly rebuild: <S>(projection: Projection<S>) => Effect.Effect<Caught<S>, ProjectionError>
    /** The cached productivity report (JSON text) of a past UTC day, stored by `version`, or null. */
    readonly cachedDay: (date: string, version: number) => Effect.Effect<string | null, ProjectionError>
    /** Caches a past day's productivity report (JSON text) in `productivity_daily`. */
    readonly cacheDay: (date: string, version: number, report: string) => Effect.Effect<void, ProjectionError>
  }
>() {}

const BATCH = 5_000

const storage = (e: unknown) =>
  new ProjectionError({ reason: "storage", message: `projections: ${e instanceof Error ? e.message : String(e)}` })

/** The Projections service; the store opens on first use. */
export const layer = Layer.scoped(
  Projections,
  Effect.gen(function* () {
    const { home } = yield* SsgPaths
    const log = yield* AuditLog
    const scope = yield* Effect.scope
    const store = yield* Effect.cached(
      Effect.acquireRelease(
        Effect.try({
          try: () => {
            mkdirSync(home, { recursive: true })
            const db = new Database(join(home, "projections.db"), { timeout: 10_000 })
            db.pragma("journal_mode = WAL")
            db.exec(
              "CREATE TABLE IF NOT EXISTS projection_state (name TEXT PRIMARY KEY, version INTEGER NOT NULL, cursor INTEGER NOT NULL, state TEXT NOT NULL)"
            )
            db.exec(
              "CREATE TABLE IF NOT EXISTS productivity_daily (date TEXT PRIMARY KEY, version INTEGER NOT NULL, report TEXT NOT NULL, computed_at TEXT NOT NULL)"
            )
            return db
          },
          catch: storage
        }),
        (db) => Effect.sync(() => db.close())
      ).pipe(Scope.extend(scope))
    )

    const load = <S>(db: Database.Database, projection: Projection<S>): Caught<S> => {
      const row = db
        .prepare<[string], { version: number; cursor: number; state: string }>(
          "SELECT version, cursor, state FROM projection_state WHERE name = ?"
        )
        .get(projection.name)
      if (row === undefined || row.version !== projection.version) return { state: projection.initial(), cursor: 0 }
      return { state: projection.decode(JSON.parse(row.state)), cursor: row.cursor }
    }

    const save = <S>(db: Database.Database, projection: Projection<S>, caught: Caught<S>): void => {
      db.prepare(
        `INSERT INTO projection_state (name, version, cursor, state) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET version = excluded.version, cursor = excluded.cursor, state = excluded.state
         WHERE excluded.version != projection_state.version OR excluded.cursor >= projection_state.cursor`
      ).run(projection.name, projection.version, caught.cursor, JSON.stringify(projection.encode(caught.state)))
    }

    const step = <S>(projection: Projection<S>, caught: Caught<S>): Effect.Effect<readonly [Caught<S>, number], ProjectionError> => {
      const evolveEntry = projection.evolveEntry
      if (evolveEntry === undefined) {
        return log.envelopesAfter(caught.cursor, BATCH).pipe(
          Effect.mapError(storage),
          Effect.map((batch) => [batch.length === 0 ? caught : { state: fold(projection, caught.state, batch), cursor: batch[batch.length - 1]!.seq }, batch.length] as const)
        )
      }
      return log.textsAfter(caught.cursor, BATCH).pipe(
        Effect.mapError(storage),
        Effect.flatMap((batch) =>
          Effect.try({
            try: () => {
              let state = caught.state
              for (const entry of batch) state = evolveEntry(state, entry)
              return [batch.length === 0 ? caught : { state, cursor: batch[batch.length - 1]![0] }, batch.length] as const
            },
            catch: storage
          })
        )
      )
    }

    const advance = <S>(projection: Projection<S>, from: Caught<S>) =>
      Effect.gen(function* () {
        const db = yield* store
        let caught = from
        while (true) {
          const [next, read] = yield* step(projection, caught)
          caught = next
          if (read < BATCH) break
        }
        if (caught.cursor !== from.cursor || from.cursor === 0) {
          const done = caught
          yield* Effect.try({ try: () => save(db, projection, done), catch: storage })
        }
        return caught
      })

    const catchUp = <S>(projection: Projection<S>) =>
      Effect.gen(function* () {
        const db = yield* store
        const from = yield* Effect.try({ try: () => load(db, projection), catch: storage })
        return yield* advance(projection, from)
      })

    const rebuild = <S>(projection: Projection<S>) =>
      advance(projection, { state: projection.initial(), cursor: 0 })

    const cachedDay = (date: string, version: number) =>
      Effect.flatMap(store, (db) =>
        Effect.try({
          try: () =>
            db
              .prepare<[string, number], string>("SELECT report FROM productivity_daily WHERE date = ? AND version = ?")
              .pluck()
              .get(date, version) ?? null,
          catch: storage
        })
      )

    const cacheDay = (date: string, version: number, report: string) =>
      Effect.flatMap(store, (db) =>
        Effect.try({
          try: () =>
            void db
              .prepare(
                "INSERT INTO productivity_daily (date, version, report, computed_at) VALUES (?, ?, ?, ?) ON CONFLICT (date) DO UPDATE SET version = excluded.version, report = excluded.report, computed_at = excluded.computed_at"
              )
              .run(date, version, report, new Date().toISOString()),
          catch: storage
        })
      )

    return { catchUp, rebuild, cachedDay, cacheDay }
  })
)
