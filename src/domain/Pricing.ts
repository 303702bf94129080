/** A model's list price in USD per million input and output tokens. */
export interface ModelPrice {
  readonly input: number
  readonly output: number
}

/** The date the bundled price table was last checked against the providers' list prices. */
export const PRICES_AS_OF = "2026-11-22"

/**
 * List prices in USD per million input and output tokens (standard tier, no cache or batch discounts, short-context rate
 * where a provider charges more for long prompts), by normalised model name.
 */
export const BUNDLED_PRICES: Readonly<Record<string, ModelPrice>> = {
  "claude-opus-4-7": { input: 5, output: 25 },
  "claude-opus-4-6": { input: 5, output: 25 },
  "claude-opus-4-5": { input: 5, output: 25 },
  "claude-opus-4-1": { input: 15, output: 75 },
  "claude-opus-4": { input: 15, output: 75 },
  "claude-sonnet-4-6": { input: 3, output: 15 },
  "claude-sonnet-4-5": { input: 3, output: 15 },
  "claude-sonnet-4": { input: 3, output: 15 },
  "claude-3-7-sonnet": { input: 3, output: 15 },
  "claude-3-5-sonnet": { input: 3, output: 15 },
  "claude-haiku-4-5": { input: 1, output: 5 },
  "claude-3-5-haiku": { input: 0.8, output: 4 },
  "claude-3-haiku": { input: 0.25, output: 1.25 },
  "gpt-5.2": { input: 1.75, output: 14 },
  "gpt-5.1": { input: 1.25, output: 10 },
  "gpt-5.1-codex-mini": { input: 0.25, output: 2 },
  "gpt-5": { input: 1.25, output: 10 },
  "gpt-5-pro": { input: 15, output: 120 },
  "gpt-5-mini": { input: 0.25, output: 2 },
  "gpt-5-nano": { input: 0.05, output: 0.4 },
  "gpt-4.1": { input: 2, output: 8 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4 },
  "gpt-4o": { input: 2.5, output: 10 },
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  o1: { input: 15, output: 60 },
  o3: { input: 2, output: 8 },
  "o3-mini": { input: 1.1, output: 4.4 },
  "o4-mini": { input: 1.1, output: 4.4 },
  "codex-mini-latest": { input: 1.5, output: 6 },
  "gemini-3-pro": { input: 2, output: 12 },
  "gemini-3-flash": { input: 0.5, output: 3 },
  "gemini-2.5-pro": { input: 1.25, output: 10 },
  "gemini-2.5-flash": { input: 0.3, output: 2.5 },
  "gemini-2.5-flash-lite": { input: 0.1, output: 0.4 },
  "gemini-2.0-flash": { input: 0.1, output: 0.4 },
  "gemini-2.0-flash-lite": { input: 0.075, output: 0.3 }
}

/**
 * A model name as the price table keys it: lower case, without a provider path (`anthropic/`, `models/`), a Bedrock
 * region and vendor prefix (`us.anthropic.`), a bracketed tag (`[1m]`), a version suffix (`-v1:0`) or a release date
 * (`-20250929`, `@20250929`, `-2025-08-07`).
 */
export const normalizeModel = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/^.*\//, "")
    .replace(/^(?:[a-z]{2,4}\.)?(?:anthropic|openai|google|meta|amazon)\./, "")
    .replace(/\[[^\]]*\]$/, "")
    .replace(/-v\d+(?::\d+)?$/, "")
    .replace(/(?:[-@]\d{8}|-\d{4}-\d{2}-\d{2})$/, "")

/**
 * The price of a model: the entry for its normalised name, else the longest entry it extends by a variant suffix
 * (`gpt-5-codex` → `gpt-5`, `gemini-3-pro-preview` → `gemini-3-pro`; never another version such as `claude-opus-4-7` →
 * `claude-opus-4`, nor another tier such as `gpt-5.2-pro` → `gpt-5.2`); `overrides` (keyed by model name, normalised
 * the same way) win over the bundled table at the same name. Null when unknown.
 */
export const priceOf = (model: string, overrides: Readonly<Record<string, ModelPrice>> = {}): ModelPrice | null =>
  pricer(overrides)(model)

/** `priceOf` with the overrides bound once and each model's answer remembered (for pricing many rows). */
export const pricer = (overrides: Readonly<Record<string, ModelPrice>>): ((model: string) => ModelPrice | null) => {
  const tables = [normalizedTable(overrides), BUNDLED_PRICES]
  const known = new Map<string, ModelPrice | null>()
  return (model) => {
    let price = known.get(model)
    if (price === undefined) {
      price = lookup(tables, normalizeModel(model))
      known.set(model, price)
    }
    return price
  }
}

const lookup = (tables: ReadonlyArray<Readonly<Record<string, ModelPrice>>>, name: string): ModelPrice | null => {
  for (const table of tables) {
    const exact = own(table, name)
    if (exact !== undefined) return exact
  }
  let best: { readonly length: number; readonly price: ModelPrice } | null = null
  for (const table of tables) {
    for (const key of Object.keys(table)) {
      if (key.length <= (best?.length ?? 0) || !isVariantOf(name, key)) continue
      best = { length: key.length, price: table[key]! }
    }
  }
  return best?.price ?? null
}

const own = (table: Readonly<Record<string, ModelPrice>>, key: string): ModelPrice | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined

const TIERS = new Set(["pro", "mini", "nano", "lite", "max", "ultra", "plus", "turbo", "flash", "haiku", "sonnet", "opus"])

const isVariantOf = (name: string, key: string): boolean => {
  if (name.length <= key.length + 1 || !name.startsWith(key) || name[key.length] !== "-") return false
  const segment = name.slice(key.length + 1).split("-")[0]!
  return segment !== "" && !/^\d/.test(segment) && !TIERS.has(segment)
}

const normalizedTable = (prices: Readonly<Record<string, ModelPrice>>): Record<string, ModelPrice> => {
  const out: Record<string, ModelPrice> = Object.create(null)
  for (const key of Object.keys(prices)) out[normalizeModel(key)] = prices[key]!
  return out
}
