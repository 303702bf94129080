// Bundles bench/run.ts (or SSG_BENCH_ENTRY, e.g. bench/probes.ts) with esbuild into .bench/ (like the shipped CLI:
// plain node, no TypeScript loader on the measured path) and runs it; arguments and SSG_BENCH_* variables pass through.
import { build } from "esbuild"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const entry = process.env["SSG_BENCH_ENTRY"] ?? "bench/run.ts"
const outfile = `${root}.bench/${entry.replace(/^.*\//, "").replace(/\.ts$/, "")}.mjs`

await build({
  absWorkingDir: root,
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  external: ["re2", "better-sqlite3", "kafkajs", "undici"],
  banner: {
    js:
      "import { createRequire as __ssgCreateRequire } from 'node:module'; " +
      "const require = __ssgCreateRequire(import.meta.url);"
  },
  logLevel: "warning"
})

const run = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: "inherit" })
process.exit(run.status ?? 1)
