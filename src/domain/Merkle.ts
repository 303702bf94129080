import { hash } from "node:crypto"

const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length)

/** SHA-256 through node:crypto (OpenSSL); a test checks it against @noble/hashes, the reference implementation. */
export const sha256 = (bytes: Uint8Array): Uint8Array => view(hash("sha256", bytes, "buffer"))

let leafInput = Buffer.alloc(4096)

/** RFC 6962 leaf hash: SHA-256(0x00 ‖ bytes), over the exact stored bytes. */
export const leafHash = (bytes: Uint8Array): Uint8Array => {
  if (bytes.length + 1 > leafInput.length) leafInput = Buffer.alloc(2 * (bytes.length + 1))
  leafInput[0] = 0
  leafInput.set(bytes, 1)
  return sha256(leafInput.subarray(0, bytes.length + 1))
}

/** RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right). */
export const nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => {
  if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
    scratch.set(left, 1)
    scratch.set(right, 1 + HASH_SIZE)
    return sha256(scratch)
  }
  const buf = new Uint8Array(1 + left.length + right.length)
  buf[0] = 1
  buf.set(left, 1)
  buf.set(right, 1 + left.length)
  return sha256(buf)
}

/** Root of the empty tree, SHA-256(""); treat as read-only (functions below return copies of it). */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0))

/** MTH(D_n) of leaf hashes by the RFC 9162 §2.1.2 streaming stack, O(log n) memory; empty → EMPTY_ROOT. */
export const rootHash = (leafHashes: ReadonlyArray<Uint8Array>): Uint8Array =>
  leafHashes.length === 0 ? EMPTY_ROOT.slice() : rangeRoot(leafHashes, 0, leafHashes.length)

/** PATH(index, D_n) audit path, leaf level first (RFC 9162 §2.1.3.1); RangeError unless 0 ≤ index < n. */
export const inclusionProof = (leafHashes: ReadonlyArray<Uint8Array>, index: number): Array<Uint8Array> => {
  if (!isCount(index) || index >= leafHashes.length) {
    throw new RangeError(`inclusion proof: index ${index} is outside a tree of size ${leafHashes.length}`)
  }
  return leavesPath(leafHashes, index, 0, leafHashes.length)
}

/** RFC 9162 §2.1.3.2 inclusion check with an exact proof length; false (never throws) on any malformed input. */
export const verifyInclusion = (
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: ReadonlyArray<Uint8Array>,
  root: Uint8Array
): boolean => {
  if (!isCount(index) || !isCount(size) || index >= size) return false
  if (!isHash(leafHash) || !isBytes(root) || !Array.isArray(proof)) return false
  const inner = bitLength(xor(index, size - 1))
  if (proof.length !== inner + popcount(shiftRight(index, inner))) return false
  for (const p of proof) if (!isHash(p)) return false
  let fn = index
  let sn = size - 1
  let r = leafHash
  for (const p of proof) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r)
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2
        sn = Math.floor(sn / 2)
      }
    } else {
      r = nodeHash(r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && bytesEqual(r, root)
}

/** PROOF(oldSize, D_n) (RFC 9162 §2.1.4.1), [] when oldSize = n; RangeError unless 0 < oldSize ≤ n. */
export const consistencyProof = (leafHashes: ReadonlyArray<Uint8Array>, oldSize: number): Array<Uint8Array> => {
  if (!isCount(oldSize) || oldSize === 0 || oldSize > leafHashes.length) {
    throw new RangeError(`consistency proof: old size ${oldSize} is not in 1..${leafHashes.length}`)
  }
  return leavesSubproof(leafHashes, oldSize, 0, leafHashes.length, true)
}

/** RFC 9162 §2.1.4.2 consistency check plus the upstream edge cases and exact length; false, never throws. */
export const verifyConsistency = (
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: ReadonlyArray<Uint8Array>
): boolean => {
  if (!isCount(oldSize) || !isCount(newSize) || !isBytes(oldRoot) || !isBytes(newRoot) || !Array.isArray(proof)) {
    return false
  }
  if (newSize < oldSize) return false
  if (oldSize === 0) return false
  if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot)
  if (proof.length === 0) return false
  for (const p of proof) if (!isHash(p)) return false
  const shift = trailingZeros(oldSize)
  const inner = bitLength(xor(oldSize - 1, newSize - 1))
  const border = popcount(shiftRight(oldSize - 1, inner))
  const oldIsPerfect = oldSize === 2 ** shift
  if (proof.length !== (oldIsPerfect ? 0 : 1) + inner - shift + border) return false
  let fn = oldSize - 1
  let sn = newSize - 1
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2
    sn = Math.floor(sn / 2)
  }
  const first = oldIsPerfect ? 0 : 1
  let fr = oldIsPerfect ? oldRoot : proof[0]!
  let sr = fr
  for (let i = first; i < proof.length; i++) {
    const c = proof[i]!
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2
        sn = Math.floor(sn / 2)
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot)
}

