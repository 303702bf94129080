/** Exit codes of the `ssg` command line: 0 success, 1 a finding or not found, 2 usage or bad input, 3 internal error. */
export const EXIT = { ok: 0, finding: 1, usage: 2, internal: 3 } as const

const FINDING_TAGS: ReadonlySet<string> = new Set(["RuleNotFound", "Finding"])

/** Maps a typed command failure to its exit code: findings and not-found give 1, every other input problem 2. */
export const exitCodeOf = (error: unknown): number => {
  const tag = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : ""
  return FINDING_TAGS.has(tag) ? EXIT.finding : EXIT.usage
}
