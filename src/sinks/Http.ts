import { Effect } from "effect"
import { readFileSync } from "node:fs"
import type { Readable } from "node:stream"
import { Agent, request } from "undici"
import { SinkFailure } from "./Sink.js"

/** An HTTP answer: status, headers and the body as text. */
export interface HttpAnswer {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

/** An undici connection pool for one sink (keep-alive; the CA file, when given, is the only trusted root). */
export const makeAgent = (sink: string, caFile: string | null, timeoutMs: number): Agent => {
  let ca: Buffer | undefined
  if (caFile !== null) {
    try {
      ca = readFileSync(caFile)
    } catch (e) {
      throw new SinkFailure({ reason: "config", message: `sink ${sink}: cannot read ca_file ${caFile}: ${(e as Error).message}` })
    }
  }
  return new Agent({
    connections: 4,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    ...(ca !== undefined ? { connect: { ca } } : {})
  })
}

/**
 * One request; transport failures become SinkFailure `timeout` (no answer in `timeoutMs`), `config` (the server's TLS
 * certificate is not trusted) or `unavailable` (refused, reset, DNS). The URL is named in messages; headers (credentials) never are.
 */
export const send = (
  agent: Agent,
  sink: string,
  method: "GET" | "HEAD" | "POST",
  url: string,
  headers: Record<string, string>,
  body: Uint8Array | string | Readable | null,
  timeoutMs: number
): Effect.Effect<HttpAnswer, SinkFailure> =>
  Effect.tryPromise({
    try: async (signal) => {
      const response = await request(url, {
        dispatcher: agent,
        method,
        headers,
        body: body ?? null,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs
      })
      const text = await response.body.text()
      return { status: response.statusCode, headers: response.headers, body: text }
    },
    catch: (e) => transportFailure(sink, url, e, timeoutMs)
  })

const transportFailure = (sink: string, url: string, e: unknown, timeoutMs: number): SinkFailure => {
  const error = e as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } }
  const code = error.code ?? error.cause?.code ?? error.name ?? "error"
  const timedOut =
    code === "UND_ERR_HEADERS_TIMEOUT" ||
    code === "UND_ERR_BODY_TIMEOUT" ||
    code === "UND_ERR_CONNECT_TIMEOUT" ||
    code === "TimeoutError" ||
    error.name === "TimeoutError"
  const where = new URL(url)
  if (CERTIFICATE_PROBLEMS.has(code)) {
    return new SinkFailure({
      reason: "config",
      message: `sink ${sink}: the TLS certificate of ${where.origin} is not trusted (${code}); set ca_file to the CA that signed it`
    })
  }
  return new SinkFailure({
    reason: timedOut ? "timeout" : "unavailable",
    message: timedOut
      ? `sink ${sink}: no answer from ${where.origin} within ${timeoutMs} ms`
      : `sink ${sink}: cannot reach ${where.origin}: ${code}${error.cause?.message !== undefined ? ` (${error.cause.message})` : ""}`
  })
}

/** TLS verification failures: a configuration problem (wrong or missing CA, name mismatch), not an outage. */
const CERTIFICATE_PROBLEMS = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID"
])
