import type { InstallOptions } from "./Adapter.js"
import type { EditResult, FileEditor, RemoveResult } from "./ManagedFile.js"
import { isObject, type JsonObject } from "./PayloadFields.js"

/** One hook ssg registers: the event, the matcher of its group (nested layout; none matches every tool), the handler. */
export interface HookEntry {
  readonly event: string
  readonly matcher?: string
  readonly handler: JsonObject
}

/**
 * A JSON hooks file (`{"hooks": {"<event>": [...]}}`): `nested` lists matcher groups each holding `hooks: [handler]`
 * (Claude Code, Codex, Gemini CLI), `flat` lists handlers directly (Cursor).
 */
export interface JsonHooksSpec {
  readonly layout: "nested" | "flat"
  readonly entries: ReadonlyArray<HookEntry>
  /** Top-level fields a file ssg creates starts with (Cursor's `version`). */
  readonly skeleton: JsonObject
  /** Whether a handler found in the file is one of ssg's (a current or an older one). */
  readonly isOurs: (handler: JsonObject) => boolean
}

/** Layout of a JSON text, reproduced when ssg rewrites it: indentation, line ending, final newline, byte-order mark. */
export interface JsonStyle {
  readonly indent: string
  readonly eol: string
  readonly finalEol: boolean
  readonly bom: boolean
}

/** The style of a new file: two-space indentation, `\n`, a final newline. */
export const DEFAULT_STYLE: JsonStyle = { indent: "  ", eol: "\n", finalEol: true, bom: false }

/** The style of an existing JSON text (its first indented line gives the indentation unit; one line means compact). */
export const detectStyle = (text: string): JsonStyle => {
  const bom = text.startsWith("\uFEFF")
  if (text.trim() === "") return { ...DEFAULT_STYLE, bom }
  const eol = text.includes("\r\n") ? "\r\n" : "\n"
  const indented = /\n([ \t]+)\S/.exec(text)
  return { indent: indented === null ? "" : indented[1]!, eol, finalEol: /\n$/.test(text), bom }
}

/** Serializes a JSON value in a style. */
export const serializeJson = (value: unknown, style: JsonStyle): string => {
  const text = JSON.stringify(value, null, style.indent)
  const body = style.eol === "\n" ? text : text.replace(/\n/g, style.eol)
  return `${style.bom ? "\uFEFF" : ""}${body}${style.finalEol ? style.eol : ""}`
}

/** Structural equality of decoded JSON values (object key order ignored). */
export const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]))
  if (!isObject(a) || !isObject(b)) return false
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]))
}

/**
 * Edits ssg's hooks in a JSON settings file, keeping every other setting and the file's layout. Adding leaves an event
 * whose ssg entries are already exactly as planned untouched, and otherwise drops ssg's entries of that event and
 * appends the planned ones; removing drops every ssg handler, then matcher groups, event lists and a `hooks` object
 * that only ssg's handlers filled.
 */
