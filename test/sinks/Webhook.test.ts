import { createServer } from "node:http"
import { afterEach, describe, expect, it } from "vitest"
import { signWebhook, webhookKey } from "../../src/sinks/Webhook.js"
import { useCliSandbox } from "../support/cli.js"
import { listenLocal } from "../support/listen.js"
import { appendTestEvents, entrySeqs, ssgEnv } from "../support/sinks.js"
import { startWebhookReceiver, verifyWebhook, type WebhookReceiver } from "../support/WebhookReceiver.js"

const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
}

describe("Standard Webhooks signing", () => {
  it("reproduces the reference library's test vector", () => {
    expect(signWebhook(webhookKey(VECTOR.secret), VECTOR.id, VECTOR.timestamp, VECTOR.payload)).toBe(VECTOR.signature)
  })

  it("the receiver accepts the vector within the tolerance and refuses tampering, old and future timestamps", () => {
    const headers = { "webhook-id": VECTOR.id, "webhook-timestamp": String(VECTOR.timestamp), "webhook-signature": `v1,bm9wZQ== ${VECTOR.signature}` }
    expect(verifyWebhook(VECTOR.secret, headers, VECTOR.payload, VECTOR.timestamp + 10)).toBeNull()
    expect(verifyWebhook(VECTOR.secret, headers, VECTOR.payload.replace("2432", "2433"), VECTOR.timestamp)).toBe("no matching signature")
    expect(verifyWebhook(VECTOR.secret, headers, VECTOR.payload, VECTOR.timestamp + 301)).toBe("message timestamp too old")
    expect(verifyWebhook(VECTOR.secret, headers, VECTOR.payload, VECTOR.timestamp - 301)).toBe("message timestamp too new")
  })

  it("refuses secrets that are not whsec_ base64", () => {
    expect(() => webhookKey("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toThrow("whsec_")
    expect(() => webhookKey("whsec_short")).toThrow("at least 16")
  })
})

describe("ssg sinks run to a webhook", () => {
  const sb = useCliSandbox("ssg-sinks-webhook")
  let receiver: WebhookReceiver | null = null
  afterEach(async () => {
    await receiver?.close()
    receiver = null
  })

  it("posts signed batches the receiver verifies, retries 503, pauses on a wrong secret", async () => {
    receiver = await startWebhookReceiver(VECTOR.secret)
    sb.write(
      ".sigmashake/config.toml",
      `[[sinks]]\nname = "hook"\ntype = "webhook"\nurl = "${receiver.url}"\nsecret_env = "SSG_WEBHOOK_SECRET"\nbatch_events = 10\n`
    )
    await appendTestEvents(sb.home, 25)
    receiver.respondWith(503)
    const r = await ssgEnv(sb.cwd, sb.home, { SSG_WEBHOOK_SECRET: VECTOR.secret }, "sinks", "run", "--once")
    expect(r.code).toBe(0)
    expect(`${r.stdout}${r.stderr}`).not.toContain("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    expect(receiver.rejected).toEqual([])
    const records = receiver.deliveries.flatMap((d) => d.payload.data.records) as unknown as Parameters<typeof entrySeqs>[0]
    expect(entrySeqs(records)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
    expect(receiver.deliveries.every((d) => d.id.startsWith("msg_") && d.payload.type === "ssg.audit.records")).toBe(true)

    await appendTestEvents(sb.home, 5, 5, 25)
    const wrong = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    const bad = await ssgEnv(sb.cwd, sb.home, { SSG_WEBHOOK_SECRET: wrong }, "sinks", "run", "--once")
    expect(bad.code).toBe(1)
    expect(bad.stdout).toContain("hook: paused at #25")
    expect(`${bad.stdout}${bad.stderr}`).not.toContain("AAAAAAAA")
    expect(receiver.rejected).toEqual(["no matching signature"])
  })

  it("pauses without dead-lettering when the endpoint answers 400 to every request", async () => {
    receiver = await startWebhookReceiver(VECTOR.secret)
    sb.write(
      ".sigmashake/config.toml",
      `[[sinks]]\nname = "hook"\ntype = "webhook"\nurl = "${receiver.url}"\nsecret_env = "SSG_WEBHOOK_SECRET"\nbatch_events = 10\n`
    )
    await appendTestEvents(sb.home, 25)
    receiver.respondWith(...Array<number>(40).fill(400))
    const r = await ssgEnv(sb.cwd, sb.home, { SSG_WEBHOOK_SECRET: VECTOR.secret }, "sinks", "run", "--once")
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/sink hook: the destination refused all \d+ records it was sent, so none is dead-lettered \(first: the endpoint refused the record: HTTP 400\)/)
    const status = JSON.parse((await ssgEnv(sb.cwd, sb.home, {}, "sinks", "status", "--json")).stdout) as Array<Record<string, unknown>>
    expect(status[0]).toMatchObject({ name: "hook", cursor: 0, paused: true, dead_letters: 0 })
  })

  it("sinks test reaches the endpoint, and fails naming the URL (without its path) when nothing is there", async () => {
    receiver = await startWebhookReceiver(VECTOR.secret)
    const config = (url: string) =>
      sb.write(".sigmashake/config.toml", `[[sinks]]\nname = "hook"\ntype = "webhook"\nurl = "${url}"\nsecret_env = "SSG_WEBHOOK_SECRET"\n`)
    config(receiver.url)
    const ok = await ssgEnv(sb.cwd, sb.home, { SSG_WEBHOOK_SECRET: VECTOR.secret }, "sinks", "test", "hook")
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain("hook: ok: the endpoint is reachable (HTTP 204 to HEAD)")
    const missing = await listenLocal(createServer((_req, res) => void res.writeHead(404).end("not found")))
    try {
      config(`${missing.url}/hooks/secret-path`)
      const r = await ssgEnv(sb.cwd, sb.home, { SSG_WEBHOOK_SECRET: VECTOR.secret }, "sinks", "test", "hook")
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`sink hook: nothing answers at ${missing.url}/…: HTTP 404`)
      expect(r.stderr).not.toContain("secret-path")
    } finally {
      await missing.close()
    }
  })
})
