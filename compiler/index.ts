// The compiler as a library: a checked policy to a standalone .wasm with its
// manifest. Exported as `pol/compiler`; used by `pol compile` and the runtime.

export { compileFile, compileText, compileErrors, type Compilation, type CompileFileOptions } from "./compile-file.js";
export { compilePolicy, compileBatch, type Compiled } from "./compile.js";
export { readManifest, metaFromManifest, SECTION, type Manifest } from "./manifest.js";
export { ABI_VERSION, EXPORTS } from "./abi.js";
export { stopCompiler } from "./asc.js";
