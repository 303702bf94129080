import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { CompressionTypes, Kafka, logLevel, type Message, type Producer } from "kafkajs"
import { type ForwardRecord, perRecord, recordBytes, recordSeq, recordTime } from "./Record.js"
import { CONFIRMED, redactSecrets, type SendResult, type Sink, SinkFailure, secretFrom } from "./Sink.js"
import type { KafkaSinkConfig } from "./SinkConfig.js"

/** The Kafka message of a record: key = log id (per-source ordering), value = the record's JSON (UTF-8), id/seq/hash headers. */
export const kafkaMessage = (record: ForwardRecord, value: Buffer = recordBytes(record)): Message => ({
  key: record.log_id,
  value,
  timestamp: String(Math.round(recordTime(record) * 1000)),
  headers: {
    "ssg-id": record.id,
    "ssg-kind": record.kind,
    "ssg-seq": String(recordSeq(record)),
    "ssg-hash": record.kind === "ssg.entry" ? record.leaf : record.root
  }
})

/**
 * Records per produce request: kafkajs groups a request's messages by partition in time quadratic in their number, so a
 * batch goes as consecutive requests of this many, each confirmed (acks) before the next is sent.
 */
const PRODUCE_RECORDS = 250

const AUTH_ERRORS = new Set([
  "SASL_AUTHENTICATION_FAILED",
  "TOPIC_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "ILLEGAL_SASL_STATE",
  "UNSUPPORTED_SASL_MECHANISM"
])

const POISON_ERRORS = new Set(["MESSAGE_TOO_LARGE", "INVALID_RECORD", "CORRUPT_MESSAGE", "RECORD_LIST_TOO_LARGE"])

const CONFIG_ERRORS = new Set(["INVALID_TOPIC_EXCEPTION", "INVALID_REQUIRED_ACKS", "UNSUPPORTED_VERSION"])

interface KafkaJsError {
  readonly name?: string
  readonly type?: string
  readonly message?: string
  readonly retriable?: boolean
  readonly originalError?: KafkaJsError
  readonly cause?: KafkaJsError
}

const rootCause = (e: KafkaJsError): KafkaJsError => {
  let current = e
  for (let depth = 0; depth < 5; depth++) {
    const next = current.originalError ?? current.cause
    if (next === undefined || typeof next !== "object") break
    current = next
  }
  return current
}

/**
 * An Apache Kafka sink through kafkajs: one producer per sink, `acks` -1 (all in-sync replicas) by default, gzip when
 * configured, records keyed by log id with id/seq/hash headers. A batch goes as consecutive produce requests; when one
 * fails after others were confirmed, the rest is reported for sending again. kafkajs retries little (the runner owns backoff and
 * probing); a record the broker rejects as invalid or too large goes to the dead-letter table.
 */
