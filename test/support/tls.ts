import { spawnSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"

/** A test certificate authority and a server certificate it signed for 127.0.0.1 (PEM files and contents). */
export interface TestCertificates {
  readonly caFile: string
  readonly key: string
  readonly cert: string
}

const openssl = (dir: string, ...args: Array<string>): void => {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" })
  if (r.error !== undefined || r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.error?.message ?? r.stderr}`)
}

/** Whether the `openssl` command is installed (the TLS tests need it to make certificates). */
export const hasOpenssl = (): boolean => spawnSync("openssl", ["version"]).status === 0

/** Makes, in `dir`, a CA named `name` and a server certificate for IP 127.0.0.1 and localhost signed by it. */
export const makeCertificates = (dir: string, name: string): TestCertificates => {
  const ca = (file: string) => join(dir, `${name}-${file}`)
  openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
    "-subj", `/CN=${name} test CA`, "-keyout", ca("ca.key"), "-out", ca("ca.pem"))
  openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
    "-keyout", ca("server.key"), "-out", ca("server.csr"))
  writeFileSync(ca("server.ext"), "subjectAltName = IP:127.0.0.1, DNS:localhost\n")
  openssl(dir, "x509", "-req", "-in", ca("server.csr"), "-CA", ca("ca.pem"), "-CAkey", ca("ca.key"), "-CAcreateserial",
    "-days", "2", "-extfile", ca("server.ext"), "-out", ca("server.pem"))
  return { caFile: ca("ca.pem"), key: readFileSync(ca("server.key"), "utf8"), cert: readFileSync(ca("server.pem"), "utf8") }
}
