import { hash } from "node:crypto"
import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"
import { STORED_LEVEL } from "./AuditStore.js"

/** A perfect subtree of 2^level leaves, given by its root hash. */
export interface Subtree {
  readonly level: number
  readonly hash: Uint8Array
}

/** One scanned range `[first, last]`: its compact range, and the compact range of `[first, s]` for each wanted size s. */
export interface ScannedRange {
  readonly first: number
  readonly last: number
  readonly subtrees: ReadonlyArray<Subtree>
  readonly at: ReadonlyMap<number, ReadonlyArray<Subtree>>
}

/** What a parallel scan found: every leaf recomputed and every chain link checked, or the first seq that needs a closer look. */
export type ScanResult = { readonly ok: true; readonly lastChain: Uint8Array } | { readonly ok: false; readonly at: number }

/** What scanning one range found (the shape posted by a worker). */
export type RangeResult =
  | {
      readonly ok: true
      readonly first: number
      readonly last: number
      readonly lastChain: Uint8Array
      readonly levels: Array<number>
      readonly hashes: Uint8Array
      readonly snapshots: Array<[number, Array<number>, Uint8Array]>
    }
  | { readonly ok: false; readonly first: number; readonly at: number }

/**
 * One range to scan: entries `[first, last]`, the verified chain hash before it (or null: read it), the wanted sizes,
 * and the lowest level of the stored tree nodes (table `nodes`) to check against the hashes recomputed in the range.
 */
export interface RangeTask {
  readonly first: number
  readonly last: number
  readonly previous: Uint8Array | null
  readonly wanted: ReadonlyArray<number>
  readonly nodeLevel: number
}

interface ScanDatabase {
  readonly pragma: (source: string) => unknown
  readonly prepare: (sql: string) => {
    readonly raw: (on: boolean) => {
      readonly get: (...params: ReadonlyArray<unknown>) => ReadonlyArray<unknown> | undefined
      readonly all: (...params: ReadonlyArray<unknown>) => ReadonlyArray<ReadonlyArray<unknown>>
    }
  }
}

/** SHA-256 of `data` as a 32-character latin1 string (no Buffer allocated for the digest). */
export type Sha256 = (algorithm: "sha256", data: Uint8Array, encoding: "binary") => string

/** Whether `blob` holds the ASCII text `ascii` at `offset`, inside `[start, end)`. Self-contained (also runs on worker threads). */
function asciiAt(blob: Uint8Array, offset: number, ascii: string, start: number, end: number): boolean {
  if (offset < start || offset + ascii.length > end) return false
  for (let i = 0; i < ascii.length; i++) if (blob[offset + i] !== ascii.charCodeAt(i)) return false
  return true
}

/** Whether `blob` holds the `length` bytes at `column` again at `offset`, inside `[start, end)`. Self-contained, as above. */
function repeatedAt(blob: Uint8Array, column: number, offset: number, length: number, start: number, end: number): boolean {
  if (offset < start || offset + length > end) return false
  for (let i = 0; i < length; i++) if (blob[column + i] !== blob[offset + i]) return false
  return true
}

/**
 * Whether the envelope bytes `[start, end)` of `blob` agree with the row's indexed columns stored at `columns` (id, type,
 * recorded_at, then the session column as JSON: `null` for a NULL column, as in rows from before schema 2, is not checked): the
 * envelope ends with `"timestamp":"<recorded_at>","type":"<type>"}`, its last `,"id":"` names the id and its last
 * `"session":` holds the session. Self-contained (its source text also runs on worker threads, with `asciiAt` and `repeatedAt`).
 */
