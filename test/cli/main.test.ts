import { describe, expect, it } from "vitest"
import { useCliSandbox } from "../support/cli.js"

const sb = useCliSandbox("ssg-main")

describe("ssg command dispatch", () => {
  it("an unknown subcommand of a group exits 2 with one line listing that group's subcommands", () => {
    const sinks = sb.ssg("sinks", "frob")
    expect(sinks).toMatchObject({ code: 2, stdout: "" })
    expect(sinks.stderr).toBe(`ssg: unknown command "ssg sinks frob": use one of 'dlq', 'list', 'replay', 'run', 'status', 'test'\n`)
    const audit = sb.ssg("audit", "nope")
    expect(audit.code).toBe(2)
    expect(audit.stderr).toMatch(/^ssg: unknown command "ssg audit nope": use one of 'checkpoint', .*'verify-stream'\n$/)
  })
  it("an unknown top-level command exits 2 listing the top-level commands", () => {
    const r = sb.ssg("frob")
    expect(r.code).toBe(2)
    expect(r.stderr.split("\n").filter((l) => l !== "")).toHaveLength(1)
    expect(r.stderr).toMatch(/^ssg: Invalid subcommand for ssg - use one of 'eval', .*'sinks'/)
  })
})
