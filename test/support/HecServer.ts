import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { listenLocal } from "./listen.js"
import { createGunzip } from "node:zlib"

/** A HEC token the server knows: indexer acknowledgement on/off, disabled, allowed indexes (none = any). */
export interface HecToken {
  readonly useAck?: boolean
  readonly disabled?: boolean
  readonly indexes?: ReadonlyArray<string>
}

/** How the server behaves; every field has Splunk's default. */
export interface HecServerOptions {
  readonly tokens: Readonly<Record<string, HecToken>>
  /** Cap on the decompressed body (413 above it). */
  readonly maxBodyBytes?: number
  /** Acks turn true only this long after the event request (ms). */
  readonly ackDelayMs?: number
  /** Acks never turn true. */
  readonly neverAck?: boolean
  /** Pending acks per channel before 503 code 9. */
  readonly maxPendingAcks?: number
  /** Port to listen on (default: any free port). */
  readonly port?: number
  /**
   * Behave as Cribl Stream's HTTP source (reference §2.1): the token as the whole `Authorization` header (no `Splunk `
   * prefix), `/services/collector` as an event endpoint only (no ack, raw or health endpoint: 404).
   */
  readonly cribl?: boolean
  /** False: count accepted events without keeping them (benchmarks over millions of events). */
  readonly retainEvents?: boolean
}

/** A fault for the next matching request to an event endpoint. */
export type HecFault =
  | { readonly kind: "busy"; readonly retryAfter?: string }
  | { readonly kind: "status"; readonly status: number; readonly code?: number; readonly text?: string }
  | { readonly kind: "stall" }
  | { readonly kind: "reset-before-body" }
  | { readonly kind: "reset-after-body" }

/** An event the server accepted: its request number, channel and the parsed envelope. */
export interface AcceptedEvent {
  readonly request: number
  readonly channel: string | null
  readonly envelope: Record<string, unknown>
}

/** One request the server saw: its path, status and headers (authorization included, for assertions). */
export interface SeenRequest {
  readonly request: number
  readonly method: string
  readonly path: string
  /** The query string, with its `?`, or "". */
  readonly query: string
  readonly status: number | "reset" | "stall"
  readonly headers: IncomingMessage["headers"]
  /** When the request arrived (epoch ms). */
  readonly at: number
}

