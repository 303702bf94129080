import { createHash, createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify } from "node:crypto"
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { verifierKeyText } from "../domain/NoteFormat.js"

/** An Ed25519 signing key: its note name (the log's origin), raw public key, verifier key line and a signer. */
export interface SigningKey {
  readonly name: string
  readonly publicKey: Uint8Array
  readonly vkey: string
  /** Raw 32-byte seed (the Ed25519 private key). */
  readonly seed: Uint8Array
  readonly sign: (message: Uint8Array) => Uint8Array
}

/** Why a key file could not be used: absent, already there, unreadable or not an Ed25519 key. */
export class KeyFileProblem extends Error {
  constructor(
    readonly reason: "missing" | "exists" | "unreadable" | "malformed",
    message: string
  ) {
    super(message)
  }
}

/** Where the machine's key pair lives: `$SSG_HOME/keys/signing.key` (PKCS#8 PEM, 0600) and `signing.pub` (SPKI PEM). */
export const keyFiles = (home: string) => {
  const dir = join(home, "keys")
  return { dir, privatePath: join(dir, "signing.key"), publicPath: join(dir, "signing.pub") }
}

const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex")
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex")

/** The note name of a key: `ssg.local/<first 16 hex digits of SHA-256(public key)>`, also the log's origin. */
export const keyName = (publicKey: Uint8Array): string =>
  `ssg.local/${createHash("sha256").update(publicKey).digest("hex").slice(0, 16)}`

const keyFromObject = (privateKey: KeyObject, seed: Uint8Array): SigningKey => {
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" })
  const publicKey = new Uint8Array(spki.subarray(spki.length - 32))
  const name = keyName(publicKey)
  let vkey: string | null = null
  return {
    name,
    publicKey,
    get vkey() {
      return (vkey ??= verifierKeyText(name, publicKey))
    },
    seed,
    sign: (message) => new Uint8Array(sign(null, message, privateKey))
  }
}

/** Builds a signing key from a 32-byte Ed25519 seed (signing uses node:crypto; bytes equal @noble/ed25519's). */
export const signingKeyFromSeed = (seed: Uint8Array): SigningKey =>
  keyFromObject(createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" }), seed)

/** Verifies an Ed25519 signature with node:crypto; false on any malformed input. */
export const verifySignature = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean => {
  if (publicKey.length !== 32 || signature.length !== 64) return false
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" })
    return verify(null, message, key, signature)
  } catch {
    return false
  }
}

/** The node:crypto signature check for `Checkpoint.verify` (the audit verifier's fast path; bytes equal @noble's strict check). */
export const nodeSignatureCheck = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean =>
  verifySignature(publicKey, message, signature)

