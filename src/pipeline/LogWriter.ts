import { randomFillSync } from "node:crypto"
import { hostname, userInfo } from "node:os"
import { canonicalBytes } from "../domain/CanonicalJson.js"
import type { Envelope, Source } from "../domain/Event.js"
import { bytesEqual, CompactRange, EMPTY_ROOT, leafHash, rootFromNodes, sha256 } from "../domain/Merkle.js"
import { checkpointText, formatSignedNote } from "../domain/NoteFormat.js"
import { type HotPath, STORED_LEVEL } from "./AuditStore.js"
import { advanceLatest } from "./LatestCheckpoint.js"
import type { SigningKey } from "./SigningKey.js"

/** How many entries apart the retained checkpoints are at most (every transaction still signs the head). */
export const CHECKPOINT_INTERVAL = 256

/** An event as the log stores it: its versioned type name and its data. */
export interface EventParts {
  readonly type: string
  readonly data: Readonly<Record<string, unknown>>
}

/** What an append returns per event. */
export interface Appended {
  readonly seq: number
  readonly id: string
  readonly leaf: Uint8Array
}

/** Where appended events say they come from; unset fields default to the environment and the process. */
export interface SourceInfo {
  readonly client: string
  readonly session: string | null
  readonly cwd: string
}

const machine = (() => {
  let user: string
  try {
    user = userInfo().username
  } catch {
    user = process.env["USER"] ?? "unknown"
  }
  return { host: hostname(), user }
})()

/** The envelope source of events appended with `key`: log id, host, user, client, session and working directory. */
export const eventSource = (key: SigningKey, info: Partial<SourceInfo>): Source => ({
  log_id: key.name,
  host: machine.host,
  user: machine.user,
  client: info.client ?? process.env["SSG_CLIENT"] ?? "cli",
  session: info.session !== undefined ? info.session : (process.env["SSG_SESSION_ID"] ?? null),
  cwd: info.cwd ?? process.cwd()
})

const randomPool = Buffer.alloc(16 * 512)
let randomOffset = randomPool.length
const uuidBytes = Buffer.alloc(16)

/** A UUIDv7: 48 bits of Unix milliseconds, then random bits. */
export const uuidv7 = (): string => {
  if (randomOffset === randomPool.length) {
    randomFillSync(randomPool)
    randomOffset = 0
  }
  randomPool.copy(uuidBytes, 0, randomOffset, randomOffset + 16)
  randomOffset += 16
  uuidBytes.writeUIntBE(Date.now(), 0, 6)
  uuidBytes[6] = (uuidBytes[6]! & 0x0f) | 0x70
  uuidBytes[8] = (uuidBytes[8]! & 0x3f) | 0x80
  const h = uuidBytes.toString("hex")
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

const chainInput = new Uint8Array(64)

/** Chain link: SHA-256(previous chain hash ‖ leaf hash); the first entry's previous hash is 32 zero bytes. */
export const chainHash = (previous: Uint8Array, leaf: Uint8Array): Uint8Array => {
  chainInput.set(previous, 0)
  chainInput.set(leaf, 32)
  return sha256(chainInput)
}

/** The chain hash before the first entry. */
export const CHAIN_START = new Uint8Array(32)

/** Signs the C2SP checkpoint of a tree with the log's key (the key name is the origin). */
export const signCheckpointWith = (key: SigningKey, size: number, root: Uint8Array): string =>
  formatSignedNote(checkpointText(key.name, size, root), key.name, key.publicKey, key.sign)

const splitBorder = (blob: Uint8Array): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  for (let i = 0; i < blob.length; i += 32) out.push(new Uint8Array(blob.subarray(i, i + 32)))
  return out
}

/** The root of the first `size` entries from stored tree nodes, or null when a node is missing. */
export const storedRoot = (hot: HotPath, size: number): Uint8Array | null => {
  try {
    return rootFromNodes(size, (level, idx) => {
      const hash = hot.node(level, idx)
      if (hash === undefined) throw new RangeError(`tree node (${level}, ${idx}) is missing`)
      return hash
    })
  } catch {
    return null
  }
}

/**
 * Appends events in one `BEGIN IMMEDIATE` transaction: canonical bytes, leaf and chain hashes, the tree nodes from
 * STORED_LEVEL up, a signed head (and a retained checkpoint every CHECKPOINT_INTERVAL entries); then, holding the
 * log's write lock again, advances `checkpoints/latest` when the new tree is larger and extends the checkpoint there
 * (a failure there is a warning on stderr: the entries are committed and the next append retries). `events` may be a
 * function: it then runs inside the transaction (holding the write lock), so what it reads from the log cannot change
 * before its events land. Throws on any storage failure (nothing is committed then).
 */
export const appendEvents = (
  hot: HotPath,
  build: ReadonlyArray<EventParts> | (() => ReadonlyArray<EventParts>),
  source: Source,
  key: SigningKey,
  latestPath: string
): ReadonlyArray<Appended> => {
  if (Array.isArray(build) && build.length === 0) return []
  const result = hot.immediate(() => {
    const events = typeof build === "function" ? build() : (build as ReadonlyArray<EventParts>)
    if (events.length === 0) return null
    const head = hot.head()
    const range =
      head === undefined ? CompactRange.empty() : CompactRange.fromBorder(head.size, splitBorder(head.border))
    let previous: Uint8Array = head === undefined ? CHAIN_START : head.chain
    const appended: Array<Appended> = []
    const now = new Date().toISOString()
    for (const { data, type } of events) {
      const seq = range.size + 1
      const id = uuidv7()
      const bytes = canonicalBytes({ seq, id, timestamp: now, type, source, data } satisfies Envelope)
      const leaf = leafHash(bytes)
      const chain = chainHash(previous, leaf)
      previous = chain
      hot.insertEntry({ seq, id, type, recorded_at: now, bytes, leaf, chain, session: source.session })
      for (const n of range.append(leaf)) if (n.level >= STORED_LEVEL) hot.insertNode(n.level, n.index, n.hash)
      appended.push({ seq, id, leaf })
    }
    const size = range.size
    const root = range.root()
    const note = signCheckpointWith(key, size, root)
    hot.writeHead({ size, root, chain: previous, border: Buffer.concat(range.border()), note })
    const oldSize = head?.size ?? 0
    if (oldSize === 0 || Math.floor(size / CHECKPOINT_INTERVAL) > Math.floor(oldSize / CHECKPOINT_INTERVAL)) {
      hot.insertCheckpoint({ size, root, note, created_at: now })
    }
    return { appended, note, size, root, oldSize, oldRoot: head === undefined ? EMPTY_ROOT : head.root }
  })
  if (result === null) return []
  const rootAt = (size: number): Uint8Array | null =>
    size === result.oldSize ? result.oldRoot : size === result.size ? result.root : storedRoot(hot, size)
  try {
    advanceLatest(
      latestPath,
      result.note,
      result.size,
      (current) => {
        const root = rootAt(current.size)
        return root !== null && bytesEqual(current.root, root)
      },
      hot.immediate
    )
  } catch (e) {
    process.stderr.write(`ssg: warning: cannot update ${latestPath} (the entries are committed): ${(e as Error).message}\n`)
  }
  return result.appended
}