/** A running HEC test server on 127.0.0.1. */
export interface HecServer {
  readonly url: string
  readonly events: Array<AcceptedEvent>
  /** How many events the server accepted (also when `retainEvents` is false). */
  readonly accepted: () => number
  readonly requests: Array<SeenRequest>
  /** Queues faults, each used by one event request, in order. */
  readonly fault: (...faults: ReadonlyArray<HecFault>) => void
  /** Makes `/health` answer 503 code 18 (false) or 200 code 17 (true). */
  readonly setHealthy: (healthy: boolean) => void
  /** Marks events invalid: any envelope whose `event` satisfies `poison` is refused with code 6 at its index. */
  readonly setPoison: (poison: ((event: unknown) => boolean) | null) => void
  readonly close: () => Promise<void>
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Starts a Splunk HEC emulation following the protocol (reference §1.8): `/services/collector[/event][/1.0]`, `/raw`,
 * `/health`, `/ack`; `Splunk <token>` (or Basic) auth with codes 1-4; gzip only (415 otherwise) with a decompressed
 * cap (413); concatenated JSON objects validated one by one (codes 6, 7, 12, 13, 15 with `invalid-event-number`; the
 * objects before the bad one are kept, as Splunk does); empty body code 5; channel GUID rules (10, 11); per-channel
 * ackIds from 0 answered true once then forgotten; and scripted faults.
 */
export const startHecServer = async (options: HecServerOptions): Promise<HecServer> => {
  const events: Array<AcceptedEvent> = []
  let acceptedCount = 0
  const requests: Array<SeenRequest> = []
  const faults: Array<HecFault> = []
  const channels = new Map<string, { next: number; pending: Map<number, number> }>()
  let healthy = true
  let poison: ((event: unknown) => boolean) | null = null
  let counter = 0
  const maxBody = options.maxBodyBytes ?? 10_000_000

  const reply = (res: ServerResponse, seen: SeenRequest, status: number, body: Record<string, unknown> | null, headers: Record<string, string> = {}) => {
    requests.push({ ...seen, status })
    const text = body === null ? "" : JSON.stringify(body)
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(text)
  }

  const authenticate = (req: IncomingMessage): { ok: true; token: HecToken } | { ok: false; status: number; code: number; text: string } => {
    const header = req.headers["authorization"]
    if (header === undefined || header === "") return { ok: false, status: 401, code: 2, text: "Token is required" }
    let token: string | null = options.cribl === true ? header.trim() : null
    const splunk = options.cribl === true ? null : /^Splunk (.+)$/.exec(header)
    const basic = options.cribl === true ? null : /^Basic (.+)$/.exec(header)
    if (splunk !== null) token = splunk[1]!.trim()
    else if (basic !== null) {
      const decoded = Buffer.from(basic[1]!, "base64").toString("utf8")
      token = decoded.includes(":") ? decoded.slice(decoded.indexOf(":") + 1) : null
    }
    if (token === null) return { ok: false, status: 401, code: 3, text: "Invalid authorization" }
    const known = options.tokens[token]
    if (known === undefined) return { ok: false, status: 403, code: 4, text: "Invalid token" }
    if (known.disabled === true) return { ok: false, status: 403, code: 1, text: "Token disabled" }
    return { ok: true, token: known }
  }

  const readBody = (req: IncomingMessage): Promise<Buffer | "too-large" | "bad-encoding"> =>
    new Promise((resolve, reject) => {
      const encoding = (req.headers["content-encoding"] ?? "identity").toLowerCase()
      if (encoding !== "gzip" && encoding !== "identity") {
        req.resume()
        req.on("end", () => resolve("bad-encoding"))
        return
      }
      const chunks: Array<Buffer> = []
      let size = 0
      const source = encoding === "gzip" ? req.pipe(createGunzip()) : req
      source.on("data", (chunk: Buffer) => {
        size += chunk.length
        if (size <= maxBody) chunks.push(chunk)
      })
      source.on("end", () => resolve(size > maxBody ? "too-large" : Buffer.concat(chunks)))
      source.on("error", reject)
    })

  const channelOf = (req: IncomingMessage, url: URL): string | null =>
    (req.headers["x-splunk-request-channel"] as string | undefined) ?? url.searchParams.get("channel")

  const handleEvents = async (req: IncomingMessage, res: ServerResponse, url: URL, seen: SeenRequest, raw: boolean) => {
    const fault = faults.shift()
    if (fault?.kind === "reset-before-body") {
      requests.push({ ...seen, status: "reset" })
      req.socket.destroy()
      return
    }
    if (fault?.kind === "stall") {
      requests.push({ ...seen, status: "stall" })
      req.resume()
      return
    }
    if (fault?.kind === "busy") {
      req.resume()
      return reply(res, seen, 503, { text: "Server is busy", code: 9 }, fault.retryAfter !== undefined ? { "retry-after": fault.retryAfter } : {})
    }
    if (fault?.kind === "status") {
      req.resume()
      return reply(res, seen, fault.status, fault.code !== undefined ? { text: fault.text ?? "", code: fault.code } : null)
    }
    const auth = authenticate(req)
    if (!auth.ok) {
      req.resume()
      return reply(res, seen, auth.status, { text: auth.text, code: auth.code })
    }
    const channel = channelOf(req, url)
    if (channel === null && (raw || auth.token.useAck === true)) {
      req.resume()
      return reply(res, seen, 400, { text: "Data channel is missing", code: 10 })
    }
    if (channel !== null && !GUID.test(channel)) {
      req.resume()
      return reply(res, seen, 400, { text: "Invalid data channel", code: 11 })
    }
    const body = await readBody(req)
    if (body === "bad-encoding") return reply(res, seen, 415, null)
    if (body === "too-large") return reply(res, seen, 413, { text: "Content length exceeds limit", code: 27 })
    const latin1 = raw || options.retainEvents !== false || poison !== null ? null : parseLatin1Lines(body)
    const text = latin1 === null ? body.toString("utf8") : ""
    const blank = latin1 === null && text.trim() === ""
    if (blank && fault?.kind === "reset-after-body") {
      requests.push({ ...seen, status: "reset" })
      req.socket.destroy()
      return
    }
    if (blank) return reply(res, seen, 400, { text: "No data", code: 5 })
    const envelopes: Array<Record<string, unknown>> = []
    let failure: { code: number; text: string; index: number } | null = null
    if (raw) {
      for (const line of text.split("\n")) if (line.trim() !== "") envelopes.push({ event: line, ...Object.fromEntries(url.searchParams) })
    } else {
      const values = latin1 ?? parseObjects(text)
      const decode = latin1 === null ? asIs : fromLatin1
      for (let i = 0; i < values.length && failure === null; i++) {
        const problem = validate(values[i], auth.token, poison, decode)
        if (problem !== null) failure = { ...problem, index: i }
        else envelopes.push(values[i] as Record<string, unknown>)
      }
    }
    const request = ++counter
    const ackState = channel === null ? null : channels.get(channel) ?? { next: 0, pending: new Map<number, number>() }
    if (ackState !== null && channel !== null) channels.set(channel, ackState)
    if (auth.token.useAck === true && ackState !== null && ackState.pending.size >= (options.maxPendingAcks ?? 1_000_000)) {
      return reply(res, seen, 503, { text: "Server is busy", code: 9 })
    }
    acceptedCount += envelopes.length
    if (options.retainEvents !== false) for (const envelope of envelopes) events.push({ request, channel, envelope })
    if (fault?.kind === "reset-after-body") {
      requests.push({ ...seen, status: "reset" })
      req.socket.destroy()
      return
    }
    if (failure !== null) {
      return reply(res, seen, 400, { text: failure.text, code: failure.code, "invalid-event-number": failure.index })
    }
    if (auth.token.useAck === true && ackState !== null) {
      const ackId = ackState.next++
      ackState.pending.set(ackId, Date.now() + (options.ackDelayMs ?? 0))
      return reply(res, seen, 200, { text: "Success", code: 0, ackId })
    }
    return reply(res, seen, 200, { text: "Success", code: 0 })
  }

  const handleAck = async (req: IncomingMessage, res: ServerResponse, url: URL, seen: SeenRequest) => {
    const auth = authenticate(req)
    if (!auth.ok) {
      req.resume()
      return reply(res, seen, auth.status, { text: auth.text, code: auth.code })
    }
    if (auth.token.useAck !== true) {
      req.resume()
      return reply(res, seen, 400, { text: "ACK is disabled", code: 14 })
    }
    const channel = channelOf(req, url)
    if (channel === null) {
      req.resume()
      return reply(res, seen, 400, { text: "Data channel is missing", code: 10 })
    }
    const body = await readBody(req)
    if (typeof body === "string") return reply(res, seen, 400, { text: "Invalid data format", code: 6 })
    let ids: Array<number>
    try {
      ids = (JSON.parse(body.toString("utf8")) as { acks: Array<number> }).acks
      if (!Array.isArray(ids)) throw new Error("acks")
    } catch {
      return reply(res, seen, 400, { text: "Invalid data format", code: 6 })
    }
    const state = channels.get(channel)
    const acks: Record<string, boolean> = {}
    for (const id of ids) {
      const due = state?.pending.get(id)
      const done = due !== undefined && options.neverAck !== true && Date.now() >= due
      acks[String(id)] = done
      if (done) state!.pending.delete(id)
    }
    return reply(res, seen, 200, { acks })
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1")
    const seen: SeenRequest = { request: requests.length + 1, method: req.method ?? "", path: url.pathname, query: url.search, status: 0, headers: req.headers, at: Date.now() }
    const path = url.pathname.replace(/\/1\.0$/, "")
    const run = async () => {
      if (options.cribl === true) {
        if (req.method === "POST" && url.pathname === "/services/collector") return handleEvents(req, res, url, seen, false)
        req.resume()
        return reply(res, seen, 404, { text: "Not Found" })
      }
      if (path === "/services/collector/health" && req.method === "GET") {
        return healthy
          ? reply(res, seen, 200, { text: "HEC is healthy", code: 17 })
          : reply(res, seen, 503, { text: "HEC is unhealthy, queues are full", code: 18 })
      }
      if (req.method !== "POST") return reply(res, seen, 404, { text: "The requested URL was not found on this server.", code: 404 })
      if (path === "/services/collector" || path === "/services/collector/event") return handleEvents(req, res, url, seen, false)
      if (path === "/services/collector/raw") return handleEvents(req, res, url, seen, true)
      if (path === "/services/collector/ack") return handleAck(req, res, url, seen)
      req.resume()
      return reply(res, seen, 404, { text: "The requested URL was not found on this server.", code: 404 })
    }
    run().catch(() => req.socket.destroy())
  })
  const { close, url } = await listenLocal(server, options.port ?? 0)
  return {
    url: url,
    events,
    accepted: () => acceptedCount,
    requests,
    fault: (...more) => void faults.push(...more),
    setHealthy: (value) => void (healthy = value),
    setPoison: (value) => void (poison = value),
    close
  }
}