export const jsonHooksEditor = (spec: JsonHooksSpec): FileEditor => {
  const planned = new Map<string, Array<unknown>>()
  for (const entry of spec.entries) {
    const item =
      spec.layout === "flat"
        ? entry.handler
        : { ...(entry.matcher === undefined ? {} : { matcher: entry.matcher }), hooks: [entry.handler] }
    planned.set(entry.event, [...(planned.get(entry.event) ?? []), item])
  }

  const isOurs = (handler: unknown): boolean => isObject(handler) && spec.isOurs(handler)
  const holdsOurs = (item: unknown): boolean =>
    spec.layout === "flat" ? isOurs(item) : isObject(item) && Array.isArray(item["hooks"]) && item["hooks"].some(isOurs)

  const strip = (list: ReadonlyArray<unknown>): { readonly list: Array<unknown>; readonly removed: boolean } => {
    let removed = false
    const out: Array<unknown> = []
    for (const item of list) {
      if (!holdsOurs(item)) {
        out.push(item)
        continue
      }
      removed = true
      if (spec.layout === "flat") continue
      const group = item as JsonObject
      const kept = (group["hooks"] as ReadonlyArray<unknown>).filter((h) => !isOurs(h))
      if (kept.length > 0) out.push({ ...group, hooks: kept })
    }
    return { list: out, removed }
  }

  const add = (current: string | null): EditResult => {
    const parsed = parseSettings(current, spec.skeleton)
    if (!parsed.ok) return parsed
    const hooks: Record<string, unknown> = { ...parsed.hooks }
    let changed = current === null
    for (const event of new Set([...Object.keys(hooks), ...planned.keys()])) {
      const list = hooks[event] ?? []
      const wanted = planned.get(event) ?? []
      if (!Array.isArray(list)) {
        if (wanted.length > 0) return { ok: false, error: `field "hooks.${event}" must be a list` }
        continue
      }
      if (jsonEqual(list.filter(holdsOurs), wanted)) continue
      const next = [...strip(list).list, ...wanted]
      if (next.length === 0) delete hooks[event]
      else hooks[event] = next
      changed = true
    }
    if (!changed) return { ok: true, contents: current ?? "" }
    return { ok: true, contents: serializeJson({ ...parsed.value, hooks }, parsed.style) }
  }

  const remove = (current: string): RemoveResult => {
    const parsed = parseSettings(current, spec.skeleton)
    if (!parsed.ok) return parsed
    const hooks: Record<string, unknown> = { ...parsed.hooks }
    let removed = false
    for (const [event, list] of Object.entries(hooks)) {
      if (!Array.isArray(list)) continue
      const stripped = strip(list)
      if (!stripped.removed) continue
      removed = true
      if (stripped.list.length === 0) delete hooks[event]
      else hooks[event] = stripped.list
    }
    if (!removed) return { ok: true, contents: current, empty: jsonEqual(parsed.value, spec.skeleton) }
    const { hooks: _dropped, ...rest } = parsed.value
    const value = Object.keys(hooks).length === 0 ? rest : { ...parsed.value, hooks }
    return { ok: true, contents: serializeJson(value, parsed.style), empty: jsonEqual(value, spec.skeleton) }
  }

  const holds = (contents: string): boolean => {
    const parsed = parseSettings(contents, spec.skeleton)
    return parsed.ok && Object.values(parsed.hooks).some((list) => Array.isArray(list) && list.some(holdsOurs))
  }

  const restores = (stripped: string, original: string): boolean => {
    const a = parseSettings(stripped, spec.skeleton)
    const b = parseSettings(original, spec.skeleton)
    return a.ok && b.ok ? jsonEqual(withoutEmptyHooks(a.value), withoutEmptyHooks(b.value)) : stripped === original
  }

  return { executable: false, holds, add, remove, restores }
}

/** A settings value without empty event lists and without an empty `hooks` object (removal prunes both). */
const withoutEmptyHooks = (value: JsonObject): JsonObject => {
  const hooks = value["hooks"]
  if (!isObject(hooks)) return value
  const kept = Object.entries(hooks).filter(([, list]) => !(Array.isArray(list) && list.length === 0))
  const { hooks: _hooks, ...rest } = value
  return kept.length === 0 ? rest : { ...rest, hooks: Object.fromEntries(kept) }
}

type Parsed =
  | { readonly ok: true; readonly value: JsonObject; readonly hooks: JsonObject; readonly style: JsonStyle }
  | { readonly ok: false; readonly error: string }

const parseSettings = (text: string | null, skeleton: JsonObject): Parsed => {
  if (text === null) return { ok: true, value: skeleton, hooks: {}, style: DEFAULT_STYLE }
  const style = detectStyle(text)
  const body = style.bom ? text.slice(1) : text
  let value: unknown = {}
  if (body.trim() !== "") {
    try {
      value = JSON.parse(body)
    } catch (e) {
      const reason = (e as Error).message.replace(/\r/g, "\\r").replace(/\n/g, "\\n")
      return { ok: false, error: `not valid JSON (${reason}); fix or remove it first` }
    }
  }
  if (!isObject(value)) return { ok: false, error: "must hold a JSON object" }
  const hooks = value["hooks"] ?? {}
  if (!isObject(hooks)) return { ok: false, error: `field "hooks" must be a JSON object` }
  return { ok: true, value, hooks, style }
}

/** Seconds a client gives each ssg hook run before giving up (Claude Code and Codex default to ten minutes). */
export const HOOK_TIMEOUT_SECONDS = 30

/** The command a client's configuration runs for ssg's hook: `<command> hook eval` before a call, `hook post` after. */
export const hookCommand = (options: InstallOptions, step: "eval" | "post"): string =>
  `${options.command ?? "ssg"} hook ${step}`

const SSG_HOOK = /(^|[\s/\\'"])ssg(\.js|\.cmd|\.exe)?['"]?\s+hook\s+(eval|post)(\s|$)/

/** Whether a hook handler is ssg's: its `command` runs `ssg hook eval|post` (any path or launcher) or the configured command's. */
export const isSsgHandler =
  (options: InstallOptions) =>
  (handler: JsonObject): boolean => {
    const command = handler["command"]
    if (typeof command !== "string") return false
    return SSG_HOOK.test(command) || command === hookCommand(options, "eval") || command === hookCommand(options, "post")
  }
