import { Schema } from "effect"

const WireDecision = Schema.Literal("block", "allow", "log", "shadow", "ask", "force")

/** Token counts a client reported itself (never an estimate). */
export const TokenUsage = Schema.Struct({ input_tokens: Schema.Number, output_tokens: Schema.Number })

/** A non-terminal rule met on the way to a decision. */
export const MatchedRule = Schema.Struct({ rule_id: Schema.String, decision: WireDecision })

/** `v1.EvalDecided`: one evaluated tool call and its decision; the input is summarised and hashed unless captured. */
export const EvalDecided = Schema.TaggedStruct("v1.EvalDecided", {
  tool: Schema.String,
  capability: Schema.String,
  client: Schema.String,
  decision: WireDecision,
  rule_id: Schema.NullOr(Schema.String),
  also_matched: Schema.Array(MatchedRule),
  latency_ms: Schema.Number,
  input_summary: Schema.String,
  input_sha256: Schema.String,
  /** The client's id of the tool call (e.g. Claude Code's `tool_use_id`), linking it to its `v1.ToolCompleted`. */
  call_id: Schema.optional(Schema.NullOr(Schema.String)),
  /** What the agent was told: the deciding rule's MESSAGE (or a guard's reason), secrets redacted, at most 500 characters. */
  reason: Schema.optional(Schema.NullOr(Schema.String)),
  input: Schema.optional(Schema.Unknown),
  /** The model that generated the call: the payload's `model`, else `SSG_MODEL`, else `[cost] model`; null when none. */
  model: Schema.optional(Schema.NullOr(Schema.String)),
  /** UTF-8 byte length of the canonical JSON of the tool input (the basis of the output-token estimate). */
  input_bytes: Schema.optional(Schema.Number),
  /** Token counts the payload itself reported for the call, when it reported any. */
  usage: Schema.optional(TokenUsage)
})

/** `v1.ToolCompleted`: a tool call finished (reported by the client's post-tool hook). */
export const ToolCompleted = Schema.TaggedStruct("v1.ToolCompleted", {
  tool: Schema.String,
  call_id: Schema.NullOr(Schema.String),
  success: Schema.Boolean,
  duration_ms: Schema.NullOr(Schema.Number),
  /** Size in bytes of the tool's response as the client reported it (its JSON text when not a string). */
  response_bytes: Schema.optional(Schema.NullOr(Schema.Number)),
  /** The error the tool reported, cut to 200 characters and redacted. */
  error: Schema.optional(Schema.NullOr(Schema.String)),
  /** Token counts the post-tool payload reported (Claude Code's Agent tool response), when it reported any. */
  usage: Schema.optional(TokenUsage)
})

/** `v1.ApprovalRequested`: an ASK decision waits for a human. */
export const ApprovalRequested = Schema.TaggedStruct("v1.ApprovalRequested", {
  approval_id: Schema.String,
  tool: Schema.String,
  rule_id: Schema.String,
  prompt: Schema.String,
  input_sha256: Schema.String
})

/** `v1.ApprovalResolved`: a human (or a timeout) answered an approval request. */
export const ApprovalResolved = Schema.TaggedStruct("v1.ApprovalResolved", {
  approval_id: Schema.String,
  resolution: Schema.Literal("approved", "denied", "timeout"),
  by: Schema.String
})

/** `v1.RuleChanged`: a rule was enabled, disabled or given another decision through ssg. */
export const RuleChanged = Schema.TaggedStruct("v1.RuleChanged", {
  rule_id: Schema.String,
  change: Schema.Literal("enabled", "disabled", "decision"),
  from: Schema.String,
  to: Schema.String,
  files: Schema.Array(Schema.String)
})

