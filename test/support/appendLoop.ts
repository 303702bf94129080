// A child process for the concurrency tests, run as `node --import tsx test/support/appendLoop.ts HOME COUNT TAG`:
// appends COUNT single `v1.EvalDecided` events to HOME's audit log with the key already in HOME, each in its own
// transaction (and checkpoints/latest update), as concurrent `ssg eval` hooks do, as fast as it can.
import { join } from "node:path"
import { EvalDecided, eventParts } from "../../src/domain/Event.js"
import { openHotPath } from "../../src/pipeline/AuditStore.js"
import { appendEvents, eventSource } from "../../src/pipeline/LogWriter.js"
import { loadKeyFiles } from "../../src/pipeline/SigningKey.js"

const [home = "", count = "0", tag = "loop"] = process.argv.slice(2)
const key = loadKeyFiles(home)
const hot = openHotPath(join(home, "audit.db"))
const source = eventSource(key, { cwd: home, session: tag, client: "test" })
const latest = join(home, "checkpoints", "latest")
for (let i = 0; i < Number(count); i++) {
  const event = EvalDecided.make({
    tool: "Bash",
    capability: "execute",
    client: "test",
    decision: "allow",
    rule_id: null,
    also_matched: [],
    latency_ms: 0.1,
    input_summary: `echo ${tag}-${i}`,
    input_sha256: "ab".repeat(32)
  })
  appendEvents(hot, [eventParts(event)], source, key, latest)
}
hot.close()
