import { type ChildProcess, spawn, spawnSync } from "node:child_process"

/** Whether Debian's `kcat` is on PATH (the tests' Kafka broker comes from it). */
export const kcatAvailable = (): boolean => spawnSync("kcat", ["-V"], { stdio: "ignore" }).status === 0

/** A librdkafka mock cluster (one broker) run by `kcat`, and its bootstrap address. */
export interface KafkaMock {
  readonly bootstrap: string
  readonly stop: () => Promise<void>
}

/** Starts `kcat -X test.mock.num.brokers=1` as a consumer of `topic` and reads the mock cluster's bootstrap address. */
export const startKafkaMock = (topic: string): Promise<KafkaMock> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      "kcat",
      ["-b", "localhost:1", "-X", "test.mock.num.brokers=1", "-X", "debug=mock", "-C", "-t", topic, "-q"],
      { stdio: ["ignore", "ignore", "pipe"] }
    )
    let seen = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`kcat printed no bootstrap.servers within 10 s: ${seen.slice(0, 500)}`))
    }, 10_000)
    child.on("error", (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      if (seen.length < 100_000) seen += chunk
      const match = /bootstrap\.servers=(127\.0\.0\.1:\d+)/.exec(seen)
      if (match !== null && timer.hasRef()) {
        clearTimeout(timer)
        timer.unref()
        resolve({
          bootstrap: match[1]!,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done()
              child.once("exit", () => done())
              child.kill("SIGKILL")
            })
        })
      }
    })
  })

/** The message values of `topic` at `bootstrap`, read from the beginning to the end by a second `kcat` process. */
export const kcatConsume = (bootstrap: string, topic: string): Array<string> => {
  const run = spawnSync("kcat", ["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\\n"], {
    encoding: "utf8",
    timeout: 30_000,
    maxBuffer: 256 * 1024 * 1024
  })
  if (run.status !== 0) throw new Error(`kcat consumer failed (${run.status}): ${run.stderr}`)
  return run.stdout.split("\n").filter((line) => line !== "")
}
