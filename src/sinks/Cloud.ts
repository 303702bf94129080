import { Effect } from "effect"
import { clip } from "../domain/Clip.js"
import { type HttpAnswer, makeAgent, send as httpSend } from "./Http.js"
import type { ForwardRecord } from "./Record.js"
import { CONFIRMED, redactSecrets, retryAfterMs, type SendResult, type Sink, SinkFailure, secretFrom } from "./Sink.js"
import type { CloudSinkConfig } from "./SinkConfig.js"

/** At most this many entries go to the cloud in one request (one `ssg audit-sync` run). */
export const CLOUD_BATCH_MAX = 500

/** The cloud's sync endpoint path under its base URL. */
export const CLOUD_SYNC_PATH = "/api/v1/audit/sync"

/** The endpoint `ssg audit-sync` uses when neither `--url`, a `cloud` sink nor `SSG_CLOUD_URL` names one. */
export const DEFAULT_CLOUD_URL = "https://hub.sigmashake.com"

/** The environment variable holding the cloud API key (`ssg audit-sync`, and a `cloud` sink without `token_env`). */
export const CLOUD_API_KEY_ENV = "SSG_API_KEY"

/** An org slug: lower-case letters, digits and dashes, starting with a letter or digit, at most 63 characters. */
export const ORG_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/

const SUMMARY_MAX = 200

const clipSummary = (value: unknown): unknown => (typeof value === "string" ? clip(value, SUMMARY_MAX) : value)

const pick = (data: Record<string, unknown>, keys: ReadonlyArray<string>): Record<string, unknown> =>
  Object.fromEntries(keys.filter((k) => k in data).map((k) => [k, k === "input_summary" ? clipSummary(data[k]) : data[k]]))

/**
 * The fields of each event type the cloud receives: decisions and outcomes, never tool inputs, messages built from them
 * (reasons, prompts) or tool errors; the input summary is cut to 200 characters. Types not listed go without data.
 */
const CLOUD_FIELDS: Record<string, ReadonlyArray<string>> = {
  "v1.EvalDecided": ["tool", "capability", "client", "decision", "rule_id", "also_matched", "latency_ms", "input_summary", "input_sha256", "call_id", "model", "input_bytes", "usage"],
  "v1.ToolCompleted": ["tool", "call_id", "success", "duration_ms", "response_bytes", "usage"],
  "v1.ApprovalRequested": ["approval_id", "tool", "rule_id", "input_sha256"],
  "v1.ApprovalResolved": ["approval_id", "resolution", "by"],
  "v1.RuleChanged": ["rule_id", "change", "from", "to"],
  "v1.RulesetLoaded": ["files", "rules", "content_sha256", "added", "removed", "changed"],
  "v1.WorkflowRunStarted": ["run_id", "workflow"],
  "v1.WorkflowGateFinished": ["run_id", "gate", "status", "duration_ms"],
  "v1.WorkflowRunFinished": ["run_id", "status", "duration_ms"],
  "v1.RuleActionRan": ["rule_id", "trigger_seq", "trigger_id", "action", "ok", "status", "attempts", "duration_ms"]
}

/** What the cloud receives of one forwarded record: ids, hashes, source and the allowed fields of the event. */
export const cloudEntry = (record: ForwardRecord): Record<string, unknown> => {
  if (record.kind === "ssg.checkpoint") {
    return { kind: "checkpoint", id: record.id, size: record.size, root: record.root, note: record.note }
  }
  const envelope = record.entry
  const data = (typeof envelope?.data === "object" && envelope.data !== null ? envelope.data : {}) as Record<string, unknown>
  return {
    kind: "entry",
    id: record.id,
    seq: record.seq,
    type: record.type,
    timestamp: record.timestamp,
    leaf: record.leaf,
    chain: record.chain,
    ...(envelope !== undefined
      ? {
          host: envelope.source.host,
          user: envelope.source.user,
          client: envelope.source.client,
          session: envelope.source.session,
          data: pick(data, CLOUD_FIELDS[record.type] ?? [])
        }
      : {})
  }
}

/** The JSON body of one sync request: the log id, the org scope (or null), the entries and checkpoints. */
export const syncPayload = (logId: string, org: string | null, records: ReadonlyArray<ForwardRecord>) => ({
  log_id: logId,
  org,
  entries: records.filter((r) => r.kind === "ssg.entry").map(cloudEntry),
  checkpoints: records.filter((r) => r.kind === "ssg.checkpoint").map(cloudEntry)
})