export const makeKafkaSink = (config: KafkaSinkConfig, env: NodeJS.ProcessEnv): Sink => {
  const username = config.usernameEnv === null ? null : secretFrom(env, config.usernameEnv, config.name)
  const password = config.passwordEnv === null ? null : secretFrom(env, config.passwordEnv, config.name)
  const secrets = [username, password].filter((s): s is string => s !== null)
  let ca: Buffer | undefined
  if (config.caFile !== null) {
    try {
      ca = readFileSync(config.caFile)
    } catch (e) {
      throw new SinkFailure({
        reason: "config",
        message: `sink ${config.name}: cannot read ca_file ${config.caFile}: ${(e as Error).message}`
      })
    }
  }
  const kafka = new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: config.timeoutMs,
    requestTimeout: config.timeoutMs,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1_000 },
    ...(config.tls || ca !== undefined ? { ssl: ca !== undefined ? { ca: [ca] } : true } : {}),
    ...(config.saslMechanism !== null && username !== null && password !== null
      ? { sasl: { mechanism: config.saslMechanism, username, password } as never }
      : {})
  })
  let producer: Producer | null = null
  const valueOf = perRecord((record) => recordBytes(record))

  const fail = (e: unknown, batchSize: number): SinkFailure | { poison: string } => {
    const error = rootCause(e as KafkaJsError)
    const type = error.type ?? ""
    const text = redactSecrets(`${error.name ?? "KafkaJSError"}${type !== "" ? ` ${type}` : ""}: ${error.message ?? String(e)}`, secrets)
    if (POISON_ERRORS.has(type)) {
      if (batchSize === 1) return { poison: `Kafka refused the record: ${text}` }
      return new SinkFailure({ reason: "split", message: `sink ${config.name}: Kafka refused the batch: ${text}` })
    }
    if (AUTH_ERRORS.has(type) || error.name === "KafkaJSSASLAuthenticationError") {
      return new SinkFailure({ reason: "auth", message: `sink ${config.name}: Kafka refused the credentials: ${text}` })
    }
    if (CONFIG_ERRORS.has(type)) {
      return new SinkFailure({ reason: "config", message: `sink ${config.name}: Kafka refused the request: ${text}` })
    }
    const timedOut = error.name === "KafkaJSRequestTimeoutError" || /timed? ?out/i.test(error.message ?? "")
    return new SinkFailure({
      reason: timedOut ? "timeout" : "unavailable",
      message: `sink ${config.name}: Kafka brokers ${config.brokers.join(",")}: ${text}`
    })
  }

  const dropProducer = Effect.promise(async () => {
    const current = producer
    producer = null
    if (current !== null) await current.disconnect().catch(() => undefined)
  })

  const connected = Effect.tryPromise({
    try: async () => {
      if (producer !== null) return producer
      const next = kafka.producer({
        allowAutoTopicCreation: true,
        idempotent: config.idempotent,
        ...(config.idempotent ? { maxInFlightRequests: 1 } : {}),
        retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1_000 }
      })
      await next.connect()
      producer = next
      return next
    },
    catch: (e) => e
  })

  const produce = (records: ReadonlyArray<ForwardRecord>) =>
    connected.pipe(
      Effect.flatMap((p) =>
        Effect.tryPromise({
          try: () =>
            p.send({
              topic: config.topic,
              acks: config.acks,
              timeout: config.timeoutMs,
              compression: config.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None,
              messages: records.map((record) => kafkaMessage(record, valueOf(record)))
            }),
          catch: (e) => e
        })
      ),
      Effect.either
    )

  const send = (batch: ReadonlyArray<ForwardRecord>): Effect.Effect<SendResult, SinkFailure> =>
    Effect.gen(function* () {
      for (let start = 0; start < batch.length; start += PRODUCE_RECORDS) {
        const outcome = yield* produce(batch.slice(start, start + PRODUCE_RECORDS))
        if (outcome._tag === "Right") continue
        const failure = fail(outcome.left, batch.length - start)
        if (!("poison" in failure) && failure.reason !== "split") yield* dropProducer
        if (start > 0) return { refused: [], resend: batch.map((_, i) => i).slice(start) }
        if ("poison" in failure) return { refused: [{ index: 0, reason: failure.poison }], resend: [] }
        return yield* failure
      }
      return CONFIRMED
    })

  const probe = Effect.gen(function* () {
    const outcome = yield* Effect.either(
      Effect.tryPromise({
        try: async () => {
          const admin = kafka.admin({ retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1_000 } })
          await admin.connect()
          try {
            const cluster = await admin.describeCluster()
            return cluster.brokers.length
          } finally {
            await admin.disconnect().catch(() => undefined)
          }
        },
        catch: (e) => e
      })
    )
    if (outcome._tag === "Right") return `Kafka answered: ${outcome.right} broker(s) at ${config.brokers.join(",")}; topic ${config.topic}`
    const failure = fail(outcome.left, 0)
    return yield* "poison" in failure
      ? new SinkFailure({ reason: "unavailable", message: `sink ${config.name}: ${failure.poison}` })
      : failure
  })

  return {
    config,
    sizeOf: (record) => valueOf(record).length + 96,
    send,
    probe,
    close: dropProducer.pipe(Effect.timeout("2 seconds"), Effect.ignore)
  }
}
