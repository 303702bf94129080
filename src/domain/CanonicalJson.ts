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
export const canonicalJson = (value: unknown): string => write(value, ROOT, [])

/** Why `value` has no canonical form (the problem and its JSON path, rooted at `root`), or null when it has one. */
export const canonicalProblem = (value: unknown, root = "$"): string | null => {
  try {
    write(value, { parent: null, key: root }, [])
    return null
  } catch (e) {
    if (e instanceof CanonicalJsonError) return e.message
    throw e
  }
}

/** UTF-8 bytes of `canonicalJson(value)`. */
export const canonicalBytes = (value: unknown): Uint8Array => encoder.encode(canonicalJson(value))

const encoder = new TextEncoder()

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/

interface PathStep {
  readonly parent: PathStep | null
  readonly key: string | number
}

const ROOT: PathStep = { parent: null, key: "$" }

const render = (step: PathStep): string => {
  if (step.parent === null) return String(step.key)
  const { key } = step
  const head = render(step.parent)
  if (typeof key === "number") return `${head}[${key}]`
  return identifier.test(key) ? `${head}.${key}` : `${head}[${JSON.stringify(key)}]`
}

const fail = (path: PathStep, problem: string): never => {
  throw new CanonicalJsonError(render(path), problem)
}

const writeString = (s: string, path: PathStep): string => {
  if (!s.isWellFormed()) fail(path, "string with a lone surrogate")
  return JSON.stringify(s)
}

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const write = (value: unknown, path: PathStep, ancestors: Array<object>): string => {
  switch (typeof value) {
    case "string":
      return writeString(value, path)
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : fail(path, `non-finite number ${value}`)
    case "boolean":
      return value ? "true" : "false"
    case "undefined":
      return fail(path, "undefined")
    case "bigint":
      return fail(path, "bigint")
    case "function":
      return fail(path, "function")
    case "symbol":
      return fail(path, "symbol")
  }
  if (value === null) return "null"
  const obj = value as object
  if (ancestors.includes(obj)) fail(path, "cyclic structure")
  ancestors.push(obj)
  let out: string
  if (Array.isArray(obj)) {
    out = "["
    for (let i = 0; i < obj.length; i++) {
      if (i > 0) out += ","
      out += write(obj[i], { parent: path, key: i }, ancestors)
    }
    out += "]"
  } else if (isPlainObject(obj)) {
    const record = obj as Record<string, unknown>
    const keys = Object.keys(record).sort()
    out = "{"
    for (const key of keys) {
      const child = record[key]
      if (child === undefined) continue
      const step = { parent: path, key }
      if (out.length > 1) out += ","
      out += writeString(key, step) + ":" + write(child, step, ancestors)
    }
    out += "}"
  } else {
    out = fail(path, `unsupported object type ${obj.constructor?.name ?? "unknown"}`)
  }
  ancestors.pop()
  return out
}