/** Splits concatenated JSON values (whitespace between them optional) into their texts; a stray tail is one more text. */
export const splitObjects = (text: string): Array<string> => {
  const out: Array<string> = []
  let depth = 0
  let start = -1
  let inString = false
  let escaped = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (inString) {
      if (escaped) escaped = false
      else if (c === "\\") escaped = true
      else if (c === '"') inString = false
      continue
    }
    if (start === -1) {
      if (/\s/.test(c)) continue
      start = i
    }
    if (c === '"') inString = true
    else if (c === "{" || c === "[") depth++
    else if (c === "}" || c === "]") {
      depth--
      if (depth === 0) {
        out.push(text.slice(start, i + 1))
        start = -1
      }
    } else if (depth === 0) {
      let end = i
      while (end < text.length && !/[\s{[]/.test(text[end]!)) end++
      out.push(text.slice(start, end))
      start = -1
      i = end - 1
    }
  }
  if (start !== -1) out.push(text.slice(start))
  return out
}

/**
 * The values of concatenated JSON texts, in order, `INVALID` for a text that does not parse: each line parsed on its
 * own when every non-blank line is one JSON value (the usual newline-separated batch), else `splitObjects` texts.
 */
export const parseObjects = (text: string): Array<unknown> => parseLines(text) ?? splitObjects(text).map(parseOne)

const parseLines = (text: string): Array<unknown> | null => {
  const values: Array<unknown> = []
  for (const line of text.split("\n")) {
    if (BLANK.test(line)) continue
    try {
      values.push(JSON.parse(line))
    } catch {
      return null
    }
  }
  return values
}

const BLANK = /^[ \t\r]*$/

/**
 * The values of a newline-separated batch parsed from the body's Latin-1 view, where JSON accepts exactly the bytes it
 * accepts as UTF-8 (non-ASCII bytes stand only inside strings); strings then hold UTF-8 bytes, so `fromLatin1` decodes
 * the ones validation reads. Null when the body may be blank or a line is not one JSON value: the UTF-8 text decides.
 */
const parseLatin1Lines = (body: Buffer): Array<unknown> | null => {
  const text = body.toString("latin1")
  return NOT_BLANK.test(text) ? parseLines(text) : null
}

const NOT_BLANK = /[^\s\x80-\xff]/

const NON_ASCII = /[\x80-\xff]/

const asIs = (text: string): string => text

const fromLatin1 = (text: string): string => (NON_ASCII.test(text) ? Buffer.from(text, "latin1").toString("utf8") : text)

const INVALID: unique symbol = Symbol("invalid JSON")

const parseOne = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return INVALID
  }
}

