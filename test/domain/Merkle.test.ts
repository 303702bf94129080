import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import {
  CompactRange,
  consistencyProof,
  consistencyProofFromNodes,
  EMPTY_ROOT,
  inclusionProof,
  inclusionProofFromNodes,
  leafHash,
  nodeHash,
  rootFromNodes,
  rootHash,
  verifyConsistency,
  verifyInclusion
} from "../../src/domain/Merkle.js"
import * as Merkle from "../../src/domain/Merkle.js"

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")
const hexAll = (list: ReadonlyArray<Uint8Array>): Array<string> => list.map(hex)
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"))

const LEAF_INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
const KNOWN_ROOTS = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
]
const TESTONLY_LEAVES = LEAF_INPUTS.map((d) => leafHash(fromHex(d)))

const VECTORS = new URL("../../../shared/vectors/merkle/", import.meta.url)
const vectorsDir = fileURLToPath(VECTORS)
const vectorsExist = existsSync(join(vectorsDir, "inclusion")) && existsSync(join(vectorsDir, "consistency"))
const constantsFile = join(vectorsDir, "testonly-constants.json")

const listJson = (dir: string): Array<string> =>
  readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? listJson(path) : name.endsWith(".json") ? [path] : []
    })

const readVector = (path: string): Record<string, unknown> =>
  JSON.parse(
    readFileSync(path, "utf8").replace(/"(leafIdx|treeSize|size1|size2)":\s*(\d+)/g, "\"$1\": \"$2\"")
  ) as Record<string, unknown>

const bytesField = (v: unknown): Uint8Array =>
  typeof v === "string" ? new Uint8Array(Buffer.from(v, "base64")) : new Uint8Array(0)

const proofField = (v: unknown): Array<Uint8Array> => (Array.isArray(v) ? v.map(bytesField) : [])

const intField = (v: unknown): bigint => BigInt(v as string)

const asNumber = (n: bigint): number => Number(n)

const buildLevels = (leaves: ReadonlyArray<Uint8Array>): Array<Array<Uint8Array>> => {
  const levels = [leaves.slice()]
  for (let row = levels[0]!; row.length > 1; ) {
    const next: Array<Uint8Array> = []
    for (let i = 0; i + 1 < row.length; i += 2) next.push(nodeHash(row[i]!, row[i + 1]!))
    levels.push(next)
    row = next
  }
  return levels
}

const nodeStore = (levels: ReadonlyArray<ReadonlyArray<Uint8Array>>, size: number) => {
  const calls = { count: 0 }
  const node = (level: number, index: number): Uint8Array => {
    calls.count++
    const h = levels[level]?.[index]
    if (!Number.isInteger(index) || index < 0 || (index + 1) * 2 ** level > size || h === undefined) {
      throw new Error(`lookup of (${level}, ${index}) is not a perfect subtree inside [0, ${size})`)
    }
    return h
  }
  return { node, calls }
}

