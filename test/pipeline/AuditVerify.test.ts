import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { copyFileSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs"
import { randomBytes } from "node:crypto"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { canonicalBytes } from "../../src/domain/CanonicalJson.js"
import * as Checkpoint from "../../src/domain/Checkpoint.js"
import { EvalDecided, type Event } from "../../src/domain/Event.js"
import * as Merkle from "../../src/domain/Merkle.js"
import * as AuditLog from "../../src/pipeline/AuditLog.js"
import * as LogWriter from "../../src/pipeline/LogWriter.js"
import { verifyLog, type VerifyReport } from "../../src/pipeline/AuditVerify.js"
import * as Keys from "../../src/pipeline/Keys.js"
import { pathsFrom, SsgPaths } from "../../src/pipeline/Paths.js"

interface Statement {
  readonly all: (...params: ReadonlyArray<unknown>) => Array<Record<string, unknown>>
  readonly get: (...params: ReadonlyArray<unknown>) => Record<string, unknown> | undefined
  readonly run: (...params: ReadonlyArray<unknown>) => { readonly changes: number }
}

interface Database {
  readonly exec: (sql: string) => void
  readonly prepare: (sql: string) => Statement
  readonly close: () => void
}

interface Row {
  readonly seq: number
  readonly id: string
  readonly type: string
  readonly recorded_at: string
  readonly bytes: Buffer
  readonly leaf: Buffer
  readonly chain: Buffer
}

const openDatabase = createRequire(import.meta.url)("better-sqlite3") as new (path: string) => Database

const sha = (bytes: Uint8Array): string => `sha256:${Buffer.from(bytes).toString("hex")}`

const GROUPS = [1, 99, 150, 7, 200, 43, 100]
const SIZE = 600
const K = 300

const tempHome = Effect.acquireRelease(
  Effect.sync(() => realpathSync(mkdtempSync(join(tmpdir(), "ssg-auditverify-")))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const layerFor = (home: string) =>
  AuditLog.layer.pipe(
    Layer.provideMerge(Keys.layer),
    Layer.provideMerge(Layer.succeed(SsgPaths, pathsFrom({ SSG_HOME: home }, home)))
  )

const evalEvent = (i: number): Event =>
  EvalDecided.make({
    tool: "Bash",
    capability: "execute",
    client: "claude-code",
    decision: i % 7 === 0 ? "block" : "allow",
    rule_id: i % 7 === 0 ? "block-rm-rf" : null,
    also_matched: [],
    latency_ms: 0.5,
    input_summary: `echo entry-${i}`,
    input_sha256: "cd".repeat(32)
  })

const append = (home: string, groups: ReadonlyArray<number>, offset: number) =>
  Effect.gen(function* () {
    const log = yield* AuditLog.AuditLog
    let i = offset
    for (const n of groups) yield* log.append(Array.from({ length: n }, () => evalEvent(i++)))
    return (yield* log.head)!
  }).pipe(Effect.provide(layerFor(home)))

const buildLog = Effect.gen(function* () {
  const home = yield* tempHome
  yield* append(home, GROUPS, 0)
  return home
})

const verify = (home: string, incremental = false, parallelMin?: number) =>
  verifyLog({ incremental, ...(parallelMin !== undefined ? { parallelMin } : {}) }).pipe(Effect.provide(layerFor(home)))

const withDatabase = <A>(home: string, f: (db: Database) => A): A => {
  const db = new openDatabase(join(home, "audit.db"))
  try {
    return f(db)
  } finally {
    db.close()
  }
}

const tamper = (home: string, f: (db: Database) => void) =>
  Effect.sync(() =>
    withDatabase(home, (db) => {
      for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all()) {
        db.exec(`DROP TRIGGER ${String(name)}`)
      }
      f(db)
    })
  )

const row = (db: Database, seq: number): Row =>
  db.prepare("SELECT * FROM entries WHERE seq = ?").get(seq) as unknown as Row

const rows = (db: Database): Array<Row> =>
  db.prepare("SELECT * FROM entries ORDER BY seq").all() as unknown as Array<Row>

const noteOf = (db: Database, table: "head" | "checkpoints", size?: number): string =>
  String(
    (size === undefined
      ? db.prepare(`SELECT note FROM ${table}`).get()
      : db.prepare(`SELECT note FROM ${table} WHERE size = ?`).get(size))!["note"]
  )

const rewriteHead = (db: Database, leaves: ReadonlyArray<Uint8Array>, chain: Uint8Array, note?: string) => {
  const range = Merkle.CompactRange.empty()
  for (const leaf of leaves) range.append(leaf)
  db.prepare("UPDATE head SET size = ?, root = ?, chain = ?, border = ?, note = coalesce(?, note)").run(
    leaves.length,
    Buffer.from(range.root()),
    Buffer.from(chain),
    Buffer.concat(range.border()),
    note ?? null
  )
}

const assertBroken = (
  report: VerifyReport,
  expected: {
    readonly breakClass: string
    readonly firstBroken: number
    readonly expected?: string
    readonly got?: string
  }
) => {
  assert.isFalse(report.valid, "the log should not verify")
  assert.strictEqual(report.breakClass, expected.breakClass, report.reason ?? "")
  assert.strictEqual(report.firstBroken, expected.firstBroken, report.reason ?? "")
  assert.isString(report.reason)
  if (expected.expected !== undefined) assert.strictEqual(report.expected, expected.expected)
  if (expected.got !== undefined) assert.strictEqual(report.got, expected.got)
}

const forged = (seq: number, template: Row): Buffer => {
  const envelope = JSON.parse(template.bytes.toString("utf8")) as Record<string, unknown>
  return Buffer.from(
    canonicalBytes({
      ...envelope,
      seq,
      id: `forged-${seq}`,
      data: { ...(envelope["data"] as object), decision: "allow" }
    })
  )
}

describe("verifyLog on an untampered log", () => {
  it.scoped("is valid and reports length, first and last entries and the checkpoints it checked", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      const report = yield* verify(home)
      assert.isTrue(report.valid, report.reason ?? "")
      assert.strictEqual(report.length, SIZE)
      assert.isNull(report.firstBroken)
      assert.isNull(report.breakClass)
      assert.isNull(report.reason)
      assert.isNull(report.expected)
      assert.isNull(report.got)
      assert.strictEqual(report.verifiedFrom, 0)
      assert.strictEqual(report.checkpointsVerified, 5)
      assert.strictEqual(report.first?.seq, 1)
      assert.strictEqual(report.first?.type, "v1.EvalDecided")
      assert.strictEqual(report.last?.seq, SIZE)
      const retained = withDatabase(home, (db) => db.prepare("SELECT size FROM checkpoints ORDER BY size").all())
      assert.deepStrictEqual(
        retained.map((r) => r["size"]),
        [1, 257, 600]
      )
    })
  )

  it.scoped("an empty SSG_HOME verifies as an empty log", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      const report = yield* verify(home)
      assert.isTrue(report.valid)
      assert.strictEqual(report.length, 0)
      assert.isNull(report.firstBroken)
    })
  )

  it.scoped("an opened but empty database with no key and no checkpoints/latest verifies as an empty log", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      assert.isNull(yield* Effect.flatMap(AuditLog.AuditLog, (log) => log.head).pipe(Effect.provide(layerFor(home))))
      assert.isTrue(existsSync(join(home, "audit.db")))
      assert.isFalse(existsSync(join(home, "keys")))
      const report = yield* verify(home)
      assert.isTrue(report.valid, report.reason ?? "")
      assert.strictEqual(report.length, 0)
      assert.isFalse(existsSync(join(home, "keys")))
    })
  )
})

