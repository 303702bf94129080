import { readFileSync } from "node:fs"
import { readHookPayload } from "../adapters/HookClient.js"
import type { HookResponse } from "../adapters/Adapter.js"
import { hookEval, hookPost } from "../pipeline/Hook.js"
import { HOOK_USAGE } from "./hookUsage.js"


const readStdin = (): string => {
  try {
    return readFileSync(0, "utf8")
  } catch {
    return ""
  }
}

const run = (argv: ReadonlyArray<string>): HookResponse => {
  const [verb, ...rest] = argv
  if (verb === undefined || verb === "--help" || verb === "-h") return { stdout: HOOK_USAGE, stderr: "", exitCode: verb === undefined ? 2 : 0 }
  if (rest.length > 0) return { stdout: "", stderr: `ssg hook ${verb}: unexpected argument ${rest[0]}\n`, exitCode: 2 }
  if (verb !== "eval" && verb !== "post") {
    return { stdout: "", stderr: `ssg hook: unknown subcommand ${verb} (expected eval or post)\n`, exitCode: 2 }
  }
  const raw = readStdin()
  const { adapter, parsed } = readHookPayload(process.env, raw)
  return (verb === "eval" ? hookEval : hookPost)(adapter, parsed, process.env, process.cwd())
}

const answer = run(process.argv.slice(3))
if (answer.stdout !== "") process.stdout.write(answer.stdout)
if (answer.stderr !== "") process.stderr.write(answer.stderr)
process.exitCode = answer.exitCode