export function envelopeColumnsMatch(
  blob: Uint8Array,
  start: number,
  end: number,
  columns: number,
  idLength: number,
  typeLength: number,
  timeLength: number,
  sessionLength: number
): boolean {
  const typeAt = end - 2 - typeLength
  const timeAt = typeAt - 10 - timeLength
  if (!asciiAt(blob, end - 2, '"}', start, end) || !asciiAt(blob, typeAt - 10, '","type":"', start, end)) return false
  if (!repeatedAt(blob, columns + idLength, typeAt, typeLength, start, end)) return false
  if (!asciiAt(blob, timeAt - 13, '"timestamp":"', start, end)) return false
  if (!repeatedAt(blob, columns + idLength + typeLength, timeAt, timeLength, start, end)) return false
  const session = columns + idLength + typeLength + timeLength
  const unchecked =
    sessionLength === 4 && blob[session] === 0x6e && blob[session + 1] === 0x75 && blob[session + 2] === 0x6c && blob[session + 3] === 0x6c
  let idAt = -1
  let sessionAt = unchecked ? 0 : -1
  for (let i = timeAt - 14; i > start; i--) {
    const c = blob[i]
    if (c === 0x2c && asciiAt(blob, i, ',"id":"', start, end)) {
      idAt = i + 7
      break
    }
    if (c === 0x22 && sessionAt < 0 && asciiAt(blob, i, '"session":', start, end)) sessionAt = i + 10
  }
  if (idAt < 0 || !repeatedAt(blob, columns, idAt, idLength, start, end) || !asciiAt(blob, idAt + idLength, '"', start, end)) return false
  if (unchecked) return true
  return sessionAt > start && repeatedAt(blob, session, sessionAt, sessionLength, start, end) && asciiAt(blob, sessionAt + sessionLength, ',"user":', start, end)
}

/**
 * Scans one range on an open better-sqlite3 connection: recomputes each leaf, checks it and the chain link against the
 * stored hashes, checks the indexed columns against the envelope (it ends with `"timestamp":"<recorded_at>",
 * "type":"<type>"}`, its last `,"id":"` names `id`, its last `"session":` holds the column's JSON unless the column is
 * NULL, as in rows from before schema 2), and folds the leaves into the range's compact range. Rows are read 1,000 at a
 * time as one blob of records `seq (8 bytes) ‖ length(bytes) (4) ‖ length(leaf) ‖ length(chain) ‖ all three are blobs
 * ‖ length(id) ‖ length(type) ‖ length(recorded_at) (1 each) ‖ length(json_quote(session)) (2) ‖ leaf ‖ chain ‖ id ‖
 * type ‖ recorded_at ‖ session JSON ‖ 0x00 ‖ bytes` (the payload last, so SQLite copies it once per row, and after the
 * leaf prefix byte, so it is hashed in place); any record that does not parse as the next seq with 32-byte blob hashes
 * and matching columns fails the range. Every tree node from `nodeLevel` up that lies inside the range is compared with
 * its stored hash (read 64 nodes of a level at a time), and a missing or different one fails the range at the entry
 * that completes it. Self-contained (its source text also runs on worker threads): it uses only its arguments,
 * `Buffer` and `envelopeColumnsMatch`.
 */
