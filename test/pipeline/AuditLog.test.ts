import { assert, describe, it } from "@effect/vitest"
import { sha256 } from "@noble/hashes/sha2.js"
import { Context, Effect, Either, Layer } from "effect"
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { canonicalBytes } from "../../src/domain/CanonicalJson.js"
import * as Checkpoint from "../../src/domain/Checkpoint.js"
import { decodeEvent, EvalDecided, type Event, eventParts, RuleChanged } from "../../src/domain/Event.js"
import * as Merkle from "../../src/domain/Merkle.js"
import * as AuditLog from "../../src/pipeline/AuditLog.js"
import * as LogWriter from "../../src/pipeline/LogWriter.js"
import { verifyLog } from "../../src/pipeline/AuditVerify.js"
import * as Keys from "../../src/pipeline/Keys.js"
import { pathsFrom, SsgPaths } from "../../src/pipeline/Paths.js"
import { advanceLatest } from "../../src/pipeline/LatestCheckpoint.js"

interface Statement {
  readonly all: (...params: ReadonlyArray<unknown>) => Array<Record<string, unknown>>
  readonly get: (...params: ReadonlyArray<unknown>) => Record<string, unknown> | undefined
}

interface Database {
  readonly exec: (sql: string) => void
  readonly prepare: (sql: string) => Statement
  readonly close: () => void
}

const openDatabase = createRequire(import.meta.url)("better-sqlite3") as new (path: string) => Database

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

