import type { Envelope } from "../domain/Event.js"

/**
 * A read model folded from the log: `evolve(state, envelope)` from an initial state, versioned. `evolve` does no I/O and
 * depends only on its arguments; it may update the state it is given and return it (the caller keeps no old state).
 */
export interface Projection<S> {
  readonly name: string
  /** Bumped whenever `evolve` or the state's shape changes; a stored state of another version is rebuilt. */
  readonly version: number
  readonly initial: () => S
  readonly evolve: (state: S, envelope: Envelope) => S
  /** The state as JSON-safe data, and back (what the projection store keeps). */
  readonly encode: (state: S) => unknown
  readonly decode: (data: unknown) => S
}

/** Folds `envelopes` (in seq order) into `state`. */
export const fold = <S>(projection: Projection<S>, state: S, envelopes: Iterable<Envelope>): S => {
  let current = state
  for (const envelope of envelopes) current = projection.evolve(current, envelope)
  return current
}
