/** Exit codes of the `ssg` command line: 0 success, 1 a finding or not found, 2 usage or bad input, 3 internal error. */
export const EXIT = { ok: 0, finding: 1, usage: 2, internal: 3 } as const

const FINDINGS: ReadonlyArray<readonly [tag: string, reason: string | null]> = [
  ["RuleNotFound", null],
  ["Finding", null],
  ["AuditError", "not-found"],
  ["KeyError", "exists"]
]

/** Maps a typed command failure to its exit code: findings, refusals and not-found give 1, every other input problem 2. */
export const exitCodeOf = (error: unknown): number => {
  if (typeof error !== "object" || error === null) return EXIT.usage
  const tag = "_tag" in error ? String(error._tag) : ""
  const reason = "reason" in error ? String(error.reason) : null
  return FINDINGS.some(([t, r]) => t === tag && (r === null || r === reason)) ? EXIT.finding : EXIT.usage
}