const tempHome = Effect.acquireRelease(
  Effect.sync(() => realpathSync(mkdtempSync(join(tmpdir(), "ssg-auditlog-")))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const layerFor = (home: string) =>
  AuditLog.layer.pipe(
    Layer.provideMerge(Keys.layer),
    Layer.provideMerge(Layer.succeed(SsgPaths, pathsFrom({ SSG_HOME: home }, home)))
  )

const withLog = <A, E>(
  home: string,
  f: (log: AuditLog.AuditLog["Type"]) => Effect.Effect<A, E, AuditLog.AuditLog | Keys.Keys | SsgPaths>
) => Effect.flatMap(AuditLog.AuditLog, f).pipe(Effect.provide(layerFor(home)))

const evalEvent = (i: number): Event =>
  EvalDecided.make({
    tool: i % 2 === 0 ? "Bash" : "Write",
    capability: i % 2 === 0 ? "execute" : "write",
    client: "claude-code",
    decision: i % 5 === 0 ? "block" : "allow",
    rule_id: i % 5 === 0 ? "block-rm-rf" : null,
    also_matched: i % 3 === 0 ? [{ rule_id: "log-shell", decision: "log" }] : [],
    latency_ms: 0.25 + i / 1000,
    input_summary: `echo "entry ${i}" — ünïcödé ☃`,
    input_sha256: "ab".repeat(32)
  })

const ruleEvent = (i: number): Event =>
  RuleChanged.make({
    rule_id: `rule-${i}`,
    change: i % 2 === 0 ? "disabled" : "enabled",
    from: "block",
    to: "allow",
    files: [`.sigmashake/rules/r${i}.rules`]
  })

const appendGroups = (log: AuditLog.AuditLog["Type"], sizes: ReadonlyArray<number>, offset = 0) =>
  Effect.gen(function* () {
    const out: Array<AuditLog.Appended> = []
    let i = offset
    for (const n of sizes) {
      const events = Array.from({ length: n }, () => evalEvent(i++))
      out.push(...(yield* log.append(events)))
    }
    return out
  })

const signingKey = Effect.flatMap(Keys.Keys, (keys) => keys.load)

const allLeaves = (log: AuditLog.AuditLog["Type"]) =>
  Effect.map(log.entries({}), (entries) => entries.map((e) => e.leaf))

const attempt = (f: () => unknown): Error => {
  try {
    f()
  } catch (error) {
    return error as Error
  }
  throw new Error("expected the statement to be rejected")
}

describe("AuditLog.append", () => {
  it.scoped("appends single and grouped events with gap-free seqs that round-trip", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      yield* withLog(home, (log) =>
        Effect.gen(function* () {
          assert.isNull(yield* log.head)
          assert.deepStrictEqual(yield* log.append([]), [])
          assert.isNull(yield* log.head)

          const events: Array<Event> = [
            evalEvent(0),
            evalEvent(1),
            evalEvent(2),
            ruleEvent(3),
            evalEvent(4),
            ruleEvent(5)
          ]
          const first = yield* log.append([events[0]!], { client: "cursor", session: "s-1" })
          const grouped = yield* log.append(events.slice(1, 5))
          const last = yield* log.append([events[5]!], { client: "codex", session: null })
          const appended = [...first, ...grouped, ...last]
          assert.deepStrictEqual(
            appended.map((a) => a.seq),
            [1, 2, 3, 4, 5, 6]
          )
          assert.strictEqual(new Set(appended.map((a) => a.id)).size, 6)

          const key = yield* signingKey
          const entries = yield* log.entries({})
          assert.deepStrictEqual(
            entries.map((e) => e.seq),
            [1, 2, 3, 4, 5, 6]
          )
          let previous: Uint8Array = LogWriter.CHAIN_START
          for (const [i, e] of entries.entries()) {
            const { type, data } = eventParts(events[i]!)
            assert.strictEqual(e.envelope.seq, i + 1)
            assert.strictEqual(e.envelope.id, appended[i]!.id)
            assert.strictEqual(e.id, appended[i]!.id)
            assert.strictEqual(e.envelope.type, type)
            assert.strictEqual(e.type, type)
            assert.deepStrictEqual(e.envelope.data, data)
            assert.strictEqual(e.envelope.timestamp, e.recordedAt)
            assert.isFalse(Number.isNaN(Date.parse(e.envelope.timestamp)))
            const decoded = decodeEvent({ _tag: e.envelope.type, ...(e.envelope.data as object) })
            assert.isTrue(Either.isRight(decoded))
            if (Either.isRight(decoded)) assert.deepStrictEqual(decoded.right, events[i])
            assert.strictEqual(e.envelope.source.log_id, key.name)
            assert.strictEqual(e.envelope.source.host, hostname())
            assert.strictEqual(e.envelope.source.cwd, home)
            assert.strictEqual(typeof e.envelope.source.user, "string")
            assert.deepStrictEqual(Object.keys(JSON.parse(Buffer.from(e.bytes).toString("utf8"))), [
              "data",
              "id",
              "seq",
              "source",
              "timestamp",
              "type"
            ])
            assert.strictEqual(hex(canonicalBytes(JSON.parse(Buffer.from(e.bytes).toString("utf8")))), hex(e.bytes))
            assert.strictEqual(hex(e.leaf), hex(Merkle.leafHash(e.bytes)))
            assert.strictEqual(hex(e.leaf), hex(appended[i]!.leaf))
            assert.strictEqual(hex(e.chain), hex(sha256(concat(previous, e.leaf))))
            previous = e.chain
          }
          assert.deepStrictEqual(
            [entries[0]!.envelope.source.client, entries[0]!.envelope.source.session],
            ["cursor", "s-1"]
          )
          assert.deepStrictEqual(
            [entries[5]!.envelope.source.client, entries[5]!.envelope.source.session],
            ["codex", null]
          )
          assert.strictEqual(entries[1]!.recordedAt, entries[4]!.recordedAt)

          const head = (yield* log.head)!
          const cp = Checkpoint.verify(head.note, key.vkey)
          assert.strictEqual(cp.origin, key.name)
          assert.strictEqual(cp.size, 6)
          assert.strictEqual(head.size, 6)
          assert.strictEqual(hex(cp.root), hex(Merkle.rootHash(entries.map((e) => e.leaf))))
          assert.strictEqual(hex(head.root), hex(cp.root))
          assert.strictEqual(hex(head.chain), hex(previous))

          const byId = yield* log.entry(appended[3]!.id)
          assert.strictEqual(byId?.seq, 4)
          assert.strictEqual((yield* log.entry(4))?.id, appended[3]!.id)
          assert.isNull(yield* log.entry(7))
          assert.isNull(yield* log.entry("no-such-id"))
          assert.deepStrictEqual(
            (yield* log.entries({ type: "v1.RuleChanged" })).map((e) => e.seq),
            [4, 6]
          )
          assert.deepStrictEqual(
            (yield* log.entries({ afterSeq: 2, limit: 2 })).map((e) => e.seq),
            [3, 4]
          )
          assert.deepStrictEqual(
            (yield* log.entries({ since: "9999-01-01T00:00:00.000Z" })).map((e) => e.seq),
            []
          )
        })
      )
    })
  )

  it.scoped("signs every append and retains a checkpoint when a transaction crosses a multiple of 256", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      yield* withLog(home, (log) =>
        Effect.gen(function* () {
          const notes: Array<string> = []
          for (const n of [1, 7, 50, 120, 3, 90, 29]) {
            yield* appendGroups(log, [n], notes.length)
            notes.push((yield* log.head)!.note)
          }
          const key = yield* signingKey
          assert.deepStrictEqual(
            notes.map((note) => Checkpoint.verify(note, key.vkey).size),
            [1, 8, 58, 178, 181, 271, 300]
          )
          const leaves = yield* allLeaves(log)
          const retained = yield* log.checkpoints
          assert.deepStrictEqual(
            retained.map((c) => c.size),
            [1, 271]
          )
          for (const c of retained) {
            const cp = Checkpoint.verify(c.note, key.vkey)
            assert.strictEqual(cp.size, c.size)
            assert.strictEqual(hex(cp.root), hex(Merkle.rootHash(leaves.slice(0, c.size))))
            assert.strictEqual(hex(new Uint8Array(c.root)), hex(cp.root))
          }
        })
      )
    })
  )
})