/** How an HTTP answer of the sync endpoint fails a delivery, or null when it confirmed it (2xx). */
export const cloudFailure = (name: string, answer: HttpAnswer, secrets: ReadonlyArray<string>): SinkFailure | null => {
  const status = answer.status
  if (status >= 200 && status < 300) return null
  const what = redactSecrets(`HTTP ${status}${answer.body !== "" ? ` ${JSON.stringify(answer.body.slice(0, 200))}` : ""}`, secrets)
  const wait = retryAfterMs(answer.headers["retry-after"], Date.now())
  const failure = (reason: SinkFailure["reason"], message: string) =>
    new SinkFailure({ reason, message: `${name}: ${message}`, ...(wait !== undefined ? { retryAfterMs: wait } : {}) })
  if (status === 401 || status === 403) return failure("auth", `the cloud refused the API key: ${what}`)
  if (status === 429 || status === 503) return failure("throttled", `the cloud is busy: ${what}`)
  if (status === 408 || status >= 500) return failure("unavailable", `the cloud failed: ${what}`)
  if (status === 413) return failure("split", `the cloud refused the batch as too large: ${what}`)
  return failure("config", `the cloud refused the request: ${what}`)
}

const withinEntryLimit = (batch: ReadonlyArray<ForwardRecord>): number => {
  let entries = 0
  for (let i = 0; i < batch.length; i++) {
    if (batch[i]!.kind === "ssg.entry" && ++entries > CLOUD_BATCH_MAX) return i
  }
  return batch.length
}

/** POSTs a sync body to `<url>/api/v1/audit/sync` with the API key as a bearer token. */
export const postSync = (name: string, url: string, apiKey: string, body: string, timeoutMs: number, caFile: string | null) =>
  Effect.acquireUseRelease(
    Effect.try({ try: () => makeAgent(name, caFile, timeoutMs), catch: (e) => e as SinkFailure }),
    (agent) =>
      httpSend(
        agent,
        name,
        "POST",
        `${url.replace(/\/+$/, "")}${CLOUD_SYNC_PATH}`,
        { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
        body,
        timeoutMs
      ),
    (agent) => Effect.promise(() => agent.close()).pipe(Effect.timeout("1 second"), Effect.ignore)
  )

/**
 * The `cloud` sink: batches of at most 500 entries POSTed as sync bodies for its `org` (input summaries cut to 200
 * characters, no tool input) with the API key from `token_env` (default `SSG_API_KEY`); a 2xx answer confirms the batch.
 */
export const makeCloudSink = (config: CloudSinkConfig, env: NodeJS.ProcessEnv): Sink => {
  const token = secretFrom(env, config.tokenEnv, config.name)
  const agent = makeAgent(config.name, config.caFile, config.timeoutMs)
  const endpoint = `${config.url.replace(/\/+$/, "")}${CLOUD_SYNC_PATH}`
  const headers = { "content-type": "application/json", authorization: `Bearer ${token}` }
  const send = (batch: ReadonlyArray<ForwardRecord>): Effect.Effect<SendResult, SinkFailure> =>
    Effect.gen(function* () {
      const take = withinEntryLimit(batch)
      const chunk = batch.slice(0, take)
      const body = JSON.stringify(syncPayload(batch[0]!.log_id, config.org, chunk))
      const answer = yield* httpSend(agent, config.name, "POST", endpoint, headers, body, config.timeoutMs)
      const failure = cloudFailure(`sink ${config.name}`, answer, [token])
      if (failure !== null) return yield* failure
      return take === batch.length ? CONFIRMED : { refused: [], resend: batch.slice(take).map((_, i) => take + i) }
    })
  const probe = Effect.gen(function* () {
    const answer = yield* httpSend(agent, config.name, "POST", endpoint, headers, JSON.stringify({ log_id: null, org: config.org, entries: [], checkpoints: [] }), config.timeoutMs)
    const failure = cloudFailure(`sink ${config.name}`, answer, [token])
    if (failure !== null) return yield* failure
    return `the cloud accepted an empty sync (HTTP ${answer.status}); API key accepted`
  })
  return {
    config,
    sizeOf: (record) => Buffer.byteLength(JSON.stringify(cloudEntry(record))) + 1,
    send,
    probe,
    close: Effect.promise(() => agent.close()).pipe(Effect.timeout("1 second"), Effect.ignore)
  }
}
