import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdtempSync, realpathSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { allowedEval } from "../support/log.js"
import * as Merkle from "../../src/domain/Merkle.js"
import * as AuditLog from "../../src/pipeline/AuditLog.js"
import * as LogWriter from "../../src/pipeline/LogWriter.js"
import { verifyLog } from "../../src/pipeline/AuditVerify.js"
import * as Keys from "../../src/pipeline/Keys.js"
import { parallelScan, type Subtree } from "../../src/pipeline/ParallelScan.js"
import { pathsFrom, SsgPaths } from "../../src/pipeline/Paths.js"

interface Database {
  readonly exec: (sql: string) => void
  readonly prepare: (sql: string) => {
    readonly all: (...p: ReadonlyArray<unknown>) => Array<{ seq: number; leaf: Buffer; chain: Buffer }>
    readonly run: (...p: ReadonlyArray<unknown>) => unknown
  }
  readonly close: () => void
}
const openDatabase = createRequire(import.meta.url)("better-sqlite3") as new (path: string) => Database

const SIZE = 3000

const tempHome = Effect.acquireRelease(
  Effect.sync(() => realpathSync(mkdtempSync(join(tmpdir(), "ssg-parallel-")))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const event = (i: number) =>
  allowedEval(`echo ${i}`)

const buildLog = (home: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const log = yield* AuditLog.AuditLog
      for (let i = 0; i < SIZE; i += 500) yield* log.append(Array.from({ length: 500 }, (_, k) => event(i + k)))
      return log.path
    }).pipe(Effect.provide(layerFor(home)))
  )

const layerFor = (home: string) =>
  AuditLog.layer.pipe(
    Layer.provideMerge(Keys.layer),
    Layer.provideMerge(Layer.succeed(SsgPaths, pathsFrom({ SSG_HOME: home }, home)))
  )

const stored = (path: string) => {
  const db = new openDatabase(path)
  const rows = db.prepare("SELECT seq, leaf, chain FROM entries ORDER BY seq").all()
  db.close()
  return rows
}

const tamper = (path: string, sql: string) => {
  const db = new openDatabase(path)
  for (const t of ["entries_no_update", "entries_no_delete"]) db.exec(`DROP TRIGGER IF EXISTS ${t}`)
  db.exec(sql)
  db.close()
}

const WANTED = [1, 2, 255, 256, 257, 1000, 1001, 1500, 2047, 2048, 2049, 2999, SIZE]

const scan = (path: string, from: number, to: number, previous: Uint8Array, workers: number, ranges = 7) =>
  Effect.promise(async () => {
    const leaves = stored(path).map((r) => new Uint8Array(r.leaf))
    const range = Merkle.CompactRange.empty()
    for (const leaf of leaves.slice(0, from)) range.append(leaf)
    const border = [...range.border()]
    let size = from
    const roots = new Map<number, Uint8Array>()
    const fold = (subtrees: ReadonlyArray<Subtree>, base: Array<Uint8Array>, baseSize: number) => {
      let all = [...base]
      let n = baseSize
      for (const t of subtrees) {
        assert.strictEqual(n % 2 ** t.level, 0)
        all.push(t.hash)
        let i = n / 2 ** t.level
        n += 2 ** t.level
        while (i % 2 === 1) {
          const r = all.pop()!
          const l = all.pop()!
          all = [...all, Merkle.nodeHash(l, r)]
          i = (i - 1) / 2
        }
      }
      return { border: all, size: n }
    }
    const rootOf = (b: ReadonlyArray<Uint8Array>, n: number) =>
      n === 0 ? Merkle.EMPTY_ROOT : Merkle.CompactRange.fromBorder(n, b).root()
    const result = await parallelScan(path, from, to, previous, WANTED, (scanned) => {
      assert.strictEqual(scanned.first, size + 1)
      for (const [at, subtrees] of scanned.at) {
        const f = fold(subtrees, border, size)
        assert.strictEqual(f.size, at)
        roots.set(at, rootOf(f.border, f.size))
      }
      const f = fold(scanned.subtrees, border, size)
      assert.strictEqual(f.size, scanned.last)
      border.splice(0, border.length, ...f.border)
      size = f.size
    }, { workers, ranges })
    return { result, size, root: rootOf(border, size), roots, leaves }
  })

const checkRoots = (s: { size: number; root: Uint8Array; roots: Map<number, Uint8Array>; leaves: Array<Uint8Array> }, from: number) => {
  assert.deepStrictEqual(s.root, Merkle.rootHash(s.leaves.slice(0, s.size)))
  const expected = WANTED.filter((w) => w > from && w <= s.size)
  assert.deepStrictEqual([...s.roots.keys()].sort((a, b) => a - b), expected)
  for (const w of expected) assert.deepStrictEqual(s.roots.get(w), Merkle.rootHash(s.leaves.slice(0, w)), `root at ${w}`)
}

