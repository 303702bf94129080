import { isUtf8 } from "node:buffer"

/** The fields of an envelope's `source` that forwarders name outside the envelope. */
export interface SourceFields {
  readonly log_id: string
  readonly host: string | undefined
}

/**
 * Whether the stored bytes of a canonical (RFC 8785) envelope are, as they are, the UTF-8 of
 * `JSON.stringify(JSON.parse(text))`: valid UTF-8 and no object with an integer-like key (JavaScript objects move those
 * ahead of the others and sort them numerically).
 */
export const splicesVerbatim = (bytes: Buffer): boolean => isUtf8(bytes) && !INDEX_KEY.test(bytes.toString("latin1"))

/**
 * Reads `source.log_id` and `source.host` of canonical envelope bytes without parsing the rest: the source object is
 * the last `"source"` member before `"timestamp"` (keys are sorted), and consecutive entries usually share it, so it is
 * parsed once per distinct value. Null when the bytes do not have that shape or the log id is not a string.
 */
export const makeSourceReader = (): ((bytes: Buffer) => SourceFields | null) => {
  let lastBytes: Buffer | null = null
  let last: SourceFields | null = null
  return (bytes) => {
    const start = bytes.lastIndexOf(SOURCE_KEY)
    if (start < 0) return null
    const end = bytes.indexOf(SOURCE_END, start)
    if (end < 0) return null
    const inner = bytes.subarray(start + SOURCE_KEY.length - 1, end + 1)
    if (lastBytes !== null && lastBytes.equals(inner)) return last
    lastBytes = Buffer.from(inner)
    last = sourceFields(inner.toString("utf8"))
    return last
  }
}

const INDEX_KEY = /[{,]"(?:0|[1-9][0-9]*)":/

const SOURCE_KEY = ',"source":{'

const SOURCE_END = '},"timestamp":'

const sourceFields = (text: string): SourceFields | null => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null
  const { log_id, host } = value as { log_id?: unknown; host?: unknown }
  if (typeof log_id !== "string" || (host !== undefined && host !== null && typeof host !== "string")) return null
  return { log_id, host: typeof host === "string" ? host : undefined }
}
