import { readFileSync } from "node:fs"
import { expect } from "vitest"
import type { ConfigPlan, FileWrite, HealthCheck, HookRequest, HookResult, ParseResult } from "../../src/adapters/Adapter.js"

/** The text of a recorded payload under test/adapters/fixtures. */
export const fixture = (client: string, name: string): string =>
  readFileSync(new URL(`./fixtures/${client}/${name}.json`, import.meta.url), "utf8")

/** The request of a parse that must succeed. */
export const parsed = (result: ParseResult): HookRequest => {
  if (!result.ok) throw new Error(`expected a parsed request, got ${result.kind}: ${result.error}`)
  return result.request
}

/** The failure of a parse that must fail. */
export const failure = (result: ParseResult): { kind: string; error: string } => {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.request)}`)
  return { kind: result.kind, error: result.error }
}

/** Evaluation results of each kind, as the hook hands them to an adapter. */
export const RESULTS = {
  block: { decision: "block", ruleId: "no-rm-rf", reason: "Deleting the root directory is blocked." },
  force: {
    decision: "force",
    ruleId: "use-read-tool",
    reason: "cat is slower than the Read tool.",
    substitute: "Use the Read tool with the file's path."
  },
  ask: { decision: "ask", ruleId: "ask-publish", reason: "Publishing needs a person.", prompt: "Publish version 2.0.0 of shop?" },
  allow: { decision: "allow", ruleId: null, reason: null },
  allowRule: { decision: "allow", ruleId: "allow-env-template", reason: "Templates hold no secrets." },
  log: { decision: "log", ruleId: "log-git", reason: "git used" },
  shadow: { decision: "shadow", ruleId: "shadow-push", reason: "push seen" }
} as const satisfies Record<string, HookResult>

/** An in-memory directory tree: absolute path to contents, absent paths are missing files. */
export type Tree = Readonly<Record<string, string>>

/** The contents a plan reads from a tree. */
export const readsOf = (files: ReadonlyArray<string>, tree: Tree): Record<string, string | null> =>
  Object.fromEntries(files.map((f) => [f, tree[f] ?? null]))

/** The writes a plan asks for on a tree (it must succeed). */
export const writesOf = (plan: ConfigPlan, tree: Tree): Readonly<Record<string, FileWrite>> => {
  const result = plan.apply(readsOf(plan.files, tree))
  if (!result.ok) throw new Error(result.error)
  return result.writes
}

/** A tree after a plan's writes. */
export const applyPlan = (plan: ConfigPlan, tree: Tree): Tree => {
  const next: Record<string, string> = { ...tree }
  for (const [path, write] of Object.entries(writesOf(plan, tree))) {
    if (write === "delete") delete next[path]
    else next[path] = write.contents
  }
  return next
}

/** The report of a health check on a tree. */
export const healthOf = (check: HealthCheck, tree: Tree) => check.check(readsOf(check.files, tree))

/** Installs twice and uninstalls: the second install writes nothing and uninstalling gives back the tree exactly. */
export const expectRoundTrip = (
  install: ConfigPlan,
  uninstall: ConfigPlan,
  before: Tree
): { readonly installed: Tree } => {
  const installed = applyPlan(install, before)
  expect(installed).not.toEqual(before)
  expect(writesOf(install, installed)).toEqual({})
  const removed = applyPlan(uninstall, installed)
  expect(removed).toEqual(before)
  expect(writesOf(uninstall, removed)).toEqual({})
  return { installed }
}
