import { describe, expect, it } from "vitest"
import { compileGlob, globError } from "../../../src/domain/rules/Glob.js"
import { corpusPresent, corpusStrings } from "../../support/corpus.js"

const expectMatches = (pattern: string, yes: ReadonlyArray<string>, no: ReadonlyArray<string>): void => {
  const glob = compileGlob(pattern)
  for (const p of yes) expect(glob.test(p), `${pattern} should match ${p}`).toBe(true)
  for (const p of no) expect(glob.test(p), `${pattern} should not match ${p}`).toBe(false)
}

describe("compileGlob forms", () => {
  it("`*` stays inside a segment and matches dotfiles", () => {
    expectMatches("src/*.ts", ["/p/src/a.ts", "src/.hidden.ts", "src/.ts"], [
      "/p/src/a/b.ts",
      "src/a.tsx",
      "/p/lib/a.ts"
    ])
    expectMatches("*", ["/p/.env", "a", "/"], [])
    expectMatches("**/.ssh/*", ["/home/u/.ssh/id_rsa", "/home/u/.ssh/.hidden"], ["/home/u/.ssh/keys/id_rsa"])
  })

  it("`?` is exactly one non-slash character", () => {
    expectMatches("**/file?.txt", ["/p/file1.txt", "fileA.txt"], ["/p/file.txt", "/p/file12.txt", "/p/file/.txt"])
  })

  it("classes, ranges and negated classes never match `/`", () => {
    expectMatches("**/log[0-9].txt", ["/var/log5.txt"], ["/var/logx.txt", "/var/log10.txt"])
    expectMatches("**/[abc].md", ["/p/a.md", "c.md"], ["/p/d.md"])
    expectMatches("**/x[!a]y", ["/p/xby", "/p/x.y"], ["/p/xay", "/p/x/y"])
    expectMatches("**/x[^a]y", ["/p/xby"], ["/p/xay"])
    expectMatches("a[/]b", [], ["a/b", "/p/a/b"])
    expectMatches("**/[]]x", ["/p/]x"], ["/p/x"])
  })

  it("`**` crosses directories; `**/` is zero or more whole directories", () => {
    expectMatches("src/**/*.js", ["src/a.js", "src/x/y/z.js", "/home/u/p/src/a.js", "C:\\p\\src\\x\\a.js"], [
      "/home/u/p/src/a.ts",
      "/home/u/p/lib/a.js",
      "/home/u/p/mysrc/a.js",
      "src.js"
    ])
    expectMatches("a/**b", ["a/b", "a/x/yb", "/p/a/xb"], ["a/x/y"])
    expectMatches("**/app/**/{page,layout,route}.{ts,tsx}", [
      "/p/app/page.tsx",
      "/p/app/(group)/blog/[slug]/layout.ts",
      "app/route.ts",
      "C:\\web\\app\\x\\page.ts"
    ], ["/p/app/page.js", "/p/app/pages.tsx", "/p/myapp/page.ts", "/p/app/x/notpage.tsx"])
  })

  it("a trailing `/**` or `/` is the directory and everything below", () => {
    expectMatches("**/Start Menu/Programs/Startup/**", [
      "C:\\Users\\u\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\evil.lnk",
      "/mnt/c/ProgramData/Microsoft/Windows/Start Menu/Programs/Startup/a/b.bat",
      "/x/Start Menu/Programs/Startup"
    ], ["/x/Start Menu/Programs/StartupX/a", "/x/Start Menu/Programs/a.lnk", "/x/StartMenu/Programs/Startup/a"])
    expectMatches("**/.git/hooks/**", ["/p/.git/hooks/pre-commit", "/p/.git/hooks"], ["/p/.git/config"])
    expectMatches("build/", ["/p/build", "/p/build/out/a.js", "build/x"], ["/p/building/a", "/p/rebuild/x"])
    expectMatches("/tmp/**/", ["/tmp", "/tmp/a/b"], ["/tmpx", "/var/tmp/a"])
  })

  it("brace alternation may nest and hold wildcards", () => {
    expectMatches("**/*.{js,ts,jsx,tsx,mjs,cjs}", ["/p/a.js", "/p/a.cjs", "b.tsx", "C:\\p\\a.mjs"], [
      "/p/a.json",
      "/p/a.ts.bak",
      "/p/a.cts",
      "/p/js"
    ])
    expectMatches("**/{src,lib/{a,b}}/*.c", ["/p/src/x.c", "/p/lib/a/x.c", "lib/b/y.c"], ["/p/lib/c/x.c", "/p/lib/x.c"])
    expectMatches("**/{*.pem,id_*}", ["/home/u/.ssh/id_rsa", "/p/key.pem"], ["/p/key.pub", "/p/myid_rsa"])
    expectMatches("**/a.{x}", ["/p/a.x"], ["/p/a.y"])
  })

  it("parenthesised alternation works like picomatch", () => {
    expectMatches("**/*.(js|jsx|ts|tsx)", ["/p/a.js", "/p/a.jsx", "src/b.ts", "C:\\x\\c.tsx"], [
      "/p/a.mjs",
      "/p/a.json",
      "/p/a.(js|jsx|ts|tsx)",
      "/p/ts"
    ])
    expectMatches("**/*.(cpp|h|py|go)", ["/p/a.h", "/p/a.go"], ["/p/a.hpp", "/p/a.golang"])
    expectMatches("**/(a,b|c).txt", ["/p/a,b.txt", "/p/c.txt"], ["/p/a.txt", "/p/b.txt"])
  })

  it("regex metacharacters are literal and matching is case-sensitive", () => {
    expectMatches("**/a+b.c^d$e", ["/p/a+b.c^d$e"], ["/p/aab.c^d$e", "/p/a+bxc^d$e", "/p/A+b.c^d$e"])
    expectMatches("**/Dockerfile", ["/p/Dockerfile"], ["/p/dockerfile", "/p/DOCKERFILE"])
    expectMatches("**/a\\*b", ["/p/a*b"], ["/p/axb"])
  })

  it("absolute patterns must match the whole path", () => {
    expectMatches("/etc/hosts", ["/etc/hosts"], ["/etc/hosts.bak", "/x/etc/hosts", "etc/hosts", "/etc/hosts/x"])
    expectMatches("/Library/LaunchAgents/*.plist", ["/Library/LaunchAgents/com.evil.plist"], [
      "/Users/u/Library/LaunchAgents/com.evil.plist",
      "/Library/LaunchAgents/sub/com.evil.plist",
      "/Library/LaunchAgents/com.evil.plist.bak"
    ])
    expectMatches("/etc/cron*/**", ["/etc/cron.d/job", "/etc/cron.daily/x/y", "/etc/crontab"], [
      "/etc/anacrontab",
      "/x/etc/cron.d/job",
      "/etc/hosts"
    ])
    expectMatches("/Library/**/*.plist", ["/Library/a.plist", "/Library/x/y/a.plist"], ["/Users/u/Library/a.plist"])
  })

  it("`~/` matches at any directory boundary", () => {
    const home = ["/home/u/.ssh/id_rsa", "/Users/me/.ssh/id_ed25519", ".ssh/id_rsa", "C:\\Users\\u\\.ssh\\id_rsa"]
    expectMatches("~/.ssh/id_*", home, [
      "/home/u/.ssh/config",
      "/home/u/x.ssh/id_rsa"
    ])
  })

  it("patterns without `/` match the basename", () => {
    expectMatches("*.log", ["/var/log/app.log", "app.log", "C:\\logs\\x.log", "/p/.log"], [
      "/var/log.d/app.txt",
      "/p/a.log.gz"
    ])
    expectMatches("bitbucket-pipelines.yml", ["/p/bitbucket-pipelines.yml", "bitbucket-pipelines.yml"], [
      "/p/my-bitbucket-pipelines.yml",
      "/p/bitbucket-pipelines.yml/x"
    ])
    expectMatches("debug_*", ["/p/debug_out.txt", "debug_", "C:\\tmp\\debug_1"], ["/p/xdebug_1", "/p/debug_x/y.txt"])
    expectMatches("**", ["/a/b/c", "x"], [])
  })

  it("relative patterns match the whole path or a suffix after a `/`", () => {
    expectMatches(".github/workflows/*.yaml", [
      "/home/u/p/.github/workflows/ci.yaml",
      ".github/workflows/ci.yaml",
      "C:\\p\\.github\\workflows\\ci.yaml"
    ], ["/home/u/p/.github/workflows/ci.yml", "/home/u/p/x.github/workflows/ci.yaml", "/p/.github/workflows/a/ci.yaml"])
    expectMatches("**/.env", ["/p/.env", ".env", "C:\\p\\.env"], ["/p/.env.local", "/p/x.env", "/p/.env/x"])
    expectMatches("**/.env.*", ["/p/.env.local", ".env.production"], ["/p/.env", "/p/x.env.local"])
    expectMatches("**/*", ["/p/a", "a", "C:\\x", ""], [])
  })

  it("Windows backslashes in the path become slashes", () => {
    expectMatches("**/.aws/credentials", ["C:\\Users\\u\\.aws\\credentials", "/home/u/.aws/credentials"], [
      "C:\\Users\\u\\.aws\\credentials.bak"
    ])
  })
})

