import { Context, Effect, Layer, Schema } from "effect"
import { SsgPaths } from "./Paths.js"
import {
  generateKeyFiles,
  KeyFileProblem,
  keyFiles,
  loadKeyFiles,
  loadOrCreateKeyFiles,
  loadPublicKeyFile,
  type PublicKey,
  type SigningKey
} from "./SigningKey.js"

/** A key file that is missing, unreadable or malformed, or a refused overwrite. */
export class KeyError extends Schema.TaggedError<KeyError>()("KeyError", {
  reason: Schema.Literal("missing", "exists", "unreadable", "malformed"),
  message: Schema.String
}) {}

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
    /** Loads the public key alone (what verifying the log needs); fails with `missing` when `signing.pub` is absent. */
    readonly loadPublic: Effect.Effect<PublicKey, KeyError>
    /** Loads the key pair, creating it on first use (how the audit log gets its key). */
    readonly loadOrCreate: Effect.Effect<SigningKey, KeyError>
  }
>() {}

/** The Keys service over `$SSG_HOME/keys`. */
export const layer = Layer.effect(
  Keys,
  Effect.gen(function* () {
    const { home } = yield* SsgPaths
    const { privatePath, publicPath } = keyFiles(home)
    const attempt = <K>(f: () => K) =>
      Effect.try({
        try: f,
        catch: (e) =>
          e instanceof KeyFileProblem
            ? new KeyError({ reason: e.reason, message: e.message })
            : new KeyError({ reason: "unreadable", message: String(e) })
      })
    const generate = (force: boolean) => attempt(() => generateKeyFiles(home, force))
    const load = attempt(() => loadKeyFiles(home))
    const loadPublic = attempt(() => loadPublicKeyFile(home))
    const loadOrCreate = attempt(() => loadOrCreateKeyFiles(home))

    return { privatePath, publicPath, generate, load, loadPublic, loadOrCreate }
  })
)
