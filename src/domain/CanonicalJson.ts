/** A value that cannot be canonicalized (a programming error); the message names the JSON path, e.g. `$.input.x[2]`. */
export class CanonicalJsonError extends Error {
  override readonly name = "CanonicalJsonError"
  constructor(
    readonly path: string,
    readonly problem: string
  ) {
    super(`${problem} at ${path}`)
  }
}

/** RFC 8785 (JCS) text of `value`: sorted keys (UTF-16 code units), no whitespace, ECMAScript number/string forms. */
export const canonicalJson = (value: unknown): string => {
  const out: Array<string> = []
  write(value, "$", out, new Set())
  return out.join("")
}

/** UTF-8 bytes of `canonicalJson(value)`. */
export const canonicalBytes = (value: unknown): Uint8Array => encoder.encode(canonicalJson(value))

const encoder = new TextEncoder()

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/

const fail = (path: string, problem: string): never => {
  throw new CanonicalJsonError(path, problem)
}

const writeString = (s: string, path: string, out: Array<string>): void => {
  if (loneSurrogate.test(s)) fail(path, "string with a lone surrogate")
  out.push(JSON.stringify(s))
}

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const write = (value: unknown, path: string, out: Array<string>, ancestors: Set<object>): void => {
  switch (typeof value) {
    case "string":
      return writeString(value, path, out)
    case "number":
      if (!Number.isFinite(value)) fail(path, `non-finite number ${value}`)
      out.push(JSON.stringify(value))
      return
    case "boolean":
      out.push(value ? "true" : "false")
      return
    case "undefined":
      return fail(path, "undefined")
    case "bigint":
      return fail(path, "bigint")
    case "function":
      return fail(path, "function")
    case "symbol":
      return fail(path, "symbol")
  }
  if (value === null) {
    out.push("null")
    return
  }
  const obj = value as object
  if (ancestors.has(obj)) fail(path, "cyclic structure")
  ancestors.add(obj)
  if (Array.isArray(obj)) {
    out.push("[")
    for (let i = 0; i < obj.length; i++) {
      if (i > 0) out.push(",")
      write(obj[i], `${path}[${i}]`, out, ancestors)
    }
    out.push("]")
  } else if (isPlainObject(obj)) {
    const record = obj as Record<string, unknown>
    const keys = Object.keys(record).sort()
    out.push("{")
    let first = true
    for (const key of keys) {
      const child = record[key]
      if (child === undefined) continue
      const childPath = identifier.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
      if (!first) out.push(",")
      first = false
      writeString(key, childPath, out)
      out.push(":")
      write(child, childPath, out, ancestors)
    }
    out.push("}")
  } else {
    fail(path, `unsupported object type ${obj.constructor?.name ?? "unknown"}`)
  }
  ancestors.delete(obj)
}
