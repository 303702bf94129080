import { Command } from "@effect/cli"
import { Console } from "effect"
import { HOOK_USAGE } from "./hookUsage.js"


/** `ssg hook` as listed by `ssg --help` (the real entry never loads this command line). */
export const hookCommand = Command.make("hook", {}, () => Console.log(HOOK_USAGE.trimEnd())).pipe(
  Command.withDescription("Agent hook entry points: `ssg hook eval` (pre-tool) and `ssg hook post` (post-tool)")
)
