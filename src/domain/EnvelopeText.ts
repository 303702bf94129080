/** The fields of an envelope's `source` that forwarders name outside the envelope. */
export interface SourceFields {
  readonly log_id: string
  readonly host: string | undefined
}

/**
 * Whether `JSON.stringify(JSON.parse(text)) === text` holds for canonical (RFC 8785) envelope text: true unless an
 * object has an integer-like key, which JavaScript objects move ahead of the others and sort numerically.
 */
export const splicesVerbatim = (text: string): boolean => !INDEX_KEY.test(text)

/**
 * Reads `source.log_id` and `source.host` of canonical envelope texts without parsing the rest: the source object is
 * the last `"source"` member before `"timestamp"` (keys are sorted), and consecutive entries usually share it, so it is
 * parsed once per distinct text. Null when the text does not have that shape or the log id is not a string.
 */
export const makeSourceReader = (): ((text: string) => SourceFields | null) => {
  let lastText = ""
  let last: SourceFields | null = null
  return (text) => {
    const start = text.lastIndexOf(SOURCE_KEY)
    if (start < 0) return null
    const end = text.indexOf(SOURCE_END, start)
    if (end < 0) return null
    const inner = text.slice(start + SOURCE_KEY.length - 1, end + 1)
    if (inner === lastText) return last
    lastText = inner
    last = sourceFields(inner)
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
