import { createHmac, timingSafeEqual } from "node:crypto"
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http"
import { createServer as createTlsServer } from "node:https"
import { listenLocal } from "./listen.js"

/** Reference tolerance of Standard Webhooks: 5 minutes either way. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60

/**
 * Verifies a Standard Webhooks delivery as the reference library does: `whsec_` base64 key, signed content
 * `id.timestamp.body`, any `v1,<base64>` in the space-separated signature list, constant-time compare, timestamp within
 * the tolerance. Returns null when valid, else the reason.
 */
export const verifyWebhook = (secret: string, headers: IncomingHttpHeaders | Record<string, string>, body: Buffer | string, nowSeconds: number): string | null => {
  const id = headers["webhook-id"]
  const timestamp = headers["webhook-timestamp"]
  const signatures = headers["webhook-signature"]
  if (typeof id !== "string" || typeof timestamp !== "string" || typeof signatures !== "string") return "missing required headers"
  const ts = Number(timestamp)
  if (!/^\d+$/.test(timestamp)) return "invalid timestamp"
  if (nowSeconds - ts > WEBHOOK_TOLERANCE_SECONDS) return "message timestamp too old"
  if (ts > nowSeconds + WEBHOOK_TOLERANCE_SECONDS) return "message timestamp too new"
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64")
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest()
  for (const signature of signatures.split(" ")) {
    const [version, value] = signature.split(",")
    if (version !== "v1" || value === undefined) continue
    const given = Buffer.from(value, "base64")
    if (given.length === expected.length && timingSafeEqual(given, expected)) return null
  }
  return "no matching signature"
}

/** One delivery the receiver accepted. */
export interface WebhookDelivery {
  readonly id: string
  readonly body: string
  readonly payload: { readonly type: string; readonly data: { readonly records: ReadonlyArray<Record<string, unknown>> } }
}

/** A running webhook receiver on 127.0.0.1 that verifies every signature (401 when invalid). */
export interface WebhookReceiver {
  readonly url: string
  readonly deliveries: Array<WebhookDelivery>
  /** Statuses answered to the next deliveries, in order (before verification). */
  readonly respondWith: (...statuses: ReadonlyArray<number>) => void
  /** Deliveries refused for a bad signature. */
  readonly rejected: Array<string>
  readonly close: () => Promise<void>
}

/** Starts a Standard Webhooks receiver with `secret`, over HTTPS when given a key and certificate. */
export const startWebhookReceiver = async (
  secret: string,
  tls?: { readonly key: string; readonly cert: string }
): Promise<WebhookReceiver> => {
  const deliveries: Array<WebhookDelivery> = []
  const rejected: Array<string> = []
  const statuses: Array<number> = []
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      if (req.method === "HEAD") return void res.writeHead(204).end()
      const scripted = statuses.shift()
      if (scripted !== undefined) return void res.writeHead(scripted, { "retry-after": "0" }).end()
      const body = Buffer.concat(chunks)
      const problem = verifyWebhook(secret, req.headers, body, Math.floor(Date.now() / 1000))
      if (problem !== null) {
        rejected.push(problem)
        return void res.writeHead(401).end(problem)
      }
      deliveries.push({ id: String(req.headers["webhook-id"]), body: body.toString("utf8"), payload: JSON.parse(body.toString("utf8")) })
      res.writeHead(204).end()
    })
  }
  const { close, url } = await listenLocal(tls === undefined ? createServer(handle) : createTlsServer(tls, handle))
  return {
    url: `${url}/hooks/ssg`,
    deliveries,
    rejected,
    respondWith: (...more) => void statuses.push(...more),
    close
  }
}
