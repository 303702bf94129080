import { FileSystem } from "@effect/platform"
import { SystemError } from "@effect/platform/Error"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { dirname, join } from "node:path"
import { pathsFrom, SsgPaths } from "../../src/pipeline/Paths.js"
import * as RuleFiles from "../../src/pipeline/RuleFiles.js"

const RULE = (id: string): string => `rule ${id} {\n  DENY any\n  IF tool EQUALS "x"\n  MESSAGE "m"\n}\n`

const bytes = (...parts: ReadonlyArray<string | ReadonlyArray<number>>): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? [...Buffer.from(p, "utf8")] : [...p])))

const sandbox = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const root = yield* fs.realPath(yield* fs.makeTempDirectoryScoped({ prefix: "ssg-rulefiles-" }))
  const cwd = join(root, "cwd")
  const home = join(root, "home")
  yield* fs.makeDirectory(cwd, { recursive: true })
  yield* fs.makeDirectory(home, { recursive: true })
  const write = (rel: string, data: string | Uint8Array) =>
    Effect.gen(function* () {
      const path = join(cwd, rel)
      yield* fs.makeDirectory(dirname(path), { recursive: true })
      yield* typeof data === "string" ? fs.writeFileString(path, data) : fs.writeFile(path, data)
      return path
    })
  return { fs, cwd, home, write }
})

type Sandbox = Effect.Effect.Success<typeof sandbox>

const ruleFilesLayer = (sb: Sandbox) =>
  RuleFiles.layer.pipe(Layer.provide(Layer.succeed(SsgPaths, pathsFrom({ SSG_HOME: sb.home }, sb.cwd))))

const withRuleFiles = <A, E>(sb: Sandbox, f: (rf: RuleFiles.RuleFiles["Type"]) => Effect.Effect<A, E>) =>
  Effect.flatMap(RuleFiles.RuleFiles, f).pipe(Effect.provide(ruleFilesLayer(sb)))

const failingReads = (suffix: string) =>
  Layer.effect(
    FileSystem.FileSystem,
    Effect.map(FileSystem.FileSystem, (fs) => ({
      ...fs,
      readFile: (path: string) =>
        path.endsWith(suffix)
          ? Effect.fail(
              new SystemError({
                reason: "PermissionDenied",
                module: "FileSystem",
                method: "readFile",
                pathOrDescriptor: path,
                description: `EACCES: permission denied, open '${path}'`
              })
            )
          : fs.readFile(path)
    }))
  )

