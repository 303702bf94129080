import type { Rule, WireDecision } from "../domain/rules/Rule.js"
import type { Capability, ToolCall } from "../domain/ToolCall.js"

/** The clients ssg has an adapter for; `generic` is the fallback for any other caller. */
export const CLIENT_NAMES = [
  "claude-code",
  "codex",
  "codex-desktop",
  "gemini",
  "cursor",
  "antigravity",
  "nemoclaw",
  "claude-cowork",
  "generic"
] as const
/** A client adapter's name. */
export type ClientName = (typeof CLIENT_NAMES)[number]

/** Environment variables as the adapters read them (`process.env` fits). */
export type Env = Readonly<Record<string, string | undefined>>

/** A hook payload normalized across clients: the tool call plus where it came from and, after the call, its outcome. */
export interface HookRequest extends ToolCall {
  readonly client: ClientName
  /** `pre` before the tool runs (the call can still be refused), `post` after it ran. */
  readonly event: "pre" | "post"
  /** The client's own name for the event (`PreToolUse`, `BeforeTool`, `beforeShellExecution`, …; `PreToolUse` when absent). */
  readonly hookEvent: string
  readonly session: string | null
  readonly cwd: string | null
  /** The client's id of this tool use (Claude Code, Codex, Cursor's preToolUse), linking the pre and post events. */
  readonly toolUseId: string | null
  readonly model?: string
  /** Token usage the client reported with the call (Claude Code's Agent tool response), as sent. */
  readonly usage?: Readonly<Record<string, unknown>>
  readonly permissionMode?: string
  readonly transcriptPath?: string
  /** Codex's `turn_id` or Cursor's `generation_id`. */
  readonly turnId?: string
  readonly agentId?: string
  /** After the call: the tool's response as the client sent it. */
  readonly response?: unknown
  /** After a failed call: the error text. */
  readonly error?: string
  /** After the call: how long the tool ran, in milliseconds, when the client says. */
  readonly durationMs?: number
  /** After the call: the user interrupted it (Claude Code's `is_interrupt`). */
  readonly interrupted?: boolean
}

/** The outcome of reading a hook payload; a failure carries one line naming the offending field. */
export type ParseResult =
  | { readonly ok: true; readonly request: HookRequest }
  | {
      readonly ok: false
      /** `malformed`: not JSON or a wrong shape; `unsupported-event`: a well-formed payload of an event ssg does not handle. */
      readonly kind: "malformed" | "unsupported-event"
      readonly error: string
    }

/** An evaluation result as the adapters render it: `reason` is the rule's MESSAGE, `substitute` FORCE's text, `prompt` ASK's. */
export interface HookResult {
  readonly decision: WireDecision
  readonly ruleId: string | null
  readonly reason: string | null
  readonly substitute?: string
  readonly prompt?: string
}

/** What the hook process writes and how it exits; stdout holds only the client's JSON answer, or nothing. */
export interface HookResponse {
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number
}

/** Settings an install, uninstall or health check uses. */
export interface InstallOptions {
  /** How to invoke ssg from the client's configuration (default `ssg`), e.g. `npx ssg` or `node /opt/ssg/bin/ssg.js`. */
  readonly command?: string
  /** The loaded rules, for clients whose configuration is generated from them (Gemini's policy file). */
  readonly rules?: ReadonlyArray<Rule>
  /** Ask Claude Code (2.1.295 or later) to block a call when the hook cannot run (`onFailure: "block"`). */
  readonly failClosed?: boolean
}

/** Contents of the files a plan reads, by absolute path; `null` or a missing key is a file that does not exist. */
export type FileContents = Readonly<Record<string, string | null>>

/** What one file becomes: new contents (`executable` sets the executable bits; false leaves an existing file's mode), or removed. */
export type FileWrite = { readonly contents: string; readonly executable: boolean } | "delete"

/** The writes a plan needs, by absolute path (files already as planned are left out), or why it cannot proceed. */
export type PlanResult =
  | { readonly ok: true; readonly writes: Readonly<Record<string, FileWrite>> }
  | { readonly ok: false; readonly error: string }

/**
 * A pure change to a client's configuration: the caller reads `files`, passes their contents to `apply` and performs the
 * writes it returns (creating parent directories, and removing directories a delete leaves empty).
 */
export interface ConfigPlan {
  readonly files: ReadonlyArray<string>
  readonly apply: (current: FileContents) => PlanResult
  /** One-line hints for the user (how to start the client so the hook takes effect, what is not covered). */
  readonly notes: ReadonlyArray<string>
}

