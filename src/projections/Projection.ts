import type { Envelope } from "../domain/Event.js"
import type { EntryText } from "./EnvelopeText.js"

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
  /**
   * What `evolve` does to the envelope an entry's stored JSON text holds, from the text itself; when present, catch-up
   * reads entries as text and calls this instead of parsing every envelope. It may keep the entry it is given.
   */
  readonly evolveEntry?: (state: S, entry: EntryText) => S
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
