import { Duration, Effect, Either, Fiber } from "effect"
import { makeSourceReader } from "../domain/EnvelopeBytes.js"
import { AuditError, AuditLog, type ForwardBatch } from "../pipeline/AuditLog.js"
import { makeSink } from "./Forwarders.js"
import { checkpointRecord, entryRecordOfRow, type ForwardRecord } from "./Record.js"
import { type Sink, SinkFailure } from "./Sink.js"
import type { SinkConfig } from "./SinkConfig.js"
import { type Rejected, SinkState, type SinkStateError } from "./SinkState.js"

/** How a sink's run ended: caught up (`--once`), paused (auth/config) or still failing after retries. */
export interface SinkOutcome {
  readonly name: string
  readonly state: "caught-up" | "paused" | "failing"
  readonly message: string
  readonly delivered: number
  readonly deadLettered: number
  readonly cursor: number
}

/** How `run` forwards: until caught up (`once`) or following the log; where progress lines go. */
export interface RunOptions {
  readonly once: boolean
  readonly env: NodeJS.ProcessEnv
  readonly report: (line: string) => Effect.Effect<void>
}

/**
 * Forwards the log to every sink, one fiber each in this one process: each reads from its durable cursor, batches by
 * events and bytes (waiting up to the flush interval for a full batch when following), sends, and advances its cursor
 * only after the destination confirmed the batch (refused records go to the dead-letter table in the same transaction).
 * The next batch is read and encoded while one is in flight and sent once that one is confirmed and its cursor
 * committed (unless a replay moved the cursor meanwhile), so a crash resends at most the one batch in flight.
 * Transient failures retry with capped, jittered exponential backoff (honouring Retry-After), probing a destination
 * that stays down; auth and config failures pause the sink. A sink paused earlier is given a fresh attempt.
 */
export const runSinks = (configs: ReadonlyArray<SinkConfig>, options: RunOptions) =>
  Effect.forEach(configs, (config) => runSink(config, options), { concurrency: "unbounded" })

/**
 * Sends dead letters of a sink again (as records, in order); returns the ids the destination now confirmed (they can be
 * removed) and the ones it refused again.
 */
export const redeliver = (config: SinkConfig, records: ReadonlyArray<ForwardRecord>, env: NodeJS.ProcessEnv) =>
  Effect.acquireUseRelease(
    Effect.try({ try: () => makeSink(config, env), catch: asFailure }),
    (sink) =>
      Effect.gen(function* () {
        const refused: Array<Rejected> = []
        yield* deliverOnce(sink, records, (rs) => Effect.sync(() => void refused.push(...rs)), false)
        return { confirmed: records.filter((r) => !refused.some((x) => x.record === r)), refused }
      }),
    (sink) => sink.close
  )

/** The destination's health and credential check (`ssg sinks test`). */
export const probeSink = (config: SinkConfig, env: NodeJS.ProcessEnv) =>
  Effect.acquireUseRelease(
    Effect.try({ try: () => makeSink(config, env), catch: asFailure }),
    (sink) => sink.probe,
    (sink) => sink.close
  )

const POLL = Duration.millis(200)

/** Resumes after the event loop's I/O phase, so a request started just before is written to its socket first. */
const afterIo = Effect.async<void>((resume) => {
  const timer = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(timer))
})
const MAX_BACKOFF_MS = 5_000
const MAX_RETRY_AFTER_MS = 300_000
const ONCE_MAX_FAILURES = 8

const asFailure = (e: unknown): SinkFailure =>
  e instanceof SinkFailure ? e : new SinkFailure({ reason: "config", message: e instanceof Error ? e.message : String(e) })

/** Capped, jittered exponential backoff: 200 ms doubling to 5 s, times a random factor in [0.5, 1), Retry-After wins. */
const backoffMs = (attempt: number, retryAfter: number | undefined): number => {
  const base = Math.min(MAX_BACKOFF_MS, 200 * 2 ** Math.max(0, attempt - 1)) * (0.5 + Math.random() / 2)
  return retryAfter === undefined ? base : Math.min(MAX_RETRY_AFTER_MS, Math.max(base, retryAfter))
}

interface Batch {
  readonly records: ReadonlyArray<ForwardRecord>
  /** The cursor and checkpoint size the batch was read after. */
  readonly from: number
  readonly fromCheckpointSize: number
  readonly lastSeq: number
  readonly checkpointSize: number
  /** Whether the batch filled a limit (events or bytes), so it goes without waiting for the flush interval. */
  readonly full: boolean
}

const nextBatch = (sink: Sink, cursor: number, checkpointSize: number) =>
  Effect.gen(function* () {
    const log = yield* AuditLog
    const { config } = sink
    const read = yield* log.forwardBatch(cursor, config.batchEvents, checkpointSize)
    if (read.entries.length === 0) return null
    return yield* Effect.try({
      try: () => batchOf(sink, read, cursor, checkpointSize),
      catch: (e) => (e instanceof AuditError ? e : new AuditError({ reason: "storage", message: `audit log: ${String(e)}` }))
    })
  })

