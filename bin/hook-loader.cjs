// Runs dist/hook.cjs (the `ssg hook` entry) from a V8 code cache kept beside it, so an agent's hook call does not pay
// for compiling the bundle again; the cache is rebuilt whenever V8 rejects it (another build or Node version) and
// silently skipped where the package directory is read-only.
"use strict"
const { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } = require("node:fs")
const Module = require("node:module")
const { dirname, join } = require("node:path")
const vm = require("node:vm")

const file = join(__dirname, "..", "dist", "hook.cjs")
const cachePath = `${file}.v8cache`
let cachedData
try {
  cachedData = readFileSync(cachePath)
} catch {
  cachedData = undefined
}
const script = new vm.Script(Module.wrap(readFileSync(file, "utf8")), { filename: file, cachedData })
const hookModule = new Module(file, module)
hookModule.filename = file
hookModule.paths = Module._nodeModulePaths(dirname(file))
script.runInThisContext().call(hookModule.exports, hookModule.exports, Module.createRequire(file), hookModule, file, dirname(file))
if (cachedData === undefined || script.cachedDataRejected === true) {
  try {
    const dir = mkdtempSync(`${cachePath}.`)
    writeFileSync(join(dir, "cache"), script.createCachedData())
    renameSync(join(dir, "cache"), cachePath)
    rmSync(dir, { recursive: true, force: true })
  } catch {}
}
