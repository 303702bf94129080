import * as ed from "@noble/ed25519"
import { sha512 } from "@noble/hashes/sha2.js"
import { Schema } from "effect"
import { bytesEqual } from "./Merkle.js"
import {
  base64,
  decodeBase64,
  ED25519,
  formatSignedNote,
  hasForbiddenChar,
  keyId,
  readCheckpoint,
  SIG_PREFIX,
  verifierKeyText
} from "./NoteFormat.js"

export { keyId } from "./NoteFormat.js"

ed.hashes.sha512 ??= sha512

/** Why a signed note, verifier key, checkpoint or tlog-proof was refused. */
export class CheckpointError extends Schema.TaggedError<CheckpointError>()("CheckpointError", {
  reason: Schema.Literal(
    "malformed-note",
    "malformed-key",
    "malformed-checkpoint",
    "unknown-key",
    "bad-signature",
    "origin-mismatch"
  ),
  message: Schema.String
}) {}

/** A c2sp.org/tlog-checkpoint@v1.0.0 body: log origin, tree size, 32-byte RFC 6962 root, extension lines. */
export interface Checkpoint {
  readonly origin: string
  readonly size: number
  readonly root: Uint8Array
  readonly extensions: ReadonlyArray<string>
}

/** A parsed verifier key: key name, 4-byte key id and 32-byte Ed25519 public key. */
export interface VerifierKey {
  readonly name: string
  readonly keyId: Uint8Array
  readonly publicKey: Uint8Array
}

/** A parsed c2sp.org/tlog-proof@v1: leaf index, inclusion proof hashes, signed checkpoint verbatim, opaque extra. */
export interface TlogProof {
  readonly index: number
  readonly proof: Array<Uint8Array>
  readonly checkpoint: string
  readonly extra: Uint8Array | null
}

/** Verifier key text `<name>+<hex key id>+<base64(0x01 ‖ publicKey)>`; throws malformed-key on a bad name or key. */
export const verifierKey = (name: string, publicKey: Uint8Array): string => {
  checkKeyName(name)
  checkPublicKeyLength(publicKey)
  return verifierKeyText(name, publicKey)
}

/** Parses an Ed25519 verifier key; throws malformed-key on any malformation, including a key id that does not match. */
export const parseVerifierKey = (vkey: string): VerifierKey => {
  const first = vkey.indexOf("+")
  const second = vkey.indexOf("+", first + 1)
  if (first < 0 || second < 0) return keyError("verifier key must be <name>+<key id>+<key>")
  const name = vkey.slice(0, first)
  const idHex = vkey.slice(first + 1, second)
  const keyB64 = vkey.slice(second + 1)
  checkKeyName(name)
  if (!/^[0-9a-f]{8}$/.test(idHex)) return keyError("key id must be 8 lowercase hex digits")
  const raw = decodeBase64(keyB64)
  if (raw === null) return keyError("key is not canonical standard base64")
  if (raw.length !== 33) return keyError(`key must be 33 bytes, got ${raw.length}`)
  if (raw[0] !== ED25519) return keyError(`unsupported key type 0x${hex(raw.subarray(0, 1))}`)
  const publicKey = raw.slice(1)
  const id = keyId(name, publicKey)
  if (hex(id) !== idHex) return keyError(`key id ${idHex} does not match name and key (expected ${hex(id)})`)
  if (!isUsablePoint(publicKey)) return keyError("public key is not a valid Ed25519 point of large order")
  return { name, keyId: id, publicKey }
}

/** Signs `text` (non-empty, ending in "\n", no control characters but newline) as a C2SP signed note with one line. */
export const signNote = (text: string, name: string, secretKey: Uint8Array): string => {
  if (secretKey.length !== 32) keyError(`secret key must be 32 bytes, got ${secretKey.length}`)
  return signNoteWith(text, name, ed.getPublicKey(secretKey), (message) => ed.sign(message, secretKey))
}

/** Signs a note with any Ed25519 signer (e.g. node:crypto holding the key) given its public key; same output as signNote. */
export const signNoteWith = (
  text: string,
  name: string,
  publicKey: Uint8Array,
  sign: (message: Uint8Array) => Uint8Array
): string => {
  checkNoteText(text)
  checkKeyName(name)
  return formatSignedNote(text, name, publicKey, sign)
}

/** Returns the text of `note` once the key of `vkey` signed it (strict RFC 8032); other keys' lines are ignored. */
export const verifyNote = (note: string, vkey: string, check: SignatureCheck = strictEd25519): string =>
  verifyWith(note, parseVerifierKey(vkey), check)

