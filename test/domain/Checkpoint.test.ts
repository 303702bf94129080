import * as ed from "@noble/ed25519"
import { describe, expect, it } from "vitest"
import {
  type Checkpoint,
  checkpointBody,
  CheckpointError,
  formatProof,
  keyId,
  parse,
  parseProof,
  parseVerifierKey,
  signCheckpoint,
  signNote,
  verifierKey,
  verify,
  verifyNote
} from "../../src/domain/Checkpoint.js"

const ORIGIN = "gov.example/audit-log"
const SEED = Uint8Array.from({ length: 32 }, (_, i) => i)
const VKEY = "gov.example/audit-log+09a93653+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
const ROOT_B64 = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
const SIG_LINE =
  "— gov.example/audit-log Cak2U0v1LW93iv0/yAf3yftgpJgVofFxKMAsBLFwjQTSvo018TaNm0HQyeWNBdFOYdxE5FX2+E22a0ugZrd68m/kwww="
const BODY = `${ORIGIN}\n8\n${ROOT_B64}\n`
const SIGNED = `${BODY}\n${SIG_LINE}\n`

const SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
const SPEC_NOTE =
  "This is an example message.\n\n" +
  "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"

const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
const GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
const GO_SKEY_B64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
const GO_SIG_LINE =
  "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="

const fromB64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"))
const toB64 = (b: Uint8Array): string => Buffer.from(b).toString("base64")
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
const seed = (n: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (n * 32 + i) & 0xff)
const root = (fill: number): Uint8Array => new Uint8Array(32).fill(fill)
const checkpoint = (size: number, extensions: ReadonlyArray<string> = []): Checkpoint => ({
  origin: ORIGIN,
  size,
  root: root(size & 0xff),
  extensions
})
const sigLines = (note: string): Array<string> => note.slice(note.lastIndexOf("\n\n") + 2, -1).split("\n")

const errorOf = (f: () => unknown): CheckpointError => {
  try {
    f()
  } catch (error) {
    if (error instanceof CheckpointError) return error
    throw error
  }
  throw new Error("expected a CheckpointError")
}
const reasonOf = (f: () => unknown): string => errorOf(f).reason

describe("CheckpointError", () => {
  it("is a throwable tagged Error", () => {
    const error = new CheckpointError({ reason: "bad-signature", message: "nope" })
    expect(error).toBeInstanceOf(Error)
    expect(error._tag).toBe("CheckpointError")
    expect(error.message).toBe("nope")
  })
})

describe("key ids and verifier keys", () => {
  it("recomputes the c2sp.org/signed-note example key id", () => {
    const publicKey = fromB64("AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k").slice(1)
    expect(toHex(keyId("example.com/foo", publicKey))).toBe("530d903a")
    expect(verifierKey("example.com/foo", publicKey)).toBe(SPEC_VKEY)
    const parsed = parseVerifierKey(SPEC_VKEY)
    expect(parsed.name).toBe("example.com/foo")
    expect(toHex(parsed.keyId)).toBe("530d903a")
    expect(toHex(parsed.publicKey)).toBe(toHex(publicKey))
  })

  it("derives the reference vkey of the TEST-ONLY seed 00..1f", () => {
    expect(verifierKey(ORIGIN, ed.getPublicKey(SEED))).toBe(VKEY)
    expect(toHex(parseVerifierKey(VKEY).keyId)).toBe("09a93653")
  })

  it("rejects malformed verifier keys", () => {
    const [name, id, key] = ["gov.example/audit-log", "09a93653", "AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"]
    const raw = fromB64(key)
    const retyped = Uint8Array.from(raw)
    retyped[0] = 0x02
    const bad = [
      "",
      name,
      `${name}+${id}`,
      `+${id}+${key}`,
      `gov example/audit-log+${id}+${key}`,
      `${name}+09A93653+${key}`,
      `${name}+09a9365+${key}`,
      `${name}+09a93654+${key}`,
      `other.example/log+${id}+${key}`,
      `${name}+${id}+${toB64(retyped)}`,
      `${name}+${id}+${toB64(raw.slice(0, 32))}`,
      `${name}+${id}+${key.slice(0, -1)}`,
      `${name}+${id}+${key}=`,
      `${name}+${id}+${key} `
    ]
    for (const vkey of bad) expect(reasonOf(() => parseVerifierKey(vkey)), vkey).toBe("malformed-key")
    expect(errorOf(() => parseVerifierKey(verifierKey(name, new Uint8Array(32)))).message).toMatch(/large order/)
    expect(reasonOf(() => verifierKey("a+b", raw.slice(1)))).toBe("malformed-key")
    expect(reasonOf(() => verifierKey("", raw.slice(1)))).toBe("malformed-key")
    expect(reasonOf(() => verifierKey(name, raw))).toBe("malformed-key")
    expect(reasonOf(() => verifyNote(SIGNED, `${name}+${id}`))).toBe("malformed-key")
  })
})

