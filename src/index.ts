/** Library entry: the Merkle tree and C2SP checkpoints of the audit log, and the .rules language, for other tools and conformance tests. */
export * as Checkpoint from "./domain/Checkpoint.js"
export * as Merkle from "./domain/Merkle.js"
export { parseRulesFile } from "./domain/rules/Parser.js"
export { compileRuleSet } from "./domain/rules/Evaluate.js"
export type { Rule, RulesFile, Diagnostic } from "./domain/rules/Rule.js"
