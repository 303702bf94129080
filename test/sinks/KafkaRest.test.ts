import { createServer } from "node:http"
import { afterEach, describe, expect, it } from "vitest"
import type { ForwardRecord } from "../../src/sinks/Record.js"
import { useCliSandbox } from "../support/cli.js"
import { listenLocal } from "../support/listen.js"
import { type KafkaRestServer, startKafkaRestServer } from "../support/KafkaRestServer.js"
import { appendTestEvents, entrySeqs, ssgEnv } from "../support/sinks.js"

const sb = useCliSandbox("ssg-sinks-kafka-rest")
const KEY = "ABCDEFGHIJKLMNOP"
const SECRET = "s3cr3t-kafka-rest-api-secret-value"
const ENV = { KAFKA_REST_KEY: KEY, KAFKA_REST_SECRET: SECRET }

let servers: Array<KafkaRestServer> = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

const rest = async (refuse?: (value: unknown) => boolean) => {
  const server = await startKafkaRestServer({ apiKey: KEY, apiSecret: SECRET, clusterId: "lkc-test1", topic: "ssg-audit", ...(refuse ? { refuse } : {}) })
  servers.push(server)
  return server
}

const configure = (url: string) =>
  sb.write(
    ".sigmashake/config.toml",
    `[[sinks]]\nname = "rest"\ntype = "kafka_rest"\nurl = "${url}"\ncluster_id = "lkc-test1"\ntopic = "ssg-audit"\napi_key_env = "KAFKA_REST_KEY"\napi_secret_env = "KAFKA_REST_SECRET"\nbatch_events = 25\n`
  )

const ssg = async (env: Record<string, string>, ...args: Array<string>) => {
  const r = await ssgEnv(sb.cwd, sb.home, env, ...args)
  for (const text of [r.stdout, r.stderr]) {
    expect(text).not.toContain(SECRET)
    expect(text).not.toContain(Buffer.from(`${KEY}:${SECRET}`).toString("base64"))
  }
  return r
}

const status = async () => (JSON.parse((await ssg(ENV, "sinks", "status", "--json")).stdout) as Array<Record<string, unknown>>)[0]!

const delivered = (server: KafkaRestServer) => server.records.map((r) => r.value as ForwardRecord)

