import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { ROOT } from "../support/cli.js"

let outdir = ""

afterEach(() => {
  if (outdir !== "") rmSync(outdir, { recursive: true, force: true })
})

describe("scripts/build.mjs", () => {
  it("replaces the output directory with a fresh build (no stale file) and writes source maps without sources", () => {
    outdir = mkdtempSync(join(tmpdir(), "ssg-build-"))
    mkdirSync(join(outdir, "old"))
    writeFileSync(join(outdir, "chunk-STALE0000.js"), "export {}\n")
    writeFileSync(join(outdir, "old", "x.js"), "\n")
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "build.mjs"), `--outdir=${outdir}`], {
      cwd: tmpdir(),
      encoding: "utf8"
    })
    expect(r.stderr).toBe("")
    expect(r.status).toBe(0)
    expect(readdirSync(dirname(outdir)).filter((n) => n.startsWith(`${basename(outdir)}.`))).toEqual([])
    const names = readdirSync(outdir)
    expect(names).not.toContain("chunk-STALE0000.js")
    expect(names).not.toContain("old")
    expect(names).toEqual(expect.arrayContaining(["main.js", "main.js.map", "index.js", "index.js.map"]))
    const maps = names.filter((n) => n.endsWith(".map"))
    expect(maps.length).toBeGreaterThan(0)
    for (const name of maps) {
      const map = JSON.parse(readFileSync(join(outdir, name), "utf8")) as Record<string, unknown>
      expect(map["sourcesContent"]).toBeUndefined()
    }
    const main = JSON.parse(readFileSync(join(outdir, "main.js.map"), "utf8")) as { sources: Array<string> }
    expect(main.sources.some((source) => source.endsWith("src/cli/main.ts"))).toBe(true)
    expect(names.filter((n) => n.endsWith(".js")).every((n) => names.includes(`${n}.map`))).toBe(true)
  })
})
