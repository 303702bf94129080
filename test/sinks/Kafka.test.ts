import { Kafka, logLevel } from "kafkajs"
import { afterEach, describe, expect, it } from "vitest"
import type { ForwardRecord } from "../../src/sinks/Record.js"
import { useCliSandbox } from "../support/cli.js"
import { type KafkaMock, kcatAvailable, kcatConsume, startKafkaMock } from "../support/KafkaMock.js"
import { appendTestEvents, entrySeqs, ssgEnv } from "../support/sinks.js"

const sb = useCliSandbox("ssg-sinks-kafka")
const TOPIC = "ssg-audit"
const HAVE_KCAT = kcatAvailable()

let mocks: Array<KafkaMock> = []
afterEach(async () => {
  await Promise.all(mocks.map((m) => m.stop()))
  mocks = []
})

const broker = async () => {
  const mock = await startKafkaMock(TOPIC)
  mocks.push(mock)
  return mock
}

const configure = (brokers: string, extra = "") =>
  sb.write(
    ".sigmashake/config.toml",
    `[[sinks]]\nname = "kafka"\ntype = "kafka"\nbrokers = ["${brokers}"]\ntopic = "${TOPIC}"\nbatch_events = 50\ntimeout_ms = 3000\n${extra}`
  )

const ssg = (...args: Array<string>) => ssgEnv(sb.cwd, sb.home, {}, ...args)

interface Consumed {
  readonly key: string | null
  readonly headers: Record<string, string>
  readonly value: string
}

const consumeAll = async (bootstrap: string, expected: number): Promise<Array<Consumed>> => {
  const kafka = new Kafka({ clientId: "ssg-test", brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `test-${Date.now()}-${Math.random()}` })
  const seen: Array<Consumed> = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${seen.length} of ${expected} messages in 30 s`)), 30_000)
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push({
            key: message.key?.toString("utf8") ?? null,
            headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
            value: message.value!.toString("utf8")
          })
          if (seen.length >= expected) {
            clearTimeout(timer)
            resolve()
          }
        }
      })
    })
  } finally {
    await consumer.disconnect()
  }
  return seen
}

const verifyStream = async (lines: ReadonlyArray<string>) => {
  const file = sb.write("stream.jsonl", lines.join("\n") + "\n")
  const r = await ssg("audit", "verify-stream", file, "--json")
  return { code: r.code, report: JSON.parse(r.stdout) as Record<string, unknown>, stderr: r.stderr }
}

describe.skipIf(!HAVE_KCAT)("ssg sinks run to Kafka (librdkafka's mock cluster from kcat)", () => {
  it("delivers every entry and checkpoint with acks=-1 and gzip, keyed by log id with id/seq/hash headers; both consumers' streams verify", async () => {
    const mock = await broker()
    configure(mock.bootstrap, 'compression = "gzip"\n')
    await appendTestEvents(sb.home, 120)
    const run = await ssg("sinks", "run", "--once")
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)

    const status = JSON.parse((await ssg("sinks", "status", "--json")).stdout) as Array<Record<string, unknown>>
    expect(status[0]).toMatchObject({ name: "kafka", cursor: 120, paused: false })

    const fromKcat = kcatConsume(mock.bootstrap, TOPIC)
    const records = fromKcat.map((line) => JSON.parse(line) as ForwardRecord)
    expect(entrySeqs(records)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1))
    expect(records.filter((r) => r.kind === "ssg.checkpoint").length).toBeGreaterThan(0)
    const byKcat = await verifyStream(fromKcat)
    expect(byKcat.report).toMatchObject({ valid: true })
    expect(byKcat.code).toBe(0)

    const consumed = await consumeAll(mock.bootstrap, fromKcat.length)
    expect(consumed.length).toBe(fromKcat.length)
    const logId = records[0]!.log_id
    for (const message of consumed) {
      const record = JSON.parse(message.value) as ForwardRecord
      expect(message.key).toBe(logId)
      expect(message.headers["ssg-id"]).toBe(record.id)
      expect(message.headers["ssg-seq"]).toBe(String(record.kind === "ssg.entry" ? record.seq : record.size))
      expect(message.headers["ssg-hash"]).toBe(record.kind === "ssg.entry" ? record.leaf : record.root)
    }
    const byKafkajs = await verifyStream(consumed.map((m) => JSON.stringify({ key: m.key, value: m.value })))
    expect(byKafkajs.report).toMatchObject({ valid: true })
  }, 90_000)

  it("an altered record in the consumed stream fails verify-stream", async () => {
    const mock = await broker()
    configure(mock.bootstrap)
    await appendTestEvents(sb.home, 30)
    expect((await ssg("sinks", "run", "--once")).code).toBe(0)
    const lines = kcatConsume(mock.bootstrap, TOPIC)
    const at = lines.findIndex((l) => l.includes('"seq":7,'))
    lines[at] = lines[at]!.replace("entry 6", "entry 666")
    const result = await verifyStream(lines)
    expect(result.code).toBe(1)
    expect(result.report).toMatchObject({ valid: false })
  }, 60_000)

  it("keeps its cursor while the brokers cannot be reached, says so in status, and delivers everything once a broker answers", async () => {
    configure("127.0.0.1:1")
    await appendTestEvents(sb.home, 40)
    const down = await ssg("sinks", "run", "--once")
    expect(down.code).toBe(1)
    const stuck = JSON.parse((await ssg("sinks", "status", "--json")).stdout) as Array<Record<string, unknown>>
    expect(stuck[0]).toMatchObject({ name: "kafka", cursor: 0 })
    expect(String(stuck[0]!["last_error"])).toContain("127.0.0.1:1")

    const mock = await broker()
    configure(mock.bootstrap)
    await appendTestEvents(sb.home, 10, 5, 40)
    const up = await ssg("sinks", "run", "--once")
    expect(up.code).toBe(0)
    const records = kcatConsume(mock.bootstrap, TOPIC).map((line) => JSON.parse(line) as ForwardRecord)
    expect(entrySeqs(records)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
  }, 90_000)

  it("`ssg sinks test` reports the broker's answer, and a non-zero exit when none answers", async () => {
    const mock = await broker()
    configure(mock.bootstrap)
    const ok = await ssg("sinks", "test", "kafka")
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain("1 broker(s)")
    configure("127.0.0.1:1")
    const bad = await ssg("sinks", "test", "kafka")
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain("127.0.0.1:1")
  }, 60_000)
})

if (!HAVE_KCAT) {
  describe("Kafka sink", () => {
    it.skip("needs Debian's kcat for the librdkafka mock broker (.ci/run installs it)", () => {})
  })
}