const validate = (
  value: unknown,
  token: HecToken,
  poison: ((event: unknown) => boolean) | null,
  decode: (text: string) => string
): { code: number; text: string } | null => {
  if (value === INVALID) return { code: 6, text: "Invalid data format" }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { code: 6, text: "Invalid data format" }
  const envelope = value as Record<string, unknown>
  if (!("event" in envelope)) return { code: 12, text: "Event field is required" }
  if (envelope["event"] === null || envelope["event"] === "") return { code: 13, text: "Event field cannot be blank" }
  const time = envelope["time"]
  if (time !== undefined && (typeof time === "number" ? time < 0 : typeof time !== "string" || Number.isNaN(Number(decode(time))))) {
    return { code: 6, text: "Invalid data format" }
  }
  const fields = envelope["fields"]
  if (fields !== undefined) {
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) return { code: 15, text: "Error in handling indexed fields" }
    for (const key in fields) {
      const v = (fields as Record<string, unknown>)[key]
      if (typeof v === "object" && v !== null && !(Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null))) {
        return { code: 15, text: "Error in handling indexed fields" }
      }
    }
  }
  const index = envelope["index"]
  if (index !== undefined && token.indexes !== undefined && !token.indexes.includes(decode(String(index)))) {
    return { code: 7, text: "Incorrect index" }
  }
  if (poison !== null && poison(envelope["event"])) return { code: 6, text: "Invalid data format" }
  return null
}