describe("verifyLog with the public key alone", () => {
  it.scoped("needs only keys/signing.pub: without signing.key it verifies, and never creates one", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      rmSync(join(home, "keys", "signing.key"))
      const report = yield* verify(home)
      assert.isTrue(report.valid, report.reason ?? "")
      assert.strictEqual(report.length, SIZE)
      assert.strictEqual(report.checkpointsVerified, 5)
      assert.isFalse(existsSync(join(home, "keys", "signing.key")))
      const tampered = yield* Effect.gen(function* () {
        yield* tamper(home, (db) => void db.prepare("UPDATE entries SET chain = ? WHERE seq = ?").run(randomBytes(32), K))
        return yield* verify(home)
      })
      assertBroken(tampered, { breakClass: "chain-mismatch", firstBroken: K })
      assert.isFalse(existsSync(join(home, "keys", "signing.key")))
    })
  )

  it.scoped("without keys/signing.pub it fails with a key error naming that file, even when signing.key is there", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      const publicPath = join(home, "keys", "signing.pub")
      rmSync(publicPath)
      const error = yield* Effect.flip(verify(home))
      assert.strictEqual(error._tag, "AuditError")
      assert.strictEqual(error.reason, "key")
      assert.include(error.message, publicPath)
      assert.notInclude(error.message, "\n")
      rmSync(join(home, "keys", "signing.key"))
      const again = yield* Effect.flip(verify(home))
      assert.include(again.message, publicPath)
      assert.isFalse(existsSync(join(home, "keys", "signing.key")))
    })
  )
})

