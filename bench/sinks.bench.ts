import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { kcatAvailable, startKafkaMock } from "../test/support/KafkaMock.js"
import { startHecServer } from "../test/support/HecServer.js"
import { appendTestEvents } from "../test/support/sinks.js"

/** One forwarding benchmark figure. */
export interface SinkFigure {
  readonly name: string
  readonly value: string
  readonly target: string
}

const BIN = join(import.meta.dirname, "..", "bin", "ssg.js")
const TOKEN = "bench000-0000-0000-0000-000000000000"

const peakRss = (pid: number): number => {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return match === null ? 0 : Number(match[1]) * 1024
  } catch {
    return 0
  }
}

/** CPU time (ms) of this process's children that have exited and been waited for (cutime + cstime, 100 Hz ticks). */
const childrenCpuMs = (): number => {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ")
  return (Number(fields[13]) + Number(fields[14])) * 10
}

/** CPU µs per event of a process's CPU time in ms. */
const perEvent = (cpuMs: number, events: number): string => `${((cpuMs * 1000) / events).toFixed(1)} µs/event`

/** Runs `ssg sinks run --once` in `cwd`; its wall time, CPU time, peak resident memory (VmHWM, sampled until it exits). */
const forward = (cwd: string, home: string, env: Record<string, string>) =>
  new Promise<{ ms: number; cpuMs: number; rss: number; code: number | null; stderr: string }>((resolve, reject) => {
    const started = performance.now()
    const cpuBefore = childrenCpuMs()
    const child = spawn(process.execPath, [BIN, "sinks", "run", "--once"], {
      cwd,
      env: { ...process.env, SSG_HOME: home, ...env },
      stdio: ["ignore", "ignore", "pipe"]
    })
    let stderr = ""
    let rss = 0
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const timer = setInterval(() => (rss = Math.max(rss, peakRss(child.pid!))), 25)
    child.on("error", reject)
    child.on("exit", (code) => {
      clearInterval(timer)
      resolve({ ms: performance.now() - started, cpuMs: childrenCpuMs() - cpuBefore, rss, code, stderr })
    })
  })

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`

/** Forwards a log of `size` entries to the HEC test server (gzip) and, when kcat is installed, to its Kafka mock. */
export const runSinkBenchmarks = async (size: number): Promise<Array<SinkFigure>> => {
  const home = mkdtempSync(join(tmpdir(), "ssg-bench-sinks-"))
  const cwd = join(home, "project")
  mkdirSync(join(cwd, ".sigmashake"), { recursive: true })
  const figures: Array<SinkFigure> = []
  try {
    await appendTestEvents(home, size, 5_000)
    const hec = await startHecServer({ tokens: { [TOKEN]: { indexes: ["ssg"] } }, retainEvents: false, maxBodyBytes: 64 * 1024 * 1024 })
    try {
      writeFileSync(
        join(cwd, ".sigmashake", "config.toml"),
        `[[sinks]]\nname = "splunk"\ntype = "splunk_hec"\nurl = "${hec.url}"\ntoken_env = "SPLUNK_HEC_TOKEN"\nindex = "ssg"\ngzip = true\nbatch_events = 2000\nbatch_bytes = 4000000\n`
      )
      const serverCpu = process.cpuUsage()
      const run = await forward(cwd, home, { SPLUNK_HEC_TOKEN: TOKEN })
      const server = process.cpuUsage(serverCpu)
      if (run.code !== 0 || hec.accepted() < size) throw new Error(`HEC forwarding failed (exit ${run.code}, ${hec.accepted()} accepted): ${run.stderr}`)
      figures.push({
        name: `log → HEC test server, ${size.toLocaleString("en-US")} entries (gzip, 2,000 per batch, cursor committed per batch)`,
        value: `${Math.round(size / (run.ms / 1000)).toLocaleString("en-US")} events/s`,
        target: "≥ 100,000 events/s"
      })
      figures.push({ name: "forwarder CPU (HEC, whole process incl. start-up)", value: perEvent(run.cpuMs, size), target: "—" })
      figures.push({ name: "HEC test server CPU (validation, in the benchmark process)", value: perEvent((server.user + server.system) / 1000, size), target: "—" })
      figures.push({ name: `forwarder peak RSS over a ${size.toLocaleString("en-US")}-entry backlog (HEC)`, value: mb(run.rss), target: "bounded" })
    } finally {
      await hec.close()
    }
    if (kcatAvailable()) {
      const mock = await startKafkaMock("ssg-audit")
      try {
        writeFileSync(
          join(cwd, ".sigmashake", "config.toml"),
          `[[sinks]]\nname = "kafka"\ntype = "kafka"\nbrokers = ["${mock.bootstrap}"]\ntopic = "ssg-audit"\nacks = -1\nbatch_events = 2000\nbatch_bytes = 4000000\ntimeout_ms = 30000\n`
        )
        const run = await forward(cwd, home, {})
        if (run.code !== 0) throw new Error(`Kafka forwarding failed (exit ${run.code}): ${run.stderr}`)
        figures.push({
          name: `log → Kafka mock broker (kcat), ${size.toLocaleString("en-US")} entries (acks=-1, 2,000 per batch)`,
          value: `${Math.round(size / (run.ms / 1000)).toLocaleString("en-US")} events/s`,
          target: "≥ 50,000 events/s"
        })
        figures.push({ name: "forwarder CPU (Kafka, whole process incl. start-up)", value: perEvent(run.cpuMs, size), target: "—" })
        figures.push({ name: `forwarder peak RSS over a ${size.toLocaleString("en-US")}-entry backlog (Kafka)`, value: mb(run.rss), target: "bounded" })
      } finally {
        await mock.stop()
      }
    } else {
      figures.push({ name: "log → Kafka mock broker", value: "not run: kcat is not installed", target: "≥ 50,000 events/s" })
    }
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
  return figures
}
