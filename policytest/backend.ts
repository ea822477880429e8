// The backend `pol test` runs cases on: the compiled module through the
// runtime. Stateless cases need only the WasmPolicy; the audit view applies
// the same redaction the runtime's audit log does.

import { redact } from "../runtime/audit/index.js";
import { WasmPolicy } from "../runtime/loader.js";
import type { Backend } from "./run.js";

export function engineBackend(): Backend {
  return {
    async prepare(wasm) {
      const policy = await WasmPolicy.fromBytes(wasm);
      return {
        meta: policy.meta,
        async open(state) {
          if (state.limits.length || state.paused.length || Object.keys(state.trust).length) throw new Error("case state needs the runtime engine");
          return {
            async decide(call) {
              const decision = policy.evaluate(call);
              return { decision, audit: redact({ args: call["args"] }, decision.redact) };
            },
            async close() {},
          };
        },
      };
    },
  };
}
