import { EvalDecided, type Event, RuleChanged } from "../../src/domain/Event.js"
import type { ForwardRecord } from "../../src/sinks/Record.js"
import { ssgAsync } from "./audit.js"
import type { CliResult } from "./cli.js"
import { appendToLog } from "./log.js"

/** The i-th test event: evaluations, with a rule change every tenth. */
export const testEvent = (i: number): Event =>
  i % 10 === 9
    ? RuleChanged.make({ rule_id: `rule-${i}`, change: "disabled", from: "block", to: "allow", files: [`r${i}.rules`] })
    : EvalDecided.make({
        tool: "Bash",
        capability: "execute",
        client: "claude-code",
        decision: i % 5 === 0 ? "block" : "allow",
        rule_id: i % 5 === 0 ? "no-rm" : null,
        also_matched: [],
        latency_ms: 0.25 + i / 1000,
        input_summary: `echo "entry ${i}" — ünïcödé ☃`,
        input_sha256: "ab".repeat(32)
      })

/** Appends `count` test events to the audit log under `home` in transactions of `per` events, in this process. */
export const appendTestEvents = (home: string, count: number, per = 25, offset = 0): Promise<void> =>
  appendToLog(home, testGroups(count, per, offset))

function* testGroups(count: number, per: number, offset: number): Generator<ReadonlyArray<Event>> {
  for (let i = 0; i < count; i += per) yield Array.from({ length: Math.min(per, count - i) }, (_, k) => testEvent(offset + i + k))
}

/** Runs the built CLI asynchronously (the test servers in this process keep answering) with extra environment. */
export const ssgEnv = (cwd: string, home: string, env: Record<string, string>, ...args: Array<string>): Promise<CliResult> => {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  Object.assign(process.env, env)
  const run = ssgAsync(cwd, home, "", ...args)
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  return run
}

/** The forwarded records in HEC envelopes, as JSON lines (what a Splunk export of the events gives). */
export const asJsonLines = (envelopes: ReadonlyArray<Record<string, unknown>>): string =>
  envelopes.map((e) => JSON.stringify(e)).join("\n") + "\n"

/** The records carried by HEC envelopes. */
export const recordsOf = (envelopes: ReadonlyArray<Record<string, unknown>>): Array<ForwardRecord> =>
  envelopes.map((e) => e["event"] as ForwardRecord)

/** Entry seqs delivered (each once), sorted. */
export const entrySeqs = (records: ReadonlyArray<ForwardRecord>): Array<number> =>
  [...new Set(records.flatMap((r) => (r.kind === "ssg.entry" ? [r.seq] : [])))].sort((a, b) => a - b)
