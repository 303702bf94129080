import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"

/** What a parallel scan found: every leaf recomputed and every chain link checked, or the first seq that needs a closer look. */
export type ScanResult = { readonly ok: true; readonly lastChain: Uint8Array } | { readonly ok: false; readonly at: number }

type RangeResult =
  | { readonly ok: true; readonly first: number; readonly leaves: Uint8Array; readonly lastChain: Uint8Array }
  | { readonly ok: false; readonly first: number; readonly at: number }

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads")
const { hash } = require("node:crypto")
const Database = require(workerData.sqlite)
const db = new Database(workerData.db, { readonly: true, fileMustExist: true })
const anchor = db.prepare("SELECT chain FROM entries WHERE seq = ?").raw(true)
const rows = db.prepare("SELECT seq, bytes, leaf, chain FROM entries WHERE seq >= ? AND seq <= ? ORDER BY seq").raw(true)
const pair = Buffer.alloc(64)
let scratch = Buffer.alloc(4096)
parentPort.on("message", (task) => {
  if (task === null) { db.close(); parentPort.close(); return }
  const { first, last } = task
  let previous = task.previous ? Buffer.from(task.previous) : null
  if (previous === null) {
    const row = anchor.get(first - 1)
    previous = row ? row[0] : Buffer.alloc(32)
  }
  const leaves = Buffer.alloc(32 * (last - first + 1))
  let expected = first
  let problem = 0
  for (const [seq, bytes, leaf, chain] of rows.iterate(first, last)) {
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
  if (problem !== 0) parentPort.postMessage({ ok: false, first, at: problem })
  else parentPort.postMessage({ ok: true, first, leaves, lastChain: previous }, [leaves.buffer])
})
`

const sqlitePath = (): string => createRequire(import.meta.url).resolve("better-sqlite3")

/**
 * Recomputes the leaves of entries `[from + 1, to]` and checks every chain link on worker threads, each reading the
 * database through its own read-only connection; `previous` is the verified chain hash of entry `from`. Verified
 * leaves are handed to `onLeaves` in order (first seq, 32-byte hashes) while later ranges are still being scanned.
 */
export const parallelScan = (
  db: string,
  from: number,
  to: number,
  previous: Uint8Array,
  onLeaves: (first: number, leaves: Uint8Array) => void,
  options: { readonly workers?: number; readonly ranges?: number } = {}
): Promise<ScanResult> =>
  new Promise((resolve, reject) => {
    const count = to - from
    const rangeCount = Math.max(1, Math.min(options.ranges ?? 16, count))
    const size = Math.ceil(count / rangeCount)
    const ranges: Array<readonly [number, number]> = []
    for (let a = from + 1; a <= to; a += size) ranges.push([a, Math.min(to, a + size - 1)])
    const pool = Array.from(
      { length: Math.min(options.workers ?? 2, ranges.length) },
      () => new Worker(WORKER_SOURCE, { eval: true, workerData: { db, sqlite: sqlitePath() } })
    )
    const done = new Map<number, RangeResult>()
    let next = 0
    let delivered = 0
    let finished = false
    const stop = (result: ScanResult | Error) => {
      if (finished) return
      finished = true
      for (const w of pool) void w.terminate()
      if (result instanceof Error) reject(result)
      else resolve(result)
    }
    const dispatch = (worker: Worker) => {
      if (next >= ranges.length) return
      const [first, last] = ranges[next]!
      worker.postMessage({ first, last, previous: next === 0 ? Buffer.from(previous) : null })
      next++
    }
    const deliver = () => {
      while (delivered < ranges.length) {
        const r = done.get(ranges[delivered]![0])
        if (r === undefined) return
        if (!r.ok) return stop({ ok: false, at: r.at })
        onLeaves(r.first, r.leaves)
        done.delete(r.first)
        delivered++
        if (delivered === ranges.length) return stop({ ok: true, lastChain: r.lastChain })
      }
    }
    for (const worker of pool) {
      worker.on("message", (r: RangeResult) => {
        done.set(r.first, r)
        dispatch(worker)
        deliver()
      })
      worker.once("error", (e) => stop(e))
      worker.once("exit", (code) => stop(new Error(`verification worker exited early (code ${code})`)))
      dispatch(worker)
    }
    if (ranges.length === 0) stop({ ok: true, lastChain: previous })
  })