/** The checkpoint body `origin\nsize\nbase64(root)\n[extension\n]*`; throws malformed-checkpoint on invalid fields. */
export const checkpointBody = (cp: Checkpoint): string => {
  if (cp.origin === "" || hasForbiddenChar(cp.origin, false)) checkpointError("origin must be a non-empty line")
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) checkpointError(`size must be a non-negative integer`)
  if (cp.root.length !== 32) checkpointError(`root must be 32 bytes, got ${cp.root.length}`)
  for (const ext of cp.extensions) {
    if (ext === "" || hasForbiddenChar(ext, false)) checkpointError("extension must be a non-empty line")
  }
  return [cp.origin, String(cp.size), base64(cp.root), ...cp.extensions, ""].join("\n")
}

/** Parses a checkpoint body or the body of a signed note (signatures are not read or checked); strict. */
export const parse = (text: string): Checkpoint => {
  const read = readCheckpoint(text)
  return read.ok ? read.checkpoint : checkpointError(read.error)
}

/** Verifies a signed checkpoint with `vkey` and parses it; the key name must equal the origin. */
export const verify = (text: string, vkey: string, check: SignatureCheck = strictEd25519): Checkpoint => {
  const key = parseVerifierKey(vkey)
  const cp = parse(verifyWith(text, key, check))
  if (cp.origin !== key.name) {
    throw new CheckpointError({
      reason: "origin-mismatch",
      message: `checkpoint origin ${JSON.stringify(cp.origin)} differs from key name ${JSON.stringify(key.name)}`
    })
  }
  return cp
}

/** Signs the body of `cp` as a signed note with key `name` (which should equal the origin). */
export const signCheckpoint = (cp: Checkpoint, name: string, secretKey: Uint8Array): string =>
  signNote(checkpointBody(cp), name, secretKey)

/** Formats a c2sp.org/tlog-proof@v1 text; throws malformed-note on a bad index, hash or checkpoint. */
export const formatProof = (
  index: number,
  proof: ReadonlyArray<Uint8Array>,
  signedCheckpoint: string,
  extra?: Uint8Array
): string => {
  if (!Number.isSafeInteger(index) || index < 0) noteError("index must be a non-negative integer")
  if (proof.length > MAX_PROOF_HASHES) noteError(`inclusion proof has more than ${MAX_PROOF_HASHES} hashes`)
  for (const hash of proof) if (hash.length !== 32) noteError(`proof hash must be 32 bytes, got ${hash.length}`)
  checkProofCheckpoint(index, signedCheckpoint)
  const lines = [PROOF_HEADER]
  if (extra !== undefined) lines.push(`extra ${base64(extra)}`)
  lines.push(`index ${index}`, ...proof.map(base64), "")
  return `${lines.join("\n")}\n${signedCheckpoint}`
}

/** Parses a c2sp.org/tlog-proof@v1 text strictly (no signature checks); throws malformed-note. */
export const parseProof = (text: string): TlogProof => {
  const split = text.indexOf("\n\n")
  if (split < 0) return noteError("tlog-proof has no blank line before the checkpoint")
  const lines = text.slice(0, split).split("\n")
  const checkpoint = text.slice(split + 2)
  let at = 0
  if (lines[at++] !== PROOF_HEADER) return noteError(`tlog-proof must start with ${PROOF_HEADER}`)
  let extra: Uint8Array | null = null
  if (lines[at]?.startsWith("extra ")) {
    extra = decodeBase64(lines[at++]!.slice("extra ".length))
    if (extra === null) return noteError("extra data is not canonical standard base64")
  }
  const indexLine = lines[at++]
  if (indexLine === undefined || !/^index (?:0|[1-9][0-9]*)$/.test(indexLine)) return noteError("bad index line")
  const index = Number(indexLine.slice("index ".length))
  if (!Number.isSafeInteger(index)) return noteError("index is too large")
  const proof: Array<Uint8Array> = []
  for (; at < lines.length; at++) {
    const hash = decodeBase64(lines[at]!)
    if (hash === null || hash.length !== 32) return noteError(`proof line ${at + 1} is not a 32-byte base64 hash`)
    proof.push(hash)
  }
  if (proof.length > MAX_PROOF_HASHES) return noteError(`inclusion proof has more than ${MAX_PROOF_HASHES} hashes`)
  checkProofCheckpoint(index, checkpoint)
  return { index, proof, checkpoint, extra }
}

