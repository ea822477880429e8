// The package's entry points resolve by name (package.json "exports") and
// expose what the README shows a service and a tool using.

import { describe, expect, it } from "vitest";

describe("package entry points", () => {
  it("pol, pol/runtime, pol/language, pol/compiler", async () => {
    const root = await import("pol");
    const runtime = await import("pol/runtime");
    const language = await import("pol/language");
    const compiler = await import("pol/compiler");
    expect(typeof runtime.Engine.load).toBe("function");
    expect(typeof runtime.PolicyDenied).toBe("function");
    expect(typeof root.Engine).toBe("function");
    expect(typeof language.loadText).toBe("function");
    expect(typeof compiler.compilePolicy).toBe("function");
    const l = language.loadText("tool t { n: number }\nallow t if args.n < 3\n", "x.pol");
    expect(language.evaluate(l.checked!, { tool: "t", args: { n: 1 } }).effect).toBe("allow");
  });
});
