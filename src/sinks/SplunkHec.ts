import { Duration, Effect } from "effect"
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { gzip, gzipSync } from "node:zlib"
import { type HttpAnswer, makeAgent, send as httpSend } from "./Http.js"
import { entryHost, type ForwardRecord, perRecord, type RecordFrame, recordFrame, recordSeq, recordTime, writeFrame } from "./Record.js"
import { CONFIRMED, redactSecrets, retryAfterMs, type SendResult, type Sink, SinkFailure, secretFrom } from "./Sink.js"
import { type HecSinkConfig, shownUrl } from "./SinkConfig.js"

/** The HEC event envelope of a record: time, host, source, sourcetype, index, flat indexed `fields`, `event`. */
export const hecEnvelope = (config: HecSinkConfig, record: ForwardRecord): Record<string, unknown> => ({
  ...hecHeader(config, record),
  event: record
})

/**
 * Encodes records as frames of the UTF-8 of `JSON.stringify(hecEnvelope(config, record))`, the entry's stored envelope
 * copied in (not re-serialised).
 */
export const hecEncoder = (config: HecSinkConfig): ((record: ForwardRecord) => RecordFrame) => {
  const fixedHost = config.host === null ? null : JSON.stringify(config.host)
  const index = config.index !== null ? `,"index":${JSON.stringify(config.index)}` : ""
  const middle = `,"source":${JSON.stringify(config.source)},"sourcetype":${JSON.stringify(config.sourcetype)}${index}`
  return (record) => {
    if (record.kind !== "ssg.entry") return recordFrame(record, `${JSON.stringify(hecHeader(config, record)).slice(0, -1)},"event":`, "}")
    const host = fixedHost ?? JSON.stringify(entryHost(record) ?? LOCAL_HOST)
    const time = JSON.stringify(Math.round(recordTime(record) * 1000) / 1000)
    const head =
      `{"time":${time},"host":${host}${middle},"fields":{"ssg_id":${JSON.stringify(record.id)},"ssg_kind":"ssg.entry",` +
      `"ssg_seq":"${record.seq}","ssg_log_id":${JSON.stringify(record.log_id)},"ssg_type":${JSON.stringify(record.type)}},` +
      `"event":`
    return recordFrame(record, head, "}")
  }
}

const hecHeader = (config: HecSinkConfig, record: ForwardRecord): Record<string, unknown> => ({
  time: Math.round(recordTime(record) * 1000) / 1000,
  host: config.host ?? (record.kind === "ssg.entry" ? (entryHost(record) ?? LOCAL_HOST) : LOCAL_HOST),
  source: config.source,
  sourcetype: config.sourcetype,
  ...(config.index !== null ? { index: config.index } : {}),
  fields: {
    ssg_id: record.id,
    ssg_kind: record.kind,
    ssg_seq: String(recordSeq(record)),
    ssg_log_id: record.log_id,
    ...(record.kind === "ssg.entry" ? { ssg_type: record.type } : {})
  }
})

/**
 * A Splunk HEC sink (`splunk_hec`), or Cribl's HEC-compatible input (`cribl_http`: bare token, events to
 * `/services/collector`, no acks, no health endpoint: its probe is an empty batch). Batches are
 * concatenated JSON envelopes, gzip when configured, with a channel GUID unless the URL's query names one (the query is
 * kept on event and acknowledgement requests); with `ack` a batch counts as delivered only once
 * `/services/collector/ack` answers true for its ackId (a token without acknowledgement pauses the sink). A refused
 * event (`invalid-event-number`) is reported for the dead-letter table and the rest re-sent.
 */
