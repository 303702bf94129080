import { Schema } from "effect"

/** Something a command found or refused on purpose (exit code 1); `silent` when stdout already reported it. */
export class Finding extends Schema.TaggedError<Finding>()("Finding", {
  message: Schema.String,
  silent: Schema.optional(Schema.Boolean)
}) {}

/** An argument a command cannot use (bad id, unknown keyword, missing path): exit code 2. */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", { message: Schema.String }) {}
