// The compiler as a library: a checked policy to a standalone .wasm with its
// manifest. Exported as `pol/compiler`; used by `pol compile` and the runtime.

export { compilePolicy, compileBatch, compileLoaded, type Compiled } from "./compile.js";
export { readManifest, SECTION, type Manifest } from "./manifest.js";
export { ABI_VERSION } from "./emit.js";
export { stopCompiler } from "./asc.js";
