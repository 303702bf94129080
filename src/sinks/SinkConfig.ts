import { configFiles, ConfigProblem, readToml } from "../pipeline/ConfigFile.js"
import { CLOUD_API_KEY_ENV, ORG_SLUG } from "./Cloud.js"
import { displayPath } from "../pipeline/SsgHome.js"

/** Every destination type a `[[sinks]]` table may name. */
export const SINK_TYPES = ["splunk_hec", "cribl_http", "kafka", "kafka_rest", "webhook", "cloud"] as const

/** A destination type. */
export type SinkType = (typeof SINK_TYPES)[number]

/** The event types a sink filter may name (the audit log's versioned type names). */
export const EVENT_TYPES: ReadonlyArray<string> = [
  "v1.EvalDecided",
  "v1.ToolCompleted",
  "v1.ApprovalRequested",
  "v1.ApprovalResolved",
  "v1.RuleChanged",
  "v1.RulesetLoaded",
  "v1.WorkflowRunStarted",
  "v1.WorkflowGateFinished",
  "v1.WorkflowRunFinished",
  "v1.RuleActionRan"
]

/** Options every sink has: identity, event filter, batching and timing. */
export interface CommonSinkConfig {
  readonly name: string
  /** The config file (as displayed) that declared the sink. */
  readonly file: string
  /** Event types forwarded in full; others go as hash-only stubs so the stream stays verifiable. Null = all. */
  readonly events: ReadonlyArray<string> | null
  readonly batchEvents: number
  readonly batchBytes: number
  readonly flushIntervalMs: number
  readonly timeoutMs: number
}

/** Splunk HEC, or Cribl's HEC-compatible HTTP input (`cribl_http`: token sent without the `Splunk ` prefix, no acks). */
export interface HecSinkConfig extends CommonSinkConfig {
  readonly type: "splunk_hec" | "cribl_http"
  readonly url: string
  readonly tokenEnv: string | null
  readonly index: string | null
  readonly sourcetype: string
  readonly source: string
  readonly host: string | null
  readonly gzip: boolean
  readonly ack: boolean
  readonly ackTimeoutMs: number
  readonly caFile: string | null
}

/** Apache Kafka through kafkajs. */
export interface KafkaSinkConfig extends CommonSinkConfig {
  readonly type: "kafka"
  readonly brokers: ReadonlyArray<string>
  readonly topic: string
  readonly acks: -1 | 1
  readonly compression: "none" | "gzip"
  readonly idempotent: boolean
  readonly clientId: string
  readonly tls: boolean
  readonly caFile: string | null
  readonly saslMechanism: "plain" | "scram-sha-256" | "scram-sha-512" | null
  readonly usernameEnv: string | null
  readonly passwordEnv: string | null
}

/** Confluent Kafka REST v3 produce (`POST /kafka/v3/clusters/{id}/topics/{topic}/records`), HTTP Basic API key. */
export interface KafkaRestSinkConfig extends CommonSinkConfig {
  readonly type: "kafka_rest"
  readonly url: string
  readonly clusterId: string
  readonly topic: string
  readonly apiKeyEnv: string
  readonly apiSecretEnv: string
  readonly caFile: string | null
}

/** An HTTP endpoint receiving Standard Webhooks–signed batches (`whsec_` secret from the environment). */
export interface WebhookSinkConfig extends CommonSinkConfig {
  readonly type: "webhook"
  readonly url: string
  readonly secretEnv: string
  readonly caFile: string | null
}

/** The SigmaShake cloud audit sync endpoint: its URL, the API key's variable (default `SSG_API_KEY`), the org slug. */
export interface CloudSinkConfig extends CommonSinkConfig {
  readonly type: "cloud"
  readonly url: string
  readonly tokenEnv: string
  readonly org: string | null
  readonly caFile: string | null
}

/** One validated `[[sinks]]` table. */
export type SinkConfig = HecSinkConfig | KafkaSinkConfig | KafkaRestSinkConfig | WebhookSinkConfig | CloudSinkConfig

/** The `[[sinks]]` of both config files: a project sink replaces a machine sink of the same name. Throws ConfigProblem. */
export const readSinkConfigs = (home: string, cwd: string): ReadonlyArray<SinkConfig> => {
  const byName = new Map<string, SinkConfig>()
  for (const file of configFiles(home, cwd)) {
    const shown = displayPath(cwd, file)
    const tables = readToml(file, cwd)["sinks"]
    if (tables === undefined) continue
    if (!Array.isArray(tables)) throw new ConfigProblem(`${shown}: sinks: must be an array of tables ([[sinks]])`)
    const seen = new Set<string>()
    tables.forEach((table, i) => {
      const sink = parseSink(shown, i, table)
      if (seen.has(sink.name)) {
        throw new ConfigProblem(`${shown}: sinks[${i}].name: "${sink.name}" is used by an earlier sink in this file`)
      }
      seen.add(sink.name)
      byName.delete(sink.name)
      byName.set(sink.name, sink)
    })
  }
  return [...byName.values()]
}