describe("globError and fail-secure matchers", () => {
  it("reports unbalanced groups and classes and matches everything", () => {
    for (const bad of ["**/*.{js,ts", "**/*.(js|ts", "**/[abc", "a}b", "a)b", "[z-a]", "x\\"]) {
      const reason = globError(bad)
      expect(reason, bad).toMatch(/\S/)
      expect(reason!.includes("\n")).toBe(false)
      const glob = compileGlob(bad)
      expect(glob.test("/any/path"), bad).toBe(true)
      expect(glob.literals).toBeNull()
    }
    expect(globError("**/*.{js,ts")).toContain("{")
    expect(globError("**/*.(js|ts")).toContain("(")
    expect(globError("**/[abc")).toContain("[")
  })

  it("rejects alternatives nested more than 64 deep, without overflowing, and matches everything", () => {
    const nested = (n: number, open: string, sep: string, close: string): string =>
      "/x/" + `${open}a${sep}`.repeat(n) + "b" + close.repeat(n)
    expect(globError(nested(64, "{", ",", "}"))).toBeNull()
    expect(compileGlob(nested(64, "{", ",", "}")).test("/x/b")).toBe(true)
    expect(compileGlob(nested(64, "{", ",", "}")).test("/x/c")).toBe(false)
    const cases = [[65, "{", ",", "}"], [20000, "{", ",", "}"], [20000, "(", "|", ")"]] as const
    for (const [n, open, sep, close] of cases) {
      const glob = nested(n, open, sep, close)
      expect(globError(glob)).toBe(`alternatives nested more than 64 deep at offset ${3 + 64 * 3}`)
      expect(compileGlob(glob).test("/anything")).toBe(true)
      expect(compileGlob(glob).literals).toBeNull()
    }
    expect(globError("{a," + "{a,".repeat(30000))).toBe(`alternatives nested more than 64 deep at offset ${64 * 3}`)
  })

  it("returns null for valid globs", () => {
    for (const good of ["**/*", "**/*.{js,ts}", "**/*.(a|b)", "/etc/cron*/**", "a]b", "[!a]"]) {
      expect(globError(good), good).toBeNull()
    }
  })

  it.skipIf(!corpusPresent)("every corpus glob is valid (skipped when the corpus is absent)", () => {
    const globs = corpusStrings(["GLOB"])
    expect(globs.length).toBeGreaterThan(200)
    for (const g of globs) expect(globError(g), g).toBeNull()
  })
})