export const makeHecSink = (config: HecSinkConfig, env: NodeJS.ProcessEnv): Sink => {
  const token = config.tokenEnv === null ? null : secretFrom(env, config.tokenEnv, config.name)
  const secrets = token === null ? [] : [token]
  const agent = makeAgent(config.name, config.caFile, config.timeoutMs)
  const channel = randomUUID()
  const base = new URL(config.url)
  const hasPath = base.pathname !== "/" && base.pathname !== ""
  const origin = `${base.origin}${hasPath ? base.pathname.replace(/\/+$/, "") : ""}`
  const eventUrl = `${hasPath ? origin : `${origin}/services/collector${config.type === "splunk_hec" ? "/event" : ""}`}${base.search}`
  const root = hasPath ? origin.replace(/\/services\/collector(\/event)?(\/1\.0)?$/, "") : origin
  const headers: Record<string, string> = {
    "content-type": "application/json",
    ...(config.type === "splunk_hec" && !base.searchParams.has("channel") ? { "x-splunk-request-channel": channel } : {}),
    ...(token !== null ? { authorization: config.type === "splunk_hec" ? `Splunk ${token}` : token } : {})
  }
  const encodedOf = perRecord(hecEncoder(config))
  const rawBody = (batch: ReadonlyArray<ForwardRecord>): Buffer => {
    let size = batch.length - 1
    for (const record of batch) size += encodedOf(record).bytes
    const body = Buffer.allocUnsafe(size)
    let at = 0
    for (const record of batch) {
      if (at > 0) body[at++] = NEWLINE
      at = writeFrame(encodedOf(record), body, at)
    }
    return body
  }
  const bodyOf = (batch: ReadonlyArray<ForwardRecord>): Promise<Buffer> => {
    const body = rawBody(batch)
    if (!config.gzip) return Promise.resolve(body)
    return new Promise((resolve, reject) => gzip(body, { level: 1 }, (error, zipped) => (error === null ? resolve(zipped) : reject(error))))
  }
  let prepared: { readonly first: ForwardRecord; readonly last: ForwardRecord; readonly length: number; readonly body: Promise<Buffer> } | null = null
  const bodyFor = (batch: ReadonlyArray<ForwardRecord>): Effect.Effect<Buffer, SinkFailure> => {
    const ready = prepared
    prepared = null
    const same = ready !== null && ready.length === batch.length && ready.first === batch[0] && ready.last === batch[batch.length - 1]
    return Effect.tryPromise({
      try: () => (same ? ready.body : bodyOf(batch)),
      catch: (e) => new SinkFailure({ reason: "unavailable", message: `sink ${config.name}: cannot compress a batch: ${String(e)}` })
    })
  }
  const postBytes = (url: string, bytes: Buffer, gzipped: boolean) =>
    httpSend(agent, config.name, "POST", url, gzipped ? { ...headers, "content-encoding": "gzip" } : headers, bytes, config.timeoutMs)
  const post = (url: string, body: string) =>
    config.gzip && body !== "" ? postBytes(url, gzipSync(body, { level: 1 }), true) : postBytes(url, Buffer.from(body), false)
  const describe = (answer: HttpAnswer, reply: HecReply) =>
    redactSecrets(
      `HTTP ${answer.status}${reply.code !== undefined ? ` code ${reply.code}` : ""}${reply.text !== undefined ? ` "${reply.text}"` : ""}`,
      secrets
    )
  const fail = (reason: SinkFailure["reason"], what: string, answer?: HttpAnswer) =>
    new SinkFailure({
      reason,
      message: `sink ${config.name}: ${what}`,
      ...(answer !== undefined && retryAfterMs(answer.headers["retry-after"], Date.now()) !== undefined
        ? { retryAfterMs: retryAfterMs(answer.headers["retry-after"], Date.now())! }
        : {})
    })

  const waitForAck = (ackId: number) =>
    Effect.gen(function* () {
      const started = Date.now()
      let delay = 250
      while (true) {
        const answer = yield* post(`${root}/services/collector/ack${base.search}`, JSON.stringify({ acks: [ackId] }))
        const reply = parseReply(answer.body)
        if (answer.status === 200 && reply.acks?.[String(ackId)] === true) return
        if (answer.status === 400 && reply.code === 14) {
          return yield* fail("config", `ack = true, but HEC says acknowledgement is off for this token: ${describe(answer, reply)}; ${ACK_OFF_HINT}`)
        }
        if (answer.status === 401 || answer.status === 403) {
          return yield* fail("auth", `HEC refused the acknowledgement query: ${describe(answer, reply)}`)
        }
        if (Date.now() - started >= config.ackTimeoutMs) {
          return yield* fail(
            "timeout",
            `HEC did not acknowledge ackId ${ackId} within ${config.ackTimeoutMs} ms; the batch is sent again`
          )
        }
        yield* Effect.sleep(Duration.millis(Math.min(delay, Math.max(1, config.ackTimeoutMs - (Date.now() - started)))))
        delay = Math.min(delay * 2, 10_000)
      }
    })

  const send = (batch: ReadonlyArray<ForwardRecord>): Effect.Effect<SendResult, SinkFailure> =>
    Effect.gen(function* () {
      const answer = yield* postBytes(eventUrl, yield* bodyFor(batch), config.gzip)
      const reply = parseReply(answer.body)
      const what = describe(answer, reply)
      if (answer.status === 200) {
        if (config.ack) {
          if (typeof reply.ackId !== "number") {
            return yield* fail("config", `ack = true, but HEC answered ${what} without an ackId (acknowledgement is off for this token); ${ACK_OFF_HINT}`)
          }
          yield* waitForAck(reply.ackId)
        }
        return CONFIRMED
      }
      if (answer.status === 400 && reply.code !== undefined && POISON.has(reply.code)) {
        const index = reply["invalid-event-number"]
        if (typeof index === "number" && index >= 0 && index < batch.length) {
          return {
            refused: [{ index, reason: `HEC refused the event: ${what}` }],
            resend: batch.map((_, i) => i).filter((i) => i !== index)
          }
        }
        if (batch.length === 1) return { refused: [{ index: 0, reason: `HEC refused the event: ${what}` }], resend: [] }
        return yield* fail("split", `HEC refused the batch without naming the event: ${what}`)
      }
      if (answer.status === 413) {
        if (batch.length === 1) return { refused: [{ index: 0, reason: `HEC refused the event as too large: ${what}` }], resend: [] }
        return yield* fail("split", `HEC refused the batch as too large: ${what}`)
      }
      if (answer.status === 401 || answer.status === 403 || (reply.code !== undefined && AUTH.has(reply.code))) {
        return yield* fail("auth", `HEC refused the token: ${what}`)
      }
      if (answer.status === 429 || answer.status === 503) return yield* fail("throttled", `HEC is busy: ${what}`, answer)
      if (answer.status === 408 || answer.status >= 500) return yield* fail("unavailable", `HEC failed: ${what}`, answer)
      return yield* fail("config", `HEC refused the request: ${what}`)
    })

  const probe = Effect.gen(function* () {
    const health =
      config.type === "splunk_hec"
        ? yield* httpSend(agent, config.name, "GET", `${root}/services/collector/health`, {}, null, config.timeoutMs)
        : null
    const reply = health === null ? {} : parseReply(health.body)
    if (health !== null && health.status >= 500) return yield* fail("throttled", `HEC is unhealthy: ${describe(health, reply)}`, health)
    if (health !== null && notThere(health.status)) {
      return yield* fail("config", `no HEC health endpoint at ${shownUrl(`${root}/services/collector/health`, true)}: ${describe(health, reply)}`)
    }
    const empty = yield* post(eventUrl, "")
    const emptyReply = parseReply(empty.body)
    if (empty.status === 401 || empty.status === 403 || (emptyReply.code !== undefined && AUTH.has(emptyReply.code))) {
      return yield* fail("auth", `HEC refused the token: ${describe(empty, emptyReply)}`)
    }
    if (empty.status >= 500) return yield* fail("unavailable", `HEC failed: ${describe(empty, emptyReply)}`, empty)
    if (notThere(empty.status)) {
      return yield* fail("config", `no HEC event endpoint at ${shownUrl(eventUrl, true)}: ${describe(empty, emptyReply)}`)
    }
    if (health === null) return `${describe(empty, emptyReply)} to an empty batch; token accepted`
    return health.status === 200 && reply.code === 17 ? "HEC is healthy; token accepted" : `HEC answered ${describe(health, reply)}; token accepted`
  })

  return {
    config,
    sizeOf: (record) => encodedOf(record).bytes + 1,
    prepare: (batch) => {
      if (batch.length === 0) return
      const body = bodyOf(batch)
      body.catch(() => undefined)
      prepared = { first: batch[0]!, last: batch[batch.length - 1]!, length: batch.length, body }
    },
    send,
    probe,
    close: Effect.promise(() => agent.close()).pipe(Effect.timeout("1 second"), Effect.ignore)
  }
}

/** Whether an HTTP status says the URL is not a HEC endpoint: not found, method not allowed, or a redirect (not followed). */
const notThere = (status: number): boolean => status === 404 || status === 405 || (status >= 300 && status < 400)

const ACK_OFF_HINT = "enable indexer acknowledgement on the token, or set ack = false to count HTTP 200 as delivered"

/** HEC codes that name one bad event (`invalid-event-number`): invalid data format, event required or blank, fields. */
const POISON = new Set([6, 12, 13, 15])

/** HEC codes of token problems: disabled, required, invalid authorization, invalid token, query-string auth. */
const AUTH = new Set([1, 2, 3, 4, 16, 21, 22])

const LOCAL_HOST = hostname()

const NEWLINE = 0x0a

interface HecReply {
  readonly text?: string
  readonly code?: number
  readonly ackId?: number
  readonly "invalid-event-number"?: number
  readonly acks?: Record<string, boolean>
}

const parseReply = (body: string): HecReply => {
  try {
    const value: unknown = JSON.parse(body)
    return typeof value === "object" && value !== null ? (value as HecReply) : {}
  } catch {
    return {}
  }
}
