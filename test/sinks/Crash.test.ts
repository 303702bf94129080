import { type ChildProcess, spawn } from "node:child_process"
import { afterEach, describe, expect, it } from "vitest"
import type { ForwardRecord } from "../../src/sinks/Record.js"
import { BIN, useCliSandbox } from "../support/cli.js"
import { type HecServer, startHecServer } from "../support/HecServer.js"
import { appendTestEvents, entrySeqs, recordsOf, ssgEnv } from "../support/sinks.js"

const sb = useCliSandbox("ssg-sinks-crash")
const TOKEN = "99999999-8888-7777-6666-555555555555"
const ENV = { SPLUNK_HEC_TOKEN: TOKEN }
const EVENTS = 100_000
const BATCH = 1_000

let server: HecServer | null = null
afterEach(async () => {
  await server?.close()
  server = null
})

/** A seeded generator (mulberry32), so a failing run can be replayed from its seed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const entriesIn = (s: HecServer): number =>
  s.events.reduce((n, e) => n + ((e.envelope["event"] as ForwardRecord).kind === "ssg.entry" ? 1 : 0), 0)

const waitFor = async (condition: () => boolean, ms: number): Promise<boolean> => {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return condition()
}

describe("ssg sinks run killed with SIGKILL at random points", () => {
  it(`delivers every one of ${EVENTS.toLocaleString("en-US")} entries, with at most one batch of duplicates per kill`, async () => {
    server = await startHecServer({ tokens: { [TOKEN]: { indexes: ["ssg"] } } })
    sb.write(
      ".sigmashake/config.toml",
      `[[sinks]]\nname = "splunk"\ntype = "splunk_hec"\nurl = "${server.url}"\ntoken_env = "SPLUNK_HEC_TOKEN"\nindex = "ssg"\nbatch_events = ${BATCH}\nflush_interval_ms = 20\n`
    )
    await appendTestEvents(sb.home, EVENTS, 5_000)
    const next = random(20261122)
    let kills = 0
    for (let round = 0; round < 8; round++) {
      const child: ChildProcess = spawn(process.execPath, [BIN, "sinks", "run"], {
        cwd: sb.cwd,
        env: { ...process.env, SSG_HOME: sb.home, ...ENV },
        stdio: ["ignore", "ignore", "ignore"]
      })
      const target = entriesIn(server) + 1 + Math.floor(next() * 8 * BATCH)
      await waitFor(() => entriesIn(server!) >= target, 30_000)
      await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * 40)))
      child.kill("SIGKILL")
      await new Promise((resolve) => child.once("exit", resolve))
      kills++
    }
    const beforeFinish = entrySeqs(recordsOf(server.events.map((e) => e.envelope))).length
    expect(beforeFinish).toBeGreaterThan(0)
    expect(beforeFinish).toBeLessThan(EVENTS)
    const finish = await ssgEnv(sb.cwd, sb.home, ENV, "sinks", "run", "--once")
    expect(finish.code).toBe(0)

    const records = recordsOf(server.events.map((e) => e.envelope))
    expect(entrySeqs(records)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1))
    const duplicates = entriesIn(server) - EVENTS
    expect(duplicates).toBeLessThanOrEqual(kills * BATCH)
    const status = JSON.parse((await ssgEnv(sb.cwd, sb.home, ENV, "sinks", "status", "--json")).stdout) as Array<Record<string, unknown>>
    expect(status[0]).toMatchObject({ cursor: EVENTS, lag: 0 })
  }, 600_000)
})