describe("signed notes", () => {
  it("verifies the c2sp.org/signed-note example", () => {
    expect(verifyNote(SPEC_NOTE, SPEC_VKEY)).toBe("This is an example message.\n")
  })

  it("verifies and reproduces the golang.org/x/mod/sumdb/note example", () => {
    const note = `${GO_TEXT}\n${GO_SIG_LINE}\n`
    expect(verifyNote(note, GO_VKEY)).toBe(GO_TEXT)
    expect(signNote(GO_TEXT, "PeterNeumann", fromB64(GO_SKEY_B64).slice(1))).toBe(note)
  })

  it("signs and verifies a multi-line note", () => {
    const text = "line one\n\u00e9t\u00e9 \ud83d\ude00\nlast\n"
    const note = signNote(text, "signer.example", seed(3))
    expect(note.startsWith(`${text}\n— signer.example `)).toBe(true)
    expect(sigLines(note)[0]).toHaveLength("— signer.example ".length + 92)
    expect(verifyNote(note, verifierKey("signer.example", ed.getPublicKey(seed(3))))).toBe(text)
  })

  it("ignores signature lines from unknown keys", () => {
    const other = signNote(BODY, "witness.example", seed(5))
    const impostor = signNote(BODY, ORIGIN, seed(6))
    const note = `${BODY}\n${sigLines(other)[0]}\n${SIG_LINE}\n${sigLines(impostor)[0]}\n`
    expect(verifyNote(note, VKEY)).toBe(BODY)
    const withJunk = `${BODY}\n— unknown.example AAAAAAA=\n${SIG_LINE}\n`
    expect(verifyNote(withJunk, VKEY)).toBe(BODY)
  })

  it("accepts 16 signature lines", () => {
    const others = Array.from({ length: 15 }, (_, i) => sigLines(signNote(BODY, `w${i}.example`, seed(i + 10)))[0])
    const note = `${BODY}\n${others.join("\n")}\n${SIG_LINE}\n`
    expect(sigLines(note)).toHaveLength(16)
    expect(verifyNote(note, VKEY)).toBe(BODY)
  })

  it("rejects a note with too many signature lines", () => {
    const note = `${BODY}\n${Array.from({ length: 101 }, () => SIG_LINE).join("\n")}\n`
    expect(reasonOf(() => verifyNote(note, VKEY))).toBe("malformed-note")
  })

  it("fails with unknown-key when only other keys signed", () => {
    const byOther = signNote(BODY, "witness.example", seed(5))
    expect(reasonOf(() => verifyNote(byOther, VKEY))).toBe("unknown-key")
    const sameNameOtherKey = signNote(BODY, ORIGIN, seed(6))
    expect(reasonOf(() => verifyNote(sameNameOtherKey, VKEY))).toBe("unknown-key")
  })

  it("fails with bad-signature when the known key's signature does not verify", () => {
    const raw = fromB64(SIG_LINE.split(" ")[2]!)
    raw[10] = raw[10]! ^ 0x01
    expect(reasonOf(() => verifyNote(`${BODY}\n— ${ORIGIN} ${toB64(raw)}\n`, VKEY))).toBe("bad-signature")
    const short = toB64(fromB64(SIG_LINE.split(" ")[2]!).slice(0, 67))
    expect(reasonOf(() => verifyNote(`${BODY}\n— ${ORIGIN} ${short}\n`, VKEY))).toBe("bad-signature")
    const otherText = sigLines(signNote("other text\n", ORIGIN, SEED))[0]
    expect(reasonOf(() => verifyNote(`${BODY}\n${SIG_LINE}\n${otherText}\n`, VKEY))).toBe("bad-signature")
    expect(reasonOf(() => verifyNote(`${BODY}\n${otherText}\n${SIG_LINE}\n`, VKEY))).toBe("bad-signature")
  })

  it("rejects malformed notes", () => {
    const bad = [
      BODY,
      `${BODY}${SIG_LINE}\n`,
      `${BODY}\n`,
      `${BODY}\n${SIG_LINE}`,
      `${BODY}\n${SIG_LINE}\n\n`,
      `${BODY}\n-- ${SIG_LINE.slice(2)}\n`,
      `${BODY}\n—${SIG_LINE.slice(2)}\n`,
      `${BODY}\n—  ${SIG_LINE.slice(2)}\n`,
      `${BODY}\n— ${ORIGIN}\n`,
      `${BODY}\n— ${ORIGIN} \n`,
      `${BODY}\n— ${ORIGIN} AAAA\n`,
      `${BODY}\n— ${ORIGIN} not*base64\n`,
      `${BODY}\n${SIG_LINE.slice(0, -1)}\n`,
      `${BODY}\n${SIG_LINE} \n`,
      `${BODY}\n— a+b ${SIG_LINE.split(" ")[2]}\n`,
      `${ORIGIN}\r\n8\n${ROOT_B64}\n\n${SIG_LINE}\n`,
      `${ORIGIN}\n8\t\n${ROOT_B64}\n\n${SIG_LINE}\n`,
      `${BODY}\n${SIG_LINE}\u0000\n`,
      `${ORIGIN}\u007f\n8\n${ROOT_B64}\n\n${SIG_LINE}\n`,
      `${ORIGIN}\ud800\n8\n${ROOT_B64}\n\n${SIG_LINE}\n`
    ]
    for (const note of bad) expect(reasonOf(() => verifyNote(note, VKEY)), JSON.stringify(note)).toBe("malformed-note")
  })

  it("refuses to sign invalid text or with an invalid name or key", () => {
    expect(reasonOf(() => signNote("", ORIGIN, SEED))).toBe("malformed-note")
    expect(reasonOf(() => signNote("no newline", ORIGIN, SEED))).toBe("malformed-note")
    expect(reasonOf(() => signNote("tab\there\n", ORIGIN, SEED))).toBe("malformed-note")
    expect(reasonOf(() => signNote("cr\r\n", ORIGIN, SEED))).toBe("malformed-note")
    expect(reasonOf(() => signNote("ok\n", "has space", SEED))).toBe("malformed-key")
    expect(reasonOf(() => signNote("ok\n", "has+plus", SEED))).toBe("malformed-key")
    expect(reasonOf(() => signNote("ok\n", "", SEED))).toBe("malformed-key")
    expect(reasonOf(() => signNote("ok\n", ORIGIN, SEED.slice(1)))).toBe("malformed-key")
  })
})

