/** `text` made well-formed (lone surrogates become U+FFFD) and, when longer than `max` UTF-16 units, cut to at most `max - 1` units plus `…`, never splitting a surrogate pair. */
export const clip = (text: string, max: number): string => {
  const whole = text.toWellFormed()
  if (whole.length <= max) return whole
  const end = max - 1
  const cut = end > 0 && isHighSurrogate(whole.charCodeAt(end - 1)) ? end - 1 : end
  return `${whole.slice(0, cut)}…`
}

const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff
