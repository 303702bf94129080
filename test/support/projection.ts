import type { Envelope } from "../../src/domain/Event.js"
import { fold, type Projection } from "../../src/projections/Projection.js"

/** A seeded generator (mulberry32): every property run is reproducible from its seed. */
export const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/**
 * The encoded state after folding `envelopes` in random steps of 1..40, each step starting from the decoded JSON of the
 * previous one (as catch-up does through the projection store), and the encoded state of one fold from the start; a
 * correct projection gives the same text for both.
 */
export const incrementalAndWhole = <S>(projection: Projection<S>, envelopes: ReadonlyArray<Envelope>, next: () => number) => {
  const whole = JSON.stringify(projection.encode(fold(projection, projection.initial(), envelopes)))
  let stored = projection.encode(projection.initial())
  for (let i = 0; i < envelopes.length; ) {
    const step = 1 + Math.floor(next() * 40)
    stored = projection.encode(fold(projection, projection.decode(JSON.parse(JSON.stringify(stored))), envelopes.slice(i, i + step)))
    i += step
  }
  return { incremental: JSON.stringify(stored), whole }
}