describe("RuleFiles.writeAtomic", () => {
  it.scoped("writes through a symlink to its target and keeps the link", () =>
    Effect.gen(function* () {
      const sb = yield* sandbox
      const real = yield* sb.write("store/a.rules", RULE("old"))
      const link = join(sb.cwd, "rules", "a.rules")
      yield* sb.fs.makeDirectory(dirname(link))
      yield* sb.fs.symlink("../store/a.rules", link)
      yield* withRuleFiles(sb, (rf) => rf.writeAtomic(link, RULE("new")))
      assert.strictEqual(yield* sb.fs.readLink(link), "../store/a.rules")
      assert.strictEqual(yield* sb.fs.readFileString(real), RULE("new"))
      assert.deepStrictEqual(yield* sb.fs.readDirectory(join(sb.cwd, "store")), ["a.rules"])
      assert.deepStrictEqual(yield* sb.fs.readDirectory(join(sb.cwd, "rules")), ["a.rules"])
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("writes to the end of a dangling symlink, creating the target", () =>
    Effect.gen(function* () {
      const sb = yield* sandbox
      yield* sb.fs.makeDirectory(join(sb.cwd, "store"))
      const link = join(sb.cwd, "link.rules")
      yield* sb.fs.symlink("store/target.rules", link)
      yield* withRuleFiles(sb, (rf) => rf.writeAtomic(link, RULE("a")))
      assert.strictEqual(yield* sb.fs.readLink(link), "store/target.rules")
      assert.strictEqual(yield* sb.fs.readFileString(join(sb.cwd, "store", "target.rules")), RULE("a"))
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("keeps the mode of the file it replaces", () =>
    Effect.gen(function* () {
      const sb = yield* sandbox
      const secret = yield* sb.write("rules/secret.rules", RULE("a"))
      const shared = yield* sb.write("rules/shared.rules", RULE("b"))
      yield* sb.fs.chmod(secret, 0o600)
      yield* sb.fs.chmod(shared, 0o664)
      yield* withRuleFiles(sb, (rf) =>
        Effect.zipRight(rf.writeAtomic(secret, RULE("a2")), rf.writeAtomic(shared, RULE("b2")))
      )
      assert.strictEqual((yield* sb.fs.stat(secret)).mode & 0o777, 0o600)
      assert.strictEqual((yield* sb.fs.stat(shared)).mode & 0o777, 0o664)
      assert.strictEqual(yield* sb.fs.readFileString(secret), RULE("a2"))
      assert.strictEqual(yield* sb.fs.readFileString(shared), RULE("b2"))
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("creates a new file and leaves no temporary file behind, also when the write fails", () =>
    Effect.gen(function* () {
      const sb = yield* sandbox
      const path = join(sb.cwd, "new.rules")
      const missing = join(sb.cwd, "nowhere", "x.rules")
      const failed = yield* withRuleFiles(sb, (rf) =>
        Effect.zipRight(rf.writeAtomic(path, RULE("n")), Effect.exit(rf.writeAtomic(missing, RULE("n"))))
      )
      assert.strictEqual(yield* sb.fs.readFileString(path), RULE("n"))
      assert.deepStrictEqual(yield* sb.fs.readDirectory(sb.cwd), ["new.rules"])
      assert.isTrue(Exit.isFailure(failed))
      if (Exit.isFailure(failed)) {
        const error = failed.cause._tag === "Fail" ? failed.cause.error : null
        assert.strictEqual(error?._tag, "RulesSourceError")
        assert.match(error?.message ?? "", /^cannot write .*nowhere\/x\.rules: ENOENT: no such file or directory$/)
      }
    }).pipe(Effect.provide(NodeContext.layer))
  )
})

describe("RuleFiles.load", () => {
  it.scoped("does not loop on a symlink cycle and loads each real file once", () =>
    Effect.gen(function* () {
      const sb = yield* sandbox
      const a = yield* sb.write("rules/a.rules", RULE("a"))
      yield* sb.write("rules/sub/b.rules", RULE("b"))
      yield* sb.fs.symlink("..", join(sb.cwd, "rules", "sub", "loop"))
      yield* sb.fs.symlink("a.rules", join(sb.cwd, "rules", "alias.rules"))
      const loaded = yield* withRuleFiles(sb, (rf) => rf.load({ dirs: ["rules"], files: [a, "rules/alias.rules"] }))
      assert.deepStrictEqual(
        loaded.files.map((f) => f.path),
        [a, join(sb.cwd, "rules", "sub", "b.rules")]
      )
      assert.deepStrictEqual(
        loaded.rules.map((r) => r.id),
        ["a", "b"]
      )
      assert.deepStrictEqual(
        loaded.files.flatMap((f) => f.diagnostics),
        []
      )
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("loads the default directories once when SSG_HOME is the project's .sigmashake", () =>
    Effect.gen(function* () {
      const sb = yield* sandbox
      yield* sb.write(".sigmashake/rules/a.rules", RULE("a"))
      const loaded = yield* RuleFiles.RuleFiles.pipe(
        Effect.flatMap((rf) => rf.load({})),
        Effect.provide(
          RuleFiles.layer.pipe(
            Layer.provide(Layer.succeed(SsgPaths, pathsFrom({ SSG_HOME: join(sb.cwd, ".sigmashake") }, sb.cwd)))
          )
        )
      )
      assert.deepStrictEqual(
        loaded.files.map((f) => f.path),
        [join(sb.cwd, ".sigmashake", "rules", "a.rules")]
      )
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("reports invalid UTF-8 as a located parse.encoding error and loads none of that file's rules", () =>
    Effect.gen(function* () {
      const sb = yield* sandbox
      const text = bytes(RULE("ok"), 'rule x {\n  DENY any\n  IF tool EQUALS "é', [0xff], '"\n}\n')
      const bad = yield* sb.write("rules/a.rules", text)
      yield* sb.write("rules/b.rules", RULE("b"))
      const loaded = yield* withRuleFiles(sb, (rf) => rf.load({ dirs: ["rules"] }))
      const file = loaded.files[0]!
      assert.strictEqual(file.path, bad)
      assert.deepStrictEqual(file.rules, [])
      assert.deepStrictEqual(file.diagnostics, [
        {
          file: bad,
          line: 8,
          column: 20,
          severity: "error",
          code: "parse.encoding",
          message: "not valid UTF-8 (byte 0xFF at offset 98); none of this file's rules were loaded",
          ruleId: null
        }
      ])
      assert.deepStrictEqual(
        loaded.rules.map((r) => r.id),
        ["b"]
      )
      const exit = yield* Effect.exit(withRuleFiles(sb, (rf) => rf.loadValid({ dirs: ["rules"] })))
      assert.deepStrictEqual(
        exit,
        Exit.fail(
          new RuleFiles.RulesParseError({
            message:
              "rules/a.rules:8:20: not valid UTF-8 (byte 0xFF at offset 98); none of this file's rules were loaded " +
              "(run `ssg lint`)",
            errors: 1
          })
        )
      )
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("strips a UTF-8 byte order mark", () =>
    Effect.gen(function* () {
      const sb = yield* sandbox
      yield* sb.write("rules/bom.rules", bytes([0xef, 0xbb, 0xbf], "# policy\n", RULE("a")))
      const loaded = yield* withRuleFiles(sb, (rf) => rf.load({ dirs: ["rules"] }))
      assert.strictEqual(loaded.files[0]!.text, `# policy\n${RULE("a")}`)
      assert.deepStrictEqual(loaded.files[0]!.diagnostics, [])
      assert.deepStrictEqual(loaded.files[0]!.items[0], { _tag: "Comment", text: "# policy", line: 1 })
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("returns an unreadable rules file with one parse.unreadable error instead of failing", () =>
    Effect.gen(function* () {
      const sb = yield* sandbox
      yield* sb.write("rules/a.rules", RULE("a"))
      const locked = yield* sb.write("rules/locked.rules", RULE("locked"))
      const dangling = join(sb.cwd, "rules", "b-gone.rules")
      yield* sb.fs.symlink("missing-target.rules", dangling)
      const loaded = yield* RuleFiles.RuleFiles.pipe(
        Effect.flatMap((rf) => rf.load({ dirs: ["rules"] })),
        Effect.provide(ruleFilesLayer(sb)),
        Effect.provide(failingReads("locked.rules"))
      )
      assert.deepStrictEqual(
        loaded.files.map((f) => [
          f.path,
          f.rules.map((r) => r.id),
          f.diagnostics.map((d) => [d.code, d.line, d.column])
        ]),
        [
          [join(sb.cwd, "rules", "a.rules"), ["a"], []],
          [dangling, [], [["parse.unreadable", 1, 1]]],
          [locked, [], [["parse.unreadable", 1, 1]]]
        ]
      )
      assert.strictEqual(
        loaded.files[1]!.diagnostics[0]!.message,
        `cannot read ${dangling}: ENOENT: no such file or directory`
      )
      assert.strictEqual(loaded.files[2]!.diagnostics[0]!.message, `cannot read ${locked}: EACCES: permission denied`)
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("still fails for an explicit rules directory that does not exist", () =>
    Effect.gen(function* () {
      const sb = yield* sandbox
      const exit = yield* Effect.exit(withRuleFiles(sb, (rf) => rf.load({ dirs: ["nope"] })))
      const path = join(sb.cwd, "nope")
      assert.deepStrictEqual(
        exit,
        Exit.fail(new RuleFiles.RulesSourceError({ path, message: `rules directory not found: ${path}` }))
      )
    }).pipe(Effect.provide(NodeContext.layer))
  )
})

describe("decodeRulesText", () => {
  it("locates the first ill-formed sequence by line and character column", () => {
    const at = (data: Uint8Array) => {
      const r = RuleFiles.decodeRulesText(data, "f")
      return r.ok ? r.text : [r.diagnostic.line, r.diagnostic.column, r.diagnostic.code]
    }
    assert.strictEqual(at(bytes("ok é ✓ 😀\n")), "ok é ✓ 😀\n")
    assert.deepStrictEqual(at(bytes([0xff])), [1, 1, "parse.encoding"])
    assert.deepStrictEqual(at(bytes("a\nb😀c", [0xc0, 0x80])), [2, 5, "parse.encoding"])
    assert.deepStrictEqual(at(bytes("x", [0xed, 0xa0, 0x80])), [1, 2, "parse.encoding"])
    assert.deepStrictEqual(at(bytes("\n\nabc", [0xe2, 0x9c])), [3, 4, "parse.encoding"])
    assert.deepStrictEqual(at(bytes([0xef, 0xbb, 0xbf], "ab", [0xf5])), [1, 3, "parse.encoding"])
  })
})

describe("writeAllOrNothing", () => {
  it.effect("restores the files already written when a later write fails", () =>
    Effect.gen(function* () {
      const disk = new Map([
        ["a", "A0"],
        ["b", "B0"],
        ["c", "C0"]
      ])
      const writes: Array<string> = []
      const stub = Layer.succeed(RuleFiles.RuleFiles, {
        load: () => Effect.die("unused"),
        loadValid: () => Effect.die("unused"),
        writeAtomic: (path, text) => {
          writes.push(`${path}=${text}`)
          return path === "c"
            ? Effect.fail(new RuleFiles.RulesSourceError({ path, message: `cannot write ${path}: EACCES: denied` }))
            : Effect.sync(() => void disk.set(path, text))
        }
      })
      const exit = yield* Effect.exit(
        RuleFiles.writeAllOrNothing([
          { path: "a", before: "A0", after: "A1" },
          { path: "b", before: "B0", after: "B1" },
          { path: "c", before: "C0", after: "C1" }
        ]).pipe(Effect.provide(stub))
      )
      assert.deepStrictEqual(
        exit,
        Exit.fail(
          new RuleFiles.RulesSourceError({
            path: "c",
            message: "cannot write c: EACCES: denied; restored a, b; no file was changed"
          })
        )
      )
      assert.deepStrictEqual(writes, ["a=A1", "b=B1", "c=C1", "b=B0", "a=A0"])
      assert.deepStrictEqual([...disk], [
        ["a", "A0"],
        ["b", "B0"],
        ["c", "C0"]
      ])
    })
  )

  it.effect("skips unchanged files", () =>
    Effect.gen(function* () {
      const writes: Array<string> = []
      const stub = Layer.succeed(RuleFiles.RuleFiles, {
        load: () => Effect.die("unused"),
        loadValid: () => Effect.die("unused"),
        writeAtomic: (path) => Effect.sync(() => void writes.push(path))
      })
      yield* RuleFiles.writeAllOrNothing([
        { path: "a", before: "same", after: "same" },
        { path: "b", before: "B0", after: "B1" }
      ]).pipe(Effect.provide(stub))
      assert.deepStrictEqual(writes, ["b"])
    })
  )
})
