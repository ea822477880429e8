// The pol package: the runtime a service embeds, plus the front end and the
// compiler for tools. `pol/runtime`, `pol/language` and `pol/compiler` give
// each part alone.

export * from "./runtime/index.js";
export { loadFile, loadText, check, parse, formatSource, evaluate as interpret, renderDiagnostics, Sink } from "./language/index.js";
export { compileFile, compileText, compileErrors, compilePolicy, readManifest, ABI_VERSION } from "./compiler/index.js";
