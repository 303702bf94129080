// A child process for the checkpoints/latest tests, run as `node --import tsx test/support/pausedAdvance.ts HOME NOTE_FILE
// SIZE PAUSE_MS`: advances HOME's checkpoints/latest to the note in NOTE_FILE as an appender would (under the log's write
// lock), but pauses PAUSE_MS between its check of the current note and its write, printing "paused" when it starts to.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { openHotPath } from "../../src/pipeline/AuditStore.js"
import { advanceLatest } from "../../src/pipeline/LatestCheckpoint.js"

const [home = "", noteFile = "", size = "0", pause = "0"] = process.argv.slice(2)
const hot = openHotPath(join(home, "audit.db"))
const paused = (): boolean => {
  process.stdout.write("paused\n")
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(pause))
  return true
}
advanceLatest(join(home, "checkpoints", "latest"), readFileSync(noteFile, "utf8"), Number(size), paused, hot.immediate)
hot.close()
