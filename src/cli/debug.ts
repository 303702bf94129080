import { Args, Command, Options } from "@effect/cli"
import { Console, Duration, Effect, Option } from "effect"
import { createHash } from "node:crypto"
import { canonicalBytes } from "../domain/CanonicalJson.js"
import type { StoredEntry } from "../pipeline/AuditLog.js"
import { AuditLog } from "../pipeline/AuditLog.js"
import { SsgPaths } from "../pipeline/Paths.js"
import { RuleFiles } from "../pipeline/RuleFiles.js"
import { metricsProjection } from "../projections/Metrics.js"
import { Projections } from "../projections/Projections.js"
import { currentPack, findPack, type RcaPack, rcaProjection } from "../projections/Rca.js"
import { packMarkdown, packView, type PackView, ruleView } from "../projections/RcaView.js"
import { Finding, UsageError } from "./finding.js"
import { metricsReport } from "./metrics.js"
import { jsonOption } from "./options.js"

const entryJson = (e: StoredEntry) => ({ ...e.envelope, leaf: Buffer.from(e.leaf).toString("hex"), chain: Buffer.from(e.chain).toString("hex") })

/** A pack with its rule looked up in the current rule set (project, then global rules). */
const viewOf = (pack: RcaPack) =>
  Effect.gen(function* () {
    const { cwd } = yield* SsgPaths
    if (pack.why.rule_id === null) return packView(pack, null)
    const loaded = yield* Effect.either((yield* RuleFiles).load({}))
    const rule = loaded._tag === "Right" ? loaded.right.rules.find((r) => r.id === pack.why.rule_id) : undefined
    return packView(pack, rule === undefined ? null : ruleView(rule, cwd))
  })

const rcaState = Effect.flatMap(Projections, (p) => p.catchUp(rcaProjection))

const packFor = (trace: string | null) =>
  Effect.gen(function* () {
    const { state } = yield* rcaState
    const pack = trace === null ? currentPack(state) : findPack(state, trace)
    if (pack === undefined && trace !== null) {
      return yield* new Finding({ message: `no RCA pack with trace id ${trace} (packs exist for blocks, asks, forces, loop-guard trips, error spirals and failed gates; the newest 1,000 are kept)` })
    }
    return pack === undefined ? null : yield* viewOf(pack)
  })

const rcaCommand = Command.make(
  "rca",
  {
    current: Options.boolean("current").pipe(Options.withDescription("the top pack: most severe, then most recent")),
    trace: Options.text("trace").pipe(Options.withDescription("the pack of this trace id (an event id)"), Options.optional),
    json: jsonOption
  },
  ({ current, json, trace }) =>
    Effect.gen(function* () {
      const id = Option.getOrNull(trace)
      if (current === (id !== null)) return yield* new UsageError({ message: "give exactly one of --current and --trace=ID" })
      const view: PackView | null = yield* packFor(id)
      if (json) return yield* Console.log(JSON.stringify(view))
      if (view === null) return yield* Console.log("no RCA packs yet (they come from blocks, asks, forces, loop-guard trips, error spirals and failed gates)")
      yield* Console.log(packMarkdown(view))
    })
).pipe(Command.withDescription("A pre-computed root-cause pack, as markdown (or JSON)"))

const positive = (value: string | null, fallback: number, max: number): number | null => {
  if (value === null) return fallback
  if (!/^\d+$/.test(value)) return null
  const n = Number(value)
  return n >= 1 && n <= max ? n : null
}

