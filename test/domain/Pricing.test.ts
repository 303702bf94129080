import { describe, expect, it } from "vitest"
import { BUNDLED_PRICES, normalizeModel, priceOf, pricer } from "../../src/domain/Pricing.js"
import { estimateTokens, recordedModel, reportedUsage } from "../../src/domain/Tokens.js"

describe("model names", () => {
  it.each([
    ["claude-sonnet-4-5-20250929", "claude-sonnet-4-5"],
    ["anthropic/claude-opus-4-1", "claude-opus-4-1"],
    ["openrouter/anthropic/claude-haiku-4-5", "claude-haiku-4-5"],
    ["us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"],
    ["claude-sonnet-4-5@20250929", "claude-sonnet-4-5"],
    ["claude-opus-4-6[1m]", "claude-opus-4-6"],
    ["models/gemini-2.5-pro", "gemini-2.5-pro"],
    ["GPT-4o-2024-08-06", "gpt-4o"],
    ["  gpt-5-mini ", "gpt-5-mini"]
  ])("%s is priced as %s", (raw, normal) => {
    expect(normalizeModel(raw)).toBe(normal)
  })
})

describe("prices", () => {
  it("finds exact names and variants, never another version or tier", () => {
    expect(priceOf("claude-sonnet-4-5-20250929")).toEqual({ input: 3, output: 15 })
    expect(priceOf("claude-haiku-4-5")).toEqual({ input: 1, output: 5 })
    expect(priceOf("gpt-5-codex")).toEqual({ input: 1.25, output: 10 })
    expect(priceOf("gpt-5.1-codex-mini")).toEqual({ input: 0.25, output: 2 })
    expect(priceOf("gemini-3-pro-preview")).toEqual({ input: 2, output: 12 })
    expect(priceOf("gemini-2.5-flash-lite")).toEqual({ input: 0.1, output: 0.4 })
    expect(priceOf("claude-opus-4-9")).toBeNull()
    expect(priceOf("gpt-5.2-pro")).toBeNull()
    expect(priceOf("gpt-5.9")).toBeNull()
    expect(priceOf("my-local-model")).toBeNull()
    expect(priceOf("")).toBeNull()
    expect(priceOf("constructor")).toBeNull()
  })

  it("lets overrides win at the same name and price models the table lacks", () => {
    const overrides = { "My-Model": { input: 2, output: 4 }, "claude-sonnet-4-5": { input: 1, output: 1 } }
    expect(priceOf("my-model", overrides)).toEqual({ input: 2, output: 4 })
    expect(priceOf("vendor/my-model-latest", overrides)).toEqual({ input: 2, output: 4 })
    expect(priceOf("claude-sonnet-4-5-20250929", overrides)).toEqual({ input: 1, output: 1 })
    expect(priceOf("claude-sonnet-4", overrides)).toEqual({ input: 3, output: 15 })
    const price = pricer(overrides)
    expect(price("my-model")).toBe(price("my-model"))
  })

  it("has a non-negative input and output price for every bundled name, keyed as normalised", () => {
    for (const [name, p] of Object.entries(BUNDLED_PRICES)) {
      expect(normalizeModel(name)).toBe(name)
      expect(p.input).toBeGreaterThan(0)
      expect(p.output).toBeGreaterThanOrEqual(p.input)
    }
    const providers = Object.keys(BUNDLED_PRICES).map((n) => n.split("-")[0])
    expect(new Set(providers)).toEqual(new Set(["claude", "gpt", "o1", "o3", "o4", "codex", "gemini"]))
  })
})

describe("token counts", () => {
  it("estimates ⌈bytes / 4⌉", () => {
    expect([0, 1, 4, 5, 400, -3, Number.NaN].map(estimateTokens)).toEqual([0, 1, 1, 2, 100, 0, 0])
  })

  it("reads the usage clients report in their own field names", () => {
    expect(reportedUsage({ input_tokens: 10, output_tokens: 3, cache_read_input_tokens: 900 })).toEqual({ input_tokens: 10, output_tokens: 3 })
    expect(reportedUsage({ prompt_tokens: 7, completion_tokens: 2 })).toEqual({ input_tokens: 7, output_tokens: 2 })
    expect(reportedUsage({ promptTokenCount: 5, candidatesTokenCount: 1 })).toEqual({ input_tokens: 5, output_tokens: 1 })
    expect(reportedUsage({ output_tokens: 4 })).toEqual({ input_tokens: 0, output_tokens: 4 })
    expect(reportedUsage({ input_tokens: "10" })).toBeUndefined()
    expect(reportedUsage({ input_tokens: -1 })).toBeUndefined()
    expect(reportedUsage(null)).toBeUndefined()
    expect(reportedUsage([1, 2])).toBeUndefined()
  })

  it("takes the model from the payload, else SSG_MODEL, else the config", () => {
    expect(recordedModel("gpt-5", "claude-opus-4-5", "x")).toBe("gpt-5")
    expect(recordedModel(undefined, "claude-opus-4-5", "x")).toBe("claude-opus-4-5")
    expect(recordedModel(undefined, "", "x")).toBe("x")
    expect(recordedModel(" ", undefined, null)).toBeNull()
  })
})