describe("ssg sinks run to Kafka REST v3", () => {
  it("produces every record (STRING key = log id, JSON value, base64 headers) confirmed per delivery report; the stream verifies", async () => {
    const server = await rest()
    configure(server.url)
    await appendTestEvents(sb.home, 70)
    const run = await ssg(ENV, "sinks", "run", "--once")
    expect(run.code).toBe(0)
    const records = delivered(server)
    expect(entrySeqs(records)).toEqual(Array.from({ length: 70 }, (_, i) => i + 1))
    for (const r of server.records) {
      const record = r.value as ForwardRecord
      expect(r.key).toBe(record.log_id)
      expect(r.headers["ssg-id"]).toBe(record.id)
      expect(r.headers["ssg-hash"]).toBe(record.kind === "ssg.entry" ? record.leaf : record.root)
    }
    const file = sb.write("rest.jsonl", records.map((r) => JSON.stringify(r)).join("\n") + "\n")
    const verify = await ssg({}, "audit", "verify-stream", file, "--json")
    expect(JSON.parse(verify.stdout)).toMatchObject({ valid: true })
    expect(await status()).toMatchObject({ cursor: 70, paused: false, dead_letters: 0 })
  }, 60_000)

  it("dead-letters the one record whose delivery report is 400 and delivers the rest of its batch", async () => {
    const server = await rest((value) => (value as ForwardRecord).kind === "ssg.entry" && (value as { seq: number }).seq === 12)
    configure(server.url)
    await appendTestEvents(sb.home, 30)
    const run = await ssg(ENV, "sinks", "run", "--once")
    expect(run.code).toBe(0)
    expect(entrySeqs(delivered(server))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1).filter((s) => s !== 12))
    expect(await status()).toMatchObject({ cursor: 30, dead_letters: 1 })
    const dlq = await ssg(ENV, "sinks", "dlq", "rest", "list", "--json")
    expect(dlq.stdout).toContain(":12")
    expect(dlq.stdout).toContain("error_code 400")
  }, 60_000)

  it("pauses without dead-lettering when every record is refused, and delivers all once the destination accepts", async () => {
    let refuseAll = true
    const server = await rest(() => refuseAll)
    configure(server.url)
    await appendTestEvents(sb.home, 30)
    const run = await ssg(ENV, "sinks", "run", "--once")
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/sink rest: the destination refused all \d+ records it was sent, so none is dead-lettered \(first: Kafka REST refused the record: error_code 400/)
    expect(run.stderr).toContain("paused (nothing is dropped: the cursor stays at 0)")
    expect(await status()).toMatchObject({ cursor: 0, paused: true, dead_letters: 0 })
    refuseAll = false
    expect((await ssg(ENV, "sinks", "run", "--once")).code).toBe(0)
    expect(entrySeqs(delivered(server))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1))
    expect(await status()).toMatchObject({ cursor: 30, paused: false, dead_letters: 0 })
  }, 60_000)

  it("pauses without dead-lettering when every request is refused with 400", async () => {
    const server = await rest()
    configure(server.url)
    server.respondWith(...Array<number>(60).fill(400))
    await appendTestEvents(sb.home, 30)
    const run = await ssg(ENV, "sinks", "run", "--once")
    expect(run.code).toBe(1)
    expect(run.stderr).toContain("so none is dead-lettered (first: Kafka REST refused the record: HTTP 400")
    expect(await status()).toMatchObject({ cursor: 0, paused: true, dead_letters: 0 })
  }, 60_000)

  it("retries 429 and 503 until delivered", async () => {
    const server = await rest()
    configure(server.url)
    server.respondWith(429, 503, 500)
    await appendTestEvents(sb.home, 20)
    const run = await ssg(ENV, "sinks", "run", "--once")
    expect(run.code).toBe(0)
    expect(entrySeqs(delivered(server))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
  }, 60_000)

  it("pauses on a refused API key without retrying in a loop, shows it in status, and resumes with the right key", async () => {
    const server = await rest()
    configure(server.url)
    await appendTestEvents(sb.home, 10)
    const bad = await ssg({ ...ENV, KAFKA_REST_SECRET: "wrong-secret-value" }, "sinks", "run", "--once")
    expect(bad.code).toBe(1)
    expect(server.unauthorized()).toBe(1)
    expect(await status()).toMatchObject({ paused: true, cursor: 0 })
    expect(server.records.length).toBe(0)
    const good = await ssg(ENV, "sinks", "run", "--once")
    expect(good.code).toBe(0)
    expect(entrySeqs(delivered(server))).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
  }, 60_000)

  it("never shows the credentials, not even when a proxy echoes the Authorization header back", async () => {
    const echo = await listenLocal(createServer((req, res) => void res.writeHead(401).end(`denied: ${req.headers["authorization"]}`)))
    try {
      configure(echo.url)
      await appendTestEvents(sb.home, 3)
      const r = await ssg(ENV, "sinks", "run", "--once")
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('Kafka REST refused the API key: HTTP 401 "denied: Basic ***"')
      expect(await status()).toMatchObject({ paused: true, cursor: 0 })
      expect(JSON.stringify(await status())).not.toContain(Buffer.from(`${KEY}:${SECRET}`).toString("base64"))
    } finally {
      await echo.close()
    }
  }, 60_000)

  it("`ssg sinks test` checks the topic with the API key", async () => {
    const server = await rest()
    configure(server.url)
    const ok = await ssg(ENV, "sinks", "test", "rest")
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain("topic ssg-audit")
    const bad = await ssg({ ...ENV, KAFKA_REST_KEY: "nobody" }, "sinks", "test", "rest")
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain("40101")
  }, 60_000)
})
