import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"

/** `../shared/rules-corpus` beside the repository: real public rule files, test data only (may be absent). */
export const CORPUS_DIR = fileURLToPath(new URL("../../../shared/rules-corpus/", import.meta.url))

/** Whether the corpus is there; tests that need it skip, saying so, when it is not. */
export const corpusPresent = existsSync(CORPUS_DIR)

/** Every `.rules` file of the corpus as an absolute path, sorted by its path inside the corpus. */
export const corpusFiles = (): Array<string> => {
  const out: Array<string> = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.name.endsWith(".rules")) out.push(full)
    }
  }
  walk(CORPUS_DIR)
  return out.sort((a, b) => {
    const x = relative(CORPUS_DIR, a)
    const y = relative(CORPUS_DIR, b)
    return x < y ? -1 : x > y ? 1 : 0
  })
}

/** The distinct decoded string values that follow any of `operators` anywhere in the corpus, sorted. */
export const corpusStrings = (operators: ReadonlyArray<string>): Array<string> => {
  const found = new Set<string>()
  const re = new RegExp(`\\b(?:${operators.join("|")})\\s+"((?:[^"\\\\]|\\\\.)*)"`, "g")
  for (const file of corpusFiles()) {
    for (const m of readFileSync(file, "utf8").matchAll(re)) found.add(m[1]!.replace(/\\([\\"])/g, "$1"))
  }
  return [...found].sort()
}
