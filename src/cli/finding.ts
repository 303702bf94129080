import { Effect, Schema } from "effect"

/** Something a command found or refused on purpose (exit code 1); `silent` when stdout already reported it. */
export class Finding extends Schema.TaggedError<Finding>()("Finding", {
  message: Schema.String,
  silent: Schema.optional(Schema.Boolean)
}) {}

/** An argument a command cannot use (bad id, unknown keyword, missing path): exit code 2. */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", { message: Schema.String }) {}

/** Writes `ssg: warning: <message>` to stderr at once (commands' Console.error is captured for usage errors). */
export const warn = (message: string) =>
  Effect.sync(() => {
    process.stderr.write(`ssg: warning: ${message}\n`)
  })

/** Writes `ssg: <message>` to stderr at once, for extra error lines before the command's own failure. */
export const errorLine = (message: string) =>
  Effect.sync(() => {
    process.stderr.write(`ssg: ${message}\n`)
  })
