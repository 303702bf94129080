import { spawn } from "node:child_process"
import { createHash, generateKeyPairSync } from "node:crypto"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, unlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { canonicalBytes } from "../../src/domain/CanonicalJson.js"
import { parseVerifierKey, verifierKey, verify as verifyCheckpoint } from "../../src/domain/Checkpoint.js"
import { leafHash, rootHash, verifyConsistency, verifyInclusion } from "../../src/domain/Merkle.js"
import { auditDbBytes, fromB64, fromSha, hex, type LoggedEntry, openRaw, ssgAsync } from "../support/audit.js"
import { BIN, ssgAt, useCliSandbox } from "../support/cli.js"
import { DEMO_RULES as RULES } from "../support/fixtures.js"

const sb = useCliSandbox("ssg-audit")
const { ssg, ssgWithInput } = sb


/** The three tool calls of the shared 3-entry log and what each must record. */
const CALLS = [
  {
    call: { tool: "Bash", input: { timeout: 1000, command: "rm -rf /tmp/x", description: "clean up" } },
    expected: { decision: "block", rule_id: "no-rm", tool: "Bash", capability: "execute", input_summary: "rm -rf /tmp/x" }
  },
  {
    call: { tool: "Read", input: { file_path: "/repo/.env" } },
    expected: { decision: "block", rule_id: "no-env", tool: "Read", capability: "read", input_summary: "/repo/.env" }
  },
  {
    call: { tool: "Bash", input: { command: "git status" } },
    expected: { decision: "log", rule_id: "log-git", tool: "Bash", capability: "execute", input_summary: "git status" }
  }
] as const

const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

const oneStderrLine = (stderr: string): void => {
  expect(stderr).toMatch(/^ssg: [^\n]+\n$/)
}

const parseLog = (stdout: string): Array<LoggedEntry> => JSON.parse(stdout) as Array<LoggedEntry>

/** The envelope of a logged entry (without the leaf and chain hashes `--json` adds). */
const envelopeOf = (e: LoggedEntry): Record<string, unknown> => {
  const { chain: _chain, leaf: _leaf, ...envelope } = e
  return envelope
}

// A 3-entry log built once (three real `ssg eval` runs) and copied into each test's SSG_HOME.
let tplCwd = ""
let tplHome = ""
let vkey = ""
let keyName = ""
let tplLog: Array<LoggedEntry> = []
let tplEvalOutputs: Array<Record<string, unknown>> = []

beforeAll(() => {
  tplCwd = realpathSync(mkdtempSync(join(tmpdir(), "ssg-audit-tpl-cwd-")))
  tplHome = realpathSync(mkdtempSync(join(tmpdir(), "ssg-audit-tpl-home-")))
  mkdirSync(join(tplCwd, "rules"))
  writeFileSync(join(tplCwd, "rules", "a.rules"), RULES)
  tplEvalOutputs = CALLS.map(({ call }) => {
    const r = ssgAt(tplCwd, tplHome, JSON.stringify(call), "eval", "--rules", "rules")
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    return JSON.parse(r.stdout) as Record<string, unknown>
  })
  const k = ssgAt(tplCwd, tplHome, "", "keys", "show")
  expect(k.code).toBe(0)
  vkey = /^verifier key: (.*)$/m.exec(k.stdout)![1]!
  keyName = parseVerifierKey(vkey).name
  // a full verification, so copies of the template carry the verified state `--incremental` resumes from
  expect(ssgAt(tplCwd, tplHome, "", "audit", "verify").code).toBe(0)
  const l = ssgAt(tplCwd, tplHome, "", "audit", "log", "--json")
  expect(l.code).toBe(0)
  tplLog = parseLog(l.stdout)
})

afterAll(() => {
  rmSync(tplCwd, { recursive: true, force: true })
  rmSync(tplHome, { recursive: true, force: true })
})

/** Copies the shared 3-entry log (database, checkpoints, key) into this test's SSG_HOME. */
const useTemplate = (): void => {
  cpSync(tplHome, sb.home, { recursive: true })
}

