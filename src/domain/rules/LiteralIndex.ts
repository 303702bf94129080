/** A multi-literal substring finder (Aho–Corasick compiled to a dense DFA over character classes). */
export interface LiteralIndex {
  /** Number of literals indexed; their ids are 0..size-1 in insertion order. */
  readonly size: number
  /** Calls `found(id)` for every indexed literal occurring in `text` (possibly more than once per id). */
  readonly scan: (text: string, found: (id: number) => void) => void
}

/** Builds an index over non-empty literals; the id of a literal is its position in `literals`. */
export const buildLiteralIndex = (literals: ReadonlyArray<string>): LiteralIndex => {
  const classOf = new Uint16Array(65536)
  let classes = 1
  for (const lit of literals) {
    for (let i = 0; i < lit.length; i++) {
      const c = lit.charCodeAt(i)
      if (classOf[c] === 0) classOf[c] = classes++
    }
  }
  const children: Array<Map<number, number>> = [new Map()]
  const own: Array<Array<number>> = [[]]
  literals.forEach((lit, id) => {
    let s = 0
    for (let i = 0; i < lit.length; i++) {
      const cls = classOf[lit.charCodeAt(i)]!
      let next = children[s]!.get(cls)
      if (next === undefined) {
        next = children.length
        children.push(new Map())
        own.push([])
        children[s]!.set(cls, next)
      }
      s = next
    }
    if (lit.length > 0) own[s]!.push(id)
  })
  const states = children.length
  const delta = new Int32Array(states * classes)
  const fail = new Int32Array(states)
  const dict = new Int32Array(states).fill(-1)
  const queue: Array<number> = []
  for (const [cls, next] of children[0]!) {
    delta[cls] = next
    queue.push(next)
  }
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head]!
    const f = fail[s]!
    dict[s] = own[f]!.length > 0 ? f : dict[f]!
    for (let cls = 0; cls < classes; cls++) {
      const next = children[s]!.get(cls)
      if (next === undefined) delta[s * classes + cls] = delta[f * classes + cls]!
      else {
        delta[s * classes + cls] = next
        fail[next] = delta[f * classes + cls]!
        queue.push(next)
      }
    }
  }
  const hasOutput = new Uint8Array(states)
  for (let s = 0; s < states; s++) hasOutput[s] = own[s]!.length > 0 || dict[s]! >= 0 ? 1 : 0
  const outputs = own.map((ids) => Int32Array.from(ids))
  return {
    size: literals.length,
    scan: (text, found) => {
      let s = 0
      for (let i = 0; i < text.length; i++) {
        s = delta[s * classes + classOf[text.charCodeAt(i)]!]!
        if (hasOutput[s] === 1) {
          for (let t = s; t >= 0; t = dict[t]!) {
            const ids = outputs[t]!
            for (let k = 0; k < ids.length; k++) found(ids[k]!)
          }
        }
      }
    }
  }
}