describe("AuditLog proofs", () => {
  it.scoped("serves inclusion proofs for every entry and consistency proofs between many sizes", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      yield* withLog(home, (log) =>
        Effect.gen(function* () {
          yield* appendGroups(log, [1, 7, 50, 120, 3, 90, 29])
          const leaves = yield* allLeaves(log)
          assert.strictEqual(leaves.length, 300)
          const head = (yield* log.head)!
          const key = yield* signingKey
          const signed = Checkpoint.verify(head.note, key.vkey)
          assert.strictEqual(hex(signed.root), hex(Merkle.rootHash(leaves)))

          for (let seq = 1; seq <= 300; seq++) {
            const { entry, proof, head: at } = yield* log.inclusion(seq)
            assert.strictEqual(entry.seq, seq)
            assert.strictEqual(at.size, 300)
            assert.isTrue(Merkle.verifyInclusion(entry.leaf, seq - 1, 300, proof, signed.root), `inclusion of #${seq}`)
            assert.deepStrictEqual(proof.map(hex), Merkle.inclusionProof(leaves, seq - 1).map(hex))
          }

          const grid = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100, 127, 128, 129, 255, 256, 257, 271, 299, 300]
          const pairs: Array<readonly [number, number]> = []
          for (let m = 1; m <= 300; m += 3) pairs.push([m, 300])
          for (const m of grid) for (const n of grid) if (m <= n) pairs.push([m, n])
          for (const [m, n] of pairs) {
            const c = yield* log.consistency(m, n)
            assert.deepStrictEqual([c.oldSize, c.newSize], [m, n])
            assert.strictEqual(hex(c.oldRoot), hex(Merkle.rootHash(leaves.slice(0, m))))
            assert.strictEqual(hex(c.newRoot), hex(Merkle.rootHash(leaves.slice(0, n))))
            assert.isTrue(Merkle.verifyConsistency(m, n, c.oldRoot, c.newRoot, c.proof), `consistency ${m} → ${n}`)
            assert.deepStrictEqual(c.proof.map(hex), Merkle.consistencyProof(leaves.slice(0, n), m).map(hex))
          }
          const toHead = yield* log.consistency(17)
          assert.strictEqual(toHead.newSize, 300)
          assert.isTrue(Merkle.verifyConsistency(17, 300, toHead.oldRoot, signed.root, toHead.proof))

          for (const seq of [0, -1, 301]) {
            const error = yield* Effect.flip(log.inclusion(seq))
            assert.strictEqual(error.reason, "not-found")
          }
          for (const [m, n] of [
            [0, 10],
            [11, 10],
            [5, 301]
          ] as const) {
            const error = yield* Effect.flip(log.consistency(m, n))
            assert.strictEqual(error.reason, "range")
          }
        })
      )
    })
  )

  it.scoped("refuses proofs on an empty log", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      yield* withLog(home, (log) =>
        Effect.gen(function* () {
          assert.strictEqual((yield* Effect.flip(log.inclusion(1))).reason, "not-found")
          assert.strictEqual((yield* Effect.flip(log.consistency(1))).reason, "range")
          assert.deepStrictEqual(yield* log.checkpoints, [])
        })
      )
    })
  )
})