/** Delivery cursors ssg keeps for its own forwarders (rule actions, `ssg audit sync`); no configured sink may take their names. */
export const INTERNAL_CURSORS = { ruleActions: "rule-actions", auditSync: "audit-sync" } as const

const RESERVED_NAMES: ReadonlySet<string> = new Set(Object.values(INTERNAL_CURSORS))

/** Validates one `[[sinks]]` table (`index` is its position in the file); throws ConfigProblem. */
export const parseSink = (file: string, index: number, table: unknown): SinkConfig => {
  const at = (key: string) => `${file}: sinks[${index}].${key}`
  if (typeof table !== "object" || table === null || Array.isArray(table)) {
    throw new ConfigProblem(`${file}: sinks[${index}]: must be a table`)
  }
  const t = table as Record<string, unknown>
  const name = t["name"]
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    throw new ConfigProblem(
      `${at("name")}: ${name === undefined ? "is required" : "must be 1-64 letters, digits, '_', '.' or '-'"}`
    )
  }
  if (RESERVED_NAMES.has(name)) {
    throw new ConfigProblem(`${at("name")}: "${name}" is reserved for ssg's own delivery state (reserved: ${[...RESERVED_NAMES].join(", ")})`)
  }
  const type = t["type"]
  if (type === undefined) throw new ConfigProblem(`${at("type")}: is required (one of ${SINK_TYPES.join(", ")})`)
  if (typeof type !== "string" || !(SINK_TYPES as ReadonlyArray<string>).includes(type)) {
    throw new ConfigProblem(`${at("type")}: unknown sink type (one of ${SINK_TYPES.join(", ")})`)
  }
  const spec = SPECS[type as SinkType]
  for (const key of Object.keys(t)) {
    if (SECRET_KEYS.has(key)) {
      throw new ConfigProblem(
        `${at(key)}: secrets are not read from config files; put it in an environment variable and name it in ${key}_env`
      )
    }
    if (key !== "name" && key !== "type" && !(key in COMMON) && !(key in spec)) {
      throw new ConfigProblem(`${at(key)}: unknown key for type ${type} (known: ${["name", "type", ...Object.keys(COMMON), ...Object.keys(spec)].join(", ")})`)
    }
  }
  const read = <A>(key: string, field: Field<A>): A => {
    const value = t[key]
    if (value === undefined) {
      if (field.required) throw new ConfigProblem(`${at(key)}: is required for type ${type}`)
      return field.fallback
    }
    const problem = field.check(value)
    if (problem !== null) throw new ConfigProblem(`${at(key)}: ${problem}`)
    return value as A
  }
  const common: CommonSinkConfig = {
    name,
    file,
    events: read("events", COMMON.events),
    batchEvents: read("batch_events", COMMON.batch_events),
    batchBytes: read("batch_bytes", COMMON.batch_bytes),
    flushIntervalMs: read("flush_interval_ms", COMMON.flush_interval_ms),
    timeoutMs: read("timeout_ms", COMMON.timeout_ms)
  }
  switch (type as SinkType) {
    case "splunk_hec":
    case "cribl_http": {
      const ack = read("ack", HEC.ack)
      if (type === "cribl_http" && ack) {
        throw new ConfigProblem(`${at("ack")}: Cribl inputs give no indexer acknowledgement; use type splunk_hec or ack = false`)
      }
      return {
        ...common,
        type: type as "splunk_hec" | "cribl_http",
        url: read("url", HEC.url),
        tokenEnv: type === "splunk_hec" ? read("token_env", HEC_TOKEN) : read("token_env", HEC.token_env),
        index: read("index", HEC.index),
        sourcetype: read("sourcetype", HEC.sourcetype),
        source: read("source", HEC.source),
        host: read("host", HEC.host),
        gzip: read("gzip", HEC.gzip),
        ack,
        ackTimeoutMs: read("ack_timeout_ms", HEC.ack_timeout_ms),
        caFile: read("ca_file", HEC.ca_file)
      }
    }
    case "kafka": {
      const sasl = read("sasl_mechanism", KAFKA.sasl_mechanism)
      const usernameEnv = read("username_env", KAFKA.username_env)
      const passwordEnv = read("password_env", KAFKA.password_env)
      if (sasl !== null && (usernameEnv === null || passwordEnv === null)) {
        throw new ConfigProblem(`${at(usernameEnv === null ? "username_env" : "password_env")}: is required with sasl_mechanism`)
      }
      const acksSetting = read("acks", KAFKA.acks)
      const acks = acksSetting === "all" ? -1 : acksSetting
      const idempotent = read("idempotent", KAFKA.idempotent)
      if (idempotent && acks !== -1) throw new ConfigProblem(`${at("acks")}: idempotent = true requires acks = -1`)
      return {
        ...common,
        type: "kafka",
        brokers: read("brokers", KAFKA.brokers),
        topic: read("topic", KAFKA.topic),
        acks: acks as -1 | 1,
        compression: read("compression", KAFKA.compression) as "none" | "gzip",
        idempotent,
        clientId: read("client_id", KAFKA.client_id),
        tls: read("tls", KAFKA.tls),
        caFile: read("ca_file", KAFKA.ca_file),
        saslMechanism: sasl as KafkaSinkConfig["saslMechanism"],
        usernameEnv,
        passwordEnv
      }
    }
    case "kafka_rest":
      return {
        ...common,
        type: "kafka_rest",
        url: read("url", KAFKA_REST.url),
        clusterId: read("cluster_id", KAFKA_REST.cluster_id),
        topic: read("topic", KAFKA_REST.topic),
        apiKeyEnv: read("api_key_env", KAFKA_REST.api_key_env),
        apiSecretEnv: read("api_secret_env", KAFKA_REST.api_secret_env),
        caFile: read("ca_file", KAFKA_REST.ca_file)
      }
    case "webhook":
      return {
        ...common,
        type: "webhook",
        url: read("url", WEBHOOK.url),
        secretEnv: read("secret_env", WEBHOOK.secret_env),
        caFile: read("ca_file", WEBHOOK.ca_file)
      }
    case "cloud":
      return {
        ...common,
        type: "cloud",
        url: read("url", CLOUD.url),
        tokenEnv: read("token_env", CLOUD.token_env),
        org: read("org", CLOUD.org),
        caFile: read("ca_file", CLOUD.ca_file)
      }
  }
}