/** Mutable compact range over leaves [0, size): the right-border perfect-subtree roots, largest first. */
export class CompactRange {
  #size: number
  readonly #border: Array<Uint8Array>

  private constructor(size: number, border: Array<Uint8Array>) {
    this.#size = size
    this.#border = border
  }

  /** The compact range of the empty tree. */
  static empty(): CompactRange {
    return new CompactRange(0, [])
  }

  /** Rebuilds from stored border hashes (popcount(size) of them, largest subtree first); RangeError otherwise. */
  static fromBorder(size: number, hashes: ReadonlyArray<Uint8Array>): CompactRange {
    if (!isCount(size)) throw new RangeError(`compact range: size ${size} is not a non-negative safe integer`)
    if (!Array.isArray(hashes) || hashes.length !== popcount(size)) {
      throw new RangeError(`compact range: size ${size} needs ${popcount(size)} border hashes`)
    }
    if (!hashes.every(isHash)) throw new RangeError("compact range: border hashes must be 32 bytes")
    return new CompactRange(size, hashes.map((h) => h.slice()))
  }

  /** Number of leaves covered. */
  get size(): number {
    return this.#size
  }

  /** Appends a 32-byte leaf hash; returns the perfect subtrees it completes, leaf (level 0) first. */
  append(
    leafHash: Uint8Array
  ): ReadonlyArray<{ readonly level: number; readonly index: number; readonly hash: Uint8Array }> {
    if (!isHash(leafHash)) throw new RangeError("compact range: leaf hash must be 32 bytes")
    let hash: Uint8Array = leafHash.slice()
    let index = this.#size
    let level = 0
    const completed = [{ level, index, hash }]
    while (index % 2 === 1) {
      hash = nodeHash(this.#border.pop()!, hash)
      index = (index - 1) / 2
      level++
      completed.push({ level, index, hash })
    }
    this.#border.push(hash)
    this.#size++
    return completed
  }

  /** MTH of leaves [0, size); EMPTY_ROOT for the empty range. */
  root(): Uint8Array {
    const border = this.#border
    if (border.length === 0) return EMPTY_ROOT.slice()
    let r = border[border.length - 1]!
    for (let i = border.length - 2; i >= 0; i--) r = nodeHash(border[i]!, r)
    return border.length === 1 ? r.slice() : r
  }

  /** Copy of the right-border hashes, largest subtree first, as accepted by fromBorder. */
  border(): ReadonlyArray<Uint8Array> {
    return this.#border.map((h) => h.slice())
  }
}

/** PATH(index, D_size) from stored perfect-subtree nodes, O(log size) lookups; RangeError unless index < size. */
export const inclusionProofFromNodes = (
  index: number,
  size: number,
  node: (level: number, index: number) => Uint8Array
): Array<Uint8Array> => {
  if (!isCount(index) || !isCount(size) || index >= size) {
    throw new RangeError(`inclusion proof: index ${index} is outside a tree of size ${size}`)
  }
  const proof: Array<Uint8Array> = []
  let start = 0
  let end = size
  while (end - start > 1) {
    const split = start + largestPowerOfTwoBelow(end - start)
    if (index < split) {
      proof.push(subtreeRoot(split, end, node))
      end = split
    } else {
      proof.push(subtreeRoot(start, split, node))
      start = split
    }
  }
  return proof.reverse()
}

/** PROOF(oldSize, D_newSize) from stored perfect-subtree nodes; RangeError unless 0 < oldSize ≤ newSize. */
export const consistencyProofFromNodes = (
  oldSize: number,
  newSize: number,
  node: (level: number, index: number) => Uint8Array
): Array<Uint8Array> => {
  if (!isCount(oldSize) || !isCount(newSize) || oldSize === 0 || oldSize > newSize) {
    throw new RangeError(`consistency proof: old size ${oldSize} is not in 1..${newSize}`)
  }
  const proof: Array<Uint8Array> = []
  let start = 0
  let end = newSize
  let m = oldSize
  let whole = true
  while (m < end - start) {
    const k = largestPowerOfTwoBelow(end - start)
    if (m <= k) {
      proof.push(subtreeRoot(start + k, end, node))
      end = start + k
    } else {
      proof.push(subtreeRoot(start, start + k, node))
      start += k
      m -= k
      whole = false
    }
  }
  if (!whole) proof.push(subtreeRoot(start, end, node))
  return proof.reverse()
}

/** MTH(D_size) from stored perfect-subtree nodes (one lookup per set bit of size); EMPTY_ROOT for 0. */
export const rootFromNodes = (size: number, node: (level: number, index: number) => Uint8Array): Uint8Array => {
  if (!isCount(size)) throw new RangeError(`root: size ${size} is not a non-negative safe integer`)
  return size === 0 ? EMPTY_ROOT.slice() : subtreeRoot(0, size, node)
}

const HASH_SIZE = 32
const TWO_32 = 4294967296
const scratch = (() => {
  const buf = new Uint8Array(1 + 2 * HASH_SIZE)
  buf[0] = 1
  return buf
})()

const subtreeRoot = (start: number, end: number, node: (level: number, index: number) => Uint8Array): Uint8Array => {
  let rest = end - start
  let pos = end
  let level = 0
  let acc: Uint8Array | undefined
  while (rest > 0) {
    if (rest % 2 === 1) {
      const width = 2 ** level
      pos -= width
      const part = node(level, pos / width)
      acc = acc === undefined ? part : nodeHash(part, acc)
    }
    rest = Math.floor(rest / 2)
    level++
  }
  return acc!
}

const rangeRoot = (leaves: ReadonlyArray<Uint8Array>, start: number, end: number): Uint8Array => {
  const stack: Array<Uint8Array> = []
  for (let i = 0, n = end - start; i < n; i++) {
    let h = leaves[start + i]!
    for (let j = i; (j & 1) === 1; j >>>= 1) h = nodeHash(stack.pop()!, h)
    stack.push(h)
  }
  let r = stack.pop()!
  while (stack.length > 0) r = nodeHash(stack.pop()!, r)
  return r
}

const leavesPath = (leaves: ReadonlyArray<Uint8Array>, m: number, start: number, end: number): Array<Uint8Array> => {
  if (end - start === 1) return []
  const k = largestPowerOfTwoBelow(end - start)
  if (m < k) {
    const path = leavesPath(leaves, m, start, start + k)
    path.push(rangeRoot(leaves, start + k, end))
    return path
  }
  const path = leavesPath(leaves, m - k, start + k, end)
  path.push(rangeRoot(leaves, start, start + k))
  return path
}

const leavesSubproof = (
  leaves: ReadonlyArray<Uint8Array>,
  m: number,
  start: number,
  end: number,
  whole: boolean
): Array<Uint8Array> => {
  if (m === end - start) return whole ? [] : [rangeRoot(leaves, start, end)]
  const k = largestPowerOfTwoBelow(end - start)
  if (m <= k) {
    const proof = leavesSubproof(leaves, m, start, start + k, whole)
    proof.push(rangeRoot(leaves, start + k, end))
    return proof
  }
  const proof = leavesSubproof(leaves, m - k, start + k, end, false)
  proof.push(rangeRoot(leaves, start, start + k))
  return proof
}

const isCount = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0

const isBytes = (x: unknown): x is Uint8Array =>
  x instanceof Uint8Array || (ArrayBuffer.isView(x) && x.constructor.name === "Uint8Array")

const isHash = (x: unknown): x is Uint8Array => isBytes(x) && x.length === HASH_SIZE

/** Whether two byte arrays hold the same bytes. */
export const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const bitLength32 = (x: number): number => 32 - Math.clz32(x)

const bitLength = (n: number): number => {
  const hi = Math.floor(n / TWO_32)
  return hi > 0 ? 32 + bitLength32(hi) : bitLength32(n >>> 0)
}

const popcount32 = (x: number): number => {
  let v = x - ((x >>> 1) & 0x55555555)
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333)
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff
}

const popcount = (n: number): number => popcount32(Math.floor(n / TWO_32)) + popcount32(n >>> 0)

const xor = (a: number, b: number): number =>
  ((Math.floor(a / TWO_32) ^ Math.floor(b / TWO_32)) >>> 0) * TWO_32 + (((a >>> 0) ^ (b >>> 0)) >>> 0)

const shiftRight = (n: number, bits: number): number => Math.floor(n / 2 ** bits)

const trailingZeros = (n: number): number => {
  let count = 0
  for (let v = n; v > 0 && v % 2 === 0; v /= 2) count++
  return count
}

const largestPowerOfTwoBelow = (n: number): number => 2 ** (bitLength(n - 1) - 1)