describe("AuditLog storage", () => {
  it.scoped("rejects UPDATE, DELETE and REPLACE on entries, nodes and checkpoints", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      const path = yield* withLog(home, (log) => Effect.as(appendGroups(log, [3, 300]), log.path))
      const db = new openDatabase(path)
      yield* Effect.addFinalizer(() => Effect.sync(() => db.close()))
      const count = (table: string) => db.prepare(`SELECT count(*) AS n FROM ${table}`).get()!["n"]
      const before = ["entries", "nodes", "checkpoints"].map(count)
      const entry = db.prepare("SELECT * FROM entries WHERE seq = 2").get()!
      const statements = [
        "UPDATE entries SET type = 'v1.Forged' WHERE seq = 2",
        "UPDATE entries SET bytes = x'00'",
        "DELETE FROM entries WHERE seq = 2",
        "DELETE FROM entries",
        "UPDATE nodes SET hash = zeroblob(32) WHERE level = 4 AND idx = 0",
        "DELETE FROM nodes WHERE level = 4",
        "UPDATE checkpoints SET note = 'forged' WHERE size = 3",
        "DELETE FROM checkpoints",
        `INSERT OR REPLACE INTO entries (seq, id, type, recorded_at, bytes, leaf, chain)
          VALUES (2, 'forged', 'v1.Forged', '${String(entry["recorded_at"])}', x'00', zeroblob(32), zeroblob(32))`,
        `INSERT OR REPLACE INTO entries (seq, id, type, recorded_at, bytes, leaf, chain)
          VALUES (999, '${String(entry["id"])}', 'v1.Forged', 'now', x'00', zeroblob(32), zeroblob(32))`,
        "REPLACE INTO nodes (level, idx, hash) VALUES (4, 0, zeroblob(32))",
        "INSERT OR REPLACE INTO checkpoints (size, root, note, created_at) VALUES (3, zeroblob(32), 'forged', 'now')",
        `INSERT INTO entries (seq, id, type, recorded_at, bytes, leaf, chain)
          VALUES (2, 'x', 't', 'now', x'00', zeroblob(32), zeroblob(32))
          ON CONFLICT (seq) DO UPDATE SET type = 'v1.Forged'`
      ]
      for (const statement of statements) {
        const error = attempt(() => db.exec(statement))
        assert.match(error.message, /append-only/, statement)
      }
      assert.deepStrictEqual(["entries", "nodes", "checkpoints"].map(count), before)
      assert.deepStrictEqual(db.prepare("SELECT * FROM entries WHERE seq = 2").get(), entry)
      db.close()
      const report = yield* verifyLog({ incremental: false }).pipe(Effect.provide(layerFor(home)))
      assert.isTrue(report.valid)
      assert.strictEqual(report.length, 303)
    })
  )

  it.scoped("reports an entry whose bytes are not a JSON envelope as a storage error, not a defect", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      const path = yield* withLog(home, (log) => Effect.as(appendGroups(log, [3]), log.path))
      const db = new openDatabase(path)
      db.exec("DROP TRIGGER entries_no_update")
      db.exec("UPDATE entries SET bytes = x'ff00' WHERE seq = 2")
      db.close()
      yield* withLog(home, (log) =>
        Effect.gen(function* () {
          for (const read of [
            Effect.asVoid(log.entries({})),
            Effect.asVoid(log.entry(2)),
            Effect.asVoid(log.inclusion(2))
          ]) {
            const error = yield* Effect.flip(read)
            assert.strictEqual(error.reason, "storage")
            assert.include(error.message, "#2")
          }
          assert.strictEqual((yield* log.entry(1))?.seq, 1)
          assert.deepStrictEqual(
            (yield* log.entries({ afterSeq: 2 })).map((e) => e.seq),
            [3]
          )
        })
      )
    })
  )

  it.scoped("an explicit null session is kept even when SSG_SESSION_ID is set", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      const saved = process.env["SSG_SESSION_ID"]
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          process.env["SSG_SESSION_ID"] = "from-env"
        }),
        () =>
          Effect.sync(() => {
            if (saved === undefined) delete process.env["SSG_SESSION_ID"]
            else process.env["SSG_SESSION_ID"] = saved
          })
      )
      yield* withLog(home, (log) =>
        Effect.gen(function* () {
          yield* log.append([evalEvent(0)], { session: null })
          yield* log.append([evalEvent(1)])
          yield* log.append([evalEvent(2)], { session: "given" })
          assert.deepStrictEqual(
            (yield* log.entries({})).map((e) => e.envelope.source.session),
            [null, "from-env", "given"]
          )
        })
      )
    })
  )

  it.scoped("keeps the newest signed checkpoint in checkpoints/latest and never replaces it with an older one", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      yield* withLog(home, (log) =>
        Effect.gen(function* () {
          assert.strictEqual(log.latestPath, join(home, "checkpoints", "latest"))
          yield* appendGroups(log, [1])
          const oldNote = (yield* log.head)!.note
          assert.strictEqual(readFileSync(log.latestPath, "utf8"), oldNote)
          yield* appendGroups(log, [5, 10], 1)
          const head = (yield* log.head)!
          assert.strictEqual(readFileSync(log.latestPath, "utf8"), head.note)

          advanceLatest(log.latestPath, oldNote, 1)
          assert.strictEqual(readFileSync(log.latestPath, "utf8"), head.note)
          advanceLatest(log.latestPath, oldNote, 16)
          assert.strictEqual(readFileSync(log.latestPath, "utf8"), head.note)
          assert.deepStrictEqual(readdirSync(join(home, "checkpoints")).sort(), ["latest"])

          yield* appendGroups(log, [1], 16)
          const newer = (yield* log.head)!
          assert.strictEqual(newer.size, 17)
          assert.strictEqual(readFileSync(log.latestPath, "utf8"), newer.note)
        })
      )
    })
  )

  it.scoped("migrates a version 1 database (no session column) in place and keeps it verifiable", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      yield* withLog(home, (log) => appendGroups(log, [3]))
      const db = new openDatabase(join(home, "audit.db"))
      db.exec("DROP INDEX entries_session")
      db.exec("ALTER TABLE entries DROP COLUMN session")
      db.exec("UPDATE meta SET value = '1' WHERE key = 'schema'")
      db.close()
      const report = yield* withLog(home, (log) =>
        Effect.gen(function* () {
          yield* log.append([evalEvent(7)], { session: "s-1" })
          return yield* verifyLog({ incremental: false })
        })
      )
      assert.isTrue(report.valid)
      assert.strictEqual(report.length, 4)
      const after = new openDatabase(join(home, "audit.db"))
      assert.deepStrictEqual(after.prepare("SELECT value FROM meta WHERE key = 'schema'").get(), { value: "3" })
      assert.deepStrictEqual(after.prepare("SELECT seq, session FROM entries ORDER BY seq").all().map((r) => r["session"]), [
        null,
        null,
        null,
        "s-1"
      ])
      after.close()
    })
  )

  it.scoped("migrates a version 2 database (full type index, nodes below level 4) in place; proofs stay right", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      yield* withLog(home, (log) => appendGroups(log, [40, 1, 1]))
      const db = new openDatabase(join(home, "audit.db"))
      db.exec("DROP INDEX entries_type")
      db.exec("CREATE INDEX entries_type ON entries (type, seq)")
      db.exec("UPDATE meta SET value = '2' WHERE key = 'schema'")
      db.exec("INSERT INTO nodes (level, idx, hash) VALUES (1, 0, zeroblob(32))")
      db.close()
      const leaves = yield* withLog(home, (log) =>
        Effect.gen(function* () {
          yield* log.append([ruleEvent(1), evalEvent(50)])
          yield* appendGroups(log, [20], 60)
          const leaves = yield* allLeaves(log)
          for (const seq of [1, 2, 17, 42, 43, 64]) {
            const { proof } = yield* log.inclusion(seq)
            assert.deepStrictEqual(proof.map(hex), Merkle.inclusionProof(leaves, seq - 1).map(hex), `inclusion of #${seq}`)
          }
          const c = yield* log.consistency(3, 63)
          assert.deepStrictEqual(c.proof.map(hex), Merkle.consistencyProof(leaves.slice(0, 63), 3).map(hex))
          assert.deepStrictEqual((yield* log.entries({ type: "v1.RuleChanged" })).map((e) => e.seq), [43])
          assert.strictEqual((yield* log.entries({ type: "v1.EvalDecided" })).length, 63)
          assert.isTrue((yield* verifyLog({ incremental: false })).valid)
          return leaves
        })
      )
      assert.strictEqual(leaves.length, 64)
      const after = new openDatabase(join(home, "audit.db"))
      assert.deepStrictEqual(after.prepare("SELECT value FROM meta WHERE key = 'schema'").get(), { value: "3" })
      const index = after.prepare("SELECT sql FROM sqlite_master WHERE name = 'entries_type'").get()!["sql"]
      assert.match(String(index), /WHERE type NOT IN \('v1\.EvalDecided', 'v1\.ToolCompleted'\)/)
      assert.deepStrictEqual(after.prepare("SELECT count(*) AS n FROM nodes WHERE level > 0 AND level < 4").get(), { n: 1 })
      after.close()
    })
  )

  it.scoped("two instances on one SSG_HOME append interleaved into one gap-free, verifiable log", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      const appended = yield* Effect.scoped(
        Effect.gen(function* () {
          const a = Context.get(yield* Layer.build(layerFor(home)), AuditLog.AuditLog)
          const b = Context.get(yield* Layer.build(layerFor(home)), AuditLog.AuditLog)
          const out: Array<AuditLog.Appended> = []
          for (let round = 0; round < 40; round++) {
            const log = round % 3 === 0 ? a : b
            out.push(
              ...(yield* log.append(Array.from({ length: (round % 5) + 1 }, (_, i) => evalEvent(round * 10 + i))))
            )
            const sizeA = (yield* a.head)!.size
            const sizeB = (yield* b.head)!.size
            assert.strictEqual(sizeA, out.length)
            assert.strictEqual(sizeB, out.length)
          }
          return out
        })
      )
      assert.deepStrictEqual(
        appended.map((x) => x.seq),
        Array.from({ length: appended.length }, (_, i) => i + 1)
      )
      const report = yield* verifyLog({ incremental: false }).pipe(Effect.provide(layerFor(home)))
      assert.isTrue(report.valid, report.reason ?? "")
      assert.strictEqual(report.length, appended.length)
      assert.isNull(report.firstBroken)
      yield* withLog(home, (log) =>
        Effect.gen(function* () {
          const entries = yield* log.entries({})
          assert.deepStrictEqual(
            entries.map((e) => e.id),
            appended.map((x) => x.id)
          )
          const key = yield* signingKey
          assert.strictEqual(Checkpoint.verify(readFileSync(log.latestPath, "utf8"), key.vkey).size, appended.length)
        })
      )
    })
  )
})
