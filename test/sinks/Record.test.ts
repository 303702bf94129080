import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdtempSync, realpathSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { EvalDecided, type Event, RuleChanged } from "../../src/domain/Event.js"
import { makeSourceReader } from "../../src/domain/EnvelopeBytes.js"
import * as AuditLog from "../../src/pipeline/AuditLog.js"
import * as Keys from "../../src/pipeline/Keys.js"
import { pathsFrom, SsgPaths } from "../../src/pipeline/Paths.js"
import { kafkaMessage } from "../../src/sinks/Kafka.js"
import {
  checkpointRecord,
  entryRecord,
  entryRecordOfRow,
  type ForwardRecord,
  recordBytes,
  recordJson,
  writeFrame
} from "../../src/sinks/Record.js"
import { parseSink, type HecSinkConfig } from "../../src/sinks/SinkConfig.js"
import { hecEncoder, hecEnvelope } from "../../src/sinks/SplunkHec.js"

const tricky: ReadonlyArray<unknown> = [
  { command: 'echo "quoted" \\ back\\slash\n\ttab \u0001\u001f ☃ 𝄞 \u2028\u2029 </script>' },
  { "10": "ten", "2": "two", "1": "one", a: "letter" },
  { nested: { "0": [1, 2], "-1": null, "01": "not an index" } },
  { "-x": 1, "4294967295": "not an array index" },
  { numbers: [0, -0, 1e21, 1e-7, 0.1, -1.5, 123456789012345680000, 5e-324], flags: [true, false, null] },
  { ["__proto__"]: { polluted: true }, constructor: "c", "": "empty key", "é": "é", "\u0000": "nul" },
  { deep: [[[{ "x": [{}, []] }]]], long: "x".repeat(3000) }
]

const events: ReadonlyArray<Event> = tricky.flatMap((input, i) => [
  EvalDecided.make({
    tool: "Bash",
    capability: "execute",
    client: "claude-code",
    decision: i % 2 === 0 ? "allow" : "block",
    rule_id: i % 2 === 0 ? null : "no-rm",
    also_matched: [],
    latency_ms: 0.125 * i,
    input_summary: `input ${i} — ünïcödé`,
    input_sha256: "ab".repeat(32),
    input: JSON.parse(JSON.stringify(input)) as unknown
  }),
  RuleChanged.make({ rule_id: `rule-${i}`, change: "disabled", from: "block", to: "allow", files: [`r${i}.rules`] })
])

const hecText = (config: HecSinkConfig, record: ForwardRecord): string => {
  const frame = hecEncoder(config)(record)
  const bytes = Buffer.alloc(frame.bytes)
  assert.strictEqual(writeFrame(frame, bytes, 0), frame.bytes)
  return bytes.toString("utf8")
}

const hec = (extra: Record<string, unknown>): HecSinkConfig =>
  parseSink("config.toml", 0, { name: "splunk", type: "splunk_hec", url: "http://127.0.0.1:1", token_env: "T", ...extra }) as HecSinkConfig

describe("records spliced from the stored envelope bytes", () => {
  it.scoped("are byte-identical to the parsed-and-stringified records, HEC envelopes and Kafka values (integer-like keys parsed)", () =>
    Effect.gen(function* () {
      const home = yield* Effect.acquireRelease(
        Effect.sync(() => realpathSync(mkdtempSync(join(tmpdir(), "ssg-record-")))),
        (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      )
      const read = Effect.gen(function* () {
        const log = yield* AuditLog.AuditLog
        yield* log.append(events)
        return { batch: yield* log.forwardBatch(0, 1_000, 0), stored: yield* log.entries({}) }
      }).pipe(
        Effect.provide(
          AuditLog.layer.pipe(
            Layer.provideMerge(Keys.layer),
            Layer.provideMerge(Layer.succeed(SsgPaths, pathsFrom({ SSG_HOME: home }, home)))
          )
        )
      )
      const { batch, stored } = yield* read
      assert.strictEqual(batch.entries.length, events.length)
      assert.deepStrictEqual(batch.checkpoints.map((c) => c.size), [events.length])
      const configs = [hec({ index: "ssg" }), hec({ host: "fixed-host", source: "sö\"urce" })]
      const sourceOf = makeSourceReader()
      let spliced = 0
      for (const [i, row] of batch.entries.entries()) {
        for (const full of [true, false]) {
          const before = entryRecord(stored[i]!, full)
          const after = entryRecordOfRow(row, full, sourceOf(row[3]))
          if (full && Object.getOwnPropertyDescriptor(after, "entry")?.get !== undefined) spliced++
          const text = JSON.stringify(before)
          assert.strictEqual(recordJson(after), text)
          assert.isTrue(recordBytes(after).equals(Buffer.from(text)))
          assert.isTrue(recordBytes(after, "[", "]").equals(Buffer.from(`[${text}]`)))
          assert.isTrue(Buffer.from(kafkaMessage(after).value as Buffer).equals(Buffer.from(kafkaMessage(before).value as Buffer)))
          for (const config of configs) {
            assert.strictEqual(hecText(config, after), JSON.stringify(hecEnvelope(config, before)))
          }
          assert.deepStrictEqual(after, before)
          assert.strictEqual(JSON.stringify(after), text)
        }
      }
      assert.strictEqual(spliced, events.length - 3)
      const checkpoint = checkpointRecord("ssg.local/x", 3, new Uint8Array(32), "note\n— signed\n")
      const untimed = (text: string) => text.replace(/^\{"time":[0-9.]+,/, "{")
      for (const config of configs) {
        assert.strictEqual(untimed(hecText(config, checkpoint)), untimed(JSON.stringify(hecEnvelope(config, checkpoint))))
      }
      assert.isTrue(recordBytes(checkpoint).equals(Buffer.from(JSON.stringify(checkpoint))))
    })
  )
})
