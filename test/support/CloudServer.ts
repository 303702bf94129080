import { createServer, type Server } from "node:http"
import { listenLocal } from "./listen.js"

/** One sync request the endpoint accepted: its parsed body and org. */
export interface CloudSync {
  readonly body: { readonly log_id: string | null; readonly org: string | null; readonly entries: Array<Record<string, unknown>>; readonly checkpoints: Array<Record<string, unknown>> }
  readonly raw: string
}

/** A cloud audit-sync endpoint on 127.0.0.1: `POST /api/v1/audit/sync` with `Authorization: Bearer <key>`. */
export interface CloudServer {
  readonly url: string
  readonly syncs: Array<CloudSync>
  /** Every request the endpoint received (accepted or not). */
  readonly requests: () => number
  /** Statuses answered to the next requests, in order. */
  readonly respondWith: (...statuses: ReadonlyArray<number>) => void
  readonly close: () => Promise<void>
}

/** Starts the endpoint accepting `apiKey`; 401 for another key, 400 for more than 500 entries or a non-JSON body. */
export const startCloudServer = async (apiKey: string): Promise<CloudServer> => {
  const syncs: Array<CloudSync> = []
  const statuses: Array<number> = []
  let requests = 0
  const server: Server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      requests++
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" })
        res.end(JSON.stringify(body))
      }
      if (req.method !== "POST" || req.url !== "/api/v1/audit/sync") return reply(404, { error: "not found" })
      const forced = statuses.shift()
      if (forced !== undefined) return reply(forced, { error: `HTTP ${forced}` })
      if (req.headers.authorization !== `Bearer ${apiKey}`) return reply(401, { error: "invalid API key" })
      const raw = Buffer.concat(chunks).toString("utf8")
      let body: CloudSync["body"]
      try {
        body = JSON.parse(raw) as CloudSync["body"]
      } catch {
        return reply(400, { error: "body is not JSON" })
      }
      if (!Array.isArray(body.entries) || body.entries.length > 500) return reply(400, { error: "at most 500 entries" })
      syncs.push({ body, raw })
      reply(200, { accepted: body.entries.length })
    })
  })
  const { close, url } = await listenLocal(server)
  return {
    url,
    syncs,
    requests: () => requests,
    respondWith: (...more) => void statuses.push(...more),
    close
  }
}