/**
 * A URL for display: its origin (never credentials), its path or `/…` when `keepPath` is false (a webhook's path is often
 * its secret), and `?…` for a query string; a value that is not a URL shows as `(not a URL)`.
 */
export const shownUrl = (value: string, keepPath: boolean): string => {
  let u: URL
  try {
    u = new URL(value)
  } catch {
    return "(not a URL)"
  }
  const path = u.pathname === "/" ? "" : keepPath ? u.pathname : "/…"
  return `${u.origin}${path}${u.search !== "" ? "?…" : ""}`
}

/**
 * Where a sink delivers, for display: brokers and topic, or its URL without the query string (and, for a webhook, whose
 * path often is the secret, without the path), so no credential a URL may carry is shown.
 */
export const destinationOf = (sink: SinkConfig): string => {
  switch (sink.type) {
    case "kafka":
      return `${sink.brokers.join(",")} topic ${sink.topic}`
    case "kafka_rest":
      return `${shownUrl(sink.url, true)} cluster ${sink.clusterId} topic ${sink.topic}`
    case "webhook":
      return shownUrl(sink.url, false)
    default:
      return shownUrl(sink.url, true)
  }
}

/** The environment variables a sink reads its credentials from. */
export const secretEnvs = (sink: SinkConfig): ReadonlyArray<string> => {
  switch (sink.type) {
    case "splunk_hec":
    case "cribl_http":
      return sink.tokenEnv === null ? [] : [sink.tokenEnv]
    case "kafka":
      return [sink.usernameEnv, sink.passwordEnv].filter((e): e is string => e !== null)
    case "kafka_rest":
      return [sink.apiKeyEnv, sink.apiSecretEnv]
    case "webhook":
      return [sink.secretEnv]
    case "cloud":
      return [sink.tokenEnv]
  }
}

interface Field<A> {
  readonly required: boolean
  readonly fallback: A
  readonly check: (value: unknown) => string | null
}

const optional = <A>(fallback: A, check: (value: unknown) => string | null): Field<A> => ({ required: false, fallback, check })
const required = <A>(check: (value: unknown) => string | null): Field<A> => ({
  required: true,
  fallback: undefined as A,
  check
})

const text = (value: unknown): string | null =>
  typeof value === "string" && value.trim() !== "" ? null : "must be a non-empty string"

