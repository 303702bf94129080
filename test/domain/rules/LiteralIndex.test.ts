import { describe, expect, it } from "vitest"
import { buildLiteralIndex } from "../../../src/domain/rules/LiteralIndex.js"

const found = (literals: ReadonlyArray<string>, text: string): Array<number> => {
  const ids = new Set<number>()
  buildLiteralIndex(literals).scan(text, (id) => ids.add(id))
  return [...ids].sort((a, b) => a - b)
}

describe("LiteralIndex", () => {
  it("finds overlapping literals and literals that are suffixes of others", () => {
    expect(found(["he", "she", "his", "hers"], "ushers")).toEqual([0, 1, 3])
    expect(found(["abc", "bc", "c"], "xabcx")).toEqual([0, 1, 2])
  })
  it("finds nothing in text without the literals and handles non-ASCII", () => {
    expect(found([".env", "id_rsa"], "src/app.ts")).toEqual([])
    expect(found(["→", "é"], "a → b")).toEqual([0])
  })
  it("agrees with String.includes on random inputs", () => {
    let seed = 42
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    const word = (len: number) => Array.from({ length: len }, () => "abcd/."[rand(6)]).join("")
    for (let round = 0; round < 300; round++) {
      const literals = Array.from({ length: 1 + rand(12) }, () => word(1 + rand(4)))
      const text = word(rand(40))
      const expected = literals.flatMap((l, i) => (text.includes(l) ? [i] : []))
      expect(found(literals, text)).toEqual(expected)
    }
  })
})