/** The data behind an `ssg://` URI: audit/recent?limit=N, audit/<id|seq>, rules/list?filter=…, rca/current, rca/<trace_id>, metrics. */
export const resolveUri = (uri: string) =>
  Effect.gen(function* () {
    let url: URL
    try {
      url = new URL(uri)
    } catch {
      return yield* new UsageError({ message: `${uri}: not a URI (use ssg://audit/recent, ssg://rca/current, ssg://metrics, …)` })
    }
    const source = url.hostname
    const path = decodeURIComponent(url.pathname.replace(/^\/+/, ""))
    const unknown = new UsageError({
      message: `${uri}: unknown resource (ssg://audit/recent?limit=N, ssg://audit/<id>, ssg://rules/list?filter=…, ssg://rca/current, ssg://rca/<trace_id>, ssg://metrics)`
    })
    if (url.protocol !== "ssg:") return yield* unknown
    if (source === "audit" && path === "recent") {
      const limit = positive(url.searchParams.get("limit"), 20, 1_000)
      if (limit === null) return yield* new UsageError({ message: `${uri}: limit must be an integer from 1 to 1000` })
      const log = yield* AuditLog
      const size = (yield* log.head)?.size ?? 0
      const entries = yield* log.entries({ afterSeq: Math.max(0, size - limit), limit })
      return entries.map(entryJson).reverse()
    }
    if (source === "audit" && path !== "") {
      const entry = yield* (yield* AuditLog).entry(/^\d+$/.test(path) ? Number(path) : path)
      if (entry === null) return yield* new Finding({ message: `${uri}: no log entry with id or seq ${path}` })
      return entryJson(entry)
    }
    if (source === "rules" && path === "list") {
      const { cwd } = yield* SsgPaths
      const filter = url.searchParams.get("filter") ?? ""
      const { rules } = yield* (yield* RuleFiles).load({})
      return rules
        .filter((r) => r.id.includes(filter))
        .map((r) => ({ id: r.id, enabled: r.enabled, decision: r.decision, target: r.target, severity: r.severity, priority: r.priority, location: ruleView(r, cwd).location }))
    }
    if (source === "rca" && path === "current") return yield* packFor(null)
    if (source === "rca" && path !== "") return yield* packFor(path)
    if (source === "metrics" && path === "") {
      const { cursor, state } = yield* (yield* Projections).catchUp(metricsProjection)
      return metricsReport(state, cursor)
    }
    return yield* unknown
  })

/** An answer envelope: the URI, the SHA-256 of the data's canonical JSON, when it was made, and the data. */
const snapshotOf = (uri: string) =>
  Effect.map(resolveUri(uri), (value) => {
    const data: unknown = JSON.parse(JSON.stringify(value ?? null))
    const snapshot_hash = createHash("sha256").update(canonicalBytes(data)).digest("hex")
    return { uri, snapshot_hash, generated_at: new Date().toISOString(), data }
  })

const uriArg = Args.text({ name: "URI" }).pipe(Args.withDescription("an ssg:// URI"))

const snapshotCommand = Command.make(
  "snapshot",
  {
    uri: uriArg,
    since: Options.text("since").pipe(Options.withDescription("a snapshot_hash: answer {unchanged: true} when it is still current"), Options.optional),
    json: jsonOption
  },
  ({ json, since, uri }) =>
    Effect.gen(function* () {
      const snapshot = yield* snapshotOf(uri)
      const answer = Option.getOrNull(since) === snapshot.snapshot_hash ? { unchanged: true, snapshot_hash: snapshot.snapshot_hash } : snapshot
      yield* Console.log(json ? JSON.stringify(answer) : JSON.stringify(answer, null, 2))
    })
).pipe(Command.withDescription("One answer for an ssg:// URI: {uri, snapshot_hash, generated_at, data}"))

const watchCommand = Command.make(
  "watch",
  {
    uri: uriArg,
    interval: Options.integer("interval").pipe(Options.withDescription("how often to look, in ms (at least 50)"), Options.withDefault(1_000))
  },
  ({ interval, uri }) =>
    Effect.gen(function* () {
      if (interval < 50) return yield* new UsageError({ message: `--interval: ${interval} ms is too short (at least 50)` })
      let last: string | null = null
      while (true) {
        const snapshot = yield* snapshotOf(uri)
        if (snapshot.snapshot_hash !== last) {
          last = snapshot.snapshot_hash
          yield* Console.log(JSON.stringify(snapshot))
        }
        yield* Effect.sleep(Duration.millis(interval))
      }
    })
).pipe(Command.withDescription("Print an ssg:// URI's answer as a JSON line now and whenever it changes"))

/** `ssg debug rca|snapshot|watch`: root-cause packs and live snapshots over ssg:// URIs, from the audit log. */
export const debugCommand = Command.make("debug").pipe(
  Command.withDescription("Root-cause packs and snapshots of ssg's state over ssg:// URIs"),
  Command.withSubcommands([rcaCommand, snapshotCommand, watchCommand])
)
