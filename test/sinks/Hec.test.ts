import { spawn } from "node:child_process"
import { rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { RuleChanged } from "../../src/domain/Event.js"
import type { ForwardRecord } from "../../src/sinks/Record.js"
import { BIN, useCliSandbox } from "../support/cli.js"
import { type HecServer, startHecServer } from "../support/HecServer.js"
import { appendToLog } from "../support/log.js"
import { appendTestEvents, asJsonLines, entrySeqs, recordsOf, ssgEnv } from "../support/sinks.js"

const sb = useCliSandbox("ssg-sinks-hec")
const TOKEN = "11111111-2222-3333-4444-555555555555"
const ENV = { SPLUNK_HEC_TOKEN: TOKEN }

let servers: Array<HecServer> = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

const hec = async (options: Partial<Parameters<typeof startHecServer>[0]> = {}) => {
  const server = await startHecServer({ tokens: { [TOKEN]: { indexes: ["ssg"] } }, ...options })
  servers.push(server)
  return server
}

const configure = (url: string, extra = "") =>
  sb.write(
    ".sigmashake/config.toml",
    `[[sinks]]\nname = "splunk"\ntype = "splunk_hec"\nurl = "${url}"\ntoken_env = "SPLUNK_HEC_TOKEN"\nindex = "ssg"\nbatch_events = 20\n${extra}`
  )

const ssg = (env: Record<string, string>, ...args: Array<string>) => ssgEnv(sb.cwd, sb.home, env, ...args)

const runOnce = async (env: Record<string, string> = ENV) => {
  const r = await ssg(env, "sinks", "run", "--once")
  for (const text of [r.stdout, r.stderr]) expect(text).not.toContain(TOKEN)
  return r
}

const statusOf = async () => {
  const r = await ssg(ENV, "sinks", "status", "--json")
  expect(r.code).toBe(0)
  return (JSON.parse(r.stdout) as Array<Record<string, unknown>>)[0]!
}

const verifyStream = async (lines: string, ...flags: Array<string>) => {
  const file = sb.write("export.jsonl", lines)
  const r = await ssg({}, "audit", "verify-stream", file, "--json", ...flags)
  return { code: r.code, stderr: r.stderr, report: JSON.parse(r.stdout) as Record<string, unknown> }
}

const delivered = (server: HecServer): Array<ForwardRecord> => recordsOf(server.events.map((e) => e.envelope))

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe("ssg sinks run --once to Splunk HEC", () => {
  it("delivers every entry and checkpoint in HEC envelopes (gzip, token, channel); the export verifies", async () => {
    const server = await hec()
    configure(server.url)
    await appendTestEvents(sb.home, 60)
    const r = await runOnce()
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("splunk: caught up at #60")
    const records = delivered(server)
    expect(entrySeqs(records)).toEqual(range(1, 60))
    expect(records.filter((x) => x.kind === "ssg.entry")).toHaveLength(60)
    expect(records.filter((x) => x.kind === "ssg.checkpoint").map((x) => (x.kind === "ssg.checkpoint" ? x.size : 0))).toEqual([25, 60])
    const first = server.events[0]!.envelope
    expect(first).toMatchObject({ index: "ssg", source: "ssg", sourcetype: "ssg:audit", fields: { ssg_seq: "1", ssg_kind: "ssg.entry" } })
    expect(typeof first["time"]).toBe("number")
    const posts = server.requests.filter((q) => q.path === "/services/collector/event")
    expect(posts).toHaveLength(3)
    for (const q of posts) {
      expect(q.headers["authorization"]).toBe(`Splunk ${TOKEN}`)
      expect(q.headers["content-encoding"]).toBe("gzip")
      expect(q.headers["x-splunk-request-channel"]).toMatch(/^[0-9a-f-]{36}$/)
    }
    const status = await statusOf()
    expect(status).toMatchObject({ cursor: 60, lag: 0, paused: false, dead_letters: 0, delivered: 62, last_error: null })

    const lines = asJsonLines(server.events.map((e) => e.envelope))
    const valid = await verifyStream(lines)
    expect(valid.report).toMatchObject({ valid: true, length: 60, checkpoints_verified: 2, stubs: 0 })
    expect(valid.code).toBe(0)

    const altered = lines.replace('"decision":"allow"', '"decision":"block"')
    const bad = await verifyStream(altered)
    expect(bad.code).toBe(1)
    expect(bad.report).toMatchObject({ valid: false, class: "payload-mismatch", first_broken: 2 })

    const rewrite = (seq: number, edit: (line: string) => string) =>
      lines.split("\n").map((l) => (l.includes(`"ssg_kind":"ssg.entry","ssg_seq":"${seq}"`) ? edit(l) : l)).join("\n")
    const relabelled = await verifyStream(rewrite(5, (l) => l.replace(/"type":"v1\.\w+"/, '"type":"v1.RuleChanged"')))
    expect(relabelled.code).toBe(1)
    expect(relabelled.report).toMatchObject({ valid: false, class: "payload-mismatch", first_broken: 5 })
    expect(String(relabelled.report["reason"])).toMatch(/^payload mismatch: the record of #5 says type "v1\.RuleChanged" but its entry is "v1\.\w+"$/)
    const redated = await verifyStream(rewrite(6, (l) => l.replace(/"timestamp":"[^"]+"/, '"timestamp":"2001-01-01T00:00:00.000Z"')))
    expect(redated.report).toMatchObject({ valid: false, class: "payload-mismatch", first_broken: 6 })
    expect(String(redated.report["reason"])).toContain('the record of #6 says timestamp "2001-01-01T00:00:00.000Z" but its entry says')

    const emptied = (line: string) => {
      const envelope = JSON.parse(line) as { event: Record<string, unknown> }
      delete envelope.event["entry"]
      return JSON.stringify(envelope)
    }
    expect((await verifyStream(rewrite(9, emptied))).report).toMatchObject({ valid: true, length: 60, stubs: 1 })

    const missing = lines.split("\n").filter((l) => !l.includes('"ssg_kind":"ssg.entry","ssg_seq":"7"')).join("\n")
    const gap = await verifyStream(missing)
    expect(gap.code).toBe(1)
    expect(gap.report).toMatchObject({ valid: false, class: "missing-entry", first_broken: 7 })

    const unsigned = lines.split("\n").filter((l) => !l.includes('"ssg_kind":"ssg.checkpoint","ssg_seq":"60"')).join("\n")
    const tail = await verifyStream(unsigned)
    expect(tail.report).toMatchObject({ valid: false, class: "unsigned-entries", first_broken: 26 })

    const forged = lines
      .split("\n")
      .map((l) => {
        if (!l.includes('"ssg_kind":"ssg.checkpoint","ssg_seq":"60"')) return l
        const envelope = JSON.parse(l) as { event: { note: string } }
        const signature = envelope.event.note.trimEnd().split("\n").at(-1)!.split(" ").at(-1)!
        const flipped = `${signature.slice(0, 12)}${signature[12] === "A" ? "B" : "A"}${signature.slice(13)}`
        envelope.event.note = envelope.event.note.replace(signature, flipped)
        return JSON.stringify(envelope)
      })
      .join("\n")
    const badlySigned = await verifyStream(forged)
    expect(badlySigned.code).toBe(1)
    expect(badlySigned.report).toMatchObject({ valid: false, class: "bad-checkpoint-signature" })

    const text = await ssg({}, "audit", "verify-stream", sb.write("e2.jsonl", lines))
    expect(text.stdout).toContain("Chain integrity: VALID ✓")
    const piped = sb.ssgWithInput(lines, "audit", "verify-stream", "-", "--json")
    expect(piped.stderr).toBe("")
    expect(piped.code).toBe(0)
    expect(JSON.parse(piped.stdout)).toMatchObject({ valid: true, length: 60 })
  })

  it("sends filtered-out event types as hash-only stubs, so the stream still verifies", async () => {
    const server = await hec()
    configure(server.url, 'events = ["v1.RuleChanged"]\n')
    await appendTestEvents(sb.home, 30)
    expect((await runOnce()).code).toBe(0)
    const entries = delivered(server).flatMap((r) => (r.kind === "ssg.entry" ? [r] : []))
    expect(entries.filter((e) => e.entry !== undefined).map((e) => e.type)).toEqual(["v1.RuleChanged", "v1.RuleChanged", "v1.RuleChanged"])
    expect(entries.filter((e) => e.entry === undefined)).toHaveLength(27)
    const lines = asJsonLines(server.events.map((e) => e.envelope))
    rmSync(join(sb.home, "keys", "signing.key"))
    expect((await verifyStream(lines)).report).toMatchObject({ valid: true, length: 30, stubs: 27 })
    const stubbed = entries.filter((e) => e.entry === undefined).map((e) => `#${e.seq}`)
    const text = await ssg({}, "audit", "verify-stream", sb.write("stubs.jsonl", lines))
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`Hash-only stubs: 27 (${stubbed.slice(0, 5).join(", ")}, …): verified by hash, their content is not in the stream`)
  })

  it("retries 503 busy (waiting out its Retry-After), 500, 429, resets and a stalled answer until every entry is delivered", async () => {
    const server = await hec()
    configure(server.url, "timeout_ms = 500\n")
    await appendTestEvents(sb.home, 45)
    server.fault(
      { kind: "reset-after-body" },
      { kind: "busy", retryAfter: "1" },
      { kind: "status", status: 500, code: 8, text: "Internal server error" },
      { kind: "status", status: 429 },
      { kind: "reset-before-body" },
      { kind: "stall" }
    )
    const r = await runOnce()
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("HEC is busy: HTTP 503 code 9")
    expect(r.stderr).toContain("within 500 ms")
    const faults = server.requests.map((q) => String(q.status)).filter((s) => s !== "200" && s !== "400")
    expect(faults.sort()).toEqual(["429", "500", "503", "reset", "reset", "stall"])
    const busy = server.requests.findIndex((q) => q.status === 503)
    expect(server.requests[busy + 1]!.at - server.requests[busy]!.at).toBeGreaterThanOrEqual(950)
    const records = delivered(server)
    expect(entrySeqs(records)).toEqual(range(1, 45))
    const duplicates = records.filter((x) => x.kind === "ssg.entry").length - 45
    expect(duplicates).toBeGreaterThan(0)
    expect(duplicates).toBeLessThanOrEqual(20)
    expect((await verifyStream(asJsonLines(server.events.map((e) => e.envelope)))).report).toMatchObject({ valid: true, length: 45 })
  })

  it("waits for indexer acknowledgement when ack = true", async () => {
    const server = await hec({ tokens: { [TOKEN]: { useAck: true } }, ackDelayMs: 300 })
    configure(server.url, "ack = true\n")
    await appendTestEvents(sb.home, 25)
    expect((await runOnce()).code).toBe(0)
    expect(entrySeqs(delivered(server))).toEqual(range(1, 25))
    expect(server.requests.some((q) => q.path === "/services/collector/ack" && q.status === 200)).toBe(true)
  })

  it("keeps the URL's query string, and a channel named there replaces the generated one, for events and acks", async () => {
    const server = await hec({ tokens: { [TOKEN]: { useAck: true } } })
    const channel = "0b2e9c3a-5d7f-4e1b-9a6c-2f8d4b7e1c90"
    configure(`${server.url}/services/collector/event?channel=${channel}`, "ack = true\n")
    await appendTestEvents(sb.home, 12)
    expect((await runOnce()).code).toBe(0)
    expect(entrySeqs(delivered(server))).toEqual(range(1, 12))
    const posts = server.requests.filter((q) => q.method === "POST")
    expect(posts.map((q) => q.path)).toContain("/services/collector/ack")
    for (const q of posts) {
      expect(q.query).toBe(`?channel=${channel}`)
      expect(q.headers["x-splunk-request-channel"]).toBeUndefined()
    }
  })

  it("pauses when ack = true but the token has acknowledgement off (200 without an ackId), with the cursor in place", async () => {
    const server = await hec()
    configure(server.url, "ack = true\n")
    await appendTestEvents(sb.home, 10)
    const r = await runOnce()
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('sink splunk: ack = true, but HEC answered HTTP 200 code 0 "Success" without an ackId (acknowledgement is off for this token); enable indexer acknowledgement on the token, or set ack = false')
    expect(await statusOf()).toMatchObject({ paused: true, cursor: 0, dead_letters: 0 })
    configure(server.url, "ack = false\n")
    expect((await runOnce()).code).toBe(0)
    expect(await statusOf()).toMatchObject({ paused: false, cursor: 10 })
  })

  it("pauses on a refused token (no retry storm, nothing dropped), says so in status, resumes with the right token", async () => {
    const server = await hec()
    configure(server.url)
    await appendTestEvents(sb.home, 10)
    const wrong = "99999999-2222-3333-4444-555555555555"
    const r = await runOnce({ SPLUNK_HEC_TOKEN: wrong })
    expect(r.code).toBe(1)
    expect(r.stdout).toContain("splunk: paused at #0")
    expect(`${r.stdout}${r.stderr}`).not.toContain(wrong)
    expect(server.requests.filter((q) => q.path === "/services/collector/event")).toHaveLength(1)
    const status = await statusOf()
    expect(status).toMatchObject({ paused: true, cursor: 0, lag: 10 })
    expect(String(status["paused_reason"])).toContain('HEC refused the token: HTTP 403 code 4 "Invalid token"')
    const text = await ssg(ENV, "sinks", "status")
    expect(text.stdout).toContain("splunk (splunk_hec) PAUSED")
    const sinksDb = await ssg(ENV, "sinks", "status", "--json")
    expect(sinksDb.stdout).not.toContain(wrong)

    const again = await runOnce()
    expect(again.code).toBe(0)
    expect(again.stderr).toContain("sink splunk: resuming (it was paused")
    expect(entrySeqs(delivered(server))).toEqual(range(1, 10))
    expect(await statusOf()).toMatchObject({ paused: false, cursor: 10 })
  })

  it("dead-letters a poison event and delivers the rest; dlq retry re-sends, dlq drop removes", async () => {
    const server = await hec()
    configure(server.url)
    await appendTestEvents(sb.home, 30)
    const poison = new Set([7, 8])
    server.setPoison((event) => typeof event === "object" && event !== null && poison.has((event as { seq?: number }).seq ?? -1))
    const r = await runOnce()
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("dead-lettered")
    expect(entrySeqs(delivered(server))).toEqual(range(1, 30).filter((s) => !poison.has(s)))
    expect(await statusOf()).toMatchObject({ cursor: 30, dead_letters: 2 })
    const list = await ssg(ENV, "sinks", "dlq", "splunk", "list", "--json")
    const letters = JSON.parse(list.stdout) as Array<{ id: number; seq: number; reason: string }>
    expect(letters.map((l) => l.seq)).toEqual([7, 8])
    expect(letters[0]!.reason).toContain('HTTP 400 code 6 "Invalid data format"')

    const still = await ssg(ENV, "sinks", "dlq", "splunk", "retry")
    expect(still.code).toBe(1)
    expect(still.stdout).toContain("0 delivered, 2 refused again (kept)")

    poison.clear()
    const retried = await ssg(ENV, "sinks", "dlq", "splunk", "retry", "--id", String(letters[0]!.id))
    expect(retried.code).toBe(0)
    expect(retried.stdout).toContain("1 delivered, 0 refused again")
    expect(entrySeqs(delivered(server))).toEqual(range(1, 30).filter((s) => s !== 8))
    const dropped = await ssg(ENV, "sinks", "dlq", "splunk", "drop")
    expect(dropped.stdout).toContain("dropped 1 dead letter")
    expect(await statusOf()).toMatchObject({ dead_letters: 0 })
  })

  it("replay --from moves the cursor back and sends those entries again; it never moves the cursor forward past unsent entries", async () => {
    const server = await hec()
    configure(server.url)
    await appendTestEvents(sb.home, 30)
    expect((await runOnce()).code).toBe(0)
    const before = server.events.length
    const replay = await ssg(ENV, "sinks", "replay", "splunk", "--from", "21")
    expect(replay.stdout).toContain("cursor moved from #30 to #20")
    expect((await runOnce()).code).toBe(0)
    expect(entrySeqs(recordsOf(server.events.slice(before).map((e) => e.envelope)))).toEqual(range(21, 30))
    const ahead = await ssg(ENV, "sinks", "replay", "splunk", "--from", "32")
    expect(ahead.code).toBe(2)
    expect(ahead.stderr).toContain("--from 32 would skip entries splunk has not sent yet (its cursor is at #30)")
    expect(await statusOf()).toMatchObject({ cursor: 30 })
    expect((await ssg(ENV, "sinks", "replay", "splunk", "--from", "31")).code).toBe(0)
  })

  it("run --name forwards to the named sink only; an unknown name is a usage error", async () => {
    const first = await hec()
    const second = await hec()
    configure(first.url, `\n[[sinks]]\nname = "other"\ntype = "splunk_hec"\nurl = "${second.url}"\ntoken_env = "SPLUNK_HEC_TOKEN"\nindex = "ssg"\n`)
    await appendTestEvents(sb.home, 12)
    const r = await ssg(ENV, "sinks", "run", "--once", "--name", "other")
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("other: caught up at #12")
    expect(r.stdout).not.toContain("splunk:")
    expect(entrySeqs(delivered(second))).toEqual(range(1, 12))
    expect(first.events).toHaveLength(0)
    const status = JSON.parse((await ssg(ENV, "sinks", "status", "--json")).stdout) as Array<{ name: string; cursor: number }>
    expect(status.map((x) => [x.name, x.cursor])).toEqual([["splunk", 0], ["other", 12]])
    const unknown = await ssg(ENV, "sinks", "run", "--once", "--name", "nope")
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('no sink named "nope"')
  })

  it("sinks test reports health and token checks", async () => {
    const server = await hec()
    configure(server.url)
    const ok = await ssg(ENV, "sinks", "test", "splunk")
    expect(ok.stdout).toContain("splunk: ok: HEC is healthy; token accepted")
    expect(ok.code).toBe(0)
    server.setHealthy(false)
    const down = await ssg(ENV, "sinks", "test", "splunk")
    expect(down.code).toBe(1)
    expect(down.stderr).toContain("HEC is unhealthy: HTTP 503 code 18")
    server.setHealthy(true)
    const bad = await ssg({ SPLUNK_HEC_TOKEN: "nope-nope" }, "sinks", "test", "splunk")
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain("code 4")
    expect(bad.stderr).not.toContain("nope-nope")
    configure(`${server.url}/not/hec`)
    const wrong = await ssg(ENV, "sinks", "test", "splunk")
    expect(wrong.code).toBe(1)
    expect(wrong.stdout).toBe("")
    expect(wrong.stderr).toMatch(/sink splunk: no HEC health endpoint at http:\/\/127\.0\.0\.1:\d+\/not\/hec\/services\/collector\/health: HTTP 404/)
  })
})

describe("ssg sinks run against HEC limits", () => {
  it("halves a batch HEC refuses as too large (413) until it fits, and dead-letters a record too large on its own", async () => {
    const server = await hec({ maxBodyBytes: 6_000 })
    configure(server.url)
    await appendTestEvents(sb.home, 30)
    const files = Array.from({ length: 200 }, (_, i) => `.sigmashake/rules/a-rather-long-directory-name/file-${i}.rules`)
    await appendToLog(sb.home, [[RuleChanged.make({ rule_id: "huge", change: "disabled", from: "block", to: "allow", files })]])
    await appendTestEvents(sb.home, 9, 9, 30)

    const r = await runOnce()
    expect(r.code).toBe(0)
    const posts = server.requests.filter((q) => q.path === "/services/collector/event")
    expect(posts.filter((q) => q.status === 413).length).toBeGreaterThan(0)
    const perRequest = new Map<number, number>()
    for (const e of server.events) perRequest.set(e.request, (perRequest.get(e.request) ?? 0) + 1)
    expect(Math.max(...perRequest.values())).toBeLessThan(20)
    expect(entrySeqs(delivered(server))).toEqual([...range(1, 30), ...range(32, 40)])
    expect(await statusOf()).toMatchObject({ cursor: 40, dead_letters: 1 })
    const dlq = await ssg(ENV, "sinks", "dlq", "splunk", "list", "--json")
    const letters = JSON.parse(dlq.stdout) as Array<Record<string, unknown>>
    expect(letters).toHaveLength(1)
    expect(JSON.stringify(letters[0])).toContain("too large")
  }, 60_000)

  it("sends a batch again when its indexer acknowledgement never turns true, and keeps the cursor until one does", async () => {
    const silent = await hec({ tokens: { [TOKEN]: { useAck: true } }, neverAck: true })
    configure(silent.url, "ack = true\nack_timeout_ms = 200\n")
    await appendTestEvents(sb.home, 10)
    const stuck = await runOnce()
    expect(stuck.code).toBe(1)
    expect(silent.accepted()).toBeGreaterThanOrEqual(20)
    const s = await statusOf()
    expect(s).toMatchObject({ cursor: 0, lag: 10 })
    expect(String(s["last_error"])).toContain("did not acknowledge ackId")

    const acking = await hec({ tokens: { [TOKEN]: { useAck: true } } })
    configure(acking.url, "ack = true\nack_timeout_ms = 2000\n")
    expect((await runOnce()).code).toBe(0)
    expect(entrySeqs(delivered(acking))).toEqual(range(1, 10))
    expect(await statusOf()).toMatchObject({ cursor: 10, lag: 0 })
  }, 90_000)
})

describe("ssg sinks run to Cribl's HTTP source (cribl_http)", () => {
  const cribl = (url: string) =>
    sb.write(".sigmashake/config.toml", `[[sinks]]\nname = "cribl"\ntype = "cribl_http"\nurl = "${url}"\ntoken_env = "SPLUNK_HEC_TOKEN"\nbatch_events = 20\n`)

  it("sends HEC envelopes with the bare token to /services/collector; the stream verifies; a wrong token pauses", async () => {
    const server = await hec({ cribl: true })
    cribl(server.url)
    await appendTestEvents(sb.home, 45)
    const test = await ssg(ENV, "sinks", "test", "cribl")
    expect(test.code).toBe(0)
    expect(test.stdout).toContain("token accepted")
    const r = await runOnce()
    expect(r.code).toBe(0)
    expect(entrySeqs(delivered(server))).toEqual(range(1, 45))
    const posts = server.requests.filter((q) => q.method === "POST" && q.status === 200)
    expect(posts.length).toBeGreaterThanOrEqual(3)
    for (const q of posts) {
      expect(q.path).toBe("/services/collector")
      expect(q.headers["authorization"]).toBe(TOKEN)
      expect(q.headers["x-splunk-request-channel"]).toBeUndefined()
    }
    expect((await verifyStream(asJsonLines(server.events.map((e) => e.envelope)))).report).toMatchObject({ valid: true, length: 45 })

    await appendTestEvents(sb.home, 5, 5, 45)
    const wrong = await runOnce({ SPLUNK_HEC_TOKEN: "not-the-token" })
    expect(wrong.code).toBe(1)
    expect(wrong.stdout).toContain("cribl: paused at #45")
    expect(`${wrong.stdout}${wrong.stderr}`).not.toContain("not-the-token")
  })
})

describe("ssg sinks run (following the log)", () => {
  it("keeps up with writers while HEC is down and delivers everything once it is back", async () => {
    const probe = await hec()
    const port = Number(new URL(probe.url).port)
    await probe.close()
    servers = []
    configure(`http://127.0.0.1:${port}`, "flush_interval_ms = 50\n")
    await appendTestEvents(sb.home, 20)
    const child = spawn(process.execPath, [BIN, "sinks", "run"], {
      cwd: sb.cwd,
      env: { ...process.env, SSG_HOME: sb.home, ...ENV },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    try {
      await appendTestEvents(sb.home, 300, 10, 20)
      await until(() => stderr.includes("cannot reach"))
      const server = await hec({ port })
      await appendTestEvents(sb.home, 30, 10, 320)
      await until(() => entrySeqs(delivered(server)).length === 350 && delivered(server).some((r) => r.kind === "ssg.checkpoint" && r.size === 350))
      expect(entrySeqs(delivered(server))).toEqual(range(1, 350))
      const file = join(sb.cwd, "follow.jsonl")
      writeFileSync(file, asJsonLines(server.events.map((e) => e.envelope)))
      const verified = await ssg({}, "audit", "verify-stream", file, "--json")
      expect(JSON.parse(verified.stdout)).toMatchObject({ valid: true, length: 350 })
    } finally {
      child.kill("SIGTERM")
      await new Promise((resolve) => child.on("close", resolve))
    }
    expect(stderr).not.toContain(TOKEN)
  })
})

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 600 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 100))
  expect(condition()).toBe(true)
}
