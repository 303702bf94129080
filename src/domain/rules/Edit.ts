import { quoteString } from "./Format.js"
import { tokenizeLine } from "./Parser.js"
import type { BodyKey, Decision, Rule } from "./Rule.js"

/** Sets a rule's `enabled` value in the file text, editing its `enabled` line or inserting one after the header. */
export const setEnabled = (text: string, rule: Rule, enabled: boolean): string => {
  const lines = text.split("\n")
  const value = enabled ? "true" : "false"
  const existing = bodyLine(rule, "enabled")
  if (existing !== undefined) {
    replaceToken(lines, existing, 1, value)
    return lines.join("\n")
  }
  const first = rule.body[0]
  const indent = first === undefined ? "  " : indentOf(lines[first.line - 1] ?? "") || "  "
  insertAfter(lines, rule.line, `${indent}enabled ${value}`)
  return lines.join("\n")
}

/** Sets a rule's decision keyword in the file text; switching to ASK adds a PROMPT line when the rule has none. */
export const setDecision = (text: string, rule: Rule, decision: Decision): string => {
  const lines = text.split("\n")
  const decisionLine = bodyLine(rule, "decision")
  if (decisionLine === undefined) return text
  replaceToken(lines, decisionLine, 0, decision)
  if (decision === "ASK" && rule.prompt === null) {
    const after = bodyLine(rule, "message") ?? decisionLine
    const prompt = rule.message ?? `Allow this call? (rule ${rule.id})`
    insertAfter(lines, after, `${indentOf(content(lines[after - 1] ?? ""))}PROMPT ${quoteString(prompt)}`)
  }
  return lines.join("\n")
}

const bodyLine = (rule: Rule, key: BodyKey): number | undefined => rule.body.find((b) => b.key === key)?.line

const content = (line: string): string => (line.endsWith("\r") ? line.slice(0, -1) : line)

const indentOf = (line: string): string => /^[ \t]*/.exec(line)![0]

const replaceToken = (lines: Array<string>, lineNo: number, index: number, replacement: string): void => {
  const raw = lines[lineNo - 1]
  if (raw === undefined) return
  const body = content(raw)
  const token = tokenizeLine(body, lineNo).tokens[index]
  if (token === undefined || token.kind !== "word") return
  const start = token.position.column - 1
  const end = start + token.text.length
  lines[lineNo - 1] = body.slice(0, start) + replacement + body.slice(end) + raw.slice(body.length)
}

const insertAfter = (lines: Array<string>, lineNo: number, text: string): void => {
  const eol = (lines[lineNo - 1] ?? "").endsWith("\r") ? "\r" : ""
  lines.splice(lineNo, 0, text + eol)
}
