import { gzipSync } from "node:zlib"
import { request } from "undici"
import { afterEach, describe, expect, it } from "vitest"
import { type HecServer, parseObjects, splitObjects, startHecServer } from "../support/HecServer.js"

const TOKEN = "11111111-2222-3333-4444-555555555555"
const ACK = "aaaaaaaa-2222-3333-4444-555555555555"
const CHANNEL = "0aa1b2c3-d4e5-4f60-8a9b-0c1d2e3f4a5b"
let server: HecServer
afterEach(() => server.close())

const post = async (path: string, body: string | Buffer, headers: Record<string, string> = {}) => {
  const r = await request(`${server.url}${path}`, { method: "POST", headers, body })
  const text = await r.body.text()
  return { status: r.statusCode, body: text === "" ? null : (JSON.parse(text) as Record<string, unknown>) }
}

describe("the HEC test server follows Splunk's protocol (reference §1.8)", () => {
  it("token auth codes, health, empty body, encodings, batch validation with invalid-event-number, acks once", async () => {
    server = await startHecServer({ tokens: { [TOKEN]: { indexes: ["ssg"] }, [ACK]: { useAck: true }, off: { disabled: true } }, maxBodyBytes: 1000 })
    const auth = { authorization: `Splunk ${TOKEN}` }
    expect(await post("/services/collector/event", '{"event":1}')).toEqual({ status: 401, body: { text: "Token is required", code: 2 } })
    expect(await post("/services/collector", '{"event":1}', { authorization: TOKEN })).toEqual({ status: 401, body: { text: "Invalid authorization", code: 3 } })
    expect(await post("/services/collector", '{"event":1}', { authorization: "Splunk nope" })).toEqual({ status: 403, body: { text: "Invalid token", code: 4 } })
    expect(await post("/services/collector", '{"event":1}', { authorization: "Splunk off" })).toEqual({ status: 403, body: { text: "Token disabled", code: 1 } })
    expect(await post("/services/collector/event/1.0", '{"event":1}', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}` })).toEqual({ status: 200, body: { text: "Success", code: 0 } })
    expect(await post("/services/collector/event", "", auth)).toEqual({ status: 400, body: { text: "No data", code: 5 } })
    expect((await post("/services/collector/event", '{"event":1}', { ...auth, "content-encoding": "br" })).status).toBe(415)
    expect((await post("/services/collector/event", gzipSync("x".repeat(2000)), { ...auth, "content-encoding": "gzip" })).status).toBe(413)
    expect(await post("/services/collector/event", gzipSync('{"event":"a"}{"event":"b","index":"ssg"}'), { ...auth, "content-encoding": "gzip" })).toEqual({ status: 200, body: { text: "Success", code: 0 } })
    for (const [body, code, text] of [
      ['{"event":1}\n{"nope":1}', 12, "Event field is required"],
      ['{"event":1} {"event":""}', 13, "Event field cannot be blank"],
      ['{"event":1} {"event":2,"fields":{"a":{"b":1}}}', 15, "Error in handling indexed fields"],
      ['{"event":1} {"event":2,"index":"main"}', 7, "Incorrect index"],
      ['{"event":1} {"event":2', 6, "Invalid data format"]
    ] as const) {
      expect(await post("/services/collector/event", body, auth)).toEqual({ status: 400, body: { text, code, "invalid-event-number": 1 } })
    }
    expect(server.events.map((e) => e.envelope["event"])).toEqual([1, "a", "b", 1, 1, 1, 1, 1])
    const ack = { authorization: `Splunk ${ACK}` }
    expect(await post("/services/collector/event", '{"event":1}', ack)).toEqual({ status: 400, body: { text: "Data channel is missing", code: 10 } })
    expect(await post("/services/collector/event", '{"event":1}', { ...ack, "x-splunk-request-channel": "not-a-guid" })).toEqual({ status: 400, body: { text: "Invalid data channel", code: 11 } })
    const withChannel = { ...ack, "x-splunk-request-channel": CHANNEL }
    expect((await post("/services/collector/event", '{"event":1}', withChannel)).body).toMatchObject({ code: 0, ackId: 0 })
    expect((await post("/services/collector/event", '{"event":2}', withChannel)).body).toMatchObject({ code: 0, ackId: 1 })
    expect((await post("/services/collector/ack", '{"acks":[0,1,7]}', withChannel)).body).toEqual({ acks: { "0": true, "1": true, "7": false } })
    expect((await post("/services/collector/ack", '{"acks":[0]}', withChannel)).body).toEqual({ acks: { "0": false } })
    expect(await post("/services/collector/ack", '{"acks":[0]}', { ...auth, "x-splunk-request-channel": CHANNEL })).toEqual({ status: 400, body: { text: "ACK is disabled", code: 14 } })
    expect((await post("/services/collector/raw", "line one\nline two", auth)).body).toEqual({ text: "Data channel is missing", code: 10 })
    const health = await request(`${server.url}/services/collector/health/1.0`)
    expect(await health.body.json()).toEqual({ text: "HEC is healthy", code: 17 })
    server.setHealthy(false)
    const sick = await request(`${server.url}/services/collector/health`)
    expect([sick.statusCode, await sick.body.json()]).toEqual([503, { text: "HEC is unhealthy, queues are full", code: 18 }])
  })

  it("busy and pending-ack limit answer 503 code 9", async () => {
    server = await startHecServer({ tokens: { [ACK]: { useAck: true } }, neverAck: true, maxPendingAcks: 1 })
    const headers = { authorization: `Splunk ${ACK}`, "x-splunk-request-channel": CHANNEL }
    server.fault({ kind: "busy", retryAfter: "2" })
    const busy = await request(`${server.url}/services/collector/event`, { method: "POST", headers, body: '{"event":1}' })
    expect([busy.statusCode, busy.headers["retry-after"], await busy.body.json()]).toEqual([503, "2", { text: "Server is busy", code: 9 }])
    expect((await post("/services/collector/event", '{"event":1}', headers)).body).toMatchObject({ ackId: 0 })
    expect(await post("/services/collector/event", '{"event":1}', headers)).toEqual({ status: 503, body: { text: "Server is busy", code: 9 } })
    expect((await post("/services/collector/ack", '{"acks":[0]}', headers)).body).toEqual({ acks: { "0": false } })
  })

  it("validates alike whether it keeps events (UTF-8 text) or only counts them (Latin-1 view of the bytes)", async () => {
    const tokens = { [TOKEN]: { indexes: ["ssg", "sécurité"] } }
    const counting = await startHecServer({ tokens, retainEvents: false })
    server = await startHecServer({ tokens })
    try {
      const bodies: ReadonlyArray<Buffer> = [
        Buffer.from('{"event":"ünïcödé ☃","index":"sécurité"}\n{"event":{"a":"𝄞"},"time":"1.5"}\n'),
        Buffer.from("\u00a0\n \u2028\n"),
        Buffer.from('{"event":1,"time":" 5\u00a0"}\n{"event":2,"time":"５"}'),
        Buffer.from('{"event":1,"index":["sécurité"]}\n{"event":2,"index":"sécurite"}'),
        Buffer.concat([Buffer.from('{"event":"'), Buffer.from([0xff, 0xc3]), Buffer.from('"}\n{"event":1}')]),
        Buffer.concat([Buffer.from('{"event":1}'), Buffer.from([0xa0]), Buffer.from('{"event":2}')]),
        Buffer.concat([Buffer.from('{"event":1}\n'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"event":2}')]),
        Buffer.concat([Buffer.from('{"event":1}\n{"event":2}'), Buffer.from([0xc2, 0xa0])])
      ]
      for (const body of bodies) {
        for (const gzip of [false, true]) {
          const headers = { authorization: `Splunk ${TOKEN}`, ...(gzip ? { "content-encoding": "gzip" } : {}) }
          const sent = gzip ? gzipSync(body) : body
          const kept = await post("/services/collector/event", sent, headers)
          const counted = await request(`${counting.url}/services/collector/event`, { method: "POST", headers, body: sent })
          expect({ status: counted.statusCode, body: await counted.body.json() }).toEqual(kept)
        }
      }
      expect(counting.accepted()).toBe(server.events.length)
    } finally {
      await counting.close()
    }
  })

  it("splits concatenated JSON objects with or without separators", () => {
    expect(splitObjects('{"a":"}{"}{"b":[1,{"c":2}]}\n {"d":"\\"}"}')).toEqual(['{"a":"}{"}', '{"b":[1,{"c":2}]}', '{"d":"\\"}"}'])
    const lines = '{"a":1}\n\n {"b":[1,{"c":"}{"}]} \r\n"s"\n3'
    expect(parseObjects(lines)).toEqual([{ a: 1 }, { b: [1, { c: "}{" }] }, "s", 3])
    expect(parseObjects(lines.replaceAll("\n", " "))).toEqual(parseObjects(lines))
    const broken = parseObjects('{"a":1}\n{"b":\n2}\n{"c"')
    expect(broken.slice(0, 2)).toEqual([{ a: 1 }, { b: 2 }])
    expect(broken).toHaveLength(3)
    expect(typeof broken[2]).toBe("symbol")
  })
})