const url = (value: unknown): string | null => {
  if (typeof value !== "string") return "must be an http:// or https:// URL"
  try {
    const u = new URL(value)
    if (u.protocol !== "http:" && u.protocol !== "https:") return "must be an http:// or https:// URL"
    if (u.username !== "" || u.password !== "") return "must not carry credentials; name an environment variable instead"
    return null
  } catch {
    return "must be an http:// or https:// URL"
  }
}

const envName = (value: unknown): string | null =>
  typeof value === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value)
    ? null
    : "must be the name of an environment variable (letters, digits and '_', e.g. SPLUNK_HEC_TOKEN)"

const bool = (value: unknown): string | null => (typeof value === "boolean" ? null : "must be true or false")

const between = (min: number, max: number) => (value: unknown): string | null =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
    ? null
    : `must be an integer from ${min} to ${max}`

const oneOf = (values: ReadonlyArray<string | number>) => (value: unknown): string | null =>
  values.includes(value as string) ? null : `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}`

const eventList = (value: unknown): string | null => {
  if (!Array.isArray(value) || value.length === 0) return "must be a non-empty array of event types"
  const unknown = value.find((v) => typeof v !== "string" || !EVENT_TYPES.includes(v))
  return unknown === undefined
    ? null
    : `unknown event type ${JSON.stringify(unknown)} (known: ${EVENT_TYPES.join(", ")})`
}

const brokerList = (value: unknown): string | null => {
  if (!Array.isArray(value) || value.length === 0) return "must be a non-empty array of \"host:port\" strings"
  const bad = value.find((v) => typeof v !== "string" || !/^[^\s:/]+:\d{1,5}$/.test(v))
  return bad === undefined ? null : `${JSON.stringify(bad)} is not "host:port"`
}

const nullable = (check: (value: unknown) => string | null) => optional<string | null>(null, check)

const COMMON = {
  events: optional<ReadonlyArray<string> | null>(null, eventList),
  batch_events: optional(500, between(1, 100_000)),
  batch_bytes: optional(1_000_000, between(1_024, 100_000_000)),
  flush_interval_ms: optional(1_000, between(1, 3_600_000)),
  timeout_ms: optional(10_000, between(1, 600_000))
}

const HEC = {
  url: required<string>(url),
  token_env: nullable(envName),
  index: nullable(text),
  sourcetype: optional("ssg:audit", text),
  source: optional("ssg", text),
  host: nullable(text),
  gzip: optional(true, bool),
  ack: optional(false, bool),
  ack_timeout_ms: optional(300_000, between(1, 3_600_000)),
  ca_file: nullable(text)
}

const HEC_TOKEN = required<string>(envName)

const KAFKA = {
  brokers: required<ReadonlyArray<string>>(brokerList),
  topic: required<string>(text),
  acks: optional<number | "all">(-1, (v) =>
    v === 0 ? "acks = 0 gives no delivery confirmation, so the cursor could never advance safely (use -1, \"all\" or 1)" : oneOf([-1, "all", 1])(v)
  ),
  compression: optional<string>("none", (v) =>
    ["snappy", "lz4", "zstd"].includes(v as string)
      ? `${String(v)} needs a codec package this build does not ship (use "none" or "gzip")`
      : oneOf(["none", "gzip"])(v)
  ),
  idempotent: optional(false, bool),
  client_id: optional("ssg", text),
  tls: optional(false, bool),
  ca_file: nullable(text),
  sasl_mechanism: nullable(oneOf(["plain", "scram-sha-256", "scram-sha-512"])),
  username_env: nullable(envName),
  password_env: nullable(envName)
}

const KAFKA_REST = {
  url: required<string>(url),
  cluster_id: required<string>(text),
  topic: required<string>(text),
  api_key_env: required<string>(envName),
  api_secret_env: required<string>(envName),
  ca_file: nullable(text)
}

const WEBHOOK = { url: required<string>(url), secret_env: required<string>(envName), ca_file: nullable(text) }

const orgSlug = (value: unknown): string | null =>
  typeof value === "string" && ORG_SLUG.test(value) ? null : "must be an org slug (lower-case letters, digits and dashes)"

const CLOUD = {
  url: required<string>(url),
  token_env: optional(CLOUD_API_KEY_ENV, envName),
  org: nullable(orgSlug),
  ca_file: nullable(text)
}

const SPECS: Record<SinkType, Record<string, Field<unknown>>> = {
  splunk_hec: HEC,
  cribl_http: HEC,
  kafka: KAFKA,
  kafka_rest: KAFKA_REST,
  webhook: WEBHOOK,
  cloud: CLOUD
}

const SECRET_KEYS = new Set(["token", "secret", "password", "api_key", "api_secret", "username"])
