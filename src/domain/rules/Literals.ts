/** The length of the shortest string in `set` (Infinity when empty). */
export const minLength = (set: ReadonlyArray<string>): number => set.reduce((m, s) => Math.min(m, s.length), Infinity)

/**
 * The more selective of two literal sets, one of which any match must contain: the one whose shortest literal is
 * longer, then the one with fewer literals; a set that is empty or has a literal shorter than `shortest` never wins.
 */
export const betterLiterals = (
  best: Array<string> | null,
  set: Array<string> | null,
  shortest: number
): Array<string> | null => {
  if (set === null || set.length === 0 || minLength(set) < shortest) return best
  if (best === null) return set
  const len = minLength(set)
  const bestLen = minLength(best)
  return len > bestLen || (len === bestLen && set.length < best.length) ? set : best
}
