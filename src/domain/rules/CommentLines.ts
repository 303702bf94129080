type Family = "hash" | "slash" | "hashSlash" | "php" | "sql" | "none"

const HASH_EXTENSIONS = [
  "py",
  "pyi",
  "sh",
  "bash",
  "zsh",
  "fish",
  "rb",
  "pl",
  "pm",
  "r",
  "yaml",
  "yml",
  "toml",
  "ps1",
  "psm1",
  "conf",
  "cfg",
  "ini",
  "properties",
  "env"
]

const HASH_BASENAMES = [
  ".env",
  "dockerfile",
  "containerfile",
  "makefile",
  "gemfile",
  "rakefile",
  "vagrantfile",
  ".gitignore",
  ".dockerignore",
  "requirements.txt",
  "procfile",
  "pipfile"
]

const SLASH_EXTENSIONS = [
  "js",
  "jsx",
  "ts",
  "tsx",
  "mjs",
  "cjs",
  "mts",
  "cts",
  "go",
  "rs",
  "c",
  "h",
  "cc",
  "cpp",
  "cxx",
  "hpp",
  "hh",
  "java",
  "kt",
  "kts",
  "swift",
  "cs",
  "scala",
  "dart",
  "groovy",
  "gradle",
  "proto",
  "zig",
  "sol",
  "css",
  "scss",
  "less",
  "jsonc",
  "json5",
  "vue",
  "svelte",
  "astro"
]

const BY_EXTENSION: ReadonlyMap<string, Family> = new Map<string, Family>([
  ...HASH_EXTENSIONS.map((ext): [string, Family] => ["." + ext, "hash"]),
  ...SLASH_EXTENSIONS.map((ext): [string, Family] => ["." + ext, "slash"]),
  [".tf", "hashSlash"],
  [".tfvars", "hashSlash"],
  [".hcl", "hashSlash"],
  [".php", "php"],
  [".sql", "sql"]
])

const BY_BASENAME: ReadonlyMap<string, Family> = new Map(HASH_BASENAMES.map((name): [string, Family] => [name, "hash"]))

const familyOf = (path: string): Family => {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"))
  const base = path.slice(cut + 1).toLowerCase()
  const named = BY_BASENAME.get(base)
  if (named !== undefined) return named
  if (base.startsWith(".env.")) return "hash"
  const dot = base.lastIndexOf(".")
  return dot === -1 ? "none" : (BY_EXTENSION.get(base.slice(dot)) ?? "none")
}

const firstNonBlank = (line: string): number => {
  let i = 0
  while (i < line.length) {
    const c = line.charCodeAt(i)
    if (c !== 32 && c !== 9 && c !== 11 && c !== 12) break
    i++
  }
  return i
}

/**
 * Lines of `content` (split on `\n`, one trailing `\r` stripped) minus the comments of `path`'s language: whole-line
 * `#`, `//` or `--` comments and the lines inside a block comment are dropped; a line that opens a block comment at its
 * start, or closes one, keeps the text after the block's end (and is dropped when none is left).
 */
export const codeLines = (content: string, path: string): ReadonlyArray<string> => {
  const raw = content.split("\n")
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i]!
    if (line.charCodeAt(line.length - 1) === 13) raw[i] = line.slice(0, -1)
  }
  const family = familyOf(path)
  if (family === "none") return raw
  const hash = family === "hash" || family === "hashSlash" || family === "php"
  const slash = family !== "hash" && family !== "sql"
  const blocks = family !== "hash"
  const kept: Array<string> = []
  let inBlock = false
  for (let i = 0; i < raw.length; i++) {
    let line = raw[i]!
    let cut = false
    if (inBlock) {
      const end = line.indexOf("*/")
      if (end === -1) continue
      inBlock = false
      line = line.slice(end + 2)
      cut = true
    }
    let at = firstNonBlank(line)
    while (blocks && line.charCodeAt(at) === 47 && line.charCodeAt(at + 1) === 42) {
      const end = line.indexOf("*/", at + 2)
      if (end === -1) {
        inBlock = true
        break
      }
      line = line.slice(end + 2)
      cut = true
      at = firstNonBlank(line)
    }
    if (inBlock || (cut && at === line.length)) continue
    const c0 = line.charCodeAt(at)
    const c1 = line.charCodeAt(at + 1)
    if (hash && c0 === 35) {
      if (i === 0 && at === 0 && c1 === 33 && !cut) kept.push(line)
      else if (family === "php" && c1 === 91) kept.push(line)
      continue
    }
    if (slash && c0 === 47 && c1 === 47) continue
    if (family === "sql" && c0 === 45 && c1 === 45) continue
    kept.push(line)
  }
  return kept
}
