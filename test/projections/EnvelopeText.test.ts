import { describe, expect, it } from "vitest"
import { canonicalJson } from "../../src/domain/CanonicalJson.js"
import { canonicalType, DATA_START, flatDataEnd, member, scalarAt } from "../../src/projections/EnvelopeText.js"
import { random } from "../support/projection.js"

const KEYS = ["decision", "rule_id", "success", "status", "session", "tool", "a", "type"]
const PIECES = ['"', "\\", ":", ",", '"decision":"block"', '\\"status\\":\\"failed', "é", "\u2028", "\n", "x", "}", "[", " "]

const envelopeText = (data: Record<string, unknown>, source: Record<string, unknown> = {}, type = "v1.EvalDecided") =>
  canonicalJson({
    seq: 7,
    id: "id-7",
    timestamp: "2026-11-22T00:00:00.000Z",
    type,
    source: { log_id: "l", host: "h", user: "u", client: "c", session: "s", cwd: "/", ...source },
    data
  })

describe("reading canonical envelope text without parsing it", () => {
  it("finds the type only where the text ends as canonical JSON does", () => {
    expect(canonicalType(envelopeText({}))).toBe("v1.EvalDecided")
    expect(canonicalType(envelopeText({}, {}, 'v1."x'))).toBeUndefined()
    expect(canonicalType(JSON.stringify({ type: "v1.EvalDecided", data: {} }))).toBeUndefined()
    expect(canonicalType('{"data":{},"x":"\\",\\"type\\":\\"v1.EvalDecided"}')).toBeUndefined()
  })

  it("takes the fast path only when no object nests in the data and only the source after it", () => {
    const flat = envelopeText({ decision: "block", also_matched: ["a", "b"] })
    expect(flat.slice(flatDataEnd(flat), flatDataEnd(flat) + 8)).toBe('},"id":"')
    expect(flatDataEnd(envelopeText({}))).toBe(DATA_START)
    expect(flatDataEnd(envelopeText({ input: { decision: "block" } }))).toBe(-1)
    expect(flatDataEnd(envelopeText({ input_summary: "echo ${HOME}" }))).toBe(-1)
    expect(flatDataEnd(envelopeText({}, { cwd: "/tmp/{x}" }))).toBe(-1)
    expect(flatDataEnd(JSON.stringify({ seq: 1, data: {} }))).toBe(-1)
  })

  it("reads every string, boolean and null member as JSON.parse does (500 random envelopes)", () => {
    const next = random(5)
    const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(next() * xs.length)]!
    const value = (): unknown => {
      const r = next()
      if (r < 0.5) return Array.from({ length: Math.floor(next() * 6) }, () => pick(PIECES)).join("")
      if (r < 0.6) return null
      if (r < 0.7) return next() < 0.5
      if (r < 0.8) return Math.round(next() * 1000) / 10
      return [pick(PIECES), pick(PIECES)]
    }
    let checked = 0
    for (let i = 0; i < 500; i++) {
      const data: Record<string, unknown> = {}
      for (const key of KEYS) if (next() < 0.6) data[key] = value()
      const session = next() < 0.3 ? null : pick(PIECES) + pick(PIECES)
      const text = envelopeText(data, { session })
      const end = flatDataEnd(text)
      if (end === -1) continue
      checked++
      for (const key of KEYS) {
        const expected = data[key] === undefined || typeof data[key] === "number" || Array.isArray(data[key]) ? undefined : data[key]
        expect(scalarAt(text, member(key), DATA_START, end), `${text} ${key}`).toEqual(expected)
      }
      expect(scalarAt(text, member("session"), end, text.length)).toEqual(session)
    }
    expect(checked).toBeGreaterThan(400)
  })
})
