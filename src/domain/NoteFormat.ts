import { createHash } from "node:crypto"
import { bytesEqual } from "./Merkle.js"

/** The signature-type byte of Ed25519 keys in C2SP signed notes. */
export const ED25519 = 0x01

/** The prefix of a signed-note signature line (an em dash and a space). */
export const SIG_PREFIX = "\u2014 "

const utf8 = new TextEncoder()

/** Standard padded base64 of `bytes`. */
export const base64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64")

/** The concatenation of byte arrays. */
export const concat = (...parts: Array<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

let lastKeyId: { readonly name: string; readonly publicKey: Uint8Array; readonly id: Uint8Array } | null = null

/** Ed25519 signed-note key id: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ publicKey)[:4]. */
export const keyId = (name: string, publicKey: Uint8Array): Uint8Array => {
  if (lastKeyId !== null && lastKeyId.name === name && bytesEqual(lastKeyId.publicKey, publicKey)) return lastKeyId.id.slice()
  const digest = createHash("sha256").update(concat(utf8.encode(name), Uint8Array.of(0x0a, ED25519), publicKey)).digest()
  const id = new Uint8Array(digest.subarray(0, 4))
  lastKeyId = { name, publicKey: publicKey.slice(), id: id.slice() }
  return id
}

/** A checkpoint body `origin\nsize\nbase64(root)\n` (no extensions); inputs are not validated. */
export const checkpointText = (origin: string, size: number, root: Uint8Array): string =>
  `${origin}\n${size}\n${base64(root)}\n`

/** `text` signed as a one-signature C2SP note by `sign` under key `name`; inputs are not validated. */
export const formatSignedNote = (
  text: string,
  name: string,
  publicKey: Uint8Array,
  sign: (message: Uint8Array) => Uint8Array
): string => `${text}\n${SIG_PREFIX}${name} ${base64(concat(keyId(name, publicKey), sign(utf8.encode(text))))}\n`

/** Verifier key text `<name>+<hex key id>+<base64(0x01 ‖ publicKey)>`; inputs are not validated. */
export const verifierKeyText = (name: string, publicKey: Uint8Array): string =>
  `${name}+${Buffer.from(keyId(name, publicKey)).toString("hex")}+${base64(concat(Uint8Array.of(ED25519), publicKey))}`

const loneSurrogate = "[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]"
const forbiddenWithNewline = new RegExp(`[\\u0000-\\u0009\\u000b-\\u001f\\u007f]|${loneSurrogate}`)
const forbiddenInLine = new RegExp(`[\\u0000-\\u001f\\u007f]|${loneSurrogate}`)

/** Whether `s` holds a control character (newline allowed or not) or a lone surrogate, which signed notes forbid. */
export const hasForbiddenChar = (s: string, newlineAllowed: boolean): boolean =>
  (newlineAllowed ? forbiddenWithNewline : forbiddenInLine).test(s)

/** Decodes canonical standard padded base64, or null for anything else. */
export const decodeBase64 = (text: string): Uint8Array | null => {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null
  const buf = Buffer.from(text, "base64")
  if (buf.toString("base64") !== text) return null
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length).slice()
}

/** A C2SP checkpoint body: origin, tree size, 32-byte root, extension lines. */
export interface CheckpointFields {
  readonly origin: string
  readonly size: number
  readonly root: Uint8Array
  readonly extensions: ReadonlyArray<string>
}

/** Reads a checkpoint body, or the body of a signed note (signatures are not read), strictly; the error is one line. */
export const readCheckpoint = (
  text: string
): { readonly ok: true; readonly checkpoint: CheckpointFields } | { readonly ok: false; readonly error: string } => {
  const fail = (error: string) => ({ ok: false as const, error })
  const split = text.indexOf("\n\n")
  const body = split < 0 ? text : text.slice(0, split + 1)
  if (!body.endsWith("\n")) return fail("checkpoint must end with a newline")
  if (hasForbiddenChar(body, true)) return fail("checkpoint contains a control character")
  const lines = body.slice(0, -1).split("\n")
  if (lines.length < 3) return fail("checkpoint needs origin, size and root lines")
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...Array<string>]
  if (origin === "") return fail("empty origin")
  if (!/^(?:0|[1-9][0-9]*)$/.test(sizeText)) return fail(`bad tree size ${JSON.stringify(sizeText)}`)
  const size = Number(sizeText)
  if (!Number.isSafeInteger(size)) return fail(`tree size ${sizeText} is too large`)
  const root = decodeBase64(rootText)
  if (root === null || root.length !== 32) return fail("root must be 32 bytes in standard base64")
  return { ok: true, checkpoint: { origin, size, root, extensions } }
}
