// Bundles bench/probes.ts with esbuild into .bench/ (as scripts/bench.mjs does for bench/run.ts) and runs it with
// the given arguments (see the head of bench/probes.ts).
import { build } from "esbuild"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const outfile = `${root}.bench/probes.mjs`

await build({
  absWorkingDir: root,
  entryPoints: ["bench/probes.ts"],
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
