import { afterEach, describe, expect, it } from "vitest"
import { RuleChanged } from "../../src/domain/Event.js"
import type { ForwardRecord } from "../../src/sinks/Record.js"
import { useCliSandbox } from "../support/cli.js"
import { type HecServer, startHecServer } from "../support/HecServer.js"
import { appendToLog } from "../support/log.js"
import { appendTestEvents, entrySeqs, recordsOf, ssgEnv } from "../support/sinks.js"

const sb = useCliSandbox("ssg-sinks-hec-limits")
const TOKEN = "11111111-2222-3333-4444-555555555555"
const ENV = { SPLUNK_HEC_TOKEN: TOKEN }

let servers: Array<HecServer> = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

const hec = async (options: Partial<Parameters<typeof startHecServer>[0]> = {}) => {
  const server = await startHecServer({ tokens: { [TOKEN]: {} }, ...options })
  servers.push(server)
  return server
}

const configure = (url: string, extra = "") =>
  sb.write(
    ".sigmashake/config.toml",
    `[[sinks]]\nname = "splunk"\ntype = "splunk_hec"\nurl = "${url}"\ntoken_env = "SPLUNK_HEC_TOKEN"\nbatch_events = 20\n${extra}`
  )

const ssg = (...args: Array<string>) => ssgEnv(sb.cwd, sb.home, ENV, ...args)
const status = async () => (JSON.parse((await ssg("sinks", "status", "--json")).stdout) as Array<Record<string, unknown>>)[0]!
const delivered = (server: HecServer): Array<ForwardRecord> => recordsOf(server.events.map((e) => e.envelope))
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe("ssg sinks run against HEC limits", () => {
  it("halves a batch HEC refuses as too large (413) until it fits, and dead-letters a record too large on its own", async () => {
    const server = await hec({ maxBodyBytes: 6_000 })
    configure(server.url)
    await appendTestEvents(sb.home, 30)
    const files = Array.from({ length: 200 }, (_, i) => `.sigmashake/rules/a-rather-long-directory-name/file-${i}.rules`)
    await appendToLog(sb.home, [[RuleChanged.make({ rule_id: "huge", change: "disabled", from: "block", to: "allow", files })]])
    await appendTestEvents(sb.home, 9, 9, 30)

    const r = await ssg("sinks", "run", "--once")
    expect(r.code).toBe(0)
    const posts = server.requests.filter((q) => q.path === "/services/collector/event")
    expect(posts.filter((q) => q.status === 413).length).toBeGreaterThan(0)
    const perRequest = new Map<number, number>()
    for (const e of server.events) perRequest.set(e.request, (perRequest.get(e.request) ?? 0) + 1)
    expect(Math.max(...perRequest.values())).toBeLessThan(20)
    expect(entrySeqs(delivered(server))).toEqual([...range(1, 30), ...range(32, 40)])
    expect(await status()).toMatchObject({ cursor: 40, dead_letters: 1 })
    const dlq = await ssg("sinks", "dlq", "splunk", "list", "--json")
    const letters = JSON.parse(dlq.stdout) as Array<Record<string, unknown>>
    expect(letters).toHaveLength(1)
    expect(JSON.stringify(letters[0])).toContain("too large")
  }, 60_000)

  it("sends a batch again when its indexer acknowledgement never turns true, and keeps the cursor until one does", async () => {
    const silent = await hec({ tokens: { [TOKEN]: { useAck: true } }, neverAck: true })
    configure(silent.url, "ack = true\nack_timeout_ms = 200\n")
    await appendTestEvents(sb.home, 10)
    const stuck = await ssg("sinks", "run", "--once")
    expect(stuck.code).toBe(1)
    expect(silent.accepted()).toBeGreaterThanOrEqual(20)
    const s = await status()
    expect(s).toMatchObject({ cursor: 0, lag: 10 })
    expect(String(s["last_error"])).toContain("did not acknowledge ackId")

    const acking = await hec({ tokens: { [TOKEN]: { useAck: true } } })
    configure(acking.url, "ack = true\nack_timeout_ms = 2000\n")
    expect((await ssg("sinks", "run", "--once")).code).toBe(0)
    expect(entrySeqs(delivered(acking))).toEqual(range(1, 10))
    expect(await status()).toMatchObject({ cursor: 10, lag: 0 })
  }, 90_000)
})
