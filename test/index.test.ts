import { describe, expect, it } from "vitest"
import { Checkpoint, Merkle } from "../src/index.js"

describe("the package's library entry", () => {
  it("exports the Merkle functions and checkpoint parsing/verification", () => {
    const leaves = ["a", "b", "c"].map((s) => Merkle.leafHash(new TextEncoder().encode(s)))
    const root = Merkle.rootHash(leaves)
    const proof = Merkle.inclusionProof(leaves, 1)
    expect(Merkle.verifyInclusion(leaves[1]!, 1, 3, proof, root)).toBe(true)
    const consistency = Merkle.consistencyProof(leaves, 2)
    expect(Merkle.verifyConsistency(2, 3, Merkle.rootHash(leaves.slice(0, 2)), root, consistency)).toBe(true)
    const seed = new Uint8Array(32).map((_, i) => i)
    const note = Checkpoint.signCheckpoint({ origin: "example.test/log", size: 3, root, extensions: [] }, "example.test/log", seed)
    expect(Checkpoint.parse(note)).toMatchObject({ origin: "example.test/log", size: 3 })
    expect(() => Checkpoint.verify(note.replace("\n3\n", "\n4\n"), "example.test/log+00000000+AQ==")).toThrow(Checkpoint.CheckpointError)
  })
})