const batchOf = (sink: Sink, read: ForwardBatch, cursor: number, checkpointSize: number): Batch => {
  const { config } = sink
  const notes = new Map(read.checkpoints.map((c) => [c.size, c]))
  const sourceOf = makeSourceReader()
  const records: Array<ForwardRecord> = []
  let bytes = 0
  let lastSeq = cursor
  let cpSize = checkpointSize
  let full = read.entries.length >= config.batchEvents
  for (const row of read.entries) {
    const [seq, type, , envelope] = row
    const record = entryRecordOfRow(row, config.events === null || config.events.includes(type), sourceOf(envelope))
    const note = notes.get(seq)
    const checkpoint = note === undefined ? null : checkpointRecord(record.log_id, note.size, note.root, note.note)
    const size = sink.sizeOf(record) + (checkpoint === null ? 0 : sink.sizeOf(checkpoint))
    if (records.length > 0 && bytes + size > config.batchBytes) {
      full = true
      break
    }
    records.push(record)
    if (checkpoint !== null) records.push(checkpoint)
    bytes += size
    lastSeq = seq
    if (note !== undefined) cpSize = note.size
  }
  return { records, from: cursor, fromCheckpointSize: checkpointSize, lastSeq, checkpointSize: cpSize, full }
}

interface InFlight {
  readonly batch: Batch
  readonly fiber: Fiber.RuntimeFiber<Delivery, SinkStateError>
}

type Delivery =
  | { readonly _tag: "Delivered"; readonly refused: ReadonlyArray<Rejected> }
  | { readonly _tag: "Stopped"; readonly failure: SinkFailure; readonly state: "paused" | "failing" }

/**
 * Sends records until each is confirmed or refused (refusals are handed to `onRefused` before the rest is sent again),
 * halving the batch when the destination refuses it as a whole; fails on the first transient or pausing failure. With
 * `needConfirmed`, refusals are held until the destination confirms some record of the delivery: one that refuses
 * every record is misconfigured, not fed poison, so the delivery fails as `config` and nothing is dead-lettered.
 */
const deliverOnce = <E, R>(
  sink: Sink,
  records: ReadonlyArray<ForwardRecord>,
  onRefused: (refused: ReadonlyArray<Rejected>) => Effect.Effect<void, E, R>,
  needConfirmed: boolean
) =>
  Effect.gen(function* () {
    let pending = records
    let limit = pending.length
    let confirmed = 0
    let held: Array<Rejected> = []
    while (pending.length > 0) {
      const chunk = pending.slice(0, limit)
      const sent = yield* Effect.either(sink.send(chunk))
      if (Either.isLeft(sent)) {
        if (sent.left.reason === "split" && chunk.length > 1) {
          limit = Math.ceil(chunk.length / 2)
          continue
        }
        return yield* sent.left
      }
      const result = sent.right
      confirmed += chunk.length - result.refused.length - result.resend.length
      held.push(...result.refused.map((r) => ({ record: chunk[r.index]!, reason: r.reason })))
      if (held.length > 0 && (!needConfirmed || confirmed > 0)) {
        yield* onRefused(held)
        held = []
      }
      if (result.refused.length === 0 && result.resend.length === chunk.length) {
        return yield* new SinkFailure({ reason: "unavailable", message: `sink ${sink.config.name}: the destination confirmed nothing` })
      }
      pending = [...result.resend.map((i) => chunk[i]!), ...pending.slice(chunk.length)]
    }
    if (held.length > 0) {
      return yield* new SinkFailure({
        reason: "config",
        message: `sink ${sink.config.name}: the destination refused all ${held.length} records it was sent, so none is dead-lettered (first: ${held[0]!.reason})`
      })
    }
  })

const runSink = (config: SinkConfig, options: RunOptions) =>
  Effect.gen(function* () {
    const store = yield* SinkState
    const name = config.name
    const outcome = (state: SinkOutcome["state"], message: string, delivered: number, deadLettered: number) =>
      Effect.map(store.get(name), (s): SinkOutcome => ({ name, state, message, delivered, deadLettered, cursor: s.cursor }))
    const before = yield* store.get(name)
    const built = yield* Effect.either(Effect.try({ try: () => makeSink(config, options.env), catch: asFailure }))
    if (Either.isLeft(built)) {
      yield* store.pause(name, built.left.message)
      yield* options.report(`${built.left.message}; paused`)
      return yield* outcome("paused", built.left.message, 0, 0)
    }
    const sink = built.right
    if (before.paused) {
      yield* options.report(`sink ${name}: resuming (it was paused: ${before.pausedReason ?? "no reason recorded"})`)
      yield* store.pause(name, null)
    }
    return yield* forward(sink, options).pipe(
      Effect.flatMap((r) => outcome(r.state, r.message, r.delivered, r.deadLettered)),
      Effect.ensuring(sink.close)
    )
  })

