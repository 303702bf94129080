import { posix } from "node:path"
import { canonicalProblem } from "./CanonicalJson.js"
import type { Field } from "./rules/Rule.js"

/** A tool call an agent wants to make: the tool's name and its input object. */
export interface ToolCall {
  readonly tool: string
  readonly input: Readonly<Record<string, unknown>>
}

/** The six capabilities a client adapter sorts tools into, plus `unknown` (matched only by `any` rules). */
export const CAPABILITIES = ["execute", "read", "write", "search", "agent", "network", "unknown"] as const
/** A tool capability. */
export type Capability = (typeof CAPABILITIES)[number]

/** Reads `{"tool": "...", "input": {...}}` (also `tool_name`/`tool_input`) from decoded JSON; an input without a canonical form (a lone surrogate, a number beyond double range) is refused; an error names the field. */
export const toolCallFromJson = (
  value: unknown
): { readonly ok: true; readonly call: ToolCall } | { readonly ok: false; readonly error: string } => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: "expected a JSON object with fields \"tool\" and \"input\"" }
  }
  const o = value as Record<string, unknown>
  const tool = o["tool"] ?? o["tool_name"]
  if (typeof tool !== "string" || tool === "") return { ok: false, error: "field \"tool\" must be a non-empty string" }
  const input = o["input"] ?? o["tool_input"] ?? {}
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, error: "field \"input\" must be a JSON object" }
  }
  const problem = canonicalProblem(input, "input")
  if (problem !== null) return { ok: false, error: `field "input" cannot be recorded: ${problem}` }
  return { ok: true, call: { tool, input: input as Record<string, unknown> } }
}

const text = (v: unknown): string => (v == null ? "" : typeof v === "string" ? v : JSON.stringify(v))

const first = (input: Readonly<Record<string, unknown>>, keys: ReadonlyArray<string>): unknown => {
  for (const k of keys) {
    const v = input[k]
    if (v != null) return v
  }
  return undefined
}

/**
 * Resolves a rule field against a call: `command` (an argv array is joined with spaces), `path` (file_path, path,
 * notebook_path; `\` read as `/`, then `path.posix.normalize`: `//`, `.` and `..` collapsed, a trailing `/` kept, a
 * relative path left relative), `content` (content, new_string, new_source, or MultiEdit `edits[].new_string` joined by
 * newlines), `tool`, and `input.<key>` (strings as is, other values as JSON); anything missing is "".
 */
export const resolveField = (call: ToolCall, field: Field): string => fieldResolver(field)(call)

const normalizePath = (path: string): string =>
  path === "" ? "" : posix.normalize(path.indexOf("\\") === -1 ? path : path.replace(/\\/g, "/"))

const PATH_KEYS = ["file_path", "path", "notebook_path"]
const CONTENT_KEYS = ["content", "new_string", "new_source"]

const CORE_RESOLVERS: Record<string, (call: ToolCall) => string> = {
  command: (call) => {
    const v = call.input["command"]
    return Array.isArray(v) ? v.map(text).join(" ") : text(v)
  },
  path: (call) => normalizePath(text(first(call.input, PATH_KEYS))),
  content: (call) => {
    const v = first(call.input, CONTENT_KEYS)
    if (v !== undefined) return text(v)
    const edits = call.input["edits"]
    return Array.isArray(edits)
      ? edits.map((e) => (typeof e === "object" && e !== null ? text((e as Record<string, unknown>)["new_string"]) : "")).join("\n")
      : ""
  },
  tool: (call) => call.tool
}

/** The resolver of one field, as `resolveField` applies it (built once per field, for the evaluator's hot loop). */
export const fieldResolver = (field: Field): ((call: ToolCall) => string) => {
  const core = CORE_RESOLVERS[field]
  if (core !== undefined) return core
  const key = field.slice(6)
  return (call) => text(call.input[key])
}