describe("verifyLog and checkpoints/latest", () => {
  for (const incremental of [false, true]) {
    it.scoped(`a non-empty log whose checkpoints/latest was deleted is not valid: no outside checkpoint (${incremental ? "incremental" : "full"} verify)`, () =>
      Effect.gen(function* () {
        const home = yield* buildLog
        if (incremental) assert.isTrue((yield* verify(home, true)).valid)
        const latestPath = join(home, "checkpoints", "latest")
        rmSync(latestPath)
        const report = yield* verify(home, incremental)
        assert.isFalse(report.valid)
        assert.strictEqual(report.breakClass, "no-outside-checkpoint")
        assert.isNull(report.firstBroken)
        assert.strictEqual(report.length, SIZE)
        assert.strictEqual(
          report.reason,
          `no outside checkpoint at ${latestPath}: a truncation or rollback of the database cannot be detected`
        )
        yield* append(home, [1], SIZE)
        assert.isTrue((yield* verify(home, incremental)).valid)
      })
    )
  }
})

const tamperNode = (home: string, level: number, index: number, hash: Buffer | null) =>
  tamper(home, (db) => {
    if (hash === null) db.prepare("DELETE FROM nodes WHERE level = ? AND idx = ?").run(level, index)
    else db.prepare("UPDATE nodes SET hash = ? WHERE level = ? AND idx = ?").run(hash, level, index)
  })

const storedNode = (home: string, level: number, index: number): Buffer =>
  withDatabase(home, (db) => db.prepare("SELECT hash FROM nodes WHERE level = ? AND idx = ?").get(level, index)!["hash"] as Buffer)