describe("parallel verification scan", () => {
  it.scoped("recomputes every leaf, checks every chain link and hashes the tree across workers, from the start or a verified size", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      const path = yield* buildLog(home)
      const rows = stored(path)
      for (const [workers, ranges] of [[1, 1], [2, 7], [3, 16], [2, 5000]] as const) {
        const full = yield* scan(path, 0, SIZE, LogWriter.CHAIN_START, workers, ranges)
        assert.isTrue(full.result.ok)
        if (!full.result.ok) return
        assert.strictEqual(full.size, SIZE)
        checkRoots(full, 0)
        assert.deepStrictEqual(Buffer.from(full.result.lastChain), rows[SIZE - 1]!.chain)
      }
      const tail = yield* scan(path, 1000, SIZE, rows[999]!.chain, 2)
      assert.isTrue(tail.result.ok)
      checkRoots(tail, 1000)
      const wrongAnchor = yield* scan(path, 1000, SIZE, rows[998]!.chain, 2)
      assert.deepStrictEqual(wrongAnchor.result, { ok: false, at: 1001 })
    })
  )

  it.scoped("reports the first entry that needs a closer look: a changed payload, column, chain hash or a missing row", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      const path = yield* buildLog(home)
      for (const [seq, column, value] of [
        [2900, "session", "'s'"],
        [2800, "recorded_at", "'2020-01-01T00:00:00.000Z'"],
        [2700, "id", "'x'"],
        [2600, "type", "'v1.ToolCompleted'"]
      ] as const) {
        tamper(path, `UPDATE entries SET ${column} = ${value} WHERE seq = ${seq}`)
        assert.deepStrictEqual((yield* scan(path, 0, SIZE, LogWriter.CHAIN_START, 2)).result, { ok: false, at: seq }, column)
      }
      tamper(path, "UPDATE entries SET bytes = CAST(replace(CAST(bytes AS TEXT), 'echo', 'ECHO') AS BLOB) WHERE seq = 2500")
      assert.deepStrictEqual((yield* scan(path, 0, SIZE, LogWriter.CHAIN_START, 2)).result, { ok: false, at: 2500 })
      tamper(path, "UPDATE entries SET chain = zeroblob(32) WHERE seq = 700")
      assert.deepStrictEqual((yield* scan(path, 0, SIZE, LogWriter.CHAIN_START, 2)).result, { ok: false, at: 700 })
      tamper(path, "DELETE FROM entries WHERE seq = 300")
      assert.deepStrictEqual((yield* scan(path, 0, SIZE, LogWriter.CHAIN_START, 2)).result, { ok: false, at: 300 })
    })
  )

  it.scoped("its node:crypto hashes equal @noble/hashes: leaves, chain links and the tree root", () =>
    Effect.gen(function* () {
      const { sha256 } = yield* Effect.promise(() => import("@noble/hashes/sha2.js"))
      const home = yield* tempHome
      const path = yield* buildLog(home)
      const db = new openDatabase(path)
      const rows = db.prepare("SELECT seq, bytes, leaf, chain FROM entries ORDER BY seq").all() as unknown as Array<{
        bytes: Buffer
        leaf: Buffer
        chain: Buffer
      }>
      db.close()
      let chain: Uint8Array = new Uint8Array(32)
      const leaves = rows.map((r) => {
        const leaf = sha256(new Uint8Array([0, ...r.bytes]))
        chain = sha256(new Uint8Array([...chain, ...leaf]))
        assert.deepStrictEqual(Buffer.from(leaf), r.leaf)
        assert.deepStrictEqual(Buffer.from(chain), r.chain)
        return leaf
      })
      const mth = (xs: ReadonlyArray<Uint8Array>): Uint8Array => {
        if (xs.length === 1) return xs[0]!
        const k = 2 ** Math.floor(Math.log2(xs.length - 1))
        return sha256(new Uint8Array([1, ...mth(xs.slice(0, k)), ...mth(xs.slice(k))]))
      }
      for (const workers of [0, 2]) {
        const s = yield* scan(path, 0, SIZE, LogWriter.CHAIN_START, workers)
        assert.isTrue(s.result.ok)
        if (!s.result.ok) return
        assert.deepStrictEqual(new Uint8Array(s.result.lastChain), chain)
        assert.deepStrictEqual(new Uint8Array(s.root), mth(leaves))
        assert.deepStrictEqual(new Uint8Array(s.roots.get(2049)!), mth(leaves.slice(0, 2049)))
      }
    })
  )

  it.scoped("fails the range on a hash of the wrong length or a payload stored as text", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      const path = yield* buildLog(home)
      tamper(path, "UPDATE entries SET bytes = CAST(bytes AS TEXT) WHERE seq = 2900")
      assert.deepStrictEqual((yield* scan(path, 0, SIZE, LogWriter.CHAIN_START, 2)).result, { ok: false, at: 2900 })
      tamper(path, "UPDATE entries SET leaf = substr(leaf, 1, 31) WHERE seq = 1800")
      assert.deepStrictEqual((yield* scan(path, 0, SIZE, LogWriter.CHAIN_START, 2)).result, { ok: false, at: 1800 })
      tamper(path, "UPDATE entries SET chain = chain || x'00' WHERE seq = 900")
      assert.deepStrictEqual((yield* scan(path, 0, SIZE, LogWriter.CHAIN_START, 0)).result, { ok: false, at: 900 })
    })
  )

  it.scoped("verifyLog gives the same report through the parallel path as through the sequential scan", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      const path = yield* buildLog(home)
      const both = Effect.gen(function* () {
        const parallel = yield* verifyLog({ incremental: false, parallelMin: 1 })
        const sequential = yield* verifyLog({ incremental: false, parallelMin: Number.MAX_SAFE_INTEGER })
        return { parallel, sequential }
      }).pipe(Effect.provide(layerFor(home)), Effect.scoped)
      const clean = yield* both
      assert.isTrue(clean.parallel.valid)
      assert.deepStrictEqual(clean.parallel, clean.sequential)
      tamper(path, "UPDATE entries SET bytes = CAST(replace(CAST(bytes AS TEXT), 'echo', 'ECHO') AS BLOB) WHERE seq = 1234")
      const broken = yield* both
      assert.isFalse(broken.parallel.valid)
      assert.strictEqual(broken.parallel.firstBroken, 1234)
      assert.strictEqual(broken.parallel.breakClass, "payload-mismatch")
      assert.deepStrictEqual(broken.parallel, broken.sequential)
    })
  )
})
