import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { AuditLog } from "../pipeline/AuditLog.js"
import { Keys } from "../pipeline/Keys.js"
import { SsgPaths } from "../pipeline/Paths.js"
import { verifySignature } from "../pipeline/SigningKey.js"
import { Finding, UsageError } from "./finding.js"

const readStdin = Effect.try({
  try: () => new Uint8Array(readFileSync(0)),
  catch: (e) => new UsageError({ message: `cannot read standard input: ${(e as Error).message}` })
})

const hexBytes = (flag: string, value: string, length: number) =>
  /^[0-9a-fA-F]+$/.test(value) && value.length === length * 2
    ? Effect.succeed(new Uint8Array(Buffer.from(value, "hex")))
    : Effect.fail(new UsageError({ message: `--${flag} must be ${length * 2} hex digits` }))

const show = (key: { publicKey: Uint8Array; vkey: string; name: string }, paths: { privatePath: string; publicPath: string }) =>
  Effect.all([
    Console.log(`public key: ${Buffer.from(key.publicKey).toString("hex")}`),
    Console.log(`verifier key: ${key.vkey}`),
    Console.log(`name: ${key.name}`),
    Console.log(`private key: ${paths.privatePath} (0600)`),
    Console.log(`public key file: ${paths.publicPath}`)
  ])

/** Fails when the audit log already has entries: a new key would leave its signed checkpoints unverifiable. */
const refuseOverLog = Effect.gen(function* () {
  const { home } = yield* SsgPaths
  const db = join(home, "audit.db")
  if (!existsSync(db)) return
  const head = yield* (yield* AuditLog).head
  if (head === null || head.size === 0) return
  return yield* new Finding({
    message:
      `the audit log ${db} holds ${head.size} entr${head.size === 1 ? "y" : "ies"} whose checkpoints this key signs; a new key would leave them ` +
      "unverifiable (move the log aside first to start a new one under a new key)"
  })
})

const generate = Command.make(
  "generate",
  { force: Options.boolean("force").pipe(Options.withDescription("replace an existing key pair")) },
  ({ force }) =>
    Effect.gen(function* () {
      const keys = yield* Keys
      if (force) yield* refuseOverLog
      const key = yield* keys.generate(force)
      yield* show(key, keys)
    })
).pipe(Command.withDescription("Create an Ed25519 key pair in $SSG_HOME/keys (never overwrites without --force, nor under a non-empty audit log)"))

const showCommand = Command.make("show", {}, () =>
  Effect.gen(function* () {
    const keys = yield* Keys
    yield* show(yield* keys.load, keys)
  })
).pipe(Command.withDescription("Print the hex public key and the C2SP verifier key line"))

const signCommand = Command.make("sign", {}, () =>
  Effect.gen(function* () {
    const key = yield* (yield* Keys).load
    const message = yield* readStdin
    yield* Console.log(Buffer.from(key.sign(message)).toString("hex"))
  })
).pipe(Command.withDescription("Sign standard input with the private key; prints the hex signature"))

const verifyCommand = Command.make(
  "verify",
  {
    pubkey: Options.text("pubkey").pipe(Options.withDescription("hex Ed25519 public key (64 hex digits)")),
    signature: Options.text("signature").pipe(Options.withDescription("hex signature (128 hex digits)"))
  },
  ({ pubkey, signature }) =>
    Effect.gen(function* () {
      const pk = yield* hexBytes("pubkey", pubkey, 32)
      const sig = yield* hexBytes("signature", signature, 64)
      const message = yield* readStdin
      if (!verifySignature(pk, message, sig)) return yield* new Finding({ message: "signature: INVALID" })
      yield* Console.log("signature: valid")
    })
).pipe(Command.withDescription("Check a hex signature of standard input against a hex public key (exit 1 if invalid)"))

/** `ssg keys generate|show|sign|verify`: the machine's Ed25519 signing key. */
export const keysCommand = Command.make("keys").pipe(
  Command.withDescription("Manage the Ed25519 signing key that signs audit checkpoints"),
  Command.withSubcommands([generate, showCommand, signCommand, verifyCommand])
)
