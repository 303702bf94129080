import { describe, expect, it } from "vitest"
import { clip } from "../../src/domain/Clip.js"

describe("clip", () => {
  it("keeps text within the limit unchanged", () => {
    expect(clip("abc", 3)).toBe("abc")
    expect(clip("", 1)).toBe("")
  })
  it("cuts to max - 1 units plus an ellipsis", () => {
    expect(clip("abcdef", 4)).toBe("abc…")
  })
  it("never leaves half of a surrogate pair at the cut", () => {
    const cut = clip("ab😀cd", 4)
    expect(cut).toBe("ab…")
    expect(cut.isWellFormed()).toBe(true)
    expect(clip("abc😀de", 6)).toBe("abc😀…")
  })
  it("replaces lone surrogates with U+FFFD", () => {
    expect(clip("a\ud800b", 10)).toBe("a\ufffdb")
  })
})
