// Bundles the CLI and the library entry into dist/ (or --outdir=DIR) with esbuild; native addons stay external. The hook
// entry (`ssg hook ...`) is a separate, self-contained CommonJS bundle (dist/hook.cjs, loaded with require: no ESM loader
// work) that also carries better-sqlite3's JavaScript (its addon is loaded by path), so an agent's hook call loads one
// file and no Effect code.
// Each build starts from an empty directory that then replaces the output directory, so no stale chunk of an earlier
// build is ever shipped and a CLI running meanwhile sees the old or the new bundle, never a half-removed one.
import { build } from "esbuild"
import { rename, rm } from "node:fs/promises"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const outArg = process.argv.slice(2).find((a) => a.startsWith("--outdir="))
const outdir = resolve(root, outArg === undefined ? "dist" : outArg.slice("--outdir=".length))
const fresh = `${outdir}.build-${process.pid}`
const previous = `${outdir}.old-${process.pid}`

const external = ["re2", "better-sqlite3", "kafkajs", "undici"]
const banner = {
  js: "import { createRequire as __ssgCreateRequire } from 'node:module'; const require = __ssgCreateRequire(import.meta.url);"
}

await rm(fresh, { recursive: true, force: true })

try {
  await build({
    absWorkingDir: root,
    entryPoints: { main: "src/cli/main.ts", index: "src/index.ts" },
    outdir: fresh,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    splitting: true,
    sourcemap: true,
    sourcesContent: false,
    minify: true,
    external,
    banner,
    logLevel: "warning"
  })
  await build({
    absWorkingDir: root,
    entryPoints: ["src/cli/hook.ts"],
    outfile: `${fresh}/hook.cjs`,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: true,
    sourcesContent: false,
    minify: true,
    external: ["re2"],
    define: { "import.meta.url": "__ssgModuleUrl" },
    banner: { js: 'const __ssgModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
    logLevel: "warning"
  })
} catch (error) {
  await rm(fresh, { recursive: true, force: true })
  throw error
}

await rename(outdir, previous).catch((error) => {
  if (error.code !== "ENOENT") throw error
})
await rename(fresh, outdir)
await rm(previous, { recursive: true, force: true })
