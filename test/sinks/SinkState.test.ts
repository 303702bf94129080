import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdtempSync, realpathSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathsFrom, SsgPaths } from "../../src/pipeline/Paths.js"
import { checkpointRecord, type EntryRecord } from "../../src/sinks/Record.js"
import * as SinkState from "../../src/sinks/SinkState.js"

const tempHome = Effect.acquireRelease(
  Effect.sync(() => realpathSync(mkdtempSync(join(tmpdir(), "ssg-sinkstate-")))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const withState = <A, E>(body: (home: string) => Effect.Effect<A, E, SinkState.SinkState>) =>
  Effect.gen(function* () {
    const home = yield* tempHome
    return yield* body(home).pipe(Effect.provide(SinkState.layer.pipe(Layer.provide(Layer.succeed(SsgPaths, pathsFrom({ SSG_HOME: home }, home))))))
  })

const record = (seq: number): EntryRecord => ({
  kind: "ssg.entry",
  id: `ssg.local/abc:${seq}`,
  log_id: "ssg.local/abc",
  seq,
  type: "v1.EvalDecided",
  timestamp: "2026-01-01T00:00:00.000Z",
  leaf: "00".repeat(32),
  chain: "11".repeat(32)
})

describe("SinkState (sinks.db)", () => {
  it.scoped("starts at cursor 0; confirm moves cursor and checkpoint forward only (and, given where its batch was read, only from there: a replay stands), stores dead letters once", () =>
    withState((home) =>
      Effect.gen(function* () {
        const state = yield* SinkState.SinkState
        assert.strictEqual(state.path, join(home, "sinks.db"))
        assert.deepStrictEqual(yield* state.get("s"), {
          name: "s", cursor: 0, checkpointSize: 0, delivered: 0, lastSuccessAt: null, lastErrorAt: null, lastError: null,
          paused: false, pausedReason: null, deadLetters: 0
        })
        yield* state.failed("s", "sink s: HEC is busy")
        yield* state.deadLetter("s", [{ record: record(3), reason: "bad" }])
        yield* state.confirm("s", { cursor: 10, checkpointSize: 8, delivered: 9, deadLetters: [{ record: record(3), reason: "bad" }] })
        const after = yield* state.get("s")
        assert.strictEqual(after.cursor, 10)
        assert.strictEqual(after.checkpointSize, 8)
        assert.strictEqual(after.deadLetters, 1)
        assert.strictEqual(after.lastError, null)
        assert.notStrictEqual(after.lastSuccessAt, null)
        yield* state.confirm("s", { cursor: 5, checkpointSize: 4, delivered: 1, deadLetters: [] })
        assert.strictEqual((yield* state.get("s")).cursor, 10)
        yield* state.rewind("s", 4)
        assert.strictEqual((yield* state.get("s")).cursor, 3)
        yield* state.confirm("s", { from: { cursor: 10, checkpointSize: 8 }, cursor: 12, checkpointSize: 12, delivered: 2, deadLetters: [] })
        assert.deepStrictEqual([(yield* state.get("s")).cursor, (yield* state.get("s")).checkpointSize, (yield* state.get("s")).delivered], [3, 3, 12])
        yield* state.confirm("s", { from: { cursor: 3, checkpointSize: 3 }, cursor: 6, checkpointSize: 5, delivered: 3, deadLetters: [] })
        assert.deepStrictEqual([(yield* state.get("s")).cursor, (yield* state.get("s")).checkpointSize], [6, 5])
        yield* state.rewind("s", 4)
        const letters = yield* state.deadLetters("s")
        assert.deepStrictEqual(letters.map((l) => [l.seq, l.recordId, l.reason]), [[3, "ssg.local/abc:3", "bad"]])
        assert.strictEqual(yield* state.removeDeadLetters("s", letters.map((l) => l.id)), 1)
        yield* state.deadLetter("s", [{ record: checkpointRecord("ssg.local/abc", 7, new Uint8Array(32), "note"), reason: "x" }])
        assert.strictEqual((yield* state.deadLetters("s"))[0]!.seq, 7)
      })
    )
  )

  it.scoped("pause keeps the reason until resumed; sinks are independent", () =>
    withState(() =>
      Effect.gen(function* () {
        const state = yield* SinkState.SinkState
        yield* state.pause("a", "sink a: HEC refused the token")
        assert.deepStrictEqual([(yield* state.get("a")).paused, (yield* state.get("a")).pausedReason], [true, "sink a: HEC refused the token"])
        assert.strictEqual((yield* state.get("b")).paused, false)
        yield* state.pause("a", null)
        assert.strictEqual((yield* state.get("a")).paused, false)
      })
    )
  )
})
