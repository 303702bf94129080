/** A log entry as catch-up reads it: its seq and its envelope's stored canonical JSON text. */
export type EntryText = readonly [seq: number, text: string]

/** Where the members of a canonical envelope's `data` object start in its text. */
export const DATA_START = 9

/** The form `"key":` that `scalarAt` looks for. */
export const member = (key: string): string => `"${key}":`

/** The text's final member when the text ends as canonical envelope JSON does (`,"type":"…"}`), else undefined. */
export const canonicalType = (text: string): string | undefined => {
  const at = text.lastIndexOf(TYPE_MEMBER)
  if (at === -1 || !text.endsWith(END)) return undefined
  const from = at + TYPE_MEMBER.length
  const to = text.length - END.length
  const quote = text.indexOf('"', from)
  return quote === to && text.indexOf("\\", from) === -1 ? text.slice(from, to) : undefined
}

/**
 * Where the `data` object of a canonical envelope text ends (the index of its `}`) when no object nests in it and only
 * `source` nests after it; -1 otherwise. In such a text, `scalarAt(text, m, DATA_START, end)` reads the data's members
 * and `scalarAt(text, m, end, text.length)` those of the envelope and its source.
 */
export const flatDataEnd = (text: string): number => {
  if (!text.startsWith(DATA_OPEN)) return -1
  const brace = text.indexOf("{", DATA_START)
  if (brace === -1 || text.indexOf("{", brace + 1) !== -1) return -1
  const end = text.lastIndexOf(ID_MEMBER, brace)
  return end < DATA_START ? -1 : end
}

/**
 * The string, boolean or null value of the first member `name` (as `member(key)` writes it) between `from` and `to` of
 * JSON text with no object nested in that range; undefined when there is none or its value is of another kind.
 */
export const scalarAt = (text: string, name: string, from: number, to: number): string | boolean | null | undefined => {
  let at = text.indexOf(name, from)
  while (at !== -1 && at + name.length <= to) {
    const before = text.charCodeAt(at - 1)
    if (before === COMMA || before === OPEN) return valueAt(text, at + name.length)
    at = text.indexOf(name, at + 1)
  }
  return undefined
}

const DATA_OPEN = '{"data":{'
const ID_MEMBER = '},"id":"'
const TYPE_MEMBER = ',"type":"'
const END = '"}'
const COMMA = 44
const OPEN = 123
const QUOTE = 34
const BACKSLASH = 92

const valueAt = (text: string, at: number): string | boolean | null | undefined => {
  const c = text.charCodeAt(at)
  if (c === QUOTE) {
    const close = text.indexOf('"', at + 1)
    if (close === -1) return undefined
    const raw = text.slice(at + 1, close)
    return raw.indexOf("\\") === -1 ? raw : escapedAt(text, at)
  }
  if (text.startsWith("null", at)) return null
  if (text.startsWith("true", at)) return true
  if (text.startsWith("false", at)) return false
  return undefined
}

const escapedAt = (text: string, at: number): string | undefined => {
  let i = at + 1
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) return JSON.parse(text.slice(at, i + 1)) as string
    i += c === BACKSLASH ? 2 : 1
  }
  return undefined
}
