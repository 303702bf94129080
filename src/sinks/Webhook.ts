import { Effect } from "effect"
import { createHash, createHmac } from "node:crypto"
import { makeAgent, send as httpSend } from "./Http.js"
import type { ForwardRecord } from "./Record.js"
import { CONFIRMED, redactSecrets, retryAfterMs, type SendResult, type Sink, SinkFailure, secretFrom } from "./Sink.js"
import { shownUrl, type WebhookSinkConfig } from "./SinkConfig.js"

/** The HMAC key of a Standard Webhooks `whsec_<base64>` secret; throws on another form (the value is never quoted). */
export const webhookKey = (secret: string): Buffer => {
  const body = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : null
  const key = body === null || !/^[A-Za-z0-9+/]+={0,2}$/.test(body) ? null : Buffer.from(body, "base64")
  if (key === null || key.length < 16) throw new Error("the secret must be whsec_ followed by at least 16 base64-encoded bytes")
  return key
}

/** The Standard Webhooks v1 signature `v1,<base64 HMAC-SHA256(key, id.timestamp.payload)>`. */
export const signWebhook = (key: Uint8Array, id: string, timestamp: number, payload: Uint8Array | string): string =>
  `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.`).update(payload).digest("base64")}`

/** The payload a webhook sink posts: `{type, timestamp, data: {records}}` (Standard Webhooks' recommended shape). */
export const webhookPayload = (records: ReadonlyArray<ForwardRecord>, now: Date): string =>
  JSON.stringify({ type: "ssg.audit.records", timestamp: now.toISOString(), data: { records } })

/** The `webhook-id` of a batch: the same records always give the same id, so a receiver can de-duplicate re-sends. */
export const webhookId = (records: ReadonlyArray<ForwardRecord>): string =>
  `msg_${createHash("sha256").update(records.map((r) => r.id).join("\n")).digest("hex").slice(0, 32)}`

/**
 * A webhook sink: each batch is one POST signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`); 2xx confirms, 410 pauses (endpoint gone), 401/403 pause, 408/429/5xx retry, redirects are not
 * followed (pause), 400/413/422 split the batch until the refused record is isolated.
 */
export const makeWebhookSink = (config: WebhookSinkConfig, env: NodeJS.ProcessEnv): Sink => {
  const secret = secretFrom(env, config.secretEnv, config.name)
  let key: Buffer
  try {
    key = webhookKey(secret)
  } catch (e) {
    throw new SinkFailure({ reason: "config", message: `sink ${config.name}: ${config.secretEnv}: ${(e as Error).message}` })
  }
  const agent = makeAgent(config.name, config.caFile, config.timeoutMs)
  const sizes = new WeakMap<ForwardRecord, number>()
  const sizeOf = (record: ForwardRecord): number => {
    let size = sizes.get(record)
    if (size === undefined) {
      size = Buffer.byteLength(JSON.stringify(record)) + 1
      sizes.set(record, size)
    }
    return size
  }
  const fail = (reason: SinkFailure["reason"], what: string, retryAfter?: number) =>
    new SinkFailure({ reason, message: `sink ${config.name}: ${what}`, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) })

  const send = (batch: ReadonlyArray<ForwardRecord>): Effect.Effect<SendResult, SinkFailure> =>
    Effect.gen(function* () {
      const now = new Date()
      const id = webhookId(batch)
      const timestamp = Math.floor(now.getTime() / 1000)
      const payload = webhookPayload(batch, now)
      const answer = yield* httpSend(
        agent,
        config.name,
        "POST",
        config.url,
        {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signWebhook(key, id, timestamp, payload)
        },
        payload,
        config.timeoutMs
      )
      const what = redactSecrets(`HTTP ${answer.status}${answer.body !== "" ? ` ${JSON.stringify(answer.body.slice(0, 200))}` : ""}`, [secret])
      const status = answer.status
      if (status >= 200 && status < 300) return CONFIRMED
      if (status === 410) return yield* fail("config", `the endpoint is gone: ${what}`)
      if (status === 401 || status === 403) return yield* fail("auth", `the endpoint refused the signature: ${what}`)
      if (status >= 300 && status < 400) return yield* fail("config", `the endpoint redirects (not followed): ${what}`)
      if (status === 429 || status === 502 || status === 503 || status === 504) {
        return yield* fail("throttled", `the endpoint is busy: ${what}`, retryAfterMs(answer.headers["retry-after"], Date.now()))
      }
      if (status === 408 || status >= 500) return yield* fail("unavailable", `the endpoint failed: ${what}`)
      if (status === 400 || status === 413 || status === 422) {
        if (batch.length === 1) return { refused: [{ index: 0, reason: `the endpoint refused the record: ${what}` }], resend: [] }
        return yield* fail("split", `the endpoint refused the batch: ${what}`)
      }
      return yield* fail("config", `the endpoint refused the request: ${what}`)
    })

  const probe = Effect.gen(function* () {
    const answer = yield* httpSend(agent, config.name, "HEAD", config.url, {}, null, config.timeoutMs)
    if (answer.status >= 500) return yield* fail("unavailable", `the endpoint failed: HTTP ${answer.status}`)
    if (answer.status === 410) return yield* fail("config", "the endpoint is gone: HTTP 410")
    if (answer.status === 404) return yield* fail("config", `nothing answers at ${shownUrl(config.url, false)}: HTTP 404`)
    if (answer.status >= 300 && answer.status < 400) return yield* fail("config", `the endpoint redirects (not followed): HTTP ${answer.status}`)
    return `the endpoint is reachable (HTTP ${answer.status} to HEAD)`
  })

  return {
    config,
    sizeOf,
    send,
    probe,
    close: Effect.promise(() => agent.close()).pipe(Effect.timeout("1 second"), Effect.ignore)
  }
}
