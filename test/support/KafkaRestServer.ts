import { createServer, type Server } from "node:http"
import { listenLocal } from "./listen.js"
import { concatenatedJson } from "../../src/sinks/KafkaRest.js"

/** One record the server accepted: partition, offset, decoded key, value and headers. */
export interface RestRecord {
  readonly partition: number
  readonly offset: number
  readonly key: unknown
  readonly value: unknown
  readonly headers: Record<string, string>
}

/** A Confluent Kafka REST v3 produce endpoint on 127.0.0.1 (one cluster, one topic, Basic auth). */
export interface KafkaRestServer {
  readonly url: string
  readonly records: Array<RestRecord>
  /** HTTP statuses answered to the next produce requests, in order, before anything is parsed. */
  readonly respondWith: (...statuses: ReadonlyArray<number>) => void
  /** Requests answered 401 (bad or missing credentials). */
  readonly unauthorized: () => number
  readonly close: () => Promise<void>
}

/** Options: the accepted API key and secret, cluster id, topic, and a predicate refusing records (error_code 400). */
export interface KafkaRestOptions {
  readonly apiKey: string
  readonly apiSecret: string
  readonly clusterId: string
  readonly topic: string
  readonly refuse?: (value: unknown) => boolean
}

const TYPES = new Set(["BINARY", "JSON", "STRING"])

const error = (code: number, message: string) => JSON.stringify({ error_code: code, message })

const decodeData = (part: unknown): { ok: true; value: unknown } | { ok: false; message: string } => {
  if (part === undefined || part === null) return { ok: true, value: null }
  if (typeof part !== "object") return { ok: false, message: "Bad Request: key/value must be an object" }
  const { type, data } = part as { type?: unknown; data?: unknown }
  if (typeof type !== "string" || !TYPES.has(type)) return { ok: false, message: `Bad Request: unsupported type ${String(type)}` }
  if (type === "BINARY") {
    if (typeof data !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) {
      return { ok: false, message: `Bad Request: data=${JSON.stringify(data)} is not a base64 string.` }
    }
    return { ok: true, value: Buffer.from(data, "base64").toString("utf8") }
  }
  if (type === "STRING" && typeof data !== "string") return { ok: false, message: "Bad Request: STRING data must be a string" }
  return { ok: true, value: data }
}

/**
 * Starts the endpoint. `POST /kafka/v3/clusters/{cluster}/topics/{topic}/records` takes one record or, streamed, many
 * concatenated; it answers one delivery report per record, in order (error_code 200 with partition and offset, or 400
 * with a message), HTTP 401 (40101) on bad credentials, 404 (40403/40401) on an unknown topic or cluster, 415 on a
 * non-JSON body; `GET …/topics/{topic}` describes the topic.
 */
export const startKafkaRestServer = async (options: KafkaRestOptions): Promise<KafkaRestServer> => {
  const records: Array<RestRecord> = []
  const statuses: Array<number> = []
  let unauthorized = 0
  const expectedAuth = `Basic ${Buffer.from(`${options.apiKey}:${options.apiSecret}`).toString("base64")}`
  const server: Server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const reply = (status: number, body: string) => {
        res.writeHead(status, { "content-type": "application/json" })
        res.end(body)
      }
      const path = new URL(req.url ?? "/", "http://x").pathname
      const match = /^\/kafka\/v3\/clusters\/([^/]+)\/topics\/([^/]+)(\/records)?$/.exec(path)
      if (match === null) return reply(404, error(404, "HTTP 404 Not Found"))
      if (req.headers.authorization !== expectedAuth) {
        unauthorized++
        return reply(401, error(40101, "Authentication failed"))
      }
      const [, cluster, topic, produce] = match
      if (decodeURIComponent(cluster!) !== options.clusterId) return reply(404, error(40401, `Cluster ${cluster} cannot be found.`))
      if (decodeURIComponent(topic!) !== options.topic) return reply(404, error(40403, `This server does not host this topic-partition.`))
      if (produce === undefined) {
        if (req.method !== "GET") return reply(405, error(405, "HTTP 405 Method Not Allowed"))
        return reply(200, JSON.stringify({ kind: "KafkaTopic", cluster_id: options.clusterId, topic_name: options.topic, partitions_count: 1 }))
      }
      if (req.method !== "POST") return reply(405, error(405, "HTTP 405 Method Not Allowed"))
      const forced = statuses.shift()
      if (forced !== undefined) return reply(forced, forced === 429 ? "<html><body>Too Many Requests</body></html>" : error(forced, `HTTP ${forced}`))
      if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) {
        return reply(415, error(415, "HTTP 415 Unsupported Media Type"))
      }
      let requests: Array<unknown>
      try {
        requests = concatenatedJson(Buffer.concat(chunks).toString("utf8"))
      } catch {
        return reply(400, error(400, "Bad Request: the body is not JSON"))
      }
      const reports = requests.map((request) => {
        const r = (typeof request === "object" && request !== null ? request : {}) as Record<string, unknown>
        const key = decodeData(r["key"])
        const value = decodeData(r["value"])
        if (!key.ok) return error(400, key.message)
        if (!value.ok) return error(400, value.message)
        if (options.refuse?.(value.value) === true) return error(400, "Bad Request: the record was refused by the test")
        const headers: Record<string, string> = {}
        for (const h of Array.isArray(r["headers"]) ? (r["headers"] as Array<{ name: string; value: string | null }>) : []) {
          headers[h.name] = h.value === null ? "" : Buffer.from(h.value, "base64").toString("utf8")
        }
        const offset = records.length
        records.push({ partition: 0, offset, key: key.value, value: value.value, headers })
        return JSON.stringify({
          error_code: 200,
          cluster_id: options.clusterId,
          topic_name: options.topic,
          partition_id: 0,
          offset,
          timestamp: new Date().toISOString()
        })
      })
      reply(200, reports.join("\n"))
    })
  })
  const { close, url } = await listenLocal(server)
  return {
    url,
    records,
    respondWith: (...more) => void statuses.push(...more),
    unauthorized: () => unauthorized,
    close
  }
}
