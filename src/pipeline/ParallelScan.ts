import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"

/** What a parallel scan found: every leaf recomputed and every chain link checked, or the first seq that needs a closer look. */
export type ScanResult =
  | { readonly ok: true; readonly leaves: Uint8Array; readonly lastChain: Uint8Array }
  | { readonly ok: false; readonly at: number }

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads")
const { hash } = require("node:crypto")
const Database = require(workerData.sqlite)
const db = new Database(workerData.db, { readonly: true, fileMustExist: true })
const first = workerData.first
const last = workerData.last
let previous = workerData.previous ? Buffer.from(workerData.previous) : null
if (previous === null) {
  const row = db.prepare("SELECT chain FROM entries WHERE seq = ?").raw(true).get(first - 1)
  previous = row ? row[0] : Buffer.alloc(32)
}
const leaves = Buffer.alloc(32 * (last - first + 1))
const pair = Buffer.alloc(64)
let scratch = Buffer.alloc(4096)
const statement = db.prepare("SELECT seq, bytes, leaf, chain FROM entries WHERE seq >= ? AND seq <= ? ORDER BY seq").raw(true)
let expected = first
let problem = 0
for (const [seq, bytes, leaf, chain] of statement.iterate(first, last)) {
  if (seq !== expected) { problem = expected; break }
  if (bytes.length + 1 > scratch.length) scratch = Buffer.alloc(2 * (bytes.length + 1))
  scratch[0] = 0
  bytes.copy(scratch, 1)
  const computed = hash("sha256", scratch.subarray(0, bytes.length + 1), "buffer")
  if (!computed.equals(leaf)) { problem = seq; break }
  previous.copy(pair, 0)
  computed.copy(pair, 32)
  if (!hash("sha256", pair, "buffer").equals(chain)) { problem = seq; break }
  computed.copy(leaves, 32 * (seq - first))
  previous = chain
  expected++
}
if (problem === 0 && expected !== last + 1) problem = expected
db.close()
if (problem !== 0) parentPort.postMessage({ ok: false, at: problem })
else parentPort.postMessage({ ok: true, leaves, lastChain: previous }, [leaves.buffer])
`

const sqlitePath = (): string => createRequire(import.meta.url).resolve("better-sqlite3")

const run = (db: string, first: number, last: number, previous: Uint8Array | null): Promise<ScanResult> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { db, first, last, previous: previous === null ? null : Buffer.from(previous), sqlite: sqlitePath() }
    })
    worker.once("message", (m: ScanResult) => resolve(m))
    worker.once("error", reject)
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`verification worker exited with code ${code}`))
    })
  })

/**
 * Recomputes the leaves of entries `[from + 1, to]` and checks every chain link, split across worker threads that each
 * read the database through their own read-only connection; `previous` is the verified chain hash of entry `from`.
 */
export const parallelScan = async (
  db: string,
  from: number,
  to: number,
  previous: Uint8Array,
  workers = 2
): Promise<ScanResult> => {
  const count = to - from
  const size = Math.ceil(count / workers)
  const ranges = Array.from({ length: workers }, (_, w) => [from + 1 + w * size, Math.min(to, from + (w + 1) * size)] as const).filter(
    ([a, b]) => a <= b
  )
  const results = await Promise.all(ranges.map(([a, b], w) => run(db, a, b, w === 0 ? previous : null)))
  const leaves = new Uint8Array(32 * count)
  let offset = 0
  for (const [w, r] of results.entries()) {
    if (!r.ok) return r
    leaves.set(r.leaves, offset)
    offset += r.leaves.length
    if (w === results.length - 1) return { ok: true, leaves, lastChain: r.lastChain }
  }
  return { ok: true, leaves, lastChain: previous }
}
