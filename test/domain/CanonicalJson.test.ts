import { describe, expect, it } from "vitest"
import { canonicalBytes, canonicalJson, CanonicalJsonError } from "../../src/domain/CanonicalJson.js"

const errorOf = (value: unknown): CanonicalJsonError => {
  try {
    canonicalJson(value)
  } catch (error) {
    if (error instanceof CanonicalJsonError) return error
    throw error
  }
  throw new Error("expected a CanonicalJsonError")
}

describe("canonicalJson (RFC 8785)", () => {
  it("reproduces the RFC 8785 §3.2.2 sample", () => {
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`
    const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],` +
      String.raw`"string":"€$\u000f\nA'B\"\\\\\"/"}`
    expect(canonicalJson(JSON.parse(input))).toBe(expected)
  })

  it("serializes the RFC 8785 number examples with the ECMAScript algorithm", () => {
    expect(canonicalJson([333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001])).toBe(
      "[333333333.3333333,1e+30,4.5,0.002,1e-27]"
    )
    const appendixB: Array<[string, string]> = [
      ["0000000000000000", "0"],
      ["8000000000000000", "0"],
      ["0000000000000001", "5e-324"],
      ["8000000000000001", "-5e-324"],
      ["7fefffffffffffff", "1.7976931348623157e+308"],
      ["ffefffffffffffff", "-1.7976931348623157e+308"],
      ["4340000000000000", "9007199254740992"],
      ["c340000000000000", "-9007199254740992"],
      ["4430000000000000", "295147905179352830000"],
      ["44b52d02c7e14af5", "9.999999999999997e+22"],
      ["44b52d02c7e14af6", "1e+23"],
      ["44b52d02c7e14af7", "1.0000000000000001e+23"],
      ["444b1ae4d6e2ef4e", "999999999999999700000"],
      ["444b1ae4d6e2ef4f", "999999999999999900000"],
      ["444b1ae4d6e2ef50", "1e+21"],
      ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
      ["3eb0c6f7a0b5ed8d", "0.000001"],
      ["41b3de4355555553", "333333333.3333332"],
      ["41b3de4355555554", "333333333.33333325"],
      ["41b3de4355555555", "333333333.3333333"],
      ["41b3de4355555556", "333333333.3333334"],
      ["41b3de4355555557", "333333333.33333343"],
      ["becbf647612f3696", "-0.0000033333333333333333"],
      ["43143ff3c1cb0959", "1424953923781206.2"]
    ]
    for (const [bits, text] of appendixB) {
      expect(canonicalJson(Buffer.from(bits, "hex").readDoubleBE(0)), bits).toBe(text)
    }
  })

  it("sorts the RFC 8785 §3.2.3 keys by UTF-16 code units", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }
    const expected =
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
      '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    expect(canonicalJson(input)).toBe(expected)
  })

  it("orders a surrogate pair before a higher BMP code unit, unlike code point order", () => {
    expect(canonicalJson({ "\ufb33": 2, "\ud83d\ude00": 1 })).toBe('{"\ud83d\ude00":1,"\ufb33":2}')
    expect(canonicalJson({ b: 1, a: 2, A: 3, aa: 4, "": 5 })).toBe('{"":5,"A":3,"a":2,"aa":4,"b":1}')
  })

  it("canonicalizes nested arrays and objects without whitespace", () => {
    const value = { z: [1, { y: [], x: {} }, [true, null]], a: { c: "d", b: [[-0, 1.5]] } }
    expect(canonicalJson(value)).toBe('{"a":{"b":[[0,1.5]],"c":"d"},"z":[1,{"x":{},"y":[]},[true,null]]}')
    expect(canonicalJson("x")).toBe('"x"')
    expect(canonicalJson(null)).toBe("null")
    expect(canonicalJson(Object.create(null) as object)).toBe("{}")
  })

  it("escapes strings like JSON.stringify", () => {
    expect(canonicalJson("\u0000\u0008\t\n\u000b\f\r\u001f \"\\/\u007f\u2028")).toBe(
      '"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f \\"\\\\/\u007f\u2028"'
    )
  })

  it("omits object properties whose value is undefined", () => {
    expect(canonicalJson({ a: undefined, b: 1, c: { d: undefined } })).toBe('{"b":1,"c":{}}')
  })

  it("shares repeated (acyclic) references", () => {
    const shared = { k: 1 }
    expect(canonicalJson([shared, { s: shared }])).toBe('[{"k":1},{"s":{"k":1}}]')
  })

  it("encodes UTF-8 bytes", () => {
    expect(Buffer.from(canonicalBytes({ "\u20ac": "\ud83d\ude00" })).toString("hex")).toBe(
      Buffer.from('{"€":"😀"}', "utf8").toString("hex")
    )
  })

  it("rejects values JSON cannot carry, naming the path", () => {
    expect(errorOf({ input: { x: [1, 2, undefined] } }).message).toBe("undefined at $.input.x[2]")
    expect(errorOf({ a: [Number.NaN] }).message).toBe("non-finite number NaN at $.a[0]")
    expect(errorOf(Number.POSITIVE_INFINITY).message).toBe("non-finite number Infinity at $")
    expect(errorOf({ n: -Infinity }).path).toBe("$.n")
    expect(errorOf({ big: 1n }).message).toBe("bigint at $.big")
    expect(errorOf({ f: () => 1 }).message).toBe("function at $.f")
    expect(errorOf([Symbol("s")]).message).toBe("symbol at $[0]")
    expect(errorOf(undefined).message).toBe("undefined at $")
    expect(errorOf({ "a b": { "0": [new Map()] } }).path).toBe('$["a b"]["0"][0]')
    expect(errorOf({ d: new Date(0) }).message).toBe("unsupported object type Date at $.d")
    expect(errorOf({ s: "\ud800" }).message).toBe("string with a lone surrogate at $.s")
    expect(errorOf({ "\udc00": 1 }).path).toBe(String.raw`$["\udc00"]`)
    expect(errorOf(new Array(2)).message).toBe("undefined at $[0]")
    expect(errorOf(1n)).toBeInstanceOf(Error)
  })

  it("rejects cyclic structures", () => {
    const inner: Array<unknown> = []
    const obj = { a: { b: inner } }
    inner.push(obj)
    expect(errorOf(obj).message).toBe("cyclic structure at $.a.b[0]")
    const arr: Array<unknown> = []
    arr.push(arr)
    expect(errorOf(arr).path).toBe("$[0]")
  })
})