/** Copies only the shared signing key into this test's SSG_HOME (so concurrent first appends do not race on key creation). */
const useTemplateKey = (): void => {
  cpSync(join(tplHome, "keys"), join(sb.home, "keys"), { recursive: true })
}

const logJson = (): Array<LoggedEntry> => {
  const r = ssg("audit", "log", "--json")
  expect(r.stderr).toBe("")
  expect(r.code).toBe(0)
  return parseLog(r.stdout)
}

const verifyJson = (...flags: Array<string>) => {
  const r = ssg("audit", "verify", "--json", ...flags)
  return { code: r.code, stderr: r.stderr, report: r.stdout === "" ? null : (JSON.parse(r.stdout) as Record<string, unknown>) }
}

// Most tests run the CLI synchronously; give the worker's event loop a turn between them so vitest's RPC does not time out.
beforeEach(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))

const range = (n: number): Array<number> => Array.from({ length: n }, (_, i) => i + 1)

describe("ssg eval appends v1.EvalDecided", () => {
  it("three evals give entries #1..#3 with decision, rule, tool, capability, input summary and input hash", () => {
    useTemplate()
    const log = logJson()
    expect(log.map((e) => e.seq)).toEqual([1, 2, 3])
    expect(log.map((e) => e.type)).toEqual(["v1.EvalDecided", "v1.EvalDecided", "v1.EvalDecided"])
    expect(new Set(log.map((e) => e.id)).size).toBe(3)
    log.forEach((e, i) => {
      const { call, expected } = CALLS[i]!
      expect(e.data).toMatchObject({ ...expected, client: "cli" })
      expect(e.data["decision"]).toBe(tplEvalOutputs[i]!["decision"])
      expect(e.data["rule_id"]).toBe(tplEvalOutputs[i]!["rule_id"])
      expect(e.data["input_sha256"]).toMatch(/^[0-9a-f]{64}$/)
      expect(e.data["input_sha256"]).toBe(sha256Hex(canonicalBytes(call.input)))
      expect(typeof e.data["latency_ms"]).toBe("number")
      expect(Array.isArray(e.data["also_matched"])).toBe(true)
      expect(e.data).not.toHaveProperty("input")
      expect(e.source["log_id"]).toBe(keyName)
      // the stored leaf is the RFC 6962 leaf hash of the RFC 8785 bytes of the envelope
      expect(e.leaf).toBe(`sha256:${hex(leafHash(canonicalBytes(envelopeOf(e))))}`)
      expect(e.chain).toMatch(/^sha256:[0-9a-f]{64}$/)
    })
    expect(log[2]!.data["also_matched"]).toEqual([{ rule_id: "log-git", decision: "log" }])
  })

  it("stores the redacted input only with [audit] capture_inputs = true; secrets never reach the database or the log output", () => {
    useTemplateKey()
    const BEARER = "abcdefghijklmnop1234"
    const AWS = "AKIAQWERTYUIOPASDFGH"
    const call = {
      tool: "Bash",
      input: {
        command: `curl -H "Authorization: Bearer ${BEARER}" https://x && AWS_ACCESS_KEY_ID=${AWS} aws s3 ls`,
        env: { AWS_ACCESS_KEY_ID: AWS }
      }
    }
    const first = ssgWithInput(JSON.stringify(call), "eval")
    expect(first.stderr).toBe("")
    expect(first.code).toBe(0)
    sb.writeHome("config.toml", "[audit]\ncapture_inputs = true\n")
    const second = ssgWithInput(JSON.stringify(call), "eval")
    expect(second.stderr).toBe("")
    expect(second.code).toBe(0)

    const r = ssg("audit", "log", "--json")
    expect(r.code).toBe(0)
    const log = parseLog(r.stdout)
    expect(log.map((e) => e.seq)).toEqual([1, 2])
    expect(log[0]!.data).not.toHaveProperty("input")
    expect(log[1]!.data).toHaveProperty("input")
    const captured = log[1]!.data["input"] as { command: string; env: { AWS_ACCESS_KEY_ID: string } }
    expect(captured.command).toContain("curl -H")
    expect(captured.command).toContain("[REDACTED")
    expect(captured.env.AWS_ACCESS_KEY_ID).toContain("[REDACTED")
    for (const e of log) {
      expect(e.data["input_sha256"]).toBe(sha256Hex(canonicalBytes(call.input)))
      expect(String(e.data["input_summary"]).length).toBeLessThanOrEqual(200)
      expect(e.data["input_summary"]).toContain("curl -H")
    }

    for (const secret of [BEARER, AWS]) {
      expect(r.stdout).not.toContain(secret)
      expect(auditDbBytes(sb.home).includes(Buffer.from(secret))).toBe(false)
    }
  })

  it("ssg test-rule does not append", () => {
    sb.write("rules/a.rules", RULES)
    const r = ssgWithInput(JSON.stringify(CALLS[2]!.call), "test-rule", "--rule", "log-git", "--rules", "rules")
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ matched: true, rule_id: "log-git" })
    expect(existsSync(join(sb.home, "audit.db"))).toBe(false)
    expect(existsSync(join(sb.home, "checkpoints", "latest"))).toBe(false)
  })

  it("a bad config.toml makes eval exit 2 with config.toml:LINE:COL in one stderr line", () => {
    sb.writeHome("config.toml", "[audit]\ncapture_inputs = tru\n")
    const r = ssgWithInput(JSON.stringify(CALLS[2]!.call), "eval")
    expect(r.code).toBe(2)
    oneStderrLine(r.stderr)
    expect(r.stderr).toMatch(/config\.toml:2:\d+: /)
  })
})

