import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdtempSync, realpathSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { EvalDecided } from "../../src/domain/Event.js"
import * as AuditLog from "../../src/pipeline/AuditLog.js"
import { verifyLog } from "../../src/pipeline/AuditVerify.js"
import * as Keys from "../../src/pipeline/Keys.js"
import { parallelScan } from "../../src/pipeline/ParallelScan.js"
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
  EvalDecided.make({
    tool: "Bash",
    capability: "execute",
    client: "test",
    decision: "allow",
    rule_id: null,
    also_matched: [],
    latency_ms: 0.1,
    input_summary: `echo ${i}`,
    input_sha256: "ab".repeat(32)
  })

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

const scan = (path: string, from: number, to: number, previous: Uint8Array, workers: number, ranges = 7) =>
  Effect.promise(async () => {
    const parts: Array<readonly [number, Buffer]> = []
    const result = await parallelScan(path, from, to, previous, (first, leaves) => parts.push([first, Buffer.from(leaves)]), {
      workers,
      ranges
    })
    let expected = from + 1
    for (const [first, leaves] of parts) {
      assert.strictEqual(first, expected)
      expected += leaves.length / 32
    }
    return { result, leaves: Buffer.concat(parts.map(([, l]) => l)) }
  })

describe("parallel verification scan", () => {
  it.scoped("recomputes every leaf and checks every chain link across workers, from the start or a verified size", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      const path = yield* buildLog(home)
      const rows = stored(path)
      for (const [workers, ranges] of [[1, 1], [2, 7], [3, 16], [2, 5000]] as const) {
        const full = yield* scan(path, 0, SIZE, AuditLog.CHAIN_START, workers, ranges)
        assert.isTrue(full.result.ok)
        if (!full.result.ok) return
        assert.deepStrictEqual(full.leaves, Buffer.concat(rows.map((r) => r.leaf)))
        assert.deepStrictEqual(Buffer.from(full.result.lastChain), rows[SIZE - 1]!.chain)
      }
      const tail = yield* scan(path, 1000, SIZE, rows[999]!.chain, 2)
      assert.isTrue(tail.result.ok)
      assert.deepStrictEqual(tail.leaves, Buffer.concat(rows.slice(1000).map((r) => r.leaf)))
      const wrongAnchor = yield* scan(path, 1000, SIZE, rows[998]!.chain, 2)
      assert.deepStrictEqual(wrongAnchor.result, { ok: false, at: 1001 })
    })
  )

  it.scoped("reports the first entry that needs a closer look: a changed payload, chain hash or a missing row", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      const path = yield* buildLog(home)
      tamper(path, "UPDATE entries SET bytes = CAST(replace(CAST(bytes AS TEXT), 'echo', 'ECHO') AS BLOB) WHERE seq = 2500")
      assert.deepStrictEqual((yield* scan(path, 0, SIZE, AuditLog.CHAIN_START, 2)).result, { ok: false, at: 2500 })
      tamper(path, "UPDATE entries SET chain = zeroblob(32) WHERE seq = 700")
      assert.deepStrictEqual((yield* scan(path, 0, SIZE, AuditLog.CHAIN_START, 2)).result, { ok: false, at: 700 })
      tamper(path, "DELETE FROM entries WHERE seq = 300")
      assert.deepStrictEqual((yield* scan(path, 0, SIZE, AuditLog.CHAIN_START, 2)).result, { ok: false, at: 300 })
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
