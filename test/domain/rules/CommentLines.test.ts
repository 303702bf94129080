import { describe, expect, it } from "vitest"
import { codeLines } from "../../../src/domain/rules/CommentLines.js"

describe("codeLines", () => {
  it("splits on \\n and strips one trailing \\r per line", () => {
    expect(codeLines("a\r\nb\r\r\nc", "notes.md")).toEqual(["a", "b\r", "c"])
    expect(codeLines("", "x.md")).toEqual([""])
    expect(codeLines("a\nb", "")).toEqual(["a", "b"])
  })

  it("drops hash comments, keeping a #! first line", () => {
    const content = "#!/usr/bin/env python3\n# comment\n  # indented\nimport os  # stays\n\tx = '#'\n#!not first"
    expect(codeLines(content, "/p/tool.py")).toEqual(["#!/usr/bin/env python3", "import os  # stays", "\tx = '#'"])
    expect(codeLines(" #!/bin/sh\necho", "run.sh")).toEqual(["echo"])
  })

  it("recognises every hash-family extension and basename, case-insensitively", () => {
    const exts = [".py", ".pyi", ".sh", ".bash", ".zsh", ".fish", ".rb", ".pl", ".pm", ".r", ".yaml", ".yml", ".toml"]
    exts.push(".ps1", ".psm1", ".conf", ".cfg", ".ini", ".properties", ".env", ".R", ".YML")
    const names = ["Dockerfile", "Containerfile", "Makefile", "Gemfile", "Rakefile", "Vagrantfile", "Procfile"]
    names.push("Pipfile")
    names.push(".env", ".env.local", ".env.production", ".gitignore", ".dockerignore", "requirements.txt", "DOCKERFILE")
    for (const file of [...exts.map((e) => "/p/file" + e), ...names.map((n) => "/p/" + n)]) {
      expect(codeLines("# c\ncode\n// kept", file), file).toEqual(["code", "// kept"])
    }
    expect(codeLines("# c\ncode", "C:\\p\\Dockerfile")).toEqual(["code"])
  })

  it("drops // lines and /* */ blocks in the slash family", () => {
    const content = [
      "const a = 1 // trailing stays",
      "  // line comment",
      "/* one-line block */",
      "  /**",
      "   * doc",
      "   */",
      "b()",
      "/* starts",
      "ends */ c()",
      "d() /* mid-line block start is code",
      "still code */",
      "#[attr]",
      "# not a comment here"
    ].join("\n")
    expect(codeLines(content, "/p/a.ts")).toEqual([
      "const a = 1 // trailing stays",
      "b()",
      " c()",
      "d() /* mid-line block start is code",
      "still code */",
      "#[attr]",
      "# not a comment here"
    ])
  })

  it("recognises every slash-family extension", () => {
    const exts = ["js", "jsx", "ts", "tsx", "mjs", "cjs", "mts", "cts", "go", "rs", "c", "h", "cc", "cpp", "cxx", "hpp"]
    exts.push("hh", "java", "kt", "kts", "swift", "cs", "scala", "dart", "groovy", "gradle", "proto", "zig", "sol")
    exts.push("css", "scss", "less", "jsonc", "json5", "vue", "svelte", "astro", "TS", "Go")
    for (const ext of exts) {
      expect(codeLines("// c\n/* b\n*/\ncode\n# kept", `/p/f.${ext}`), ext).toEqual(["code", "# kept"])
    }
  })

  it("keeps Rust attributes", () => {
    expect(codeLines("#[allow(dead_code)]\n// c\nfn main() {}", "/p/src/lib.rs")).toEqual([
      "#[allow(dead_code)]",
      "fn main() {}"
    ])
  })

  it("uses both hash and slash syntax for .tf .tfvars .hcl and .php", () => {
    for (const ext of ["tf", "tfvars", "hcl", "php"]) {
      expect(codeLines("# h\n// s\n/* b\nb */\ncode", `/p/main.${ext}`), ext).toEqual(["code"])
    }
    expect(codeLines("#[Route('/x')]\n# comment\nfunction f() {}", "/p/C.php")).toEqual([
      "#[Route('/x')]",
      "function f() {}"
    ])
    expect(codeLines("#[x]\ncode", "/p/main.tf")).toEqual(["code"])
    expect(codeLines("#[x]\ncode", "/p/a.py")).toEqual(["code"])
  })

  it("drops -- lines and /* */ blocks in SQL", () => {
    expect(codeLines("-- c\n  --c2\n/* b\n b */\nDROP TABLE x; -- trailing\n# code\n// code", "/db/m.SQL")).toEqual([
      "DROP TABLE x; -- trailing",
      "# code",
      "// code"
    ])
  })

  it("drops nothing for other files or no path", () => {
    const content = "# a\n// b\n-- c\n/* d */\ntext"
    for (const file of ["README.md", "notes.txt", "index.html", "package.json", "", "/p/noext", "/p/.bashrc"]) {
      expect(codeLines(content, file), file).toEqual(["# a", "// b", "-- c", "/* d */", "text"])
    }
  })

  it("removes only the block comment span: code after */ on an opening or closing line stays", () => {
    const content = [
      "/* x */ eval(y)",
      "  /* a */ /* b */ run()",
      "/* a */ // b",
      "/* a */",
      "/* opens",
      "inside()",
      "*/ eval(z)",
      "/* opens",
      "  */",
      "/*/ still open",
      "*/done()"
    ].join("\n")
    expect(codeLines(content, "/p/a.js")).toEqual([" eval(y)", " run()", " eval(z)", "done()"])
    expect(codeLines("/* c */ DROP TABLE x;\n/* c\n*/ -- d\n*/ TRUNCATE y;", "/db/m.sql")).toEqual([
      " DROP TABLE x;",
      "*/ TRUNCATE y;"
    ])
    expect(codeLines("/* c */ # h\n/* c */ #[Attr]\n/* c */ system($x);", "/p/C.php")).toEqual([
      " #[Attr]",
      " system($x);"
    ])
    expect(codeLines("/* c */ eval(x)", "/p/a.py")).toEqual(["/* c */ eval(x)"])
  })

  it("an unterminated block drops the rest of the file", () => {
    expect(codeLines("a\n/* open\nb\nc", "x.go")).toEqual(["a"])
  })
})