describe("fast paths agree with the RE2 path", () => {
  const PATHS = [
    "/home/u/p/src/index.ts",
    "/home/u/p/src/index.tsx",
    "/home/u/p/src/a.d.ts",
    "src/x.ts",
    ".ts",
    "ts",
    "/p/.ts",
    "/p/x.ts/",
    "/p/x.ts/y",
    "C:\\p\\a.ts",
    "/p/Dockerfile",
    "Dockerfile",
    "/p/xDockerfile",
    "/p/Dockerfile.prod",
    "/p/Dockerfile/x",
    "/etc/hosts",
    "etc/hosts",
    "/x/etc/hosts",
    "/p/middleware.js",
    "/p/middleware.ts",
    "middleware.mjs",
    "/p/a.js",
    "/p/a.jsx",
    "/p/.aws/config",
    ".aws/config",
    "/p/x.aws/config",
    "",
    "/"
  ]
  const PAIRS: ReadonlyArray<readonly [string, string]> = [
    ["**/*.ts", "**/*.t[s]"],
    ["**/*.{js,ts}", "**/*.{j[s],t[s]}"],
    ["**/*.(js|jsx)", "**/*.(j[s]|j[s]x)"],
    ["**/Dockerfile", "**/Dockerfil[e]"],
    ["Dockerfile", "Dockerfil[e]"],
    ["**/middleware.{ts,js}", "**/middlewar[e].{ts,js}"],
    ["/etc/hosts", "/etc/host[s]"],
    ["*.ts", "*.t[s]"],
    ["**/.aws/config", "**/.aws/confi[g]"],
    ["**/**/*.ts", "**/**/*.t[s]"],
    ["**/*", "**/{,[^/]*}"],
    ["*", "{,[!/]*}"]
  ]
  for (const [fast, slow] of PAIRS) {
    it(`${fast} ≡ ${slow}`, () => {
      const a = compileGlob(fast)
      const b = compileGlob(slow)
      for (const p of PATHS) expect(a.test(p), `${fast} on ${JSON.stringify(p)}`).toBe(b.test(p))
    })
  }
})

