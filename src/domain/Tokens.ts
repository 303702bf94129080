/** Token counts of one call: input (what the model reads) and output (what it generates). */
export interface TokenCounts {
  readonly input_tokens: number
  readonly output_tokens: number
}

/** Bytes per token of the estimate: a text of `n` UTF-8 bytes counts as ⌈n / 4⌉ tokens. */
export const BYTES_PER_TOKEN = 4

/** The token estimate of a text of `bytes` UTF-8 bytes: ⌈bytes / 4⌉ (0 for a non-positive or non-finite size). */
export const estimateTokens = (bytes: number): number =>
  Number.isFinite(bytes) && bytes > 0 ? Math.ceil(bytes / BYTES_PER_TOKEN) : 0

const INPUT_KEYS = ["input_tokens", "prompt_tokens", "promptTokenCount", "inputTokens"]
const OUTPUT_KEYS = ["output_tokens", "completion_tokens", "candidatesTokenCount", "outputTokens"]

const firstCount = (usage: Readonly<Record<string, unknown>>, keys: ReadonlyArray<string>): number | undefined => {
  for (const key of keys) {
    const v = usage[key]
    if (typeof v === "number" && Number.isFinite(v) && v >= 0) return Math.round(v)
  }
  return undefined
}

/**
 * The token counts a client reported in a `usage` object (Anthropic `input_tokens`/`output_tokens`, OpenAI
 * `prompt_tokens`/`completion_tokens`, Gemini `promptTokenCount`/`candidatesTokenCount`), or undefined when it holds
 * neither count; a missing side counts 0. Cache reads and writes are not counted.
 */
export const reportedUsage = (usage: unknown): TokenCounts | undefined => {
  if (typeof usage !== "object" || usage === null || Array.isArray(usage)) return undefined
  const u = usage as Readonly<Record<string, unknown>>
  const input = firstCount(u, INPUT_KEYS)
  const output = firstCount(u, OUTPUT_KEYS)
  if (input === undefined && output === undefined) return undefined
  return { input_tokens: input ?? 0, output_tokens: output ?? 0 }
}

/** The model recorded for a call: the payload's, else `SSG_MODEL`, else the config's `[cost] model`; null when none. */
export const recordedModel = (
  payload: string | undefined,
  env: string | undefined,
  config: string | null | undefined
): string | null => {
  for (const m of [payload, env, config]) if (typeof m === "string" && m.trim() !== "") return m.trim()
  return null
}