describe("verifyLog checks the stored tree nodes", () => {
  for (const parallelMin of [undefined, 1]) {
    const path = parallelMin === undefined ? "one scan" : "worker threads"
    it.scoped(`a zeroed node is a tree node mismatch naming its level, index and entries (${path})`, () =>
      Effect.gen(function* () {
        const home = yield* buildLog
        const original = storedNode(home, 4, 18)
        assert.deepStrictEqual(
          original,
          Buffer.from(Merkle.rootHash(withDatabase(home, (db) => rows(db).slice(288, 304).map((r) => r.leaf))))
        )
        yield* tamperNode(home, 4, 18, Buffer.alloc(32))
        const report = yield* verify(home, false, parallelMin)
        assertBroken(report, {
          breakClass: "tree-node-mismatch",
          firstBroken: 289,
          expected: sha(original),
          got: sha(Buffer.alloc(32))
        })
        assert.include(report.reason!, "level 4, index 18 (entries #289–#304)")
        assert.strictEqual(report.length, SIZE)
      })
    )

    it.scoped(`a deleted node is a missing tree node; a node spanning scan ranges is checked too (${path})`, () =>
      Effect.gen(function* () {
        const home = yield* buildLog
        const original = storedNode(home, 9, 0)
        yield* tamperNode(home, 9, 0, null)
        const report = yield* verify(home, false, parallelMin)
        assertBroken(report, { breakClass: "missing-tree-node", firstBroken: 1, expected: sha(original) })
        assert.isNull(report.got)
        assert.include(report.reason!, "level 9, index 0 (entries #1–#512)")
        yield* tamper(home, (db) => void db.prepare("INSERT INTO nodes (level, idx, hash) VALUES (9, 0, ?)").run(original))
        assert.isTrue((yield* verify(home, false, parallelMin)).valid)
        yield* tamperNode(home, 5, 17, randomBytes(32))
        const other = yield* verify(home, false, parallelMin)
        assertBroken(other, { breakClass: "tree-node-mismatch", firstBroken: 545 })
        assert.include(other.reason!, "level 5, index 17 (entries #545–#576)")
      })
    )
  }

  it.scoped("an incremental verification checks the nodes completed since the verified size, across its border", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      assert.isTrue((yield* verify(home, true)).valid)
      yield* append(home, [424], SIZE)
      yield* tamperNode(home, 10, 0, Buffer.alloc(32))
      const report = yield* verify(home, true)
      assertBroken(report, { breakClass: "tree-node-mismatch", firstBroken: 1 })
      assert.include(report.reason!, "level 10, index 0 (entries #1–#1024)")
      assert.strictEqual(report.verifiedFrom, SIZE)
    })
  )

  it.scoped("a broken entry later in the scan is reported before a bad node (the nodes derive from the entries)", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      yield* tamperNode(home, 4, 2, Buffer.alloc(32))
      yield* tamper(home, (db) => void db.prepare("UPDATE entries SET chain = ? WHERE seq = ?").run(randomBytes(32), K))
      assertBroken(yield* verify(home), { breakClass: "chain-mismatch", firstBroken: K })
    })
  )
})

describe("verifyLog tamper suite", () => {
  it.scoped("a flipped payload byte is a payload mismatch at that entry", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      let leaves: [Uint8Array, Uint8Array] | null = null
      yield* tamper(home, (db) => {
        const r = row(db, K)
        const bytes = Buffer.from(r.bytes)
        const at = bytes.indexOf("entry-")
        bytes[at] = bytes[at]! ^ 0x01
        db.prepare("UPDATE entries SET bytes = ? WHERE seq = ?").run(bytes, K)
        leaves = [r.leaf, Merkle.leafHash(bytes)]
      })
      const [stored, recomputed] = leaves!
      assertBroken(yield* verify(home), {
        breakClass: "payload-mismatch",
        firstBroken: K,
        expected: sha(stored),
        got: sha(recomputed)
      })
    })
  )

  it.scoped("a payload flip that breaks the JSON of entry #1 is a payload mismatch at #1", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      yield* tamper(home, (db) => {
        const bytes = Buffer.from(row(db, 1).bytes)
        bytes[0] = 0xff
        db.prepare("UPDATE entries SET bytes = ? WHERE seq = 1").run(bytes)
      })
      const report = yield* verify(home)
      assertBroken(report, { breakClass: "payload-mismatch", firstBroken: 1 })
      assert.strictEqual(report.first?.seq, 1)
    })
  )

  it.scoped("a rewritten leaf hash is a leaf mismatch at that entry", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      const fake = randomBytes(32)
      let original: Buffer | null = null
      yield* tamper(home, (db) => {
        original = row(db, K).leaf
        db.prepare("UPDATE entries SET leaf = ? WHERE seq = ?").run(fake, K)
      })
      assertBroken(yield* verify(home), {
        breakClass: "leaf-mismatch",
        firstBroken: K,
        expected: sha(original!),
        got: sha(fake)
      })
    })
  )

  it.scoped("a rewritten chain hash is a chain mismatch at that entry", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      const fake = randomBytes(32)
      let original: Buffer | null = null
      yield* tamper(home, (db) => {
        original = row(db, K).chain
        db.prepare("UPDATE entries SET chain = ? WHERE seq = ?").run(fake, K)
      })
      assertBroken(yield* verify(home), {
        breakClass: "chain-mismatch",
        firstBroken: K,
        expected: sha(original!),
        got: sha(fake)
      })
    })
  )

  for (const [column, value] of [
    ["type", "v1.RuleChanged"],
    ["id", "00000000-0000-7000-8000-000000000000"],
    ["recorded_at", "2020-01-01T00:00:00.000Z"],
    ["type", `v1.${"X".repeat(300)}`]
  ] as const) {
    for (const incremental of [false, true]) {
      it.scoped(`a rewritten ${column} column (${value.length} characters) is a payload mismatch at that entry (${incremental ? "incremental" : "full"} verify)`, () =>
        Effect.gen(function* () {
          const home = yield* buildLog
          if (incremental) assert.isTrue((yield* verify(home)).valid)
          yield* append(home, [40], SIZE)
          yield* tamper(home, (db) => void db.prepare(`UPDATE entries SET ${column} = ? WHERE seq = ?`).run(value, SIZE + 20))
          const report = yield* verify(home, incremental)
          assertBroken(report, { breakClass: "payload-mismatch", firstBroken: SIZE + 20 })
          assert.include(report.reason ?? "", "column")
        })
      )
    }
  }

  it.scoped("a rewritten session column is a payload mismatch; a NULL one (rows from before schema 2) passes", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      yield* Effect.gen(function* () {
        const log = yield* AuditLog.AuditLog
        yield* log.append([evalEvent(SIZE)], { session: "session-\u0007-ü" })
        yield* log.append([evalEvent(SIZE + 1)], { session: "other" })
      }).pipe(Effect.provide(layerFor(home)))
      assert.isTrue((yield* verify(home)).valid)
      yield* tamper(home, (db) => void db.prepare("UPDATE entries SET session = NULL WHERE seq = ?").run(SIZE + 2))
      assert.isTrue((yield* verify(home)).valid)
      yield* tamper(home, (db) => void db.prepare("UPDATE entries SET session = 'other' WHERE seq = ?").run(SIZE + 2))
      assert.isTrue((yield* verify(home)).valid)
      yield* tamper(home, (db) => void db.prepare("UPDATE entries SET session = 'other' WHERE seq = ?").run(SIZE + 1))
      assertBroken(yield* verify(home), { breakClass: "payload-mismatch", firstBroken: SIZE + 1 })
    })
  )

  it.scoped("a deleted row is a missing entry at its seq", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      yield* tamper(home, (db) => {
        db.prepare("DELETE FROM entries WHERE seq = ?").run(K)
      })
      const report = yield* verify(home)
      assertBroken(report, { breakClass: "missing-entry", firstBroken: K })
      assert.isNull(report.expected)
      assert.isNull(report.got)
    })
  )

  it.scoped("a row inserted with a correct-looking leaf and chain is an inserted entry at its seq", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      let link: [Uint8Array, Uint8Array] | null = null
      yield* tamper(home, (db) => {
        const previous = row(db, K - 1)
        const original = row(db, K)
        const bytes = forged(K, original)
        const leaf = Merkle.leafHash(bytes)
        link = [LogWriter.chainHash(LogWriter.chainHash(previous.chain, leaf), original.leaf), original.chain]
        db.prepare("UPDATE entries SET seq = -seq WHERE seq >= ?").run(K)
        db.prepare("UPDATE entries SET seq = 1 - seq WHERE seq < 0").run()
        db.prepare(
          "INSERT INTO entries (seq, id, type, recorded_at, bytes, leaf, chain) VALUES (?, ?, ?, ?, ?, ?, ?)"
        ).run(
          K,
          `forged-${K}`,
          previous.type,
          previous.recorded_at,
          bytes,
          Buffer.from(leaf),
          Buffer.from(LogWriter.chainHash(previous.chain, leaf))
        )
      })
      const report = yield* verify(home)
      assertBroken(report, {
        breakClass: "inserted-entry",
        firstBroken: K,
        expected: sha(link![0]),
        got: sha(link![1])
      })
      assert.include(report.reason!, `#${K}–#${K}`)
    })
  )

  it.scoped("two swapped rows are reordered entries at the first of them", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      yield* tamper(home, (db) => {
        const a = row(db, K)
        const b = row(db, K + 1)
        db.prepare("DELETE FROM entries WHERE seq IN (?, ?)").run(K, K + 1)
        const insert = db.prepare(
          "INSERT INTO entries (seq, id, type, recorded_at, bytes, leaf, chain) VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        insert.run(K, b.id, b.type, b.recorded_at, b.bytes, b.leaf, b.chain)
        insert.run(K + 1, a.id, a.type, a.recorded_at, a.bytes, a.leaf, a.chain)
      })
      assertBroken(yield* verify(home), { breakClass: "reordered-entries", firstBroken: K })
    })
  )

  it.scoped("a tail deleted from the entries alone is truncated after the new last entry", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      yield* tamper(home, (db) => {
        db.prepare("DELETE FROM entries WHERE seq > ?").run(SIZE - 10)
      })
      const report = yield* verify(home)
      assertBroken(report, { breakClass: "truncated", firstBroken: SIZE - 9 })
      assert.strictEqual(report.length, SIZE - 10)
    })
  )

  it.scoped("a tail truncated with the head rolled back to an older signed note is caught by checkpoints/latest", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      let signedRoot: Uint8Array | null = null
      yield* tamper(home, (db) => {
        signedRoot = Checkpoint.parse(noteOf(db, "head")).root
        db.prepare("DELETE FROM entries WHERE seq > ?").run(SIZE - 10)
        db.prepare("DELETE FROM checkpoints WHERE size > ?").run(SIZE - 10)
        const kept = rows(db)
        rewriteHead(
          db,
          kept.map((r) => r.leaf),
          kept[kept.length - 1]!.chain,
          noteOf(db, "checkpoints", 257)
        )
      })
      const report = yield* verify(home)
      assertBroken(report, { breakClass: "rolled-back", firstBroken: SIZE - 9, expected: sha(signedRoot!) })
      assert.isNull(report.got)
      assert.strictEqual(report.length, SIZE - 10)
    })
  )

  it.scoped("the same truncation with checkpoints/latest also removed leaves entries no signed checkpoint covers", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      yield* tamper(home, (db) => {
        db.prepare("DELETE FROM entries WHERE seq > ?").run(SIZE - 10)
        db.prepare("DELETE FROM checkpoints WHERE size > ?").run(SIZE - 10)
        const kept = rows(db)
        rewriteHead(
          db,
          kept.map((r) => r.leaf),
          kept[kept.length - 1]!.chain,
          noteOf(db, "checkpoints", 257)
        )
      })
      rmSync(join(home, "checkpoints", "latest"))
      assertBroken(yield* verify(home), { breakClass: "unsigned-entries", firstBroken: 258 })
    })
  )

  it.scoped("entries appended without the key (head row updated, old note kept) are unsigned", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      yield* tamper(home, (db) => {
        const all = rows(db)
        const leaves: Array<Uint8Array> = all.map((r) => r.leaf)
        let chain: Uint8Array = all[all.length - 1]!.chain
        const insert = db.prepare(
          "INSERT INTO entries (seq, id, type, recorded_at, bytes, leaf, chain) VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        for (let seq = SIZE + 1; seq <= SIZE + 5; seq++) {
          const bytes = forged(seq, all[0]!)
          const leaf = Merkle.leafHash(bytes)
          chain = LogWriter.chainHash(chain, leaf)
          leaves.push(leaf)
          insert.run(
            seq,
            `forged-${seq}`,
            all[0]!.type,
            all[0]!.recorded_at,
            bytes,
            Buffer.from(leaf),
            Buffer.from(chain)
          )
        }
        rewriteHead(db, leaves, chain)
      })
      assertBroken(yield* verify(home), { breakClass: "unsigned-entries", firstBroken: SIZE + 1 })
    })
  )

  it.scoped("an older copy of the database restored over the newer one is rolled back", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      yield* append(home, [1, 99, 150, 50], 0)
      const db = join(home, "audit.db")
      const backup = join(home, "backup")
      for (const suffix of ["", "-wal"]) if (existsSync(db + suffix)) copyFileSync(db + suffix, backup + suffix)
      const head = yield* append(home, [120, 80, 100], 300)
      assert.strictEqual(head.size, SIZE)
      for (const suffix of ["", "-wal", "-shm"]) rmSync(db + suffix, { force: true })
      for (const suffix of ["", "-wal"]) if (existsSync(backup + suffix)) copyFileSync(backup + suffix, db + suffix)
      const report = yield* verify(home)
      assertBroken(report, { breakClass: "rolled-back", firstBroken: 301, expected: sha(head.root) })
      assert.strictEqual(report.length, 300)
    })
  )

  it.scoped("an older copy restored and then grown past the outside checkpoint is a fork of checkpoints/latest", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      yield* append(home, [1, 99, 150, 50], 0)
      const db = join(home, "audit.db")
      const backup = join(home, "backup")
      for (const suffix of ["", "-wal"]) if (existsSync(db + suffix)) copyFileSync(db + suffix, backup + suffix)
      const head = yield* append(home, [120, 80, 100], 300)
      const latest = readFileSync(join(home, "checkpoints", "latest"), "utf8")
      assert.strictEqual(latest, head.note)
      for (const suffix of ["", "-wal", "-shm"]) rmSync(db + suffix, { force: true })
      for (const suffix of ["", "-wal"]) if (existsSync(backup + suffix)) copyFileSync(backup + suffix, db + suffix)
      const regrown = yield* append(home, [150, 250], 1_000)
      assert.strictEqual(regrown.size, 700)
      assert.strictEqual(readFileSync(join(home, "checkpoints", "latest"), "utf8"), latest)
      const rootAt600 = withDatabase(home, (d) =>
        Merkle.rootHash(
          rows(d)
            .slice(0, SIZE)
            .map((r) => r.leaf)
        )
      )
      const report = yield* verify(home)
      assertBroken(report, {
        breakClass: "forked-checkpoint",
        firstBroken: 1,
        expected: sha(head.root),
        got: sha(rootAt600)
      })
      assert.include(report.reason!, "outside checkpoint")
      assert.include(report.reason!, "#1–#600")
    })
  )

  it.scoped("a database deleted while checkpoints/latest remains is rolled back", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      for (const suffix of ["", "-wal", "-shm"]) rmSync(join(home, `audit.db${suffix}`), { force: true })
      assertBroken(yield* verify(home), { breakClass: "rolled-back", firstBroken: 1 })
    })
  )

  it.scoped("a head checkpoint signed by another key for the same origin is a bad checkpoint signature", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      yield* tamper(home, (db) => {
        const cp = Checkpoint.parse(noteOf(db, "head"))
        const note = Checkpoint.signCheckpoint(cp, cp.origin, new Uint8Array(randomBytes(32)))
        db.prepare("UPDATE head SET note = ?").run(note)
      })
      const report = yield* verify(home)
      assertBroken(report, { breakClass: "bad-checkpoint-signature", firstBroken: SIZE })
      assert.include(report.reason!, "signed head")
    })
  )

  it.scoped("a consistent rewrite of #K.. without the key is a forked checkpoint bounding the range", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      let signedRoot: Uint8Array | null = null
      let forgedRoot: Uint8Array | null = null
      yield* tamper(home, (db) => {
        signedRoot = Checkpoint.parse(noteOf(db, "head")).root
        const all = rows(db)
        const leaves: Array<Uint8Array> = all.map((r) => r.leaf)
        let chain: Uint8Array = all[K - 2]!.chain
        const update = db.prepare("UPDATE entries SET bytes = ?, leaf = ?, chain = ? WHERE seq = ?")
        for (let seq = K; seq <= SIZE; seq++) {
          const r = all[seq - 1]!
          const bytes = Buffer.from(r.bytes.toString("utf8").replace('"decision":"block"', '"decision":"allow"'))
          const leaf = Merkle.leafHash(bytes)
          chain = LogWriter.chainHash(chain, leaf)
          leaves[seq - 1] = leaf
          update.run(bytes, Buffer.from(leaf), Buffer.from(chain), seq)
        }
        forgedRoot = Merkle.rootHash(leaves)
        rewriteHead(db, leaves, chain)
      })
      const report = yield* verify(home)
      assertBroken(report, {
        breakClass: "forked-checkpoint",
        firstBroken: 258,
        expected: sha(signedRoot!),
        got: sha(forgedRoot!)
      })
      assert.include(report.reason!, "#258–#600")
      assert.isTrue(258 <= K && K <= 600)
    })
  )
})