describe("checkpoints", () => {
  it("reproduces the reference signed checkpoint byte for byte", () => {
    const cp: Checkpoint = { origin: ORIGIN, size: 8, root: fromB64(ROOT_B64), extensions: [] }
    expect(checkpointBody(cp)).toBe(BODY)
    expect(signCheckpoint(cp, ORIGIN, SEED)).toBe(SIGNED)
  })

  it("verifies the reference signed checkpoint", () => {
    const cp = verify(SIGNED, VKEY)
    expect(cp.origin).toBe(ORIGIN)
    expect(cp.size).toBe(8)
    expect(toB64(cp.root)).toBe(ROOT_B64)
    expect(cp.extensions).toEqual([])
  })

  it("round-trips extension lines and size 0", () => {
    const cp = checkpoint(0, ["Timestamp: 1700000000", "x y z"])
    const signed = signCheckpoint(cp, ORIGIN, SEED)
    expect(signed.startsWith(`${ORIGIN}\n0\n${toB64(root(0))}\nTimestamp: 1700000000\nx y z\n\n`)).toBe(true)
    const back = verify(signed, VKEY)
    expect(back.size).toBe(0)
    expect(back.extensions).toEqual(["Timestamp: 1700000000", "x y z"])
    expect(toHex(back.root)).toBe(toHex(cp.root))
  })

  it("parses a body or a full note without checking signatures", () => {
    expect(parse(BODY).size).toBe(8)
    expect(parse(SIGNED).size).toBe(8)
    expect(parse(`${BODY}\n— whatever garbage\n`).origin).toBe(ORIGIN)
    expect(parse(`${ORIGIN}\n${Number.MAX_SAFE_INTEGER}\n${ROOT_B64}\n`).size).toBe(Number.MAX_SAFE_INTEGER)
  })

  it("rejects malformed checkpoint bodies", () => {
    const bad = [
      "",
      `${ORIGIN}\n8\n${ROOT_B64}`,
      `${ORIGIN}\n8\n`,
      `\n8\n${ROOT_B64}\n`,
      `${ORIGIN}\n08\n${ROOT_B64}\n`,
      `${ORIGIN}\n00\n${ROOT_B64}\n`,
      `${ORIGIN}\n+8\n${ROOT_B64}\n`,
      `${ORIGIN}\n-1\n${ROOT_B64}\n`,
      `${ORIGIN}\n8.0\n${ROOT_B64}\n`,
      `${ORIGIN}\n 8\n${ROOT_B64}\n`,
      `${ORIGIN}\n9007199254740992\n${ROOT_B64}\n`,
      `${ORIGIN}\n8\n${ROOT_B64.slice(0, -1)}\n`,
      `${ORIGIN}\n8\n${ROOT_B64.replace("+", "-")}\n`,
      `${ORIGIN}\n8\n${toB64(new Uint8Array(31))}\n`,
      `${ORIGIN}\n8\n${toB64(new Uint8Array(33))}\n`,
      `${ORIGIN}\n8\n${ROOT_B64} \n`,
      `${ORIGIN}\n8\n${ROOT_B64}\ntrailing`,
      `${ORIGIN}\r\n8\n${ROOT_B64}\n`
    ]
    for (const text of bad) expect(reasonOf(() => parse(text)), JSON.stringify(text)).toBe("malformed-checkpoint")
  })

  it("rejects a tampered size or root", () => {
    expect(reasonOf(() => verify(SIGNED.replace("\n8\n", "\n9\n"), VKEY))).toBe("bad-signature")
    const tamperedRoot = toB64(root(7))
    expect(reasonOf(() => verify(SIGNED.replace(ROOT_B64, tamperedRoot), VKEY))).toBe("bad-signature")
  })

  it("rejects a checkpoint signed by another key only", () => {
    const signed = signCheckpoint(checkpoint(8), ORIGIN, seed(9))
    expect(reasonOf(() => verify(signed, VKEY))).toBe("unknown-key")
  })

  it("rejects a validly signed checkpoint with a leading zero in its size", () => {
    const signed = signNote(`${ORIGIN}\n08\n${ROOT_B64}\n`, ORIGIN, SEED)
    expect(reasonOf(() => verify(signed, VKEY))).toBe("malformed-checkpoint")
  })

  it("rejects an origin that differs from the key name", () => {
    const cp: Checkpoint = { ...checkpoint(8), origin: "other.example/log" }
    const signed = signCheckpoint(cp, ORIGIN, SEED)
    expect(verifyNote(signed, VKEY)).toBe(checkpointBody(cp))
    expect(reasonOf(() => verify(signed, VKEY))).toBe("origin-mismatch")
  })

  it("rejects a bad vkey and a malformed note", () => {
    expect(reasonOf(() => verify(SIGNED, "not a vkey"))).toBe("malformed-key")
    expect(reasonOf(() => verify(BODY, VKEY))).toBe("malformed-note")
    expect(reasonOf(() => verify(SIGNED.replace("\n\n", "\n"), VKEY))).toBe("malformed-note")
  })

  it("refuses to format invalid checkpoints", () => {
    expect(reasonOf(() => checkpointBody({ ...checkpoint(1), origin: "" }))).toBe("malformed-checkpoint")
    expect(reasonOf(() => checkpointBody({ ...checkpoint(1), origin: "a\nb" }))).toBe("malformed-checkpoint")
    expect(reasonOf(() => checkpointBody({ ...checkpoint(1), size: -1 }))).toBe("malformed-checkpoint")
    expect(reasonOf(() => checkpointBody({ ...checkpoint(1), size: 1.5 }))).toBe("malformed-checkpoint")
    expect(reasonOf(() => checkpointBody({ ...checkpoint(1), root: new Uint8Array(31) }))).toBe("malformed-checkpoint")
    expect(reasonOf(() => checkpointBody(checkpoint(1, [""])))).toBe("malformed-checkpoint")
    expect(reasonOf(() => checkpointBody(checkpoint(1, ["a\nb"])))).toBe("malformed-checkpoint")
    expect(reasonOf(() => signCheckpoint({ ...checkpoint(1), size: Number.NaN }, ORIGIN, SEED))).toBe(
      "malformed-checkpoint"
    )
  })
})

