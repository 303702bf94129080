import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { ConfigProblem } from "../../src/pipeline/ConfigFile.js"
import { readSinkConfigs } from "../../src/sinks/SinkConfig.js"
import { useCliSandbox } from "../support/cli.js"

let home = ""
let cwd = ""
beforeEach(() => {
  home = realpathSync(mkdtempSync(join(tmpdir(), "ssg-sinkcfg-home-")))
  cwd = realpathSync(mkdtempSync(join(tmpdir(), "ssg-sinkcfg-cwd-")))
  mkdirSync(join(cwd, ".sigmashake"))
})
afterEach(() => {
  rmSync(home, { recursive: true, force: true })
  rmSync(cwd, { recursive: true, force: true })
})

const project = (toml: string) => writeFileSync(join(cwd, ".sigmashake", "config.toml"), toml)
const problem = (toml: string): string => {
  project(toml)
  try {
    readSinkConfigs(home, cwd)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigProblem)
    return (e as Error).message
  }
  throw new Error("the config was accepted")
}

const SPLUNK = `[[sinks]]\nname = "splunk"\ntype = "splunk_hec"\nurl = "http://127.0.0.1:8088"\ntoken_env = "SPLUNK_HEC_TOKEN"\nindex = "ssg"\n`
const KAFKA = `[[sinks]]\nname = "kafka"\ntype = "kafka"\nbrokers = ["127.0.0.1:9092"]\ntopic = "ssg-audit"\n`

describe("[[sinks]] configuration", () => {
  it("accepts the issue's examples with defaults, and all six types", () => {
    project(
      SPLUNK +
        KAFKA +
        `[[sinks]]\nname = "cribl"\ntype = "cribl_http"\nurl = "http://127.0.0.1:10080"\ngzip = false\n` +
        `[[sinks]]\nname = "rest"\ntype = "kafka_rest"\nurl = "https://pkc.example:443"\ncluster_id = "lkc-1"\ntopic = "t"\napi_key_env = "K"\napi_secret_env = "S"\n` +
        `[[sinks]]\nname = "hook"\ntype = "webhook"\nurl = "https://example.com/hook"\nsecret_env = "WH"\nevents = ["v1.EvalDecided"]\n` +
        `[[sinks]]\nname = "cloud"\ntype = "cloud"\nurl = "https://cloud.example"\ntoken_env = "CLOUD_TOKEN"\n` +
        `[[sinks]]\nname = "cloud2"\ntype = "cloud"\nurl = "https://cloud.example"\norg = "acme-corp"\n`
    )
    const sinks = readSinkConfigs(home, cwd)
    expect(sinks.map((s) => s.type)).toEqual(["splunk_hec", "kafka", "cribl_http", "kafka_rest", "webhook", "cloud", "cloud"])
    expect(sinks[5]).toMatchObject({ tokenEnv: "CLOUD_TOKEN", org: null })
    expect(sinks[6]).toMatchObject({ tokenEnv: "SSG_API_KEY", org: "acme-corp" })
    expect(sinks[0]).toMatchObject({ index: "ssg", gzip: true, ack: false, batchEvents: 500, batchBytes: 1_000_000, events: null, sourcetype: "ssg:audit" })
    expect(sinks[1]).toMatchObject({ acks: -1, compression: "none", idempotent: false })
    expect(sinks[4]).toMatchObject({ events: ["v1.EvalDecided"] })
  })

  it('accepts acks = "all" as -1', () => {
    project(KAFKA + 'acks = "all"\nidempotent = true\n')
    expect(readSinkConfigs(home, cwd)[0]).toMatchObject({ type: "kafka", acks: -1, idempotent: true })
  })

  it("a project sink replaces the machine sink of the same name", () => {
    writeFileSync(join(home, "config.toml"), SPLUNK + KAFKA)
    project(SPLUNK.replace('index = "ssg"', 'index = "other"'))
    const sinks = readSinkConfigs(home, cwd)
    expect(sinks.map((s) => [s.name, s.type === "splunk_hec" ? s.index : null])).toEqual([
      ["kafka", null],
      ["splunk", "other"]
    ])
  })

  it.each([
    [SPLUNK + SPLUNK, 'sinks[1].name: "splunk" is used by an earlier sink in this file'],
    [`[[sinks]]\nname = "x"\ntype = "splunk"\n`, "sinks[0].type: unknown sink type (one of splunk_hec, cribl_http, kafka, kafka_rest, webhook, cloud)"],
    [`[[sinks]]\ntype = "kafka"\n`, "sinks[0].name: is required"],
    [SPLUNK.replace('"splunk"', '"rule-actions"'), 'sinks[0].name: "rule-actions" is reserved for ssg\'s own delivery state (reserved: rule-actions, audit-sync)'],
    [KAFKA.replace('"kafka"\ntype', '"audit-sync"\ntype'), 'sinks[0].name: "audit-sync" is reserved for ssg\'s own delivery state'],
    [SPLUNK.replace('url = "http://127.0.0.1:8088"\n', ""), "sinks[0].url: is required for type splunk_hec"],
    [SPLUNK.replace("http://127.0.0.1:8088", "ftp://x"), "sinks[0].url: must be an http:// or https:// URL"],
    [SPLUNK.replace('"SPLUNK_HEC_TOKEN"', '"MY-TOKEN"'), "sinks[0].token_env: must be the name of an environment variable"],
    [SPLUNK + 'batch_events = 0\n', "sinks[0].batch_events: must be an integer from 1 to 100000"],
    [SPLUNK + 'events = ["v1.Nope"]\n', 'sinks[0].events: unknown event type "v1.Nope"'],
    [SPLUNK + "colour = 1\n", "sinks[0].colour: unknown key for type splunk_hec"],
    [KAFKA.replace('topic = "ssg-audit"\n', ""), "sinks[0].topic: is required for type kafka"],
    [KAFKA + "acks = 0\n", "sinks[0].acks: acks = 0 gives no delivery confirmation"],
    [KAFKA + 'acks = "some"\n', 'sinks[0].acks: must be one of -1, "all", 1'],
    [KAFKA + 'compression = "zstd"\n', "sinks[0].compression: zstd needs a codec package"],
    [KAFKA + "idempotent = true\nacks = 1\n", "sinks[0].acks: idempotent = true requires acks = -1"],
    [KAFKA.replace('["127.0.0.1:9092"]', '["localhost"]'), 'sinks[0].brokers: "localhost" is not "host:port"'],
    [`[[sinks]]\nname = "c"\ntype = "cribl_http"\nurl = "http://h:1"\nack = true\n`, "sinks[0].ack: Cribl inputs give no indexer acknowledgement"],
    [`[[sinks]]\nname = "c"\ntype = "cloud"\nurl = "https://cloud.example"\norg = "Acme Corp"\n`, "sinks[0].org: must be an org slug"],
    [`[sinks]\nname = "x"\n`, "sinks: must be an array of tables ([[sinks]])"]
  ])("rejects %#: names file, key and reason", (toml, reason) => {
    expect(problem(toml)).toContain(`.sigmashake/config.toml: ${reason}`)
  })

  it("never repeats a secret written into the file", () => {
    const message = problem(SPLUNK + 'token = "hunter2-secret-value"\n')
    expect(message).toContain("sinks[0].token: secrets are not read from config files")
    expect(message).not.toContain("hunter2")
    expect(problem(SPLUNK.replace("http://127.0.0.1:8088", "http://user:pa55word@127.0.0.1:8088"))).not.toContain("pa55word")
  })
})

