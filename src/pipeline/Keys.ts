import { Context, Effect, Layer, Schema } from "effect"
import { createHash, createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify } from "node:crypto"
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { verifierKey } from "../domain/Checkpoint.js"
import { SsgPaths } from "./Paths.js"

/** A key file that is missing, unreadable or malformed, or a refused overwrite. */
export class KeyError extends Schema.TaggedError<KeyError>()("KeyError", {
  reason: Schema.Literal("missing", "exists", "unreadable", "malformed"),
  message: Schema.String
}) {}

/** An Ed25519 signing key: its note name (the log's origin), raw public key, verifier key line and a signer. */
export interface SigningKey {
  readonly name: string
  readonly publicKey: Uint8Array
  readonly vkey: string
  /** Raw 32-byte seed (the Ed25519 private key). */
  readonly seed: Uint8Array
  readonly sign: (message: Uint8Array) => Uint8Array
}

const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex")

/** The note name of a key: `ssg.local/<first 16 hex digits of SHA-256(public key)>`, also the log's origin. */
export const keyName = (publicKey: Uint8Array): string =>
  `ssg.local/${createHash("sha256").update(publicKey).digest("hex").slice(0, 16)}`

/** Builds a signing key from a 32-byte Ed25519 seed (signing uses node:crypto; bytes equal @noble/ed25519's). */
export const signingKeyFromSeed = (seed: Uint8Array): SigningKey => {
  const privateKey: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" })
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" })
  const publicKey = new Uint8Array(spki.subarray(spki.length - 32))
  const name = keyName(publicKey)
  return {
    name,
    publicKey,
    vkey: verifierKey(name, publicKey),
    seed,
    sign: (message) => new Uint8Array(sign(null, message, privateKey))
  }
}

/** The node:crypto signature check for `Checkpoint.verify` (the audit verifier's fast path; bytes equal @noble's strict check). */
export const nodeSignatureCheck = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean =>
  verifySignature(publicKey, message, signature)

/** Verifies an Ed25519 signature with node:crypto; false on any malformed input. */
export const verifySignature = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean => {
  if (publicKey.length !== 32 || signature.length !== 64) return false
  try {
    const key = createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), publicKey]), format: "der", type: "spki" })
    return verify(null, message, key, signature)
  } catch {
    return false
  }
}

const pem = (label: string, der: Uint8Array): string =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n-----END ${label}-----\n`

/** Manages the machine's signing key: `$SSG_HOME/keys/signing.key` (PKCS#8 PEM, 0600) and `signing.pub` (SPKI PEM, 0644). */
export class Keys extends Context.Tag("ssg/Keys")<
  Keys,
  {
    readonly privatePath: string
    readonly publicPath: string
    /** Creates a new key pair; refuses to replace an existing one unless `force`. */
    readonly generate: (force: boolean) => Effect.Effect<SigningKey, KeyError>
    /** Loads the key pair; fails with `missing` when there is none. */
    readonly load: Effect.Effect<SigningKey, KeyError>
    /** Loads the key pair, creating it on first use (how the audit log gets its key). */
    readonly loadOrCreate: Effect.Effect<SigningKey, KeyError>
  }
>() {}

/** The Keys service over `$SSG_HOME/keys`. */
export const layer = Layer.effect(
  Keys,
  Effect.gen(function* () {
    const { home } = yield* SsgPaths
    const dir = join(home, "keys")
    const privatePath = join(dir, "signing.key")
    const publicPath = join(dir, "signing.pub")

    const write = (seed: Uint8Array, replace: boolean): SigningKey => {
      const key = signingKeyFromSeed(seed)
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
      const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), key.publicKey])
      writeFileSync(`${publicPath}.${unique}.tmp`, pem("PUBLIC KEY", spki), { mode: 0o644 })
      chmodSync(`${publicPath}.${unique}.tmp`, 0o644)
      renameSync(`${publicPath}.${unique}.tmp`, publicPath)
      return key
    }

    const generate = (force: boolean) =>
      Effect.gen(function* () {
        if (!force && existsSync(privatePath)) {
          return yield* new KeyError({
            reason: "exists",
            message: `a signing key already exists at ${privatePath} (use --force to replace it)`
          })
        }
        return yield* Effect.try({
          try: () => write(new Uint8Array(randomBytes(32)), force),
          catch: (e) =>
            (e as NodeJS.ErrnoException).code === "EEXIST"
              ? new KeyError({ reason: "exists", message: `a signing key already exists at ${privatePath} (use --force to replace it)` })
              : new KeyError({ reason: "unreadable", message: `cannot write ${privatePath}: ${(e as Error).message}` })
        })
      })

    const load = Effect.gen(function* () {
      if (!existsSync(privatePath)) {
        return yield* new KeyError({ reason: "missing", message: `no signing key at ${privatePath} (run \`ssg keys generate\`)` })
      }
      const text = yield* Effect.try({
        try: () => readFileSync(privatePath, "utf8"),
        catch: (e) => new KeyError({ reason: "unreadable", message: `cannot read ${privatePath}: ${(e as Error).message}` })
      })
      return yield* Effect.try({
        try: () => {
          const der = createPrivateKey(text).export({ format: "der", type: "pkcs8" })
          if (der.length !== 48 || !der.subarray(0, 16).equals(PKCS8_PREFIX)) throw new Error("not an Ed25519 private key")
          return signingKeyFromSeed(new Uint8Array(der.subarray(16)))
        },
        catch: (e) => new KeyError({ reason: "malformed", message: `${privatePath}: ${(e as Error).message}` })
      })
    })

    const loadOrCreate = Effect.catchIf(
      load,
      (e) => e.reason === "missing",
      () => Effect.catchIf(generate(false), (e) => e.reason === "exists", () => load)
    )

    return { privatePath, publicPath, generate, load, loadOrCreate }
  })
)