/** Whether ssg's hook is installed and current in a client's configuration, with one line per problem. */
export interface HealthReport {
  readonly ok: boolean
  readonly problems: ReadonlyArray<string>
}

/** A pure health check: the caller reads `files` and passes their contents to `check`. */
export interface HealthCheck {
  readonly files: ReadonlyArray<string>
  readonly check: (current: FileContents) => HealthReport
}

/** One client's adapter: detection, wire format in and out, capability map, and the hook's place in its configuration. */
export interface ClientAdapter {
  readonly name: ClientName
  /** Whether the environment says this client is the caller (`SSG_CLIENT` naming it, or the client's own variables). */
  readonly detect: (env: Env) => boolean
  /** Reads a raw hook payload; never throws. */
  readonly parseInput: (raw: string) => ParseResult
  /** Reads an already decoded hook payload; never throws. */
  readonly parseValue: (value: unknown) => ParseResult
  /** Renders a decision in the client's protocol; `request` selects event-specific shapes (post events answer nothing). */
  readonly formatOutput: (result: HookResult, request?: HookRequest) => HookResponse
  /** The capability of one of the client's tools. */
  readonly toolCapability: (toolName: string) => Capability
  /** The configuration change that installs ssg's hook for this client under `dir` (a project, or the home directory). */
  readonly install: (dir: string, options?: InstallOptions) => ConfigPlan
  /** The configuration change that removes exactly what `install` added, restoring the files' original bytes. */
  readonly uninstall: (dir: string, options?: InstallOptions) => ConfigPlan
  /** Checks that what `install` adds is present and current under `dir`. */
  readonly healthCheck: (dir: string, options?: InstallOptions) => HealthCheck
}

/** Whether an environment variable is set to a non-empty value. */
export const hasEnv = (env: Env, name: string): boolean => {
  const value = env[name]
  return value !== undefined && value !== ""
}

/** How a decision reaches the agent: refused, left to a human, or let through (allow, log and shadow). */
export type Verdict = "deny" | "ask" | "allow"

/** The verdict of a decision: block and force refuse the call, ask needs approval, the rest let it through. */
export const verdictOf = (result: HookResult): Verdict =>
  result.decision === "block" || result.decision === "force" ? "deny" : result.decision === "ask" ? "ask" : "allow"

const nonEmpty = (text: string | null | undefined): text is string => text !== null && text !== undefined && text.trim() !== ""

const ruleLabel = (result: HookResult): string => (result.ruleId === null ? "ssg" : `ssg rule ${result.ruleId}`)

/** The text the agent reads for a refused or held call: FORCE's SUBSTITUTE, else the MESSAGE, else a line naming the rule. */
export const agentReason = (result: HookResult): string => {
  const text = result.decision === "force" && nonEmpty(result.substitute) ? result.substitute : result.reason
  if (nonEmpty(text)) return text
  return result.decision === "ask"
    ? `${ruleLabel(result)} requires a person's approval for this call.`
    : `Blocked by ${ruleLabel(result)}.`
}

/** The text a person reads: ASK's PROMPT when there is one, else the MESSAGE labelled with the rule, else the agent's text. */
export const userMessage = (result: HookResult): string => {
  if (result.decision === "ask" && nonEmpty(result.prompt)) return result.prompt
  return nonEmpty(result.reason) ? `${ruleLabel(result)}: ${result.reason}` : agentReason(result)
}

/** The refusal text for an ASK on a client whose hook cannot ask a person (Codex, Gemini, shell wrappers). */
export const approvalRefusal = (result: HookResult): string =>
  `Needs a person's approval (${ruleLabel(result)}), which this client's hook cannot ask for: ${
    nonEmpty(result.prompt) ? result.prompt : agentReason(result)
  }`

/** The response of a hook that takes no position (post events, allowed calls on clients where silence means "no decision"). */
export const SILENT: HookResponse = { stdout: "", stderr: "", exitCode: 0 }

/** A refusal: the client's JSON on stdout, the reason on stderr, exit 2 (the one code every client treats as blocking). */
export const refusal = (json: unknown, reason: string): HookResponse => ({
  stdout: `${JSON.stringify(json)}\n`,
  stderr: `${reason.trimEnd()}\n`,
  exitCode: 2
})

/** A JSON answer with exit 0 and nothing on stderr. */
export const answer = (json: unknown): HookResponse => ({ stdout: `${JSON.stringify(json)}\n`, stderr: "", exitCode: 0 })