const forward = (sink: Sink, options: RunOptions) =>
  Effect.gen(function* () {
    const store = yield* SinkState
    const name = sink.config.name
    const start = (batch: Batch): Effect.Effect<InFlight, never, SinkState> =>
      Effect.map(Effect.fork(deliverWithRetry(sink, batch.records, options)), (fiber) => ({ batch, fiber }))
    let delivered = 0
    let deadLettered = 0
    let waitingSince: number | null = null
    let sending: InFlight | null = null
    while (true) {
      if (sending === null) {
        const state = yield* store.get(name)
        const batch: Batch | null = yield* nextBatch(sink, state.cursor, state.checkpointSize)
        if (batch === null) {
          if (options.once) return { state: "caught-up" as const, message: "caught up", delivered, deadLettered }
          waitingSince = null
          yield* Effect.sleep(POLL)
          continue
        }
        if (!options.once && !batch.full) {
          waitingSince ??= Date.now()
          const left = sink.config.flushIntervalMs - (Date.now() - waitingSince)
          if (left > 0) {
            yield* Effect.sleep(Duration.millis(Math.min(left, 100)))
            continue
          }
        }
        waitingSince = null
        sending = yield* start(batch)
      }
      const { batch, fiber }: InFlight = sending
      sending = null
      let ahead: Batch | null = null
      if (batch.full) {
        yield* afterIo
        ahead = yield* nextBatch(sink, batch.lastSeq, batch.checkpointSize).pipe(Effect.orElseSucceed(() => null))
        if (ahead !== null) sink.prepare?.(ahead.records)
      }
      const result = yield* Fiber.join(fiber)
      if (result._tag === "Stopped") {
        if (result.state === "paused") {
          yield* store.pause(name, result.failure.message)
          yield* options.report(`${result.failure.message}; paused (nothing is dropped: the cursor stays at ${batch.from})`)
        }
        return { state: result.state, message: result.failure.message, delivered, deadLettered }
      }
      yield* store.confirm(name, {
        from: { cursor: batch.from, checkpointSize: batch.fromCheckpointSize },
        cursor: batch.lastSeq,
        checkpointSize: batch.checkpointSize,
        delivered: batch.records.length - result.refused.length,
        deadLetters: result.refused
      })
      delivered += batch.records.length - result.refused.length
      deadLettered += result.refused.length
      for (const r of result.refused) yield* options.report(`sink ${name}: dead-lettered ${r.record.id}: ${r.reason}`)
      if (ahead !== null && (options.once || ahead.full)) {
        const state = yield* store.get(name)
        if (state.cursor === ahead.from && state.checkpointSize === ahead.fromCheckpointSize) sending = yield* start(ahead)
      }
    }
  })

const deliverWithRetry = (sink: Sink, records: ReadonlyArray<ForwardRecord>, options: RunOptions) =>
  Effect.gen(function* () {
    const store = yield* SinkState
    const name = sink.config.name
    let failures = 0
    let pending = records
    const refused: Array<Rejected> = []
    while (true) {
      const attempt = yield* Effect.either(
        deliverOnce(sink, pending, (rs) =>
          Effect.tap(store.deadLetter(name, rs), () => Effect.sync(() => void refused.push(...rs))),
          true
        )
      )
      if (Either.isRight(attempt)) {
        return { _tag: "Delivered", refused } satisfies Delivery as Delivery
      }
      const failure = attempt.left
      if (failure._tag !== "SinkFailure") return yield* failure
      yield* store.failed(name, failure.message)
      if (failure.reason === "auth" || failure.reason === "config" || failure.reason === "split") {
        return { _tag: "Stopped", failure, state: "paused" } satisfies Delivery as Delivery
      }
      failures++
      if (options.once && failures >= ONCE_MAX_FAILURES) {
        return { _tag: "Stopped", failure, state: "failing" } satisfies Delivery as Delivery
      }
      const wait = backoffMs(failures, failure.retryAfterMs)
      yield* options.report(`${failure.message}; retrying in ${(wait / 1000).toFixed(1)} s`)
      yield* Effect.sleep(Duration.millis(wait))
      if (failures >= 2 && failure.reason !== "throttled") {
        while (true) {
          const probe = yield* Effect.either(sink.probe)
          if (Either.isRight(probe)) break
          failures++
          yield* store.failed(name, probe.left.message)
          yield* options.report(`probe: ${probe.left.message}`)
          if (probe.left.reason === "auth" || probe.left.reason === "config") {
            return { _tag: "Stopped", failure: probe.left, state: "paused" } satisfies Delivery as Delivery
          }
          if (options.once && failures >= ONCE_MAX_FAILURES) {
            return { _tag: "Stopped", failure: probe.left, state: "failing" } satisfies Delivery as Delivery
          }
          yield* Effect.sleep(Duration.millis(backoffMs(failures, probe.left.retryAfterMs)))
        }
      }
      pending = records.filter((r) => !refused.some((x) => x.record === r))
    }
  })

/** The errors a run can end with besides its outcomes. */
export type RunError = AuditError | SinkStateError