describe("literals", () => {
  it("chooses the most selective literals", () => {
    expect(compileGlob("**/*.ts").literals).toEqual([".ts"])
    expect(compileGlob("**/*.{js,ts}").literals).toEqual([".js", ".ts"])
    expect(compileGlob("**/Dockerfile").literals).toEqual(["Dockerfile"])
    expect(compileGlob("**/*").literals).toBeNull()
    expect(compileGlob("**/*.(js|jsx|ts|tsx)").literals).toEqual([".js", ".ts"])
    expect(compileGlob(".github/workflows/*.yaml").literals).toEqual(["workflows"])
    expect(compileGlob("**/{a,bb}/x").literals).toEqual(["x"])
    expect(compileGlob("**/{a,}/*").literals).toBeNull()
    expect(compileGlob("**/?").literals).toBeNull()
  })

  it("never contain a slash, so raw Windows paths contain them too", () => {
    for (const g of ["/etc/hosts", "**/.aws/credentials", "**/app/**/{page,layout}.ts", "**/{a/bc,d/ef}/*"]) {
      const literals = compileGlob(g).literals
      expect(literals, g).not.toBeNull()
      for (const lit of literals!) expect(lit.includes("/"), `${g}: ${lit}`).toBe(false)
    }
  })

  const instantiate = (glob: string, seed: number): string => {
    let state = seed
    const rand = (n: number): number => {
      state = (state * 1103515245 + 12345) & 0x7fffffff
      return (state >>> 16) % n
    }
    const pick = (alts: Array<string>): string => alts[rand(alts.length)]!
    const expandGroups = (s: string): string => {
      for (;;) {
        const m = /[{(]([^{}()]*)[})]/.exec(s)
        if (m === null) return s
        const parts = m[1]!.split(m[0]![0] === "{" ? "," : "|")
        s = s.slice(0, m.index) + pick(parts) + s.slice(m.index + m[0]!.length)
      }
    }
    let p = expandGroups(glob)
    p = p.replace(/\[!?[^\]]*\]/g, (cls) => (cls[1] === "!" ? "#" : cls.replace(/^\[([^-\]])?.*\]$/, "$1") || "z"))
    p = p.replace(/\*\*\//g, () => pick(["", "a/", "deep/er/"]))
    p = p.replace(/\/\*\*$/, () => pick(["", "/x", "/y/z.txt"]))
    p = p.replace(/\*\*/g, () => pick(["", "q", "q/r"]))
    p = p.replace(/\*/g, () => pick(["", "name", ".dot"]))
    p = p.replace(/\?/g, "Q")
    if (p.startsWith("~/")) p = p.slice(2)
    if (p.startsWith("/")) return p
    const prefix = pick(["/home/u/proj/", "", "C:\\Users\\u\\", "/tmp/"])
    return prefix.includes("\\") ? prefix + p.replace(/\//g, "\\") : prefix + p
  }

  const soundOver = (globs: ReadonlyArray<string>): number => {
    const extra = ["/home/u/p/src/index.ts", "C:\\Windows\\System32\\drivers\\etc\\hosts", "/etc/cron.d/x", ""]
    let matched = 0
    for (const g of globs) {
      const glob = compileGlob(g)
      const candidates = [...extra]
      for (let seed = 1; seed <= 40; seed++) candidates.push(instantiate(g, seed * 7919))
      for (const p of candidates) {
        if (!glob.test(p)) continue
        matched++
        if (glob.literals !== null) {
          expect(glob.literals.some((lit) => p.includes(lit)), `${g} matched ${p} without ${glob.literals}`).toBe(true)
        }
      }
    }
    return matched
  }

  it("are sound on hand-picked globs", () => {
    const matched = soundOver([
      "**/*.(js|jsx|ts|tsx)",
      "**/*.{js,ts,jsx,tsx,mjs,cjs}",
      "**/app/**/{page,layout,route}.{ts,tsx}",
      "**/Start Menu/Programs/Startup/**",
      "/etc/hosts",
      "/Library/LaunchAgents/*.plist",
      "/etc/cron*/**",
      ".github/workflows/*.yaml",
      "src/**/*.js",
      "*.log",
      "bitbucket-pipelines.yml",
      "debug_*",
      "**/.env",
      "**/.env.*",
      "**/*",
      "~/.ssh/id_*",
      "**/{src,lib/{a,b}}/*.c",
      "**/log[0-9].txt"
    ])
    expect(matched).toBeGreaterThan(300)
  })

  it.skipIf(!corpusPresent)("are sound on every corpus glob (skipped when the corpus is absent)", () => {
    const globs = corpusStrings(["GLOB"])
    expect(soundOver(globs)).toBeGreaterThan(3000)
  })
})