/** `v1.RulesetLoaded`: the rule set an evaluator runs with (content hash over the rules' raw text). */
export const RulesetLoaded = Schema.TaggedStruct("v1.RulesetLoaded", {
  dirs: Schema.Array(Schema.String),
  files: Schema.Number,
  rules: Schema.Number,
  content_sha256: Schema.String,
  /** Rule ids new since the previous rule set loaded from the same directories. */
  added: Schema.optional(Schema.Array(Schema.String)),
  /** Rule ids gone since the previous rule set. */
  removed: Schema.optional(Schema.Array(Schema.String)),
  /** Rule ids whose text changed since the previous rule set. */
  changed: Schema.optional(Schema.Array(Schema.String)),
  /** SHA-256 over the rule files' paths and bytes (the compiled-rules cache key). */
  files_sha256: Schema.optional(Schema.String)
})

/** `v1.WorkflowRunStarted`: a workflow run began. */
export const WorkflowRunStarted = Schema.TaggedStruct("v1.WorkflowRunStarted", {
  run_id: Schema.String,
  workflow: Schema.String
})

/** `v1.WorkflowGateFinished`: one gate of a workflow run finished. */
export const WorkflowGateFinished = Schema.TaggedStruct("v1.WorkflowGateFinished", {
  run_id: Schema.String,
  gate: Schema.String,
  status: Schema.Literal("passed", "failed", "skipped"),
  duration_ms: Schema.Number
})

/** `v1.WorkflowRunFinished`: a workflow run ended. */
export const WorkflowRunFinished = Schema.TaggedStruct("v1.WorkflowRunFinished", {
  run_id: Schema.String,
  status: Schema.Literal("passed", "failed", "cancelled"),
  duration_ms: Schema.Number
})

/** `v1.RuleActionRan`: the forwarder ran a rule's `WEBHOOK` or `RUN` action for a decision of that rule. */
export const RuleActionRan = Schema.TaggedStruct("v1.RuleActionRan", {
  rule_id: Schema.String,
  /** The `v1.EvalDecided` entry the action ran for. */
  trigger_seq: Schema.Number,
  trigger_id: Schema.String,
  action: Schema.Literal("webhook", "run"),
  /** The webhook URL without its query, or the command's program. */
  target: Schema.String,
  ok: Schema.Boolean,
  /** The HTTP status or the exit code; null when there was none (unreachable, timed out, not started). */
  status: Schema.NullOr(Schema.Number),
  attempts: Schema.Number,
  duration_ms: Schema.Number,
  /** Why it failed, at most 200 characters, secrets redacted. */
  error: Schema.NullOr(Schema.String)
})

/** Every event the audit log holds; later issues add members (new shapes are new versions, never edits). */
export const Event = Schema.Union(
  EvalDecided,
  ToolCompleted,
  ApprovalRequested,
  ApprovalResolved,
  RuleChanged,
  RulesetLoaded,
  WorkflowRunStarted,
  WorkflowGateFinished,
  WorkflowRunFinished,
  RuleActionRan
)

/** An audit event (its `_tag` is the versioned type name, e.g. `v1.EvalDecided`). */
export type Event = typeof Event.Type

/** Where an event came from. */
export const Source = Schema.Struct({
  log_id: Schema.String,
  host: Schema.String,
  user: Schema.String,
  client: Schema.String,
  session: Schema.NullOr(Schema.String),
  cwd: Schema.String
})

/** Where an event came from. */
export type Source = typeof Source.Type

/** A log entry as stored and hashed: its canonical JSON (RFC 8785) is the Merkle leaf's input. */
export const Envelope = Schema.Struct({
  seq: Schema.Number,
  id: Schema.String,
  timestamp: Schema.String,
  type: Schema.String,
  source: Source,
  data: Schema.Unknown
})

/** A log entry as stored and hashed. */
export type Envelope = typeof Envelope.Type

/** Decodes an event from an envelope's `type` and `data` (module constant: built once). */
export const decodeEvent = Schema.decodeUnknownEither(Event)

/** The envelope fields of an event: its type name and its data without the tag. */
export const eventParts = (event: Event): { readonly type: string; readonly data: Record<string, unknown> } => {
  const { _tag, ...data } = event
  return { type: _tag, data }
}
