// Bundles the CLI and the library entry into dist/ with esbuild; native addons stay external.
import { build } from "esbuild"

const external = ["re2", "better-sqlite3", "@effect/sql-sqlite-node", "kafkajs", "undici"]

await build({
  entryPoints: { main: "src/cli/main.ts", index: "src/index.ts" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  splitting: true,
  sourcemap: true,
  minify: true,
  external,
  banner: { js: "import { createRequire as __ssgCreateRequire } from 'node:module'; const require = __ssgCreateRequire(import.meta.url);" },
  logLevel: "warning"
})
