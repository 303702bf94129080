import { sha256 } from "@noble/hashes/sha2.js"

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

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

let lastKeyId: { readonly name: string; readonly publicKey: Uint8Array; readonly id: Uint8Array } | null = null

/** Ed25519 signed-note key id: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ publicKey)[:4]. */
export const keyId = (name: string, publicKey: Uint8Array): Uint8Array => {
  if (lastKeyId !== null && lastKeyId.name === name && sameBytes(lastKeyId.publicKey, publicKey)) return lastKeyId.id.slice()
  const id = sha256(concat(utf8.encode(name), Uint8Array.of(0x0a, ED25519), publicKey)).slice(0, 4)
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