describe("ssg sinks with a bad config", () => {
  const sb = useCliSandbox("ssg-sinkcfg-cli")
  it("exits 2 with one line naming file, key and reason, no stack trace", () => {
    sb.write(".sigmashake/config.toml", SPLUNK + 'token = "hunter2"\n')
    for (const args of [["sinks", "list"], ["sinks", "status"], ["sinks", "run", "--once"]]) {
      const r = sb.ssg(...args)
      expect(r.code).toBe(2)
      expect(r.stdout).toBe("")
      expect(r.stderr).toBe(
        "ssg: .sigmashake/config.toml: sinks[0].token: secrets are not read from config files; put it in an environment variable and name it in token_env\n"
      )
    }
  })

  it("list names each sink, its destination (no query string, no webhook path) and credentials by variable only", () => {
    sb.write(
      ".sigmashake/config.toml",
      SPLUNK.replace("http://127.0.0.1:8088", "http://127.0.0.1:8088/services/collector?channel=s3cr3t-q") +
        '\n[[sinks]]\nname = "slack"\ntype = "webhook"\nurl = "https://hooks.example.com/services/T0/B0/s3cr3t-path"\nsecret_env = "HOOK_SECRET"\nevents = ["v1.EvalDecided"]\n' +
        '\n[[sinks]]\nname = "kafka"\ntype = "kafka"\nbrokers = ["127.0.0.1:9092"]\ntopic = "ssg-audit"\n'
    )
    const text = sb.ssg("sinks", "list")
    expect(text.code).toBe(0)
    expect(text.stdout).not.toContain("s3cr3t")
    expect(text.stdout).toContain("splunk  splunk_hec  http://127.0.0.1:8088/services/collector?…  events: all  credentials: $SPLUNK_HEC_TOKEN (not set)")
    expect(text.stdout).toContain("slack  webhook  https://hooks.example.com/…  events: v1.EvalDecided  credentials: $HOOK_SECRET (not set)")
    expect(text.stdout).toContain("kafka  kafka  127.0.0.1:9092 topic ssg-audit  events: all")
    const json = sb.ssg("sinks", "list", "--json")
    expect(json.code).toBe(0)
    expect(json.stdout).not.toContain("s3cr3t")
    expect((JSON.parse(json.stdout) as Array<Record<string, unknown>>).map((r) => [r["name"], r["type"], r["destination"], r["credentials"]])).toEqual([
      ["splunk", "splunk_hec", "http://127.0.0.1:8088/services/collector?…", [{ env: "SPLUNK_HEC_TOKEN", set: false }]],
      ["slack", "webhook", "https://hooks.example.com/…", [{ env: "HOOK_SECRET", set: false }]],
      ["kafka", "kafka", "127.0.0.1:9092 topic ssg-audit", []]
    ])
  })

  it("run pauses a sink whose credential variable is unset and says which variable, never a value", () => {
    sb.write(".sigmashake/config.toml", SPLUNK)
    const r = sb.ssg("sinks", "run", "--once")
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("sink splunk: environment variable SPLUNK_HEC_TOKEN is not set")
    const status = JSON.parse(sb.ssg("sinks", "status", "--json").stdout) as Array<Record<string, unknown>>
    expect(status[0]).toMatchObject({ name: "splunk", paused: true })
  })
})