describe("verifyLog incremental", () => {
  it.scoped("resumes from the last verified size and still catches tampering after it", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      const full = yield* verify(home)
      assert.isTrue(full.valid)
      assert.strictEqual(full.verifiedFrom, 0)

      yield* append(
        home,
        Array.from({ length: 8 }, () => 250),
        SIZE
      )
      const incremental = yield* verify(home, true)
      assert.isTrue(incremental.valid, incremental.reason ?? "")
      assert.strictEqual(incremental.verifiedFrom, SIZE)
      assert.strictEqual(incremental.length, SIZE + 2_000)
      assert.strictEqual(incremental.last?.seq, SIZE + 2_000)
      assert.strictEqual(incremental.first?.seq, 1)

      const again = yield* verify(home, true)
      assert.isTrue(again.valid)
      assert.strictEqual(again.verifiedFrom, SIZE + 2_000)
      assert.strictEqual(again.last?.seq, SIZE + 2_000)

      yield* append(home, [40, 60], SIZE + 2_000)
      const target = SIZE + 2_050
      yield* tamper(home, (db) => {
        const bytes = Buffer.from(row(db, target).bytes)
        const at = bytes.indexOf("entry-")
        bytes[at] = bytes[at]! ^ 0x01
        db.prepare("UPDATE entries SET bytes = ? WHERE seq = ?").run(bytes, target)
      })
      const caught = yield* verify(home, true)
      assertBroken(caught, { breakClass: "payload-mismatch", firstBroken: target })
      assert.strictEqual(caught.verifiedFrom, SIZE + 2_000)
    })
  )

  it.scoped("falls back to a full verification without a state file", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      assert.isFalse(existsSync(join(home, "checkpoints", "verified.json")))
      const report = yield* verify(home, true)
      assert.isTrue(report.valid)
      assert.strictEqual(report.verifiedFrom, 0)
      assert.strictEqual(report.length, SIZE)
      assert.isTrue(existsSync(join(home, "checkpoints", "verified.json")))
    })
  )

  it.scoped("falls back to a full verification when the state no longer matches the database", () =>
    Effect.gen(function* () {
      const home = yield* buildLog
      assert.isTrue((yield* verify(home)).valid)
      yield* tamper(home, (db) => {
        db.prepare("UPDATE entries SET chain = ? WHERE seq = ?").run(randomBytes(32), SIZE)
      })
      const report = yield* verify(home, true)
      assertBroken(report, { breakClass: "chain-mismatch", firstBroken: SIZE })
      assert.strictEqual(report.verifiedFrom, 0)
    })
  )
})
