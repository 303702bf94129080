import { renderTokens } from "../domain/rules/Format.js"
import type { Rule } from "../domain/rules/Rule.js"
import type { RcaPack } from "./Rca.js"

/** The rule behind a pack as the current rule set has it: where it is, its decision and conditions, its texts. */
export interface RuleView {
  readonly id: string
  readonly location: string
  readonly enabled: boolean
  readonly decision: string
  readonly conditions: ReadonlyArray<string>
  readonly message: string | null
  readonly substitute: string | null
  readonly prompt: string | null
}

/** A pack with its rule resolved (null when none, or when the rule set no longer has it) and concrete next steps. */
export interface PackView extends RcaPack {
  readonly rule: RuleView | null
  readonly rule_missing: boolean
  readonly next_steps: ReadonlyArray<string>
}

/** The rule's location (relative to `cwd` when under it), decision and condition lines as written. */
export const ruleView = (rule: Rule, cwd: string): RuleView => ({
  id: rule.id,
  location: `${rule.file.startsWith(`${cwd}/`) ? rule.file.slice(cwd.length + 1) : rule.file}:${rule.line}`,
  enabled: rule.enabled,
  decision: rule.decision,
  conditions: rule.conditionLines.map((c) => `${c.keyword} ${renderTokens(c.tokens)}`),
  message: rule.message,
  substitute: rule.substitute,
  prompt: rule.prompt
})

const GUARDS = new Set(["loop-guard", "ssg-fail-closed", "circuit-breaker"])

/** The next steps for a pack, from what happened and the rule behind it. */
export const nextSteps = (pack: RcaPack, rule: RuleView | null): Array<string> => {
  const steps: Array<string> = []
  switch (pack.trigger) {
    case "fail-closed":
      steps.push("ssg blocked the call because it could not evaluate it; the reason above names the broken part.")
      steps.push("Run `ssg lint` for rule errors, check `.sigmashake/config.toml` and `$SSG_HOME`, then `ssg audit verify`.")
      break
    case "loop-guard":
      steps.push("Stop repeating the command: read the output or error of the previous runs and change the approach.")
      break
    case "error-spiral":
      steps.push(`Read the last error${pack.detail !== null ? ` ("${pack.detail}")` : ""} before retrying; the same call keeps failing.`)
      steps.push("Check the working directory, missing dependencies or permissions rather than re-running the tool.")
      break
    case "gate-failed":
      steps.push(`Fix what made the gate fail (${pack.detail ?? "see the workflow run"}) and run the workflow again.`)
      break
    case "force":
      steps.push(rule?.substitute != null ? `Do this instead: ${rule.substitute}` : "Follow the guidance the agent was given instead of the original call.")
      break
    case "ask":
      steps.push("A human must approve or deny this call.")
      if (rule !== null) steps.push(`If calls like this are routine, add an ALLOW rule above ${rule.id} (${rule.location}).`)
      break
    case "block":
      steps.push(pack.why.message !== null ? `Change approach: ${pack.why.message}` : "Change approach: the call is not allowed by policy.")
      if (pack.pattern.kind === "repeated-block" && pack.why.rule_id !== null && !GUARDS.has(pack.why.rule_id)) {
        steps.push(
          rule !== null
            ? `${rule.id} keeps blocking this session: if the work is legitimate, review the rule at ${rule.location} or run \`ssg rule disable ${rule.id}\`.`
            : `${pack.why.rule_id} keeps blocking this session: review that rule.`
        )
      }
      break
  }
  return steps
}

/** The pack with its rule and next steps. */
export const packView = (pack: RcaPack, rule: RuleView | null): PackView => ({
  ...pack,
  rule,
  rule_missing: rule === null && pack.why.rule_id !== null && !GUARDS.has(pack.why.rule_id),
  next_steps: nextSteps(pack, rule)
})

/** The pack as markdown. */
export const packMarkdown = (view: PackView): string => {
  const lines = [
    `# RCA ${view.trace_id}`,
    "",
    `**${view.severity}** · ${view.trigger} · ${view.summary}`,
    "",
    `- when: ${view.timestamp} (log entry #${view.seq})`,
    `- session: ${view.session ?? "none"} · client: ${view.client}`,
    ""
  ]
  if (view.attempted !== null) {
    lines.push("## What was attempted", "", `- tool: ${view.attempted.tool}${view.attempted.capability !== null ? ` (${view.attempted.capability})` : ""}`)
    if (view.attempted.input_summary !== "") lines.push(`- input: \`${view.attempted.input_summary.replace(/`/g, "'")}\``)
    lines.push("")
  }
  lines.push("## Why", "")
  if (view.why.rule_id !== null) lines.push(`- rule: ${view.why.rule_id}${view.rule !== null ? ` (${view.rule.location}, ${view.rule.decision})` : ""}`)
  if (view.rule_missing) lines.push("- the rule is no longer in the current rule set")
  if (view.rule !== null && view.rule.conditions.length > 0) {
    lines.push("- conditions:", "", "```", ...view.rule.conditions, "```", "")
  }
  if (view.why.message !== null) lines.push(`- message: ${view.why.message}`)
  if (view.detail !== null) lines.push(`- detail: ${view.detail}`)
  lines.push("", "## Session context (before)", "")
  if (view.context.length === 0) lines.push("- nothing earlier in this session")
  for (const c of view.context) lines.push(`- #${c.seq} ${c.timestamp} ${c.summary}`)
  lines.push("", "## Pattern", "", `- ${view.pattern.kind}: ${view.pattern.description}`, "", "## Next steps", "")
  view.next_steps.forEach((s, i) => lines.push(`${i + 1}. ${s}`))
  return lines.join("\n")
}
