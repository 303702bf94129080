import type { ParseResult } from "./Adapter.js"

/** A decoded JSON object. */
export type JsonObject = Readonly<Record<string, unknown>>

/** Whether a value is a JSON object (not an array, not null). */
export const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Decodes a raw payload: a JSON object, or a one-line reason it is not one. */
export const decodePayload = (raw: string): { readonly ok: true; readonly value: unknown } | ParseFailure => {
  if (raw.trim() === "") return malformed("the payload is empty; expected a JSON object")
  try {
    return { ok: true, value: JSON.parse(raw) as unknown }
  } catch (e) {
    return malformed(`the payload is not JSON: ${(e as Error).message}`)
  }
}

/** A failed parse. */
export type ParseFailure = Extract<ParseResult, { ok: false }>

/** A `malformed` parse failure with a one-line message. */
export const malformed = (error: string): ParseFailure => ({ ok: false, kind: "malformed", error })

/** An `unsupported-event` parse failure naming the event. */
export const unsupportedEvent = (field: string, event: string): ParseFailure => ({
  ok: false,
  kind: "unsupported-event",
  error: `field "${field}": ssg does not handle the event ${JSON.stringify(event)}`
})

/** The failure for a payload that is not a JSON object. */
export const notAnObject = (value: unknown): ParseFailure => {
  const kind = Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`
  return malformed(`the payload must be a JSON object, not ${kind}`)
}

/**
 * Reads optional fields of a payload by type; the first field of the wrong type is remembered in `error` (a line naming
 * it), and its read yields `undefined`, so a parser reads everything and then checks `error` once.
 */
export class PayloadReader {
  #error: string | null = null

  constructor(readonly payload: JsonObject) {}

  /** The first wrong-typed field met, as a one-line message, or null. */
  get error(): string | null {
    return this.#error
  }

  /** A string field (`null` counts as absent); the first key present wins. */
  string(...keys: ReadonlyArray<string>): string | undefined {
    return this.#read(keys, "a string", (v): v is string => typeof v === "string")
  }

  /** A finite number field. */
  number(...keys: ReadonlyArray<string>): number | undefined {
    return this.#read(keys, "a number", (v): v is number => typeof v === "number" && Number.isFinite(v))
  }

  /** A boolean field. */
  boolean(...keys: ReadonlyArray<string>): boolean | undefined {
    return this.#read(keys, "a boolean", (v): v is boolean => typeof v === "boolean")
  }

  /** An object field. */
  object(...keys: ReadonlyArray<string>): JsonObject | undefined {
    return this.#read(keys, "a JSON object", isObject)
  }

  /** A field of any JSON type. */
  any(...keys: ReadonlyArray<string>): unknown {
    for (const key of keys) if (this.payload[key] != null) return this.payload[key]
    return undefined
  }

  /** Records a failure of the caller's own check on a field. */
  fail(field: string, expected: string): void {
    this.#error ??= `field "${field}" must be ${expected}`
  }

  #read<T>(keys: ReadonlyArray<string>, expected: string, is: (v: unknown) => v is T): T | undefined {
    for (const key of keys) {
      const v = this.payload[key]
      if (v == null) continue
      if (is(v)) return v
      this.fail(key, expected)
      return undefined
    }
    return undefined
  }
}

/** Copies the optional fields whose value is defined (for building objects under exactOptionalPropertyTypes). */
export const defined = <T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value
  return out as { [K in keyof T]?: Exclude<T[K], undefined> }
}
