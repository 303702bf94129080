import type { Envelope } from "../Event.js"
import { formatRulesFile, quoteString } from "./Format.js"
import { lintRuleSet } from "./Lint.js"
import { parseRulesFile } from "./Parser.js"

/** Shell commands whose first argument names what they do (`git push`, `npm test`), grouped by their first two words. */
const MULTI_COMMAND = new Set([
  "apt", "apt-get", "brew", "bun", "cargo", "composer", "docker", "dotnet", "gcloud", "gh", "git", "go", "gradle",
  "helm", "kubectl", "make", "mvn", "npm", "npx", "pip", "pip3", "pnpm", "poetry", "terraform", "uv", "yarn", "aws", "az"
])

const TARGETS: Record<string, string> = {
  execute: "execution",
  read: "read",
  write: "write",
  network: "network",
  search: "search",
  agent: "agent"
}

/** One unmatched call as the log has it. */
interface Unmatched {
  readonly tool: string
  readonly capability: string
  readonly summary: string
}

/** A group of unmatched calls sharing a pattern, and the condition lines that describe it. */
export interface SuggestionGroup {
  readonly pattern: string
  readonly tool: string
  readonly capability: string
  readonly count: number
  readonly examples: ReadonlyArray<string>
  readonly conditions: ReadonlyArray<string>
}

const head = (command: string): string | null => {
  const words = command.trim().split(/\s+/).filter((w) => w !== "")
  const first = words[0]
  if (first === undefined || first === "…") return null
  const second = words[1]
  return MULTI_COMMAND.has(first) && second !== undefined && !second.startsWith("-") && !second.endsWith("…") ? `${first} ${second}` : first
}

const extension = (path: string): string | null => {
  const base = path.split("/").pop() ?? ""
  const dot = base.lastIndexOf(".")
  return dot > 0 && dot < base.length - 1 && /^[A-Za-z0-9]{1,10}$/.test(base.slice(dot + 1)) ? base.slice(dot) : null
}

const topDir = (path: string): string | null => {
  const parts = path.split("/")
  if (path.startsWith("/")) return parts.length > 2 ? `/${parts[1]}/` : null
  return parts.length > 1 && parts[0] !== "" && parts[0] !== "." && parts[0] !== ".." ? `${parts[0]}/` : null
}

const hostOf = (url: string): string | null => {
  try {
    const u = new URL(url)
    return /^https?:$/.test(u.protocol) && u.hostname !== "" ? u.hostname : null
  } catch {
    return null
  }
}

const classify = (call: Unmatched): { pattern: string; conditions: Array<string> } => {
  const s = call.summary
  if (call.capability === "execute") {
    const h = head(s)
    if (h !== null) return { pattern: h, conditions: [`IF command EQUALS ${quoteString(h)}`, `OR command STARTS_WITH ${quoteString(`${h} `)}`] }
  }
  if (call.capability === "network") {
    const host = hostOf(s)
    if (host !== null) return { pattern: host, conditions: [`IF tool EQUALS ${quoteString(call.tool)}`, `AND input.url CONTAINS ${quoteString(`://${host}`)}`] }
  }
  if (call.capability === "read" || call.capability === "write") {
    const ext = extension(s)
    if (ext !== null) return { pattern: `*${ext}`, conditions: [`IF tool EQUALS ${quoteString(call.tool)}`, `AND path ENDS_WITH ${quoteString(ext)}`] }
    const dir = topDir(s)
    if (dir !== null) return { pattern: `${dir}**`, conditions: [`IF tool EQUALS ${quoteString(call.tool)}`, `AND path STARTS_WITH ${quoteString(dir)}`] }
  }
  return { pattern: call.tool, conditions: [`IF tool EQUALS ${quoteString(call.tool)}`] }
}

/** The evaluations among `envelopes` that no rule matched (no deciding rule, nothing also matched), grouped by pattern, largest first. */
export const unmatchedGroups = (envelopes: ReadonlyArray<Envelope>): Array<SuggestionGroup> => {
  const groups = new Map<string, { pattern: string; tool: string; capability: string; count: number; examples: Array<string>; conditions: Array<string> }>()
  for (const e of envelopes) {
    if (e.type !== "v1.EvalDecided") continue
    const d = e.data as Record<string, unknown>
    if (d["rule_id"] !== null || (Array.isArray(d["also_matched"]) && d["also_matched"].length > 0)) continue
    const call: Unmatched = {
      tool: typeof d["tool"] === "string" ? d["tool"] : "unknown",
      capability: typeof d["capability"] === "string" ? d["capability"] : "unknown",
      summary: typeof d["input_summary"] === "string" ? d["input_summary"] : ""
    }
    const { conditions, pattern } = classify(call)
    const key = `${call.tool}\u0000${call.capability}\u0000${pattern}`
    const group = groups.get(key) ?? { pattern, tool: call.tool, capability: call.capability, count: 0, examples: [], conditions }
    group.count++
    if (group.examples.length < 3 && !group.examples.includes(call.summary)) group.examples.push(call.summary)
    groups.set(key, group)
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0))
}

const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "")

/** The rule id a group's suggestion starts from: `suggested-<tool>-<pattern>`. */
export const suggestionBaseId = (group: SuggestionGroup): string =>
  ["suggested", slug(group.tool), slug(group.pattern.replace(/^\*\./, ""))].filter((p) => p !== "").join("-")

/** A rule id for a group that is not in `taken` (which it joins): its base id, numbered when needed. */
export const suggestionId = (group: SuggestionGroup, taken: Set<string>): string => {
  const base = suggestionBaseId(group)
  let id = base
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`
  taken.add(id)
  return id
}

/**
 * The `.rules` text of a LOG rule observing a group (formatted like `ssg format` writes it), or the first problem
 * `ssg lint` would report on it.
 */
export const suggestionRule = (group: SuggestionGroup, id: string): { ok: true; text: string } | { ok: false; problem: string } => {
  const target = TARGETS[group.capability] ?? "any"
  const raw = [
    `# Suggested by ssg suggest: ${group.count} call(s) matched no rule (${group.tool}, ${group.pattern.replace(/[\r\n]/g, " ")})`,
    `rule ${id} {`,
    "  enabled true",
    "  priority 10",
    "  severity info",
    `  LOG ${target}`,
    ...group.conditions.map((c) => `  ${c}`),
    `  MESSAGE ${quoteString(`Observed: ${group.tool} ${group.pattern}`.replace(/[\r\n]/g, " "))}`,
    "}",
    ""
  ].join("\n")
  const parsed = parseRulesFile(raw, `${id}.rules`)
  const formatted = formatRulesFile(parsed)
  if (!formatted.ok) return { ok: false, problem: formatted.errors[0]?.message ?? "does not parse" }
  const problem = lintRuleSet([parseRulesFile(formatted.text, `${id}.rules`)]).find((d) => d.severity === "error")
  return problem === undefined ? { ok: true, text: formatted.text } : { ok: false, problem: problem.message }
}