export function scanRange(db: ScanDatabase, hash: Sha256, task: RangeTask): RangeResult {
  const { first, last, wanted, nodeLevel } = task
  const batch = 1000
  db.pragma("mmap_size = 4294967296")
  const records = db
    .prepare(
      "SELECT CAST(group_concat(unhex(printf('%016x%08x%02x%02x%02x%02x%02x%02x%04x', seq, length(bytes), " +
        "length(leaf), length(chain), typeof(bytes) = 'blob' AND typeof(leaf) = 'blob' AND typeof(chain) = 'blob', " +
        "octet_length(id), octet_length(type), octet_length(recorded_at), octet_length(json_quote(session)))) " +
        "|| leaf || chain || id || type || recorded_at || json_quote(session) || X'00' || bytes, '') AS BLOB) " +
        "FROM entries WHERE seq >= ? AND seq <= ?"
    )
    .raw(true)
  const nodes = db.prepare("SELECT idx, hash FROM nodes WHERE level = ? AND idx >= ? AND idx <= ?").raw(true)
  const windows: Array<{ hi: number; known: Map<unknown, unknown> }> = []
  const storedNode = (level: number, index: number): unknown => {
    let window = windows[level]
    if (window === undefined || index > window.hi) {
      const hi = Math.min(index + 63, Math.floor(last / 2 ** level) - 1)
      window = windows[level] = { hi, known: new Map(nodes.all(level, index, hi).map((row) => [row[0], row[1]])) }
    }
    return window.known.get(index)
  }
  const pair = Buffer.alloc(64)
  if (task.previous !== null) pair.set(task.previous)
  else {
    const row = db.prepare("SELECT chain FROM entries WHERE seq = ?").raw(true).get(first - 1)
    if (row !== undefined && row[0] instanceof Uint8Array && row[0].length === 32) pair.set(row[0])
  }
  const node = Buffer.alloc(65)
  node[0] = 1
  const levels: Array<number> = []
  const hashes: Array<string> = []
  const snapshots: Array<[number, Array<number>, Uint8Array]> = []
  const pack = (): [Array<number>, Uint8Array] => {
    const out = Buffer.alloc(32 * hashes.length)
    for (let k = 0; k < hashes.length; k++) out.write(hashes[k]!, 32 * k, "latin1")
    return [levels.slice(), out]
  }
  let w = 0
  let expected = first
  for (let from = first; from <= last; from += batch) {
    const blob = records.get(from, Math.min(last, from + batch - 1))?.[0]
    if (!(blob instanceof Buffer)) return { ok: false, first, at: expected }
    const end = blob.length
    let o = 0
    while (o < end) {
      if (o + 20 > end) return { ok: false, first, at: expected }
      const seq = blob.readUInt32BE(o) * 4294967296 + blob.readUInt32BE(o + 4)
      const length = blob.readUInt32BE(o + 8)
      if (seq !== expected) return { ok: false, first, at: expected }
      const idLength = blob[o + 15]!
      const typeLength = blob[o + 16]!
      const timeLength = blob[o + 17]!
      const sessionLength = blob.readUInt16BE(o + 18)
      const columns = o + 84
      const start = columns + idLength + typeLength + timeLength + sessionLength + 1
      const e = start + length
      if (blob[o + 12] !== 32 || blob[o + 13] !== 32 || blob[o + 14] !== 1 || e > end) return { ok: false, first, at: seq }
      if (!envelopeColumnsMatch(blob, start, e, columns, idLength, typeLength, timeLength, sessionLength)) {
        return { ok: false, first, at: seq }
      }
      const leaf = hash("sha256", blob.subarray(start - 1, e), "binary")
      pair.write(leaf, 32, "latin1")
      if (pair.compare(blob, o + 20, o + 52, 32, 64) !== 0) return { ok: false, first, at: seq }
      pair.write(hash("sha256", pair, "binary"), 0, "latin1")
      if (pair.compare(blob, o + 52, o + 84, 0, 32) !== 0) return { ok: false, first, at: seq }
      let level = 0
      let index = seq - 1
      let h = leaf
      while (hashes.length > 0 && levels[levels.length - 1] === level && index % 2 === 1) {
        node.write(hashes.pop()!, 1, "latin1")
        node.write(h, 33, "latin1")
        h = hash("sha256", node, "binary")
        levels.pop()
        level++
        index = (index - 1) / 2
        if (level >= nodeLevel) {
          const stored = storedNode(level, index)
          if (!Buffer.isBuffer(stored) || stored.length !== 32 || stored.toString("latin1") !== h) {
            return { ok: false, first, at: seq }
          }
        }
      }
      levels.push(level)
      hashes.push(h)
      while (w < wanted.length && wanted[w]! < seq) w++
      if (w < wanted.length && wanted[w] === seq) snapshots.push([seq, ...pack()])
      expected++
      o = e
    }
  }
  if (expected !== last + 1) return { ok: false, first, at: expected }
  const [finalLevels, finalHashes] = pack()
  return {
    ok: true,
    first,
    last,
    lastChain: Buffer.from(pair.subarray(0, 32)),
    levels: finalLevels,
    hashes: finalHashes,
    snapshots
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads")
const { hash } = require("node:crypto")
const Database = require(workerData.sqlite)
const db = new Database(workerData.db, { readonly: true, fileMustExist: true })
const asciiAt = ${asciiAt.toString()}
const repeatedAt = ${repeatedAt.toString()}
const envelopeColumnsMatch = ${envelopeColumnsMatch.toString()}
const scanRange = ${scanRange.toString()}
parentPort.on("message", (task) => {
  if (task === null) { db.close(); parentPort.close(); return }
  const result = scanRange(db, hash, task)
  parentPort.postMessage(result, result.ok ? [result.hashes.buffer] : [])
})
`

const sqlitePath = (): string => createRequire(import.meta.url).resolve("better-sqlite3")

const subtrees = (levels: ReadonlyArray<number>, hashes: Uint8Array): Array<Subtree> =>
  levels.map((level, k) => ({ level, hash: hashes.subarray(32 * k, 32 * k + 32) }))

const scanned = (r: Extract<RangeResult, { ok: true }>): ScannedRange => ({
  first: r.first,
  last: r.last,
  subtrees: subtrees(r.levels, r.hashes),
  at: new Map(r.snapshots.map(([s, levels, hashes]) => [s, subtrees(levels, hashes)]))
})

const scanHere = (db: string, task: RangeTask, onRange: (range: ScannedRange) => void): ScanResult => {
  const Database = createRequire(import.meta.url)("better-sqlite3") as new (
    path: string,
    options: { readonly readonly: boolean; readonly fileMustExist: boolean }
  ) => ScanDatabase & { readonly close: () => void }
  const connection = new Database(db, { readonly: true, fileMustExist: true })
  try {
    const result = scanRange(connection, hash, task)
    if (!result.ok) return { ok: false, at: result.at }
    onRange(scanned(result))
    return { ok: true, lastChain: result.lastChain }
  } finally {
    connection.close()
  }
}

/**
 * Recomputes the leaves of entries `[from + 1, to]`, checks every chain link, hashes the Merkle tree over them and
 * checks the stored tree nodes inside each range, reading the database through read-only connections: on `workers`
 * threads (default 2) over `ranges` ranges, or in this thread with `workers: 0`; `previous` is the verified chain hash
 * of entry `from`. Ranges reach `onRange` in order (with the compact ranges at the `wanted` sizes inside them) while
 * later ranges are still being scanned.
 */
export const parallelScan = (
  db: string,
  from: number,
  to: number,
  previous: Uint8Array,
  wanted: ReadonlyArray<number>,
  onRange: (range: ScannedRange) => void,
  options: { readonly workers?: number; readonly ranges?: number } = {}
): Promise<ScanResult> =>
  new Promise((resolve, reject) => {
    const sortedWanted = [...wanted].sort((x, y) => x - y)
    if (to <= from) return resolve({ ok: true, lastChain: previous })
    if (options.workers === 0) {
      try {
        const task: RangeTask = { first: from + 1, last: to, previous, wanted: sortedWanted, nodeLevel: STORED_LEVEL }
        return resolve(scanHere(db, task, onRange))
      } catch (error) {
        return reject(error)
      }
    }
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
      const inRange = sortedWanted.filter((s) => s >= first && s <= last)
      const previousChain = next === 0 ? Buffer.from(previous) : null
      const task: RangeTask = { first, last, wanted: inRange, previous: previousChain, nodeLevel: STORED_LEVEL }
      worker.postMessage(task)
      next++
    }
    const deliver = () => {
      while (delivered < ranges.length) {
        const r = done.get(ranges[delivered]![0])
        if (r === undefined) return
        if (!r.ok) return stop({ ok: false, at: r.at })
        onRange(scanned(r))
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
  })
