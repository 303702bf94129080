// A child process for the concurrency tests, run as `node --import tsx test/support/appendLoop.ts HOME COUNT TAG`:
// appends COUNT single `v1.EvalDecided` events to HOME's audit log with the key already in HOME, each in its own
// transaction (and checkpoints/latest update), as concurrent `ssg eval` hooks do, as fast as it can.
import { join } from "node:path"
import { eventParts } from "../../src/domain/Event.js"
import { allowedEval } from "./log.js"
import { openHotPath } from "../../src/pipeline/AuditStore.js"
import { appendEvents, eventSource } from "../../src/pipeline/LogWriter.js"
import { loadKeyFiles } from "../../src/pipeline/SigningKey.js"

const [home = "", count = "0", tag = "loop"] = process.argv.slice(2)
const key = loadKeyFiles(home)
const hot = openHotPath(join(home, "audit.db"))
const source = eventSource(key, { cwd: home, session: tag, client: "test" })
const latest = join(home, "checkpoints", "latest")
for (let i = 0; i < Number(count); i++) {
  const event = allowedEval(`echo ${tag}-${i}`)
  appendEvents(hot, [eventParts(event)], source, key, latest)
}
hot.close()