const pem = (label: string, der: Uint8Array): string =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n-----END ${label}-----\n`

const existsMessage = (path: string) => `a signing key already exists at ${path} (use --force to replace it)`

/**
 * Writes a new key pair under `home` (private key 0600, created exclusively unless `replace`); throws KeyFileProblem
 * `exists` when a key is already there and `replace` is false.
 */
export const createKeyFiles = (home: string, seed: Uint8Array, replace: boolean): SigningKey => {
  const { dir, privatePath, publicPath } = keyFiles(home)
  const key = signingKeyFromSeed(seed)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const unique = `${process.pid}.${randomBytes(4).toString("hex")}`
    const tmp = `${privatePath}.${unique}.tmp`
    writeFileSync(tmp, pem("PRIVATE KEY", Buffer.concat([PKCS8_PREFIX, seed])), { mode: 0o600 })
    chmodSync(tmp, 0o600)
    try {
      if (replace) renameSync(tmp, privatePath)
      else linkSync(tmp, privatePath)
    } finally {
      rmSync(tmp, { force: true })
    }
    const pubTmp = `${publicPath}.${unique}.tmp`
    writeFileSync(pubTmp, pem("PUBLIC KEY", Buffer.concat([SPKI_PREFIX, key.publicKey])), { mode: 0o644 })
    chmodSync(pubTmp, 0o644)
    renameSync(pubTmp, publicPath)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new KeyFileProblem("exists", existsMessage(privatePath))
    throw new KeyFileProblem("unreadable", `cannot write ${privatePath}: ${(e as Error).message}`)
  }
  return key
}

/** Generates a fresh key pair under `home`; refuses to replace an existing one unless `force`. */
export const generateKeyFiles = (home: string, force: boolean): SigningKey => {
  const { privatePath } = keyFiles(home)
  if (!force && existsSync(privatePath)) throw new KeyFileProblem("exists", existsMessage(privatePath))
  return createKeyFiles(home, new Uint8Array(randomBytes(32)), force)
}

/** Loads the key pair under `home`; throws KeyFileProblem (`missing`, `unreadable`, `malformed`). */
export const loadKeyFiles = (home: string): SigningKey => {
  const { privatePath } = keyFiles(home)
  if (!existsSync(privatePath)) {
    throw new KeyFileProblem("missing", `no signing key at ${privatePath} (run \`ssg keys generate\`)`)
  }
  let text: string
  try {
    text = readFileSync(privatePath, "utf8")
  } catch (e) {
    throw new KeyFileProblem("unreadable", `cannot read ${privatePath}: ${(e as Error).message}`)
  }
  try {
    const pem = /^-----BEGIN PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END PRIVATE KEY-----\r?\n?$/.exec(text)
    const der = pem === null ? createPrivateKey(text).export({ format: "der", type: "pkcs8" }) : Buffer.from(pem[1]!, "base64")
    if (der.length !== 48 || !der.subarray(0, 16).equals(PKCS8_PREFIX)) throw new Error("not an Ed25519 private key")
    const seed = new Uint8Array(der.subarray(16))
    return keyFromObject(createPrivateKey({ key: der, format: "der", type: "pkcs8" }), seed)
  } catch (e) {
    throw new KeyFileProblem("malformed", `${privatePath}: ${(e as Error).message}`)
  }
}

/** A log's public key as an auditor holds it: its note name (the log's origin), raw public key and verifier key line. */
export interface PublicKey {
  readonly name: string
  readonly publicKey: Uint8Array
  readonly vkey: string
}

/** Loads `home/keys/signing.pub` alone, never the private key; throws KeyFileProblem (`missing`, `unreadable`, `malformed`). */
export const loadPublicKeyFile = (home: string): PublicKey => {
  const { publicPath } = keyFiles(home)
  let text: string
  try {
    text = readFileSync(publicPath, "utf8")
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new KeyFileProblem("missing", `no public key at ${publicPath} (the log's signing.pub is needed to verify it)`)
    }
    throw new KeyFileProblem("unreadable", `cannot read ${publicPath}: ${(e as Error).message}`)
  }
  try {
    const pem = /^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END PUBLIC KEY-----\r?\n?$/.exec(text)
    const der = pem === null ? createPublicKey(text).export({ format: "der", type: "spki" }) : Buffer.from(pem[1]!, "base64")
    if (der.length !== 44 || !der.subarray(0, 12).equals(SPKI_PREFIX)) throw new Error("not an Ed25519 public key")
    const publicKey = new Uint8Array(der.subarray(12))
    const name = keyName(publicKey)
    return { name, publicKey, vkey: verifierKeyText(name, publicKey) }
  } catch (e) {
    throw new KeyFileProblem("malformed", `${publicPath}: ${(e as Error).message}`)
  }
}

/** Loads the key pair under `home`, creating it on first use (two processes racing end up with the same key). */
export const loadOrCreateKeyFiles = (home: string): SigningKey => {
  try {
    return loadKeyFiles(home)
  } catch (e) {
    if (!(e instanceof KeyFileProblem) || e.reason !== "missing") throw e
  }
  try {
    return generateKeyFiles(home, false)
  } catch (e) {
    if (e instanceof KeyFileProblem && e.reason === "exists") return loadKeyFiles(home)
    throw e
  }
}
