import { createPublicKey, verify as cryptoVerify } from "node:crypto"
import { existsSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { parseVerifierKey } from "../../src/domain/Checkpoint.js"
import { useCliSandbox } from "../support/cli.js"

const sb = useCliSandbox("ssg-keys")
const { ssg, ssgWithInput } = sb

const keyPath = () => join(sb.home, "keys", "signing.key")
const pubPath = () => join(sb.home, "keys", "signing.pub")
const mode = (path: string): number => statSync(path).mode & 0o777

/** The `public key:` and `verifier key:` lines of `keys generate` / `keys show`. */
const shown = (stdout: string): { publicKey: string; vkey: string } => {
  const publicKey = /^public key: (.*)$/m.exec(stdout)?.[1]
  const vkey = /^verifier key: (.*)$/m.exec(stdout)?.[1]
  expect(publicKey).toBeDefined()
  expect(vkey).toBeDefined()
  return { publicKey: publicKey!, vkey: vkey! }
}

/** The raw 32-byte public key inside the SPKI PEM `signing.pub`, as hex. */
const pubFileKey = (): string => {
  const der = createPublicKey(readFileSync(pubPath(), "utf8")).export({ format: "der", type: "spki" })
  return der.subarray(der.length - 32).toString("hex")
}

const oneStderrLine = (stderr: string): void => {
  expect(stderr).toMatch(/^ssg: [^\n]+\n$/)
}

const generate = (...flags: Array<string>) => {
  const r = ssg("keys", "generate", ...flags)
  expect(r.stderr).toBe("")
  expect(r.code).toBe(0)
  return shown(r.stdout)
}

describe("ssg keys generate", () => {
  it("creates signing.key (0600) and signing.pub (0644); show prints the hex key and a parseable verifier key", () => {
    const { publicKey } = generate()
    expect(mode(keyPath())).toBe(0o600)
    expect(mode(pubPath())).toBe(0o644)
    expect(publicKey).toMatch(/^[0-9a-f]{64}$/)
    expect(pubFileKey()).toBe(publicKey)
    expect(readFileSync(keyPath(), "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)

    // `keys show` prints the same hex key and a C2SP verifier key line that parses to it
    const r = ssg("keys", "show")
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const { publicKey: shownKey, vkey } = shown(r.stdout)
    expect(shownKey).toBe(publicKey)
    expect(vkey).toMatch(/^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/)
    const parsed = parseVerifierKey(vkey)
    expect(Buffer.from(parsed.publicKey).toString("hex")).toBe(publicKey)
    expect(vkey.startsWith(`${parsed.name}+${Buffer.from(parsed.keyId).toString("hex")}+`)).toBe(true)
  })

  it("refuses to overwrite an existing key without --force (exit 1, key unchanged)", () => {
    const first = generate()
    const before = readFileSync(keyPath())
    const pubBefore = readFileSync(pubPath())
    const r = ssg("keys", "generate")
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    oneStderrLine(r.stderr)
    expect(r.stderr).toContain("--force")
    expect(readFileSync(keyPath()).equals(before)).toBe(true)
    expect(readFileSync(pubPath()).equals(pubBefore)).toBe(true)
    expect(mode(keyPath())).toBe(0o600)
    const again = ssg("keys", "show")
    expect(again.code).toBe(0)
    expect(shown(again.stdout)).toEqual(first)
  })

  it("replaces the key pair with --force, keeping the file modes", () => {
    const first = generate()
    const before = readFileSync(keyPath())
    const second = generate("--force")
    expect(second.publicKey).not.toBe(first.publicKey)
    expect(second.vkey).not.toBe(first.vkey)
    expect(readFileSync(keyPath()).equals(before)).toBe(false)
    expect(pubFileKey()).toBe(second.publicKey)
    expect(mode(keyPath())).toBe(0o600)
    expect(mode(pubPath())).toBe(0o644)
  })

  it("refuses --force under a non-empty audit log, whose checkpoints the key signs (exit 1, key and log unchanged)", () => {
    const first = generate()
    expect(ssgWithInput(JSON.stringify({ tool: "Bash", input: { command: "ls" } }), "eval").code).toBe(0)
    const before = readFileSync(keyPath())
    const r = ssg("keys", "generate", "--force")
    expect(r.code).toBe(1)
    oneStderrLine(r.stderr)
    expect(r.stderr).toContain(`the audit log ${join(sb.home, "audit.db")} holds 1 entry whose checkpoints this key signs`)
    expect(readFileSync(keyPath()).equals(before)).toBe(true)
    expect(shown(ssg("keys", "show").stdout)).toEqual(first)
    expect(ssg("audit", "verify").stdout).toContain("Chain integrity: VALID ✓")
  })
})

describe("ssg keys show", () => {
  it("exits 2 with one stderr line when there is no key", () => {
    const r = ssg("keys", "show")
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    oneStderrLine(r.stderr)
    expect(existsSync(keyPath())).toBe(false)
  })
})

describe("ssg keys sign / verify", () => {
  const MESSAGE = "hello, audit log\nsecond line\n"

  it("signs stdin; verify accepts it (exit 0), rejects other input (exit 1) and malformed hex (exit 2)", () => {
    const { publicKey } = generate()
    const s = ssgWithInput(MESSAGE, "keys", "sign")
    expect(s.stderr).toBe("")
    expect(s.code).toBe(0)
    expect(s.stdout).toMatch(/^[0-9a-f]{128}\n$/)
    const signature = s.stdout.trim()

    // an independent Ed25519 check of the signature over the exact stdin bytes
    const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(publicKey, "hex")])
    const key = createPublicKey({ key: spki, format: "der", type: "spki" })
    expect(cryptoVerify(null, Buffer.from(MESSAGE), key, Buffer.from(signature, "hex"))).toBe(true)

    const ok = ssgWithInput(MESSAGE, "keys", "verify", "--pubkey", publicKey, "--signature", signature)
    expect(ok.stderr).toBe("")
    expect(ok.code).toBe(0)

    const altered = ssgWithInput(MESSAGE.replace("hello", "Hello"), "keys", "verify", "--pubkey", publicKey, "--signature", signature)
    expect(altered.code).toBe(1)

    const badHex = ssgWithInput(MESSAGE, "keys", "verify", "--pubkey", publicKey, "--signature", `${signature.slice(0, 126)}zz`)
    expect(badHex.code).toBe(2)
    expect(badHex.stdout).toBe("")
    oneStderrLine(badHex.stderr)
  })
})
