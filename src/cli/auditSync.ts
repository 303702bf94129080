import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { AuditLog } from "../pipeline/AuditLog.js"
import { CLOUD_API_KEY_ENV, CLOUD_BATCH_MAX, DEFAULT_CLOUD_URL, cloudFailure, ORG_SLUG, postSync, syncPayload } from "../sinks/Cloud.js"
import { checkpointRecord, entryRecord } from "../sinks/Record.js"
import { INTERNAL_CURSORS, shownUrl } from "../sinks/SinkConfig.js"
import { SinkState } from "../sinks/SinkState.js"
import { Finding, UsageError } from "./finding.js"
import { loadSinks } from "./sinks.js"

const AUDIT_SYNC_CURSOR = INTERNAL_CURSORS.auditSync

/**
 * `ssg audit-sync [--dry-run] [--quiet] [--url=URL] [--org=SLUG]`: POSTs the next at most 500 unsynced entries (input
 * summaries cut to 200 characters, no tool input) to `<url>/api/v1/audit/sync` with `SSG_API_KEY`, and advances its
 * cursor once the cloud confirmed them; `--dry-run` prints the request body and sends nothing.
 */
export const auditSyncCommand = Command.make(
  "audit-sync",
  {
    dryRun: Options.boolean("dry-run").pipe(Options.withDescription("print what would be sent; send nothing")),
    quiet: Options.boolean("quiet").pipe(Options.withDescription("print nothing on success")),
    url: Options.text("url").pipe(Options.withDescription("the cloud's base URL"), Options.optional),
    org: Options.text("org").pipe(Options.withDescription("the org slug to file the entries under"), Options.optional)
  },
  ({ dryRun, org, quiet, url }) =>
    Effect.gen(function* () {
      const given = Option.getOrNull(org)
      if (given !== null && !ORG_SLUG.test(given)) {
        return yield* new UsageError({ message: `--org: "${given}" is not an org slug (lower-case letters, digits and dashes)` })
      }
      const cloudSink = (yield* loadSinks).find((s) => s.type === "cloud")
      const orgSlug = given ?? (cloudSink?.type === "cloud" ? cloudSink.org : null)
      const endpoint = Option.getOrNull(url) ?? (cloudSink?.type === "cloud" ? cloudSink.url : null) ?? process.env["SSG_CLOUD_URL"] ?? DEFAULT_CLOUD_URL
      if (!/^https?:\/\/[^\s/]+/.test(endpoint)) return yield* new UsageError({ message: `--url: "${endpoint}" is not an http(s) URL` })
      const apiKey = process.env[CLOUD_API_KEY_ENV] ?? ""
      if (!dryRun && apiKey === "") {
        return yield* new UsageError({ message: `${CLOUD_API_KEY_ENV} is not set (the cloud API key); --dry-run shows what would be sent without it` })
      }
      const log = yield* AuditLog
      const state = yield* SinkState
      const { cursor } = yield* state.get(AUDIT_SYNC_CURSOR)
      const head = yield* log.head
      const entries = yield* log.entries({ afterSeq: cursor, limit: CLOUD_BATCH_MAX })
      if (head === null || entries.length === 0) {
        if (!quiet) yield* Console.log(`nothing to sync: every entry up to #${cursor} was synced`)
        return
      }
      const logId = entries[0]!.envelope.source.log_id
      const records = [...entries.map((e) => entryRecord(e, true)), checkpointRecord(logId, head.size, head.root, head.note)]
      const body = JSON.stringify(syncPayload(logId, orgSlug, records))
      const first = entries[0]!.seq
      const last = entries[entries.length - 1]!.seq
      const pending = head.size - last
      if (dryRun) {
        yield* Console.log(body)
        if (!quiet) {
          process.stderr.write(`ssg: dry run: would send entries #${first}–#${last} (${entries.length}) to ${shownUrl(endpoint, true)}; nothing was sent\n`)
        }
        return
      }
      const answer = yield* postSync("audit-sync", endpoint, apiKey, body, 30_000, null).pipe(
        Effect.catchAll((e) => new Finding({ message: e.message.replace(/^sink audit-sync: /, "audit-sync: ") }))
      )
      const failure = cloudFailure("audit-sync", answer, [apiKey])
      if (failure !== null) {
        yield* state.failed(AUDIT_SYNC_CURSOR, failure.message)
        return yield* new Finding({ message: `${failure.message} (nothing was marked as synced)` })
      }
      yield* state.confirm(AUDIT_SYNC_CURSOR, { cursor: last, checkpointSize: head.size, delivered: entries.length, deadLetters: [] })
      if (!quiet) {
        yield* Console.log(
          `synced entries #${first}–#${last} (${entries.length}) to ${shownUrl(endpoint, true)}${orgSlug !== null ? ` for org ${orgSlug}` : ""}; ${pending === 0 ? "nothing pending" : `${pending} pending (run again)`}`
        )
      }
    })
).pipe(Command.withDescription("Send the next unsynced audit entries (at most 500, summaries only) to the cloud"))