describe("tlog-proof", () => {
  const hashes = [root(1), root(2), root(3)]
  const header = "c2sp.org/tlog-proof@v1"

  it("formats and parses a proof with extra data", () => {
    const extra = Uint8Array.of(1, 2, 3, 250)
    const text = formatProof(5, hashes, SIGNED, extra)
    const expected = [header, `extra ${toB64(extra)}`, "index 5", ...hashes.map(toB64), "", SIGNED].join("\n")
    expect(text).toBe(expected)
    const parsed = parseProof(text)
    expect(parsed.index).toBe(5)
    expect(parsed.proof.map(toHex)).toEqual(hashes.map(toHex))
    expect(parsed.checkpoint).toBe(SIGNED)
    expect(parsed.extra && toHex(parsed.extra)).toBe(toHex(extra))
    expect(verify(parsed.checkpoint, VKEY).size).toBe(8)
  })

  it("formats and parses a proof without extra data or hashes", () => {
    const one = signCheckpoint(checkpoint(1), ORIGIN, SEED)
    const text = formatProof(0, [], one)
    expect(text).toBe(`${header}\nindex 0\n\n${one}`)
    expect(parseProof(text)).toEqual({ index: 0, proof: [], checkpoint: one, extra: null })
    expect(parseProof(formatProof(7, hashes, SIGNED)).extra).toBeNull()
  })

  it("rejects malformed proofs", () => {
    const good = formatProof(5, hashes, SIGNED, Uint8Array.of(9))
    const lines = good.split("\n")
    const withLine = (i: number, line: string): string => lines.map((l, j) => (j === i ? line : l)).join("\n")
    const bad = [
      "",
      good.replace("\n\n", "\n"),
      withLine(0, "c2sp.org/tlog-proof@v2"),
      withLine(1, "extra !!"),
      withLine(1, "extra AAA"),
      withLine(2, "index 05"),
      withLine(2, "index -1"),
      withLine(2, "index  5"),
      withLine(2, "index 8"),
      withLine(2, "index 9007199254740992"),
      withLine(2, "idx 5"),
      withLine(3, toB64(new Uint8Array(31))),
      withLine(3, "not base64"),
      withLine(3, `${toB64(root(1))} `),
      `${header}\nindex 5\n${toB64(root(1))}\n\n${BODY}`,
      `${header}\nindex 5\n\n${SIGNED.replace("\n8\n", "\n08\n")}`,
      `${header}\nindex 5\n\n${SIGNED}trailing`,
      `${header}\nindex 5\n${Array.from({ length: 64 }, () => toB64(root(1))).join("\n")}\n\n${SIGNED}`,
      `${header}\nindex 5\n\n`,
      `${header}\n\n${SIGNED}`,
      `extra AA==\n${header}\nindex 5\n\n${SIGNED}`
    ]
    for (const text of bad) expect(reasonOf(() => parseProof(text)), JSON.stringify(text)).toBe("malformed-note")
  })

  it("refuses to format invalid proofs", () => {
    expect(reasonOf(() => formatProof(-1, hashes, SIGNED))).toBe("malformed-note")
    expect(reasonOf(() => formatProof(1.5, hashes, SIGNED))).toBe("malformed-note")
    expect(reasonOf(() => formatProof(8, hashes, SIGNED))).toBe("malformed-note")
    expect(reasonOf(() => formatProof(1, [new Uint8Array(31)], SIGNED))).toBe("malformed-note")
    expect(reasonOf(() => formatProof(1, hashes, BODY))).toBe("malformed-note")
    expect(reasonOf(() => formatProof(1, Array.from({ length: 64 }, () => root(0)), SIGNED))).toBe("malformed-note")
  })
})