describe("ssg audit verify", () => {
  it("reports a valid 3-entry chain (text and --json, exit 0)", () => {
    useTemplate()
    const r = ssg("audit", "verify")
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split("\n")
    expect(lines[0]).toBe("Chain length: 3 entries")
    expect(lines).toContain(`First entry: #1 ${tplLog[0]!.timestamp} (v1.EvalDecided)`)
    expect(lines).toContain(`Last entry: #3 ${tplLog[2]!.timestamp} (v1.EvalDecided)`)
    expect(lines.at(-1)).toBe("Chain integrity: VALID ✓")
    expect(r.stdout).not.toContain("BROKEN")

    const j = verifyJson()
    expect(j.code).toBe(0)
    expect(j.report).toMatchObject({ valid: true, length: 3, first_broken: null, reason: null, expected: null, got: null })
  })

  it("names entry #2 after one payload byte of it is changed (exit 1, Expected/Got hashes)", () => {
    useTemplate()
    const db = openRaw(join(sb.home, "audit.db"))
    db.exec("DROP TRIGGER entries_no_update")
    const row = db.prepare("SELECT bytes FROM entries WHERE seq = 2").get() as { bytes: Buffer }
    const bytes = Buffer.from(row.bytes)
    const at = bytes.indexOf("/repo/.env")
    expect(at).toBeGreaterThan(0)
    bytes[at + 1] = "R".charCodeAt(0) // "/Repo/.env": still valid JSON, one byte different
    db.prepare("UPDATE entries SET bytes = ? WHERE seq = 2").run(bytes)
    db.close()
    const tamperedLeaf = `sha256:${hex(leafHash(bytes))}`

    const r = ssg("audit", "verify")
    expect(r.code).toBe(1)
    const lines = r.stdout.trimEnd().split("\n")
    expect(lines).toContain("Chain integrity: BROKEN at entry #2")
    expect(r.stdout).not.toContain("VALID")
    const expected = lines.find((l) => l.startsWith("Expected: "))
    const got = lines.find((l) => l.startsWith("Got: "))
    expect(expected).toMatch(/^Expected: sha256:[0-9a-f]{64}$/)
    expect(got).toMatch(/^Got: sha256:[0-9a-f]{64}$/)
    expect(expected).not.toBe(got?.replace("Got", "Expected"))
    expect(expected).toBe(`Expected: ${tplLog[1]!.leaf}`)
    expect(got).toBe(`Got: ${tamperedLeaf}`)

    const j = verifyJson()
    expect(j.code).toBe(1)
    expect(j.report).toMatchObject({ valid: false, first_broken: 2, expected: tplLog[1]!.leaf, got: tamperedLeaf })
    expect(String(j.report!["reason"])).toMatch(/payload/i)
  })

  it("detects a deleted database while checkpoints/latest remains (rolled back, exit 1)", () => {
    useTemplate()
    for (const name of readdirSync(sb.home).filter((n) => n.startsWith("audit.db"))) unlinkSync(join(sb.home, name))
    expect(existsSync(join(sb.home, "checkpoints", "latest"))).toBe(true)
    const j = verifyJson()
    expect(j.code).toBe(1)
    expect(j.report).toMatchObject({ valid: false })
    expect(String(j.report!["reason"])).toMatch(/rolled back/i)
  })

  it("exits 2 with one stderr line naming the database when audit.db is not a database", () => {
    useTemplate()
    const db = join(sb.home, "audit.db")
    writeFileSync(db, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)))
    for (const args of [["audit", "verify"], ["audit", "verify", "--json"]]) {
      const r = ssg(...args)
      expect(r.stdout).toBe("")
      oneStderrLine(r.stderr)
      expect(r.stderr).toContain(db)
      expect(r.code).toBe(2)
    }
  })

  it("needs only keys/signing.pub: an auditor without signing.key gets VALID, and no signing.key is created", () => {
    useTemplate()
    const privatePath = join(sb.home, "keys", "signing.key")
    unlinkSync(privatePath)
    const r = ssg("audit", "verify")
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("Chain integrity: VALID ✓")
    const j = verifyJson()
    expect(j.code).toBe(0)
    expect(j.report).toMatchObject({ valid: true, length: 3 })
    expect(existsSync(privatePath)).toBe(false)
  })

  it("without keys/signing.pub exits 2 with one stderr line naming it, whether or not signing.key is there", () => {
    useTemplate()
    const publicPath = join(sb.home, "keys", "signing.pub")
    const privatePath = join(sb.home, "keys", "signing.key")
    unlinkSync(publicPath)
    for (const removePrivate of [false, true]) {
      if (removePrivate) unlinkSync(privatePath)
      const r = ssg("audit", "verify")
      expect(r.stdout).toBe("")
      oneStderrLine(r.stderr)
      expect(r.stderr).toContain(publicPath)
      expect(r.code).toBe(2)
    }
    expect(existsSync(privatePath)).toBe(false)
    expect(existsSync(publicPath)).toBe(false)
  })

  it("reports a deleted checkpoints/latest as a problem, not VALID (exit 1, text and --json); an empty log without one is valid", () => {
    useTemplate()
    const latest = join(sb.home, "checkpoints", "latest")
    unlinkSync(latest)
    const reason = `no outside checkpoint at ${latest}: a truncation or rollback of the database cannot be detected`
    const r = ssg("audit", "verify")
    expect(r.stderr).toBe("")
    expect(r.code).toBe(1)
    const lines = r.stdout.trimEnd().split("\n")
    expect(lines[0]).toBe("Chain length: 3 entries")
    expect(lines).toContain("Chain integrity: BROKEN")
    expect(lines).toContain(`Reason: ${reason}`)
    expect(r.stdout).not.toContain("VALID")

    const j = verifyJson()
    expect(j.code).toBe(1)
    expect(j.report).toMatchObject({ valid: false, length: 3, first_broken: null, class: "no-outside-checkpoint", reason })

    const empty = realpathSync(mkdtempSync(join(tmpdir(), "ssg-audit-empty-")))
    try {
      expect(ssgAt(sb.cwd, empty, "", "audit", "log").code).toBe(0)
      const e = ssgAt(sb.cwd, empty, "", "audit", "verify", "--json")
      expect(e.stderr).toBe("")
      expect(e.code).toBe(0)
      expect(JSON.parse(e.stdout)).toMatchObject({ valid: true, length: 0 })
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it("names a zeroed tree node (level, index, entries; exit 1) that made `audit proof` receipts wrong", async () => {
    useTemplate()
    const results = await Promise.all(
      range(14).map((i) => ssgAsync(sb.cwd, sb.home, JSON.stringify({ tool: "Bash", input: { command: `echo node-${i}` } }), "eval"))
    )
    for (const e of results) expect(e.code).toBe(0)
    expect(verifyJson().report).toMatchObject({ valid: true, length: 17 })

    const db = openRaw(join(sb.home, "audit.db"))
    const original = (db.prepare("SELECT hash FROM nodes WHERE level = 4 AND idx = 0").get() as { hash: Buffer }).hash
    db.exec("DROP TRIGGER nodes_no_update")
    db.prepare("UPDATE nodes SET hash = zeroblob(32) WHERE level = 4 AND idx = 0").run()
    db.close()

    const p = ssg("audit", "proof", "17")
    expect(p.code).toBe(0)
    const receipt = sb.write("receipt.txt", p.stdout)
    expect(ssg("audit", "verify-receipt", receipt, "--key", vkey).code).toBe(1)

    const r = ssg("audit", "verify")
    expect(r.code).toBe(1)
    const lines = r.stdout.trimEnd().split("\n")
    expect(lines).toContain("Chain integrity: BROKEN at entry #1")
    expect(lines.find((l) => l.startsWith("Reason: "))).toContain("level 4, index 0 (entries #1–#16)")
    expect(lines).toContain(`Expected: sha256:${hex(original)}`)
    expect(lines).toContain(`Got: sha256:${"0".repeat(64)}`)
    const j = verifyJson()
    expect(j.code).toBe(1)
    expect(j.report).toMatchObject({ valid: false, first_broken: 1, class: "tree-node-mismatch" })
  })

  it("--incremental after a full verification starts from the first new entry", () => {
    useTemplate() // verified in full when it was built
    const e = ssgWithInput(JSON.stringify({ tool: "Bash", input: { command: "ls" } }), "eval")
    expect(e.code).toBe(0)
    const r = ssg("audit", "verify", "--incremental")
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split("\n")
    expect(lines[0]).toBe("Chain length: 4 entries")
    expect(lines).toContain("Verified incrementally from entry #4")
    expect(lines.at(-1)).toBe("Chain integrity: VALID ✓")
  })
})

describe("ssg audit log / show", () => {
  it("filters by --type, --limit and --since; a bad --since exits 2", () => {
    useTemplate()
    const text = ssg("audit", "log", "--type", "v1.EvalDecided", "--limit", "2")
    expect(text.stderr).toBe("")
    expect(text.code).toBe(0)
    const lines = text.stdout.trimEnd().split("\n")
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(new RegExp(`^#2 +${tplLog[1]!.timestamp} +v1\\.EvalDecided .*/repo/\\.env$`))
    expect(lines[1]).toMatch(new RegExp(`^#3 +${tplLog[2]!.timestamp} +v1\\.EvalDecided .*git status$`))
    expect(lines[2]).toBe("2 entries")

    const limited = ssg("audit", "log", "--type", "v1.EvalDecided", "--limit", "2", "--json")
    expect(parseLog(limited.stdout).map((e) => e.seq)).toEqual([2, 3])
    const recent = ssg("audit", "log", "--since", "1h", "--json")
    expect(recent.code).toBe(0)
    expect(parseLog(recent.stdout)).toEqual(tplLog)

    const day = tplLog[0]!.timestamp.slice(0, 10)
    expect(parseLog(ssg("audit", "log", "--since", day, "--json").stdout)).toEqual(tplLog)
    expect(parseLog(ssg("audit", "log", "--since", "2999-01-01T00:00Z", "--json").stdout)).toEqual([])
    for (const since of ["yesterday-ish", "0", "1", "2026"]) {
      const bad = ssg("audit", "log", "--since", since)
      expect(bad.code, since).toBe(2)
      expect(bad.stdout).toBe("")
      expect(bad.stderr).toBe(`ssg: --since: cannot read "${since}" (use 30m, 1h, 7d or an ISO date)\n`)
    }
  })

  it("shows one entry by seq or id (text and --json); an unknown seq or id exits 1", () => {
    useTemplate()
    const entry = tplLog[1]!
    const text = ssg("audit", "show", "2")
    expect(text.stderr).toBe("")
    expect(text.code).toBe(0)
    const lines = text.stdout.trimEnd().split("\n")
    expect(lines.at(-2)).toBe(`leaf:  ${entry.leaf}`)
    expect(lines.at(-1)).toBe(`chain: ${entry.chain}`)
    expect(JSON.parse(lines.slice(0, -2).join("\n"))).toEqual(envelopeOf(entry))

    const byId = ssg("audit", "show", entry.id, "--json")
    expect(byId.code).toBe(0)
    expect(JSON.parse(byId.stdout)).toEqual(entry)

    const missing = ssg("audit", "show", "9")
    expect(missing.code).toBe(1)
    expect(missing.stdout).toBe("")
    oneStderrLine(missing.stderr)
  })
})

describe("ssg audit checkpoint / proof / consistency", () => {
  it("prints the newest signed checkpoint, which verifies with the log key at size 3 and the log's root", () => {
    useTemplate()
    const r = ssg("audit", "checkpoint")
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const cp = verifyCheckpoint(r.stdout, vkey)
    expect(cp.origin).toBe(keyName)
    expect(cp.size).toBe(3)
    expect(hex(cp.root)).toBe(hex(rootHash(tplLog.map((e) => fromSha(e.leaf)))))
    expect(readFileSync(join(sb.home, "checkpoints", "latest"), "utf8")).toBe(r.stdout)
  })

  it("audit checkpoint exits 1 on an empty log", () => {
    const r = ssg("audit", "checkpoint")
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    oneStderrLine(r.stderr)
  })

  it("audit proof gives a receipt that verify-receipt checks offline; altered proofs and wrong keys fail", () => {
    useTemplate()
    const p = ssg("audit", "proof", "2")
    expect(p.stderr).toBe("")
    expect(p.code).toBe(0)
    const receipt = sb.write("receipt.txt", p.stdout)

    const pj = ssg("audit", "proof", "2", "--json")
    expect(pj.code).toBe(0)
    const proofJson = JSON.parse(pj.stdout) as { index: number; tree_size: number; proof: Array<string>; checkpoint: string; receipt: string; entry: LoggedEntry }
    expect(proofJson).toMatchObject({ seq: 2, index: 1, tree_size: 3, receipt: p.stdout })
    expect(proofJson.entry).toEqual(tplLog[1])
    const cp = verifyCheckpoint(proofJson.checkpoint, vkey)
    const proof = proofJson.proof.map((h) => new Uint8Array(Buffer.from(h, "hex")))
    expect(verifyInclusion(fromSha(tplLog[1]!.leaf), 1, 3, proof, cp.root)).toBe(true)

    // verify-receipt needs no database: SSG_HOME is an empty directory and stays empty
    const empty = realpathSync(mkdtempSync(join(tmpdir(), "ssg-audit-empty-")))
    try {
      const v = ssgAt(sb.cwd, empty, "", "audit", "verify-receipt", receipt, "--key", vkey)
      expect(v.stderr).toBe("")
      expect(v.code).toBe(0)
      expect(v.stdout).toMatch(new RegExp(`^receipt valid: entry #2 .*${keyName.replace(/[.]/g, "\\.")}.* 3\\n$`))
      expect(readdirSync(empty)).toEqual([])
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }

    // one proof hash altered (still canonical base64 of 32 bytes)
    const lines = p.stdout.split("\n")
    const at = lines.findIndex((l) => l.startsWith("index ")) + 1
    const original = lines[at]!
    expect(fromB64(original)).toHaveLength(32)
    lines[at] = `${original[0] === "A" ? "B" : "A"}${original.slice(1)}`
    const altered = sb.write("altered.txt", lines.join("\n"))
    const a = ssg("audit", "verify-receipt", altered, "--key", vkey)
    expect(a.code).toBe(1)
    expect(a.stdout).toBe("")
    oneStderrLine(a.stderr)

    // another Ed25519 key under the same name
    const spki = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" })
    const otherKey = verifierKey(keyName, new Uint8Array(spki.subarray(spki.length - 32)))
    const w = ssg("audit", "verify-receipt", receipt, "--key", otherKey)
    expect(w.code).toBe(1)
    expect(w.stdout).toBe("")
    oneStderrLine(w.stderr)
    const garbage = ssg("audit", "verify-receipt", receipt, "--key", "garbage")
    expect(garbage).toMatchObject({ code: 2, stdout: "" })
    expect(garbage.stderr).toBe("ssg: --key: verifier key must be <name>+<key id>+<key>\n")
  })

  it("audit consistency proofs verify with Merkle.verifyConsistency; sizes beyond the log exit 2", () => {
    useTemplate()
    const leaves = tplLog.map((e) => fromSha(e.leaf))
    const root3 = rootHash(leaves)

    const t = ssg("audit", "consistency", "1")
    expect(t.stderr).toBe("")
    expect(t.code).toBe(0)
    const lines = t.stdout.trimEnd().split("\n")
    const oldLine = /^old (\d+) (\S+)$/.exec(lines[0]!)
    const newLine = /^new (\d+) (\S+)$/.exec(lines[1]!)
    expect(oldLine?.[1]).toBe("1")
    expect(newLine?.[1]).toBe("3")
    const oldRoot = fromB64(oldLine![2]!)
    const newRoot = fromB64(newLine![2]!)
    expect(hex(oldRoot)).toBe(hex(rootHash(leaves.slice(0, 1))))
    expect(hex(newRoot)).toBe(hex(root3))
    expect(verifyConsistency(1, 3, oldRoot, newRoot, lines.slice(2).map(fromB64))).toBe(true)

    const j = ssg("audit", "consistency", "1", "3", "--json")
    expect(j.code).toBe(0)
    const c = JSON.parse(j.stdout) as { old_size: number; new_size: number; old_root: string; new_root: string; proof: Array<string> }
    expect(c).toMatchObject({ old_size: 1, new_size: 3, old_root: `sha256:${hex(oldRoot)}`, new_root: `sha256:${hex(root3)}` })
    const proof = c.proof.map((h) => new Uint8Array(Buffer.from(h, "hex")))
    expect(verifyConsistency(1, 3, fromSha(c.old_root), fromSha(c.new_root), proof)).toBe(true)
    expect(verifyConsistency(1, 3, fromSha(c.new_root), fromSha(c.new_root), proof)).toBe(false)

    const bad = ssg("audit", "consistency", "5")
    expect(bad.code).toBe(2)
    expect(bad.stdout).toBe("")
    oneStderrLine(bad.stderr)
  })
})

describe("concurrent appends", () => {
  it("8 parallel ssg eval processes × 5 rounds: 40 entries, seq 1..40, unique ids, chain valid", async () => {
    useTemplateKey()
    const commands: Array<string> = []
    for (let round = 0; round < 5; round++) {
      const batch = range(8).map((i) => `echo round-${round}-proc-${i}`)
      commands.push(...batch)
      const results = await Promise.all(
        batch.map((command) => ssgAsync(sb.cwd, sb.home, JSON.stringify({ tool: "Bash", input: { command } }), "eval"))
      )
      for (const r of results) {
        expect(r.stderr).toBe("")
        expect(r.code).toBe(0)
      }
    }
    const j = verifyJson()
    expect(j.code).toBe(0)
    expect(j.report).toMatchObject({ valid: true, length: 40, first_broken: null })
    const log = logJson()
    expect(log.map((e) => e.seq)).toEqual(range(40))
    expect(new Set(log.map((e) => e.id)).size).toBe(40)
    expect(log.map((e) => String(e.data["input_summary"])).sort()).toEqual([...commands].sort())
    // the newest checkpoint is also the one outside the database
    const latest = verifyCheckpoint(readFileSync(join(sb.home, "checkpoints", "latest"), "utf8"), vkey)
    expect(latest.size).toBe(40)
  }, 180_000)

  it("first use: 8 parallel evals on an empty SSG_HOME all sign with the one key that ends up on disk", async () => {
    const results = await Promise.all(
      range(8).map((i) => ssgAsync(sb.cwd, sb.home, JSON.stringify({ tool: "Bash", input: { command: `echo first-${i}` } }), "eval"))
    )
    for (const r of results) {
      expect(r.stderr).toBe("")
      expect(r.code).toBe(0)
    }
    const log = logJson()
    expect(log.map((e) => e.seq)).toEqual(range(8))
    // each entry names the key that signed its checkpoint: one key for all, and `audit verify` checks it is the one on disk
    expect(log.map((e) => e.source["log_id"])).toEqual(range(8).map(() => log[0]!.source["log_id"]))
    const j = verifyJson()
    expect(j.report).toMatchObject({ valid: true, length: 8 })
    expect(j.code).toBe(0)
  }, 120_000)
})

/** A loop that runs `ssg eval` sequentially forever, printing each exit status (run detached, killed by process group). */
const LOOP = `import { spawnSync } from "node:child_process"
const [bin, tag] = process.argv.slice(2)
for (let i = 0; ; i++) {
  const input = JSON.stringify({ tool: "Bash", input: { command: "echo " + tag + "-" + i } })
  const r = spawnSync(process.execPath, [bin, "eval"], { input, stdio: ["pipe", "ignore", "ignore"] })
  process.stdout.write(String(r.status) + "\\n")
}
`

/** Whether any live (non-zombie) process is in process group `pgid`. */
const groupAlive = (pgid: number): boolean => {
  if (!existsSync("/proc/self/stat")) {
    try {
      process.kill(-pgid, 0)
      return true
    } catch {
      return false
    }
  }
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    } catch {
      continue
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    if (Number(fields[2]) === pgid && fields[0] !== "Z") return true
  }
  return false
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("crash during appends", () => {
  it("SIGKILL of 4 streams of ssg eval at 3 different moments leaves a valid chain with no seq gaps", async () => {
    useTemplateKey()
    const loopPath = sb.write("loop.mjs", LOOP)
    let acked = 0
    let previous = 0
    const delays = [0, 250, 700]
    for (const [cycle, delay] of delays.entries()) {
      const loops = range(4).map((i) => {
        const child = spawn(process.execPath, [loopPath, BIN, `c${cycle}-l${i}`], {
          cwd: sb.cwd,
          env: { ...process.env, SSG_HOME: sb.home, SSG_DEBUG: "" },
          detached: true,
          stdio: ["ignore", "pipe", "ignore"]
        })
        const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()))
        return { child, exited }
      })
      try {
        let firstAck: () => void = () => {}
        const firstAcked = new Promise<void>((resolve) => (firstAck = resolve))
        for (const { child } of loops) {
          let pending = ""
          child.stdout!.setEncoding("utf8").on("data", (d: string) => {
            const lines = (pending + d).split("\n")
            pending = lines.pop()!
            const ok = lines.filter((s) => s === "0").length
            acked += ok
            if (ok > 0) firstAck()
          })
        }
        await Promise.race([firstAcked, sleep(30_000)])
        await sleep(delay)
      } finally {
        for (const { child } of loops) {
          try {
            process.kill(-child.pid!, "SIGKILL")
          } catch {
            // already gone
          }
        }
      }
      await Promise.all(loops.map((l) => l.exited))
      const deadline = Date.now() + 5_000
      while (loops.some(({ child }) => groupAlive(child.pid!)) && Date.now() < deadline) await sleep(20)

      const j = verifyJson()
      expect(j.stderr).toBe("")
      expect(j.code).toBe(0)
      expect(j.report).toMatchObject({ valid: true, first_broken: null })
      const seqs = logJson().map((e) => e.seq)
      const n = seqs.length
      expect(seqs).toEqual(range(n))
      expect(j.report!["length"]).toBe(n)
      // every acknowledged append is there, at least one per cycle; at most 4 unacknowledged ones per kill
      expect(n).toBeGreaterThanOrEqual(Math.max(1, acked, previous + 1))
      expect(n).toBeLessThanOrEqual(acked + 4 * (cycle + 1))
      previous = n
    }
  }, 120_000)
})
