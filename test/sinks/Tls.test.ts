import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { useCliSandbox } from "../support/cli.js"
import { appendTestEvents, entrySeqs, ssgEnv } from "../support/sinks.js"
import { hasOpenssl, makeCertificates } from "../support/tls.js"
import { startWebhookReceiver, type WebhookReceiver } from "../support/WebhookReceiver.js"

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
const ENV = { SSG_WEBHOOK_SECRET: SECRET }

describe.skipIf(!hasOpenssl())("sinks over TLS with ca_file (needs the openssl command to make test certificates)", () => {
  const sb = useCliSandbox("ssg-sinks-tls")
  let receiver: WebhookReceiver | null = null
  afterEach(async () => {
    await receiver?.close()
    receiver = null
  })

  const configure = (url: string, caFile: string | null) =>
    sb.write(
      ".sigmashake/config.toml",
      `[[sinks]]\nname = "hook"\ntype = "webhook"\nurl = "${url}"\nsecret_env = "SSG_WEBHOOK_SECRET"\nbatch_events = 10\n` +
        (caFile === null ? "" : `ca_file = "${caFile}"\n`)
    )
  const status = async () =>
    (JSON.parse((await ssgEnv(sb.cwd, sb.home, ENV, "sinks", "status", "--json")).stdout) as Array<Record<string, unknown>>)[0]!

  it("pauses on an untrusted certificate (no CA, or another CA) without dropping anything, and delivers with the right ca_file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ssg-tls-"))
    const trusted = makeCertificates(dir, "trusted")
    const other = makeCertificates(dir, "other")
    receiver = await startWebhookReceiver(SECRET, trusted)
    expect(receiver.url.startsWith("https://127.0.0.1:")).toBe(true)
    await appendTestEvents(sb.home, 25)

    for (const caFile of [null, other.caFile]) {
      configure(receiver.url, caFile)
      const refused = await ssgEnv(sb.cwd, sb.home, ENV, "sinks", "run", "--once")
      expect(refused.code).not.toBe(0)
      expect(`${refused.stdout}${refused.stderr}`).toMatch(/TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted .*set ca_file/)
      expect(await status()).toMatchObject({ name: "hook", cursor: 0, paused: true })
      expect(receiver.deliveries).toEqual([])
    }

    configure(receiver.url, trusted.caFile)
    const r = await ssgEnv(sb.cwd, sb.home, ENV, "sinks", "run", "--once")
    expect(r.code).toBe(0)
    const records = receiver.deliveries.flatMap((d) => d.payload.data.records) as unknown as Parameters<typeof entrySeqs>[0]
    expect(entrySeqs(records)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
    expect(await status()).toMatchObject({ cursor: 25, paused: false })
  }, 60_000)

  it("a ca_file that cannot be read is a config error naming the file", async () => {
    receiver = await startWebhookReceiver(SECRET, makeCertificates(mkdtempSync(join(tmpdir(), "ssg-tls-")), "lone"))
    configure(receiver.url, "/nonexistent/ca.pem")
    await appendTestEvents(sb.home, 3)
    const r = await ssgEnv(sb.cwd, sb.home, ENV, "sinks", "run", "--once")
    expect(r.code).not.toBe(0)
    expect(`${r.stdout}${r.stderr}`).toContain("cannot read ca_file /nonexistent/ca.pem")
    expect(receiver.deliveries).toEqual([])
  }, 60_000)
})
