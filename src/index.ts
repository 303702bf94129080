/** Library entry: the .rules language (parse, evaluate) for other tools and conformance tests. */
export { parseRulesFile } from "./domain/rules/Parser.js"
export { compileRuleSet } from "./domain/rules/Evaluate.js"
export type { Rule, RulesFile, Diagnostic } from "./domain/rules/Rule.js"