const largestPow2Below = (n: number): number => {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

const bitLen = (n: number): number => (n === 0 ? 0 : Math.floor(Math.log2(n)) + 1)

const popcount = (n: number): number => n.toString(2).replace(/0/g, "").length

const sameList = (a: ReadonlyArray<Uint8Array>, b: ReadonlyArray<Uint8Array>): boolean =>
  a.length === b.length && a.every((x, i) => Buffer.compare(x, b[i]!) === 0)

const inclusionShape = (index: number, size: number): string => {
  let shape = ""
  for (let start = 0, end = size; end - start > 1; ) {
    const k = largestPow2Below(end - start)
    if (index < start + k) {
      shape = "r" + shape
      end = start + k
    } else {
      shape = "l" + shape
      start += k
    }
  }
  return shape
}

const consistencyShape = (oldSize: number, newSize: number): string => {
  let shape = ""
  let whole = true
  for (let start = 0, end = newSize, m = oldSize; m < end - start; ) {
    const k = largestPow2Below(end - start)
    if (m <= k) {
      shape = "r" + shape
      end = start + k
    } else {
      shape = "l" + shape
      start += k
      m -= k
      whole = false
    }
  }
  return (whole ? "o" : "s") + shape
}

const flipBit = (proof: ReadonlyArray<Uint8Array>, at: number): Array<Uint8Array> =>
  proof.map((p, i) => {
    if (i !== at) return p
    const q = p.slice()
    q[0]! ^= 0x08
    return q
  })

const mulberry32 = (seed: number) => () => {
  let t = (seed = (seed + 0x6d2b79f5) | 0)
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const syntheticLeaves = (count: number): Array<Uint8Array> =>
  Array.from({ length: count }, (_, i) => {
    const bytes = new Uint8Array(4)
    new DataView(bytes.buffer).setUint32(0, i)
    return leafHash(bytes)
  })

describe("Merkle hashing", () => {
  it("hashes leaves and nodes with the RFC 6962 domain prefixes", () => {
    expect(hex(EMPTY_ROOT)).toBe(KNOWN_ROOTS[0])
    expect(hex(leafHash(new Uint8Array(0)))).toBe("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    expect(hex(nodeHash(TESTONLY_LEAVES[0]!, TESTONLY_LEAVES[1]!))).toBe(
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
    )
    const odd = nodeHash(new Uint8Array([1, 2]), new Uint8Array([3]))
    expect(hex(odd)).toBe(hex(nodeHash(new Uint8Array([1]), new Uint8Array([2, 3]))))
  })

  it("computes the 9 known roots for sizes 0..8 (reference §2.6)", () => {
    for (let n = 0; n <= 8; n++) {
      expect(hex(rootHash(TESTONLY_LEAVES.slice(0, n))), `size ${n}`).toBe(KNOWN_ROOTS[n])
    }
  })

  describe.skipIf(!existsSync(constantsFile))(
    existsSync(constantsFile) ? "testonly-constants.json" : "testonly-constants.json (absent: vectors not found)",
    () => {
      it("matches every leaf input, complete-subtree node hash and root hash in the file", () => {
        const constants = JSON.parse(readFileSync(constantsFile, "utf8")) as {
          leafInputs: Array<string>
          nodeHashes: Array<Array<string>>
          rootHashes: Array<string>
          emptyRootHash: string
        }
        expect(constants.leafInputs).toEqual(LEAF_INPUTS)
        expect(constants.rootHashes).toEqual(KNOWN_ROOTS)
        expect(constants.emptyRootHash).toBe(hex(EMPTY_ROOT))
        const levels = buildLevels(TESTONLY_LEAVES)
        expect(constants.nodeHashes.map((row) => row.length)).toEqual([8, 4, 2, 1])
        expect(levels.map(hexAll)).toEqual(constants.nodeHashes)
        constants.nodeHashes.forEach((row, level) =>
          row.forEach((h, i) => {
            const width = 2 ** level
            expect(hex(rootHash(TESTONLY_LEAVES.slice(i * width, (i + 1) * width)))).toBe(h)
          })
        )
      })
    }
  )
})

describe("RFC 9162 §2.1.5 worked examples (7-leaf tree)", () => {
  const d = TESTONLY_LEAVES.slice(0, 7)
  const [a, b, c, dd, e, f, j] = d
  const g = nodeHash(a, b)
  const h = nodeHash(c, dd)
  const i = nodeHash(e, f)
  const k = nodeHash(g, h)
  const l = nodeHash(i, j)
  const root = nodeHash(k, l)

  it("has the expected root", () => {
    expect(hex(rootHash(d))).toBe(hex(root))
    expect(hex(root)).toBe(KNOWN_ROOTS[7])
  })

  it("gives the inclusion proofs d0 → [b, h, l], d3 → [c, g, l], d4 → [f, j, k], d6 → [i, k]", () => {
    const cases: Array<[number, Array<Uint8Array>]> = [
      [0, [b, h, l]],
      [3, [c, g, l]],
      [4, [f, j, k]],
      [6, [i, k]]
    ]
    for (const [index, expected] of cases) {
      expect(hexAll(inclusionProof(d, index)), `d${index}`).toEqual(hexAll(expected))
      expect(verifyInclusion(d[index]!, index, 7, expected, root)).toBe(true)
    }
  })

  it("gives the consistency proofs PROOF(3) = [c, d, g, l], PROOF(4) = [l], PROOF(6) = [i, j, k]", () => {
    const cases: Array<[number, Array<Uint8Array>]> = [
      [3, [c, dd, g, l]],
      [4, [l]],
      [6, [i, j, k]]
    ]
    for (const [m, expected] of cases) {
      expect(hexAll(consistencyProof(d, m)), `PROOF(${m}, D[7])`).toEqual(hexAll(expected))
      expect(verifyConsistency(m, 7, rootHash(d.slice(0, m)), root, expected)).toBe(true)
    }
  })
})

const inclusionFiles = vectorsExist ? listJson(join(vectorsDir, "inclusion")) : []
const consistencyFiles = vectorsExist ? listJson(join(vectorsDir, "consistency")) : []

describe.skipIf(!vectorsExist)(
  vectorsExist
    ? "RFC 6962/9162 vectors (transparency-dev/merkle)"
    : "RFC 6962/9162 vectors (absent: ../shared/vectors/merkle not found)",
  () => {
    it("has 98 inclusion and 98 consistency files, 12 of them valid", () => {
      expect(inclusionFiles).toHaveLength(98)
      expect(consistencyFiles).toHaveLength(98)
      const valid = [...inclusionFiles, ...consistencyFiles].filter((f) => readVector(f)["wantErr"] === false)
      expect(valid).toHaveLength(12)
    })

    for (const file of inclusionFiles) {
      it(`inclusion/${file.slice(join(vectorsDir, "inclusion").length + 1)}`, () => {
        const v = readVector(file)
        const index = intField(v["leafIdx"])
        const size = intField(v["treeSize"])
        const leaf = bytesField(v["leafHash"])
        const root = bytesField(v["root"])
        const proof = proofField(v["proof"])
        const wantErr = v["wantErr"] as boolean
        if (index > BigInt(Number.MAX_SAFE_INTEGER) || size > BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(wantErr).toBe(true)
        }
        expect(verifyInclusion(leaf, asNumber(index), asNumber(size), proof, root)).toBe(!wantErr)
        if (wantErr) return
        const n = asNumber(size)
        const idx = asNumber(index)
        const leaves = n <= 8 && hex(TESTONLY_LEAVES[idx]!) === hex(leaf) ? TESTONLY_LEAVES.slice(0, n) : [leaf]
        expect(leaves).toHaveLength(n)
        expect(hex(rootHash(leaves))).toBe(hex(root))
        expect(hexAll(inclusionProof(leaves, idx))).toEqual(hexAll(proof))
        const { node } = nodeStore(buildLevels(leaves), n)
        expect(hexAll(inclusionProofFromNodes(idx, n, node))).toEqual(hexAll(proof))
      })
    }

    for (const file of consistencyFiles) {
      it(`consistency/${file.slice(join(vectorsDir, "consistency").length + 1)}`, () => {
        const v = readVector(file)
        const size1 = intField(v["size1"])
        const size2 = intField(v["size2"])
        const root1 = bytesField(v["root1"])
        const root2 = bytesField(v["root2"])
        const proof = proofField(v["proof"])
        const wantErr = v["wantErr"] as boolean
        if (size1 > BigInt(Number.MAX_SAFE_INTEGER) || size2 > BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(wantErr).toBe(true)
        }
        expect(verifyConsistency(asNumber(size1), asNumber(size2), root1, root2, proof)).toBe(!wantErr)
        if (!file.endsWith("happy-path.json")) return
        expect(wantErr).toBe(false)
        const m = asNumber(size1)
        const n = asNumber(size2)
        const leaves = TESTONLY_LEAVES.slice(0, n)
        expect(hex(rootHash(leaves.slice(0, m)))).toBe(hex(root1))
        expect(hex(rootHash(leaves))).toBe(hex(root2))
        expect(hexAll(consistencyProof(leaves, m))).toEqual(hexAll(proof))
        const { node } = nodeStore(buildLevels(leaves), n)
        expect(hexAll(consistencyProofFromNodes(m, n, node))).toEqual(hexAll(proof))
      })
    }
  }
)

const N = 300
const EXHAUSTIVE = 64
const LEAVES = syntheticLeaves(N)
const LEVELS = buildLevels(LEAVES)
const ROOTS = Array.from({ length: N + 1 }, (_, n) => rootHash(LEAVES.slice(0, n)))

const sampleIndices = (n: number, salt: number): Array<number> => {
  if (n <= EXHAUSTIVE) return Array.from({ length: n }, (_, i) => i)
  const k = largestPow2Below(n)
  return [...new Set([0, 1, k - 1, k, n - 2, n - 1, (salt * 7919) % n, (salt * 104729 + 17) % n])]
}

describe("proof generation and verification, sizes 1..300", () => {
  it("builds a node table that matches rootHash for every perfect subtree", () => {
    LEVELS.forEach((row, level) =>
      row.forEach((h, i) => {
        const width = 2 ** level
        expect(hex(h)).toBe(hex(rootHash(LEAVES.slice(i * width, (i + 1) * width))))
      })
    )
  })

  it("rootFromNodes equals rootHash with one lookup per set bit of the size", () => {
    for (let n = 0; n <= N; n++) {
      const { node, calls } = nodeStore(LEVELS, n)
      expect(hex(rootFromNodes(n, node)), `size ${n}`).toBe(hex(ROOTS[n]!))
      expect(calls.count).toBe(popcount(n))
    }
  })

  it("every index: inclusionProofFromNodes verifies in ≤ 2·bitlen(n) lookups; inclusionProof equals it", () => {
    const failures: Array<string> = []
    let compared = 0
    for (let n = 1; n <= N; n++) {
      const fromNodes: Array<Array<Uint8Array>> = []
      for (let index = 0; index < n; index++) {
        const { node, calls } = nodeStore(LEVELS, n)
        const proof = inclusionProofFromNodes(index, n, node)
        fromNodes.push(proof)
        if (calls.count > 2 * bitLen(n)) failures.push(`${index} in ${n}: ${calls.count} lookups`)
        if (proof.length !== inclusionShape(index, n).length) failures.push(`${index} in ${n}: length`)
        if (!verifyInclusion(LEAVES[index]!, index, n, proof, ROOTS[n]!)) failures.push(`${index} in ${n}: verify`)
      }
      const leaves = LEAVES.slice(0, n)
      for (const index of sampleIndices(n, n)) {
        compared++
        const proof = inclusionProof(leaves, index)
        if (!sameList(proof, fromNodes[index]!)) failures.push(`${index} in ${n}: inclusionProof differs`)
        if (!verifyInclusion(LEAVES[index]!, index, n, proof, ROOTS[n]!)) failures.push(`${index} in ${n}: leaves`)
      }
    }
    expect(failures).toEqual([])
    expect(compared).toBeGreaterThanOrEqual(2080 + 236 * 6)
  })

  it("every 0 < m ≤ n: consistencyProofFromNodes verifies in ≤ 2·bitlen+1 lookups; consistencyProof equals it", () => {
    const failures: Array<string> = []
    for (let n = 1; n <= N; n++) {
      const fromNodes: Array<Array<Uint8Array>> = [[]]
      for (let m = 1; m <= n; m++) {
        const { node, calls } = nodeStore(LEVELS, n)
        const proof = consistencyProofFromNodes(m, n, node)
        fromNodes.push(proof)
        if (calls.count > 2 * bitLen(n) + 1) failures.push(`${m} → ${n}: ${calls.count} lookups`)
        if (proof.length > Math.ceil(Math.log2(n)) + 1) failures.push(`${m} → ${n}: length ${proof.length}`)
        if (!verifyConsistency(m, n, ROOTS[m]!, ROOTS[n]!, proof)) failures.push(`${m} → ${n}: verify`)
      }
      const leaves = LEAVES.slice(0, n)
      for (const m of sampleIndices(n, n + 1).map((i) => i + 1)) {
        const proof = consistencyProof(leaves, m)
        if (!sameList(proof, fromNodes[m]!)) failures.push(`${m} → ${n}: consistencyProof differs`)
        if (!verifyConsistency(m, n, ROOTS[m]!, ROOTS[n]!, proof)) failures.push(`${m} → ${n}: leaves`)
      }
    }
    expect(failures).toEqual([])
  })

  it("rejects inclusion proofs with a flipped bit, a wrong index, or a size that changes the path shape", () => {
    const failures: Array<string> = []
    let sameShapeAccepted = 0
    for (let n = 1; n <= N; n++) {
      for (const index of n <= 128 ? Array.from({ length: n }, (_, i) => i) : sampleIndices(n, n)) {
        const { node } = nodeStore(LEVELS, n)
        const proof = inclusionProofFromNodes(index, n, node)
        const leaf = LEAVES[index]!
        const root = ROOTS[n]!
        const at = `${index} in ${n}`
        if (proof.length > 0) {
          if (verifyInclusion(leaf, index, n, flipBit(proof, index % proof.length), root)) failures.push(`${at}: flip`)
          if (verifyInclusion(leaf, index, n, proof.slice(1), root)) failures.push(`${at}: truncated`)
        }
        if (verifyInclusion(leaf, index, n, [...proof, root], root)) failures.push(`${at}: padded`)
        const flipped = leaf.slice()
        flipped[31]! ^= 1
        if (verifyInclusion(flipped, index, n, proof, root)) failures.push(`${at}: wrong leaf`)
        for (const wrong of [index - 1, index + 1, index ^ 2]) {
          if (wrong < 0 || wrong >= n || wrong === index) continue
          if (inclusionShape(wrong, n) === inclusionShape(index, n)) failures.push(`${at}: shape of ${wrong}`)
          if (verifyInclusion(leaf, wrong, n, proof, root)) failures.push(`${at}: accepted as index ${wrong}`)
        }
        for (const wrong of [n - 1, n + 1, n * 2, Math.floor(n / 2)]) {
          if (wrong <= index || wrong === n) continue
          const sameShape = inclusionShape(index, wrong) === inclusionShape(index, n)
          if (sameShape) sameShapeAccepted++
          if (verifyInclusion(leaf, index, wrong, proof, root) !== sameShape) failures.push(`${at}: size ${wrong}`)
        }
      }
    }
    expect(failures).toEqual([])
    expect(sameShapeAccepted).toBeGreaterThan(0)
  })

  it("rejects consistency proofs with a flipped bit, swapped roots, or sizes that change the proof shape", () => {
    const failures: Array<string> = []
    let sameShapeAccepted = 0
    for (let n = 2; n <= N; n++) {
      const olds = n <= 96 ? Array.from({ length: n - 1 }, (_, i) => i + 1) : sampleIndices(n - 1, n).map((i) => i + 1)
      for (const m of olds) {
        const { node } = nodeStore(LEVELS, n)
        const proof = consistencyProofFromNodes(m, n, node)
        const oldRoot = ROOTS[m]!
        const newRoot = ROOTS[n]!
        const at = `${m} → ${n}`
        if (verifyConsistency(m, n, oldRoot, newRoot, flipBit(proof, (m + n) % proof.length))) {
          failures.push(`${at}: flip`)
        }
        if (verifyConsistency(m, n, newRoot, oldRoot, proof)) failures.push(`${at}: swapped roots`)
        if (verifyConsistency(m, n, oldRoot, newRoot, proof.slice(0, -1))) failures.push(`${at}: truncated`)
        if (verifyConsistency(m, n, oldRoot, newRoot, [...proof, newRoot])) failures.push(`${at}: padded`)
        const shape = consistencyShape(m, n)
        for (const [m2, n2] of [
          [m - 1, n],
          [m + 1, n],
          [m, n - 1],
          [m, n + 1]
        ] as const) {
          if (m2 < 1 || m2 >= n2) continue
          const same = consistencyShape(m2, n2) === shape
          if (same) sameShapeAccepted++
          if (verifyConsistency(m2, n2, oldRoot, newRoot, proof) !== same) failures.push(`${at}: as ${m2} → ${n2}`)
        }
      }
    }
    expect(failures).toEqual([])
    expect(sameShapeAccepted).toBeGreaterThan(0)
  })

  it("accepts m = n only with an empty proof and equal roots", () => {
    for (let n = 1; n <= N; n += 7) {
      const { node } = nodeStore(LEVELS, n)
      expect(consistencyProof(LEAVES.slice(0, n), n)).toEqual([])
      expect(consistencyProofFromNodes(n, n, node)).toEqual([])
      expect(verifyConsistency(n, n, ROOTS[n]!, ROOTS[n]!, [])).toBe(true)
      expect(verifyConsistency(n, n, ROOTS[n]!, ROOTS[n - 1]!, [])).toBe(false)
      expect(verifyConsistency(n, n, ROOTS[n]!, ROOTS[n]!, [ROOTS[n]!])).toBe(false)
    }
  })
})

describe("proofs at larger sizes (up to 5000)", () => {
  const random = mulberry32(0x5eed)
  const big = syntheticLeaves(5000)
  const bigLevels = buildLevels(big)
  const sizes = [1025, 2000 + Math.floor(random() * 3000), 2000 + Math.floor(random() * 3000)]

  for (const n of sizes) {
    it(`size ${n}: every proof from nodes verifies; sampled ones equal the leaf-built proofs`, () => {
      const leaves = big.slice(0, n)
      const root = rootHash(leaves)
      const { node } = nodeStore(bigLevels, n)
      expect(hex(rootFromNodes(n, node))).toBe(hex(root))
      const prefixRoots: Array<Uint8Array> = [EMPTY_ROOT]
      const range = CompactRange.empty()
      for (let m = 1; m <= n; m++) {
        range.append(big[m - 1]!)
        prefixRoots.push(range.root())
      }
      expect(hex(prefixRoots[n]!)).toBe(hex(root))
      const failures: Array<string> = []
      for (let index = 0; index < n; index++) {
        if (!verifyInclusion(big[index]!, index, n, inclusionProofFromNodes(index, n, node), root)) {
          failures.push(`inclusion ${index}`)
        }
        const m = index + 1
        if (!verifyConsistency(m, n, prefixRoots[m]!, root, consistencyProofFromNodes(m, n, node))) {
          failures.push(`consistency ${m}`)
        }
      }
      expect(failures).toEqual([])
      for (const index of [0, n - 2, n - 1, Math.floor(random() * n)]) {
        expect(hexAll(inclusionProof(leaves, index))).toEqual(hexAll(inclusionProofFromNodes(index, n, node)))
        const m = index + 1
        expect(hex(rootHash(leaves.slice(0, m)))).toBe(hex(prefixRoots[m]!))
        expect(hexAll(consistencyProof(leaves, m))).toEqual(hexAll(consistencyProofFromNodes(m, n, node)))
      }
    })
  }

  it("computes proofs for sizes near 2^40 with O(log n) lookups", () => {
    const base = 2 ** 40
    const n = base + 12345
    const uniform = [leafHash(new Uint8Array([7]))]
    for (let level = 1; level <= 40; level++) uniform.push(nodeHash(uniform[level - 1]!, uniform[level - 1]!))
    const memo = new Map<string, Uint8Array>()
    const virtualNode = (level: number, index: number): Uint8Array => {
      if ((index + 1) * 2 ** level <= base) return uniform[level]!
      if (level === 0) return leafHash(new TextEncoder().encode(`${index}`))
      const key = `${level}/${index}`
      const cached = memo.get(key)
      if (cached !== undefined) return cached
      const h = nodeHash(virtualNode(level - 1, 2 * index), virtualNode(level - 1, 2 * index + 1))
      memo.set(key, h)
      return h
    }
    const lookups: Array<string> = []
    const node = (level: number, index: number): Uint8Array => {
      if (!Number.isInteger(index) || index < 0 || (index + 1) * 2 ** level > n) lookups.push(`bad ${level}/${index}`)
      lookups.push(`${level}/${index}`)
      return virtualNode(level, index)
    }
    const root = rootFromNodes(n, node)
    expect(lookups).toHaveLength(popcount(n))
    for (const index of [n - 3, base + 1, base - 1, 12345]) {
      lookups.length = 0
      const proof = inclusionProofFromNodes(index, n, node)
      expect(lookups.filter((l) => l.startsWith("bad"))).toEqual([])
      expect(lookups.length).toBeLessThanOrEqual(2 * 41)
      expect(proof).toHaveLength(inclusionShape(index, n).length)
      expect(verifyInclusion(virtualNode(0, index), index, n, proof, root), `index ${index}`).toBe(true)
      expect(verifyInclusion(virtualNode(0, index), index, n - 1, proof, root)).toBe(
        inclusionShape(index, n - 1) === inclusionShape(index, n)
      )
    }
    for (const m of [2 ** 39 + 7, base, base + 1, n - 1]) {
      lookups.length = 0
      const proof = consistencyProofFromNodes(m, n, node)
      expect(lookups.filter((l) => l.startsWith("bad"))).toEqual([])
      expect(lookups.length).toBeLessThanOrEqual(2 * 41 + 1)
      expect(proof.length).toBeLessThanOrEqual(42)
      expect(verifyConsistency(m, n, rootFromNodes(m, node), root, proof), `old size ${m}`).toBe(true)
      expect(verifyConsistency(m, n, rootFromNodes(m - 1, node), root, proof)).toBe(false)
    }
  })
})

describe("CompactRange", () => {
  it("reports exactly the completed perfect subtrees and the prefix root after each append", () => {
    const range = CompactRange.empty()
    expect(range.size).toBe(0)
    expect(hex(range.root())).toBe(hex(EMPTY_ROOT))
    expect(range.border()).toEqual([])
    for (let i = 0; i < N; i++) {
      const nodes = range.append(LEAVES[i]!)
      const size = i + 1
      const expected: Array<{ level: number; index: number; hash: string }> = []
      for (let level = 0; size % 2 ** level === 0; level++) {
        const index = size / 2 ** level - 1
        expected.push({ level, index, hash: hex(LEVELS[level]![index]!) })
      }
      expect(nodes.map((x) => ({ level: x.level, index: x.index, hash: hex(x.hash) })), `append ${i}`).toEqual(expected)
      expect(range.size).toBe(size)
      expect(hex(range.root()), `root after ${size}`).toBe(hex(ROOTS[size]!))
      expect(range.border()).toHaveLength(popcount(size))
    }
  })

  it("keeps the right border largest first: size 13 = roots of [0,8), [8,12), [12,13)", () => {
    const range = CompactRange.empty()
    for (const leaf of LEAVES.slice(0, 13)) range.append(leaf)
    expect(hexAll(range.border())).toEqual(hexAll([LEVELS[3]![0]!, LEVELS[2]![2]!, LEVELS[0]![12]!]))
  })

  it("continues identically after fromBorder(size, border()) at every size", () => {
    const live = CompactRange.empty()
    const borders: Array<ReadonlyArray<Uint8Array>> = [live.border()]
    const appended: Array<Array<string>> = []
    for (const leaf of LEAVES) {
      appended.push(live.append(leaf).map((x) => `${x.level}/${x.index}/${hex(x.hash)}`))
      borders.push(live.border())
    }
    for (let size = 0; size < N; size++) {
      const rebuilt = CompactRange.fromBorder(size, borders[size]!)
      expect(rebuilt.size).toBe(size)
      expect(hex(rebuilt.root())).toBe(hex(ROOTS[size]!))
      for (let i = size; i < Math.min(N, size + 6); i++) {
        expect(rebuilt.append(LEAVES[i]!).map((x) => `${x.level}/${x.index}/${hex(x.hash)}`)).toEqual(appended[i])
        expect(hex(rebuilt.root())).toBe(hex(ROOTS[i + 1]!))
      }
    }
  })

  it("does not share hash buffers with callers", () => {
    const leaf = LEAVES[0]!.slice()
    const range = CompactRange.empty()
    range.append(leaf)
    leaf[0]! ^= 0xff
    range.border()[0]![1]! ^= 0xff
    range.root()[2]! ^= 0xff
    expect(hex(range.root())).toBe(hex(ROOTS[1]!))
  })

  it("rejects a border of the wrong length or wrong hash size, and non-32-byte leaves", () => {
    expect(() => CompactRange.fromBorder(13, [LEVELS[3]![0]!, LEVELS[2]![2]!])).toThrow(RangeError)
    expect(() => CompactRange.fromBorder(1, [new Uint8Array(31)])).toThrow(RangeError)
    expect(() => CompactRange.fromBorder(-1, [])).toThrow(RangeError)
    expect(() => CompactRange.fromBorder(0.5, [])).toThrow(RangeError)
    expect(() => CompactRange.empty().append(new Uint8Array(33))).toThrow(RangeError)
  })
})

describe("input validation", () => {
  const leaves = LEAVES.slice(0, 10)
  const { node } = nodeStore(LEVELS, 10)

  it("proof generators throw RangeError outside their domain", () => {
    for (const index of [-1, 10, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      expect(() => inclusionProof(leaves, index), `index ${index}`).toThrow(RangeError)
      expect(() => inclusionProofFromNodes(index, 10, node), `index ${index}`).toThrow(RangeError)
    }
    expect(() => inclusionProof([], 0)).toThrow(RangeError)
    expect(() => inclusionProofFromNodes(0, 0, node)).toThrow(RangeError)
    for (const m of [0, -1, 11, 2.5]) {
      expect(() => consistencyProof(leaves, m), `old size ${m}`).toThrow(RangeError)
      expect(() => consistencyProofFromNodes(m, 10, node), `old size ${m}`).toThrow(RangeError)
    }
    expect(() => consistencyProof([], 0)).toThrow(RangeError)
    expect(() => rootFromNodes(-1, node)).toThrow(RangeError)
    expect(hex(rootFromNodes(0, node))).toBe(hex(EMPTY_ROOT))
    expect(hex(rootHash([]))).toBe(hex(EMPTY_ROOT))
  })

  it("verifiers return false instead of throwing on malformed input", () => {
    const proof = inclusionProof(leaves, 3)
    const root = ROOTS[10]!
    const junk = [null, undefined, "x", 3, {}, [1, 2]] as unknown as Array<Uint8Array>
    expect(verifyInclusion(leaves[3]!, 3, 10, proof, root)).toBe(true)
    for (const bad of junk) {
      expect(verifyInclusion(bad, 3, 10, proof, root)).toBe(false)
      expect(verifyInclusion(leaves[3]!, 3, 10, proof, bad)).toBe(false)
      expect(verifyInclusion(leaves[3]!, 3, 10, bad as unknown as Array<Uint8Array>, root)).toBe(false)
      expect(verifyInclusion(leaves[3]!, 3, 10, [bad, ...proof.slice(1)], root)).toBe(false)
      expect(verifyConsistency(4, 10, bad, root, consistencyProof(leaves, 4))).toBe(false)
      expect(verifyConsistency(4, 10, ROOTS[4]!, root, bad as unknown as Array<Uint8Array>)).toBe(false)
    }
    for (const [index, size] of [
      [-1, 10],
      [3, -10],
      [3.5, 10],
      [3, Number.NaN],
      [2 ** 64 - 1, 2 ** 64],
      [3, Number.POSITIVE_INFINITY]
    ] as const) {
      expect(verifyInclusion(leaves[3]!, index, size, proof, root)).toBe(false)
      expect(verifyConsistency(index, size, ROOTS[4]!, root, proof)).toBe(false)
    }
    expect(verifyInclusion(leaves[3]!.subarray(1), 3, 10, proof, root)).toBe(false)
    expect(verifyInclusion(leaves[3]!, 3, 10, [proof[0]!.subarray(1), ...proof.slice(1)], root)).toBe(false)
    expect(verifyConsistency(4, 10, ROOTS[4]!, root, [new Uint8Array(0)])).toBe(false)
  })
})

describe("node:crypto hashing equals @noble/hashes", () => {
  it("sha256, leafHash and nodeHash agree with the reference implementation on random inputs", async () => {
    const { sha256: nobleSha256 } = await import("@noble/hashes/sha2.js")
    const { randomBytes } = await import("node:crypto")
    for (let n = 0; n < 300; n++) {
      const bytes = new Uint8Array(randomBytes(n * 7))
      expect(Merkle.sha256(bytes)).toEqual(nobleSha256(bytes))
      expect(Merkle.leafHash(bytes)).toEqual(nobleSha256(new Uint8Array([0, ...bytes])))
      const l = new Uint8Array(randomBytes(32))
      const r = new Uint8Array(randomBytes(32))
      expect(Merkle.nodeHash(l, r)).toEqual(nobleSha256(new Uint8Array([1, ...l, ...r])))
    }
  })
})