/** An Ed25519 signature check: (signature, message, public key) → valid; the default is @noble/ed25519 in strict RFC 8032 mode. */
export type SignatureCheck = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean

/** @noble/ed25519 verification in strict RFC 8032 mode (`zip215: false`). */
export const strictEd25519: SignatureCheck = (signature, message, publicKey) =>
  ed.verify(signature, message, publicKey, { zip215: false })

const MAX_SIGNATURES = 100
const MAX_PROOF_HASHES = 63
const PROOF_HEADER = "c2sp.org/tlog-proof@v1"
const utf8 = new TextEncoder()

interface SignatureLine {
  readonly name: string
  readonly keyId: Uint8Array
  readonly signature: Uint8Array
}

const noteError = (message: string): never => {
  throw new CheckpointError({ reason: "malformed-note", message })
}

const keyError = (message: string): never => {
  throw new CheckpointError({ reason: "malformed-key", message })
}

const checkpointError = (message: string): never => {
  throw new CheckpointError({ reason: "malformed-checkpoint", message })
}

const verifyWith = (note: string, key: VerifierKey, check: SignatureCheck): string => {
  const { text, signatures } = splitNote(note)
  const message = utf8.encode(text)
  let verified = false
  for (const sig of signatures) {
    if (sig.name !== key.name || !bytesEqual(sig.keyId, key.keyId)) continue
    const ok = sig.signature.length === 64 && check(sig.signature, message, key.publicKey)
    if (!ok) throw new CheckpointError({ reason: "bad-signature", message: `signature by ${key.name} does not verify` })
    verified = true
  }
  if (!verified) {
    throw new CheckpointError({ reason: "unknown-key", message: `note has no signature by ${key.name}` })
  }
  return text
}

const splitNote = (note: string): { text: string; signatures: Array<SignatureLine> } => {
  if (hasForbiddenChar(note, true)) return noteError("note contains a control character or a lone surrogate")
  if (!note.endsWith("\n")) return noteError("note must end with a newline")
  const split = note.lastIndexOf("\n\n")
  if (split < 0) return noteError("note has no blank line before its signatures")
  const text = note.slice(0, split + 1)
  const block = note.slice(split + 2)
  if (block === "") return noteError("note has no signature lines")
  const lines = block.slice(0, -1).split("\n")
  if (lines.length > MAX_SIGNATURES) return noteError(`note has more than ${MAX_SIGNATURES} signature lines`)
  return { text, signatures: lines.map(parseSignatureLine) }
}

const parseSignatureLine = (line: string): SignatureLine => {
  if (!line.startsWith(SIG_PREFIX)) return noteError("signature line must start with an em dash and a space")
  const rest = line.slice(SIG_PREFIX.length)
  const space = rest.indexOf(" ")
  if (space < 0) return noteError("signature line must be '\u2014 <name> <base64>'")
  const name = rest.slice(0, space)
  if (!isValidKeyName(name)) return noteError(`bad key name ${JSON.stringify(name)} in signature line`)
  const raw = decodeBase64(rest.slice(space + 1))
  if (raw === null || raw.length < 5) return noteError("signature is not canonical base64 of key id and signature")
  return { name, keyId: raw.slice(0, 4), signature: raw.slice(4) }
}

const checkNoteText = (text: string): void => {
  if (text === "" || !text.endsWith("\n")) noteError("note text must be non-empty and end with a newline")
  if (hasForbiddenChar(text, true)) noteError("note text contains a control character or a lone surrogate")
}

const checkProofCheckpoint = (index: number, checkpoint: string): void => {
  splitNote(checkpoint)
  let size: number
  try {
    size = parse(checkpoint).size
  } catch (error) {
    return noteError(`tlog-proof checkpoint: ${(error as CheckpointError).message}`)
  }
  if (index >= size) noteError(`index ${index} is not below the checkpoint size ${size}`)
}

const checkKeyName = (name: string): void => {
  if (!isValidKeyName(name)) keyError(`bad key name ${JSON.stringify(name)}`)
}

const checkPublicKeyLength = (publicKey: Uint8Array): void => {
  if (publicKey.length !== 32) keyError(`public key must be 32 bytes, got ${publicKey.length}`)
}

const isValidKeyName = (name: string): boolean =>
  name !== "" && !/[\s\u0085+]/.test(name) && !hasForbiddenChar(name, false)


const isUsablePoint = (publicKey: Uint8Array): boolean => {
  try {
    return !ed.Point.fromBytes(publicKey, false).isSmallOrder()
  } catch {
    return false
  }
}


const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex")

