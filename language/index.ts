// The language front end as a library: parse, check, format, interpret, and
// render diagnostics. Exported as `pol/language`; the CLI and tools use it.

export { parse, parseExpression } from "./parse.js";
export { check } from "./check.js";
export { loadFile, loadText, type Loaded } from "./load.js";
export { evaluate, metaFor } from "./interpret.js";
export { validateCall, type ValidateOptions, type Input } from "./validate.js";
export { format, formatSource, type FormatResult } from "./format.js";
export { Sink, type Diagnostic, type Severity } from "./diagnostics.js";
export { CODES, type Code } from "./codes.js";
export { renderDiagnostic, renderDiagnostics, diagnosticsToJson, summary } from "./render.js";
export type * as AST from "./ast.js";
export type { Call, Decision, RuleRef, LimitUse } from "./call.js";
export type { CheckedPolicy } from "./checked.js";
