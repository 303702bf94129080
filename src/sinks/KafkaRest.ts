import { Effect } from "effect"
import { Readable } from "node:stream"
import { type HttpAnswer, makeAgent, send as httpSend } from "./Http.js"
import { type ForwardRecord, recordSeq, recordTime } from "./Record.js"
import { redactSecrets, retryAfterMs, type SendResult, type Sink, SinkFailure, secretFrom } from "./Sink.js"
import type { KafkaRestSinkConfig } from "./SinkConfig.js"

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64")

/** The Kafka REST v3 produce request of a record: STRING key = log id, JSON value = the record, id/seq/hash headers. */
export const produceRequest = (record: ForwardRecord): Record<string, unknown> => ({
  headers: [
    { name: "ssg-id", value: base64(record.id) },
    { name: "ssg-kind", value: base64(record.kind) },
    { name: "ssg-seq", value: base64(String(recordSeq(record))) },
    { name: "ssg-hash", value: base64(record.kind === "ssg.entry" ? record.leaf : record.root) }
  ],
  key: { type: "STRING", data: record.log_id },
  value: { type: "JSON", data: record },
  timestamp: new Date(recordTime(record) * 1000).toISOString()
})

/** The JSON values of a body holding concatenated JSON documents (Kafka REST's streaming delivery reports). */
export const concatenatedJson = (body: string): Array<unknown> => {
  const out: Array<unknown> = []
  let depth = 0
  let start = -1
  let inString = false
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    if (inString) {
      if (c === "\\") i++
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') inString = true
    else if (c === "{" || c === "[") {
      if (depth === 0) start = i
      depth++
    } else if (c === "}" || c === "]") {
      depth--
      if (depth === 0 && start >= 0) {
        out.push(JSON.parse(body.slice(start, i + 1)))
        start = -1
      }
    }
  }
  return out
}

const streamed = (body: string): Readable => Readable.from([Buffer.from(body, "utf8")], { objectMode: false })

interface DeliveryReport {
  readonly error_code?: number
  readonly message?: string
}

/**
 * A Confluent Kafka REST v3 sink: each batch is one streaming produce request (`Transfer-Encoding: chunked`, records as
 * concatenated JSON) to `/kafka/v3/clusters/{id}/topics/{topic}/records`, HTTP Basic with the API key and secret. A
 * record counts as delivered only when its own delivery report has `error_code` 200; a record refused as bad (400, 413,
 * 422) goes to the dead-letter table; records without a report, or with another code, are sent again.
 */
export const makeKafkaRestSink = (config: KafkaRestSinkConfig, env: NodeJS.ProcessEnv): Sink => {
  const key = secretFrom(env, config.apiKeyEnv, config.name)
  const secret = secretFrom(env, config.apiSecretEnv, config.name)
  const basic = Buffer.from(`${key}:${secret}`).toString("base64")
  const secrets = [basic, key, secret]
  const agent = makeAgent(config.name, config.caFile, config.timeoutMs)
  const topicUrl = `${config.url.replace(/\/+$/, "")}/kafka/v3/clusters/${encodeURIComponent(config.clusterId)}/topics/${encodeURIComponent(config.topic)}`
  const auth = { authorization: `Basic ${basic}` }
  const encoded = new WeakMap<ForwardRecord, string>()
  const encode = (record: ForwardRecord): string => {
    let text = encoded.get(record)
    if (text === undefined) {
      text = JSON.stringify(produceRequest(record))
      encoded.set(record, text)
    }
    return text
  }
  const describe = (answer: HttpAnswer) =>
    redactSecrets(`HTTP ${answer.status}${answer.body !== "" ? ` ${JSON.stringify(answer.body.slice(0, 200))}` : ""}`, secrets)
  const fail = (reason: SinkFailure["reason"], what: string, answer?: HttpAnswer) => {
    const wait = answer === undefined ? undefined : retryAfterMs(answer.headers["retry-after"], Date.now())
    return new SinkFailure({ reason, message: `sink ${config.name}: ${what}`, ...(wait !== undefined ? { retryAfterMs: wait } : {}) })
  }
  const refusedStatus = (answer: HttpAnswer, batchSize: number) =>
    Effect.gen(function* () {
      const what = describe(answer)
      const status = answer.status
      if (status === 401 || status === 403) return yield* fail("auth", `Kafka REST refused the API key: ${what}`)
      if (status === 404) return yield* fail("config", `Kafka REST knows no cluster ${config.clusterId} or topic ${config.topic}: ${what}`)
      if (status === 429) return yield* fail("throttled", `Kafka REST is rate limiting: ${what}`, answer)
      if (status === 408 || status >= 500) return yield* fail("unavailable", `Kafka REST failed: ${what}`, answer)
      if ((status === 400 || status === 413 || status === 422) && batchSize > 1) {
        return yield* fail("split", `Kafka REST refused the batch: ${what}`)
      }
      return yield* fail("config", `Kafka REST refused the request: ${what}`)
    })

  const send = (batch: ReadonlyArray<ForwardRecord>): Effect.Effect<SendResult, SinkFailure> =>
    Effect.gen(function* () {
      const body = batch.map(encode).join("\n")
      const answer = yield* httpSend(
        agent,
        config.name,
        "POST",
        `${topicUrl}/records`,
        { ...auth, "content-type": "application/json" },
        streamed(body),
        config.timeoutMs
      )
      if (answer.status !== 200) {
        if (batch.length === 1 && (answer.status === 400 || answer.status === 413 || answer.status === 422)) {
          return { refused: [{ index: 0, reason: `Kafka REST refused the record: ${describe(answer)}` }], resend: [] }
        }
        return yield* refusedStatus(answer, batch.length)
      }
      let reports: Array<DeliveryReport>
      try {
        reports = concatenatedJson(answer.body) as Array<DeliveryReport>
      } catch {
        return yield* fail("unavailable", `Kafka REST answered delivery reports that do not parse: ${describe(answer)}`)
      }
      const refused: Array<{ index: number; reason: string }> = []
      const resend: Array<number> = []
      batch.forEach((_, index) => {
        const report = reports[index]
        const code = report?.error_code
        if (code === 200) return
        if (code === 400 || code === 413 || code === 422) {
          refused.push({
            index,
            reason: redactSecrets(`Kafka REST refused the record: error_code ${code} ${JSON.stringify(report?.message ?? "")}`, secrets)
          })
        } else resend.push(index)
      })
      if (resend.length === batch.length) {
        const first = reports.find((r) => r.error_code !== 200)
        return yield* fail(
          first?.error_code === 401 || first?.error_code === 403 ? "auth" : "unavailable",
          `Kafka REST confirmed none of ${batch.length} records${first !== undefined ? `: error_code ${first.error_code} ${JSON.stringify(first.message ?? "")}` : ""}`
        )
      }
      return { refused, resend }
    })

  const probe = Effect.gen(function* () {
    const answer = yield* httpSend(agent, config.name, "GET", topicUrl, auth, null, config.timeoutMs)
    if (answer.status === 200) return `Kafka REST answered: cluster ${config.clusterId}, topic ${config.topic}; API key accepted`
    return yield* refusedStatus(answer, 1)
  })

  return {
    config,
    sizeOf: (record) => Buffer.byteLength(encode(record)) + 1,
    send,
    probe,
    close: Effect.promise(() => agent.close()).pipe(Effect.timeout("1 second"), Effect.ignore)
  }
}
