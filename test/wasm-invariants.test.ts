// Invariants of compiled policy modules that the conformance corpus cannot
// show: memory stays flat over a million decisions, regex matching is linear,
// compilation is deterministic, and loading and evaluation fail closed on
// corrupt modules, traps and hostile calls. Drives compiler/ and runtime/loader.ts.

import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { compileAssemblyScript } from "../compiler/asc.js";
import { compilePolicy, type Compiled } from "../compiler/compile.js";
import { SECTION, appendCustomSection } from "../compiler/manifest.js";
import type { Decision } from "../language/call.js";
import type { CheckedPolicy } from "../language/checked.js";
import { Sink } from "../language/diagnostics.js";
import { evaluate } from "../language/interpret.js";
import { loadText } from "../language/load.js";
import { PolicyLoadError, WasmPolicy } from "../runtime/loader.js";
import { sections, withoutCustomSection } from "./support/wasm-bytes.js";

function check(src: string, file = "inv.pol"): CheckedPolicy {
  const l = loadText(src, file);
  expect(l.sink.errors.map((d) => d.message)).toEqual([]);
  return l.checked!;
}

async function compile(p: CheckedPolicy): Promise<Compiled> {
  const sink = new Sink();
  const c = await compilePolicy(p, sink);
  expect(sink.errors.map((d) => d.message)).toEqual([]);
  return c!;
}

/** A module compiled from hand-modified generated source (which still carries the digest of `m`), with `m` as its manifest. */
function withManifest(code: Uint8Array, m: Compiled["manifest"]): Uint8Array {
  return appendCustomSection(code, SECTION, new TextEncoder().encode(JSON.stringify(m)));
}

/** Calls `f` and returns what it returned or threw, so a throw is an assertion failure with the error, not a crash. */
function outcome(f: () => Decision): Decision | { threw: string } {
  try {
    return f();
  } catch (e) {
    return { threw: String((e as Error)?.stack ?? e) };
  }
}

// -------------------------------------------------------------- memory stays flat

const MEMORY_POLICY = `
policy memory
tool email.send { to: list<string>, subject: string, body: string }
tool text.check { s: string, url: string }
let internal = ["acme.com", "acme.io"]
internal_mail: allow email.send if all r in args.to: domain(r) in internal
urgent: approve email.send if lower(args.subject) =~ /urgent|asap/
pii: deny email.send if has_pii(args.body)
shout: deny text.check if upper(trim(args.s)) == args.s and len(args.s) > 3
ours: allow text.check if ends_with(host(args.url), ".acme.com") and lower(args.s) != "x"
limit email.send sum len(args.to) 100 per hour per agent
`;

/** A fixed mix: derived strings of several lengths (the scratch arena), lists, schema denials, unknown tools. */
function memoryCalls(): unknown[] {
  const calls: unknown[] = [];
  for (let k = 0; k < 8; k++) {
    const word = "Ab".repeat(1 + k * 6);
    calls.push({ tool: "email.send", args: { to: Array.from({ length: k + 1 }, (_, i) => `user${i}@${(i + k) % 3 ? "ACME.io" : "gmail.com"}`), subject: k % 3 ? `Hello ${word}` : `URGENT ${word}`, body: k % 4 ? "thanks" : "call 415-555-2671" }, agent: { id: `bot-${k}` } });
    calls.push({ tool: "text.check", args: { s: k % 2 ? word.toUpperCase() : word, url: `https://User@Sub${k}.ACME.com:8080/${word}` } });
  }
  calls.push({ tool: "unknown.tool", args: { anything: "x".repeat(500) } });
  calls.push({ tool: "email.send", args: { to: "not a list", subject: "s", body: "b" } });
  return calls;
}

describe("memory", () => {
  it("returns to its baseline after one huge call (a fresh instance), and decisions go on unchanged", async () => {
    const checked = check("tool t { s: list<string> }\nallow t if any x in args.s: x == \"a\"\n");
    const p = await WasmPolicy.fromBytes((await compile(checked)).wasm);
    expect(p.evaluate({ tool: "t", args: { s: ["a"] } }).effect).toBe("allow");
    const baseline = p.memoryBytes;
    expect(baseline).toBeLessThan(WasmPolicy.RENEW_BYTES);
    // 12 strings of 900,000 characters: each under maxString, 21.6 MB of UTF-16 in all.
    const huge = { tool: "t", args: { s: Array.from({ length: 12 }, (_, i) => String.fromCharCode(98 + i).repeat(900_000)) } };
    expect(p.evaluate(huge).effect).toBe("deny");
    expect(p.memoryBytes).toBe(baseline);
    expect(p.evaluate({ tool: "t", args: { s: ["b", "a"] } }).effect).toBe("allow");
    expect(p.evaluate({ tool: "t", args: { s: ["b"] } }).effect).toBe("deny");
  });

  it("stays flat over 1,000,000 evaluations after the first pass over the call mix", async () => {
    const checked = check(MEMORY_POLICY);
    const wasm = await WasmPolicy.fromBytes((await compile(checked)).wasm);
    const memory = (wasm as unknown as { ex: { memory: WebAssembly.Memory } }).ex.memory;
    expect(memory).toBeInstanceOf(WebAssembly.Memory);
    const calls = memoryCalls();
    // Warm-up: every call once, checked against the interpreter so a module that never ran cannot pass.
    for (const c of calls) expect(wasm.evaluate(c)).toEqual(evaluate(checked, c));
    const before = memory.buffer.byteLength;
    const effects = { allow: 0, deny: 0, approve: 0 };
    const N = 1_000_000;
    for (let i = 0; i < N; i++) effects[wasm.evaluate(calls[i % calls.length])!.effect]++;
    expect(memory.buffer.byteLength).toBe(before);
    // The mix exercises every effect, and the last pass still agrees with the interpreter.
    expect(effects.allow).toBeGreaterThan(0);
    expect(effects.deny).toBeGreaterThan(0);
    expect(effects.approve).toBeGreaterThan(0);
    for (const c of calls) expect(wasm.evaluate(c)).toEqual(evaluate(checked, c));
  }, 120_000);
});

// ------------------------------------------------------------------ regex is linear

describe("regex matching through the wasm", () => {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

  it.each([
    ["(a|a)*b", "alt"],
    ["(a*)*b", "star"],
  ])("/%s/ takes time linear in the input (100k/10k ratio < 30)", async (re, tool) => {
    const checked = check(`default allow\ntool ${tool} { x: string }\nevil: deny ${tool} if args.x =~ /${re}/\n`);
    const wasm = await WasmPolicy.fromBytes((await compile(checked)).wasm);
    // The regex really runs: a b after the as matches, none does not.
    expect(wasm.evaluate({ tool, args: { x: "aaab" } }).effect).toBe("deny");
    const time = (x: string): number => {
      const call = { tool, args: { x } };
      const REPS = 20;
      const t0 = performance.now();
      for (let i = 0; i < REPS; i++) if (wasm.evaluate(call).effect !== "allow") throw new Error("unexpected match");
      return performance.now() - t0;
    };
    const small = "a".repeat(10_000);
    const large = "a".repeat(100_000);
    // Warm-up (JIT, memory growth for the large input), then alternate sizes so noise hits both alike.
    for (let i = 0; i < 3; i++) {
      time(small);
      time(large);
    }
    // Each run times both sizes back to back and yields one ratio; the median of the runs' ratios is robust to
    // load changing over the test (other test files run on the same cores).
    const ratios: number[] = [];
    const smalls: number[] = [];
    const larges: number[] = [];
    for (let run = 0; run < 11; run++) {
      const ts = time(small);
      const tl = time(large);
      smalls.push(ts);
      larges.push(tl);
      ratios.push(tl / Math.max(ts, 1e-3));
    }
    // Linear is about 10 (a little more from cache effects on the 200 KB input); backtracking would be 100 or more.
    expect(median(ratios), `ratios ${ratios.map((r) => r.toFixed(1)).join(" ")}; median ms 10k ${median(smalls).toFixed(3)}, 100k ${median(larges).toFixed(3)}`).toBeLessThan(30);
  }, 60_000);
});

// ------------------------------------------------------------------- determinism

describe("determinism", () => {
  it("compiling the same policy twice gives identical bytes and hash", async () => {
    // Two separate parses, so no state shared through the AST can make them equal by accident.
    const a = await compile(check(MEMORY_POLICY));
    const b = await compile(check(MEMORY_POLICY));
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(b.wasm).equals(Buffer.from(a.wasm))).toBe(true);
    expect(b.hash).toBe(a.hash);
    const [wa, wb] = [await WasmPolicy.fromBytes(a.wasm), await WasmPolicy.fromBytes(b.wasm)];
    expect(wb.hash).toBe(wa.hash);
    expect(wa.hash).toBe(a.hash);
  }, 60_000);

  it("a different policy gives a different hash", async () => {
    const a = await compile(check(MEMORY_POLICY));
    const b = await compile(check(MEMORY_POLICY.replace("100 per hour", "101 per hour")));
    expect(b.hash).not.toBe(a.hash);
  }, 60_000);
});

// ------------------------------------------------------------------- fail closed

const TWO_TOOLS = `
default allow
tool boom { n: number }
tool calm { n: number }
deny boom if args.n > 1
deny calm if args.n > 1
`;

describe("loading fails closed", () => {
  let good: Compiled;
  beforeAll(async () => {
    good = await compile(check(TWO_TOOLS));
  }, 60_000);

  async function rejection(bytes: Uint8Array): Promise<string> {
    const r = await WasmPolicy.fromBytes(bytes).then(
      () => "loaded",
      (e: unknown) => e,
    );
    expect(r).toBeInstanceOf(PolicyLoadError);
    return (r as Error).message;
  }

  it("the unmodified module loads and decides (the baseline the other cases break)", async () => {
    const w = await WasmPolicy.fromBytes(good.wasm);
    expect(w.evaluate({ tool: "boom", args: { n: 2 } }).effect).toBe("deny");
    expect(sections(good.wasm).filter((s) => s.name === SECTION)).toHaveLength(1);
  });

  it("rejects a module with a flipped magic number", async () => {
    const bad = good.wasm.slice();
    bad[1] ^= 0xff;
    expect(await rejection(bad)).toMatch(/not a valid WebAssembly module/);
  });

  it("rejects a truncated module", async () => {
    expect(await rejection(good.wasm.slice(0, good.wasm.length >> 1))).toMatch(/not a valid WebAssembly module/);
  });

  it("rejects a module whose code section has flipped bytes", async () => {
    const code = sections(good.wasm).find((s) => s.id === 10)!;
    const bad = good.wasm.slice();
    // Overwrite the code section's body sizes with garbage: the module no longer validates.
    for (let i = code.start + 1; i < code.start + 9; i++) bad[i] ^= 0xff;
    expect(await rejection(bad)).toMatch(/not a valid WebAssembly module/);
  });

  it("rejects a module without the manifest", async () => {
    const bare = withoutCustomSection(good.wasm, SECTION);
    expect(bare.length).toBeLessThan(good.wasm.length);
    expect(await rejection(bare)).toMatch(/no pol manifest/);
  });

  it("rejects a module with a corrupt manifest", async () => {
    const bad = good.wasm.slice();
    const at = Buffer.from(bad).indexOf('{"abi":');
    expect(at).toBeGreaterThan(0);
    bad[at] = 0x58; // 'X': no longer JSON
    expect(await rejection(bad)).toMatch(/manifest is corrupt/);
  });

  it("rejects a module with two manifests", async () => {
    const twice = appendCustomSection(good.wasm, SECTION, new TextEncoder().encode(JSON.stringify(good.manifest)));
    expect(await rejection(twice)).toMatch(/more than one pol manifest/);
  });

  it("rejects a manifest with the wrong abi, saying which", async () => {
    const forged = appendCustomSection(withoutCustomSection(good.wasm, SECTION), SECTION, new TextEncoder().encode(JSON.stringify({ ...good.manifest, abi: 999 })));
    const message = await rejection(forged);
    expect(message).toMatch(/ABI 999/);
    expect(message).toMatch(new RegExp(`ABI ${good.manifest.abi}`));
  });

  it("rejects a module whose POL_ABI export is not the runtime's", async () => {
    // The module re-exports POL_ABI from wasm/abi.ts; a forged module declares its own instead.
    const source = good.source.replace(/export \{ POL_ABI, pol_input \} from "([^"]+)";/, 'export { pol_input } from "$1";\nexport const POL_ABI: i32 = 999;');
    expect(source).not.toBe(good.source);
    const r = await compileAssemblyScript(source);
    expect(r.errors).toBe("");
    expect(await rejection(withManifest(r.wasm!, good.manifest))).toMatch(/does not export pol ABI/);
  }, 60_000);

  it("rejects a manifest that does not belong to its code (a lax manifest on strict code)", async () => {
    // The review's case: the same code, with the manifest's deny rules turned into allows.
    const lax = { ...good.manifest, rules: good.manifest.rules.map((r) => ({ ...r, effect: "allow" as const })) };
    const forged = appendCustomSection(withoutCustomSection(good.wasm, SECTION), SECTION, new TextEncoder().encode(JSON.stringify(lax)));
    expect(await rejection(forged)).toMatch(/manifest does not belong to its code \(manifest hash mismatch\)/);
    // Any other change to the manifest, even one that leaves decisions alone, is caught too.
    const renamed = appendCustomSection(withoutCustomSection(good.wasm, SECTION), SECTION, new TextEncoder().encode(JSON.stringify({ ...good.manifest, policy: { ...good.manifest.policy, name: "renamed" } })));
    expect(await rejection(renamed)).toMatch(/manifest hash mismatch/);
  });

  it("rejects code that does not carry its manifest's hash", async () => {
    const source = good.source.replace(/export function pol_manifest\(\): usize \{ return MD; \}/, "");
    expect(source).not.toBe(good.source);
    const r = await compileAssemblyScript(source);
    expect(r.errors).toBe("");
    expect(await rejection(withManifest(r.wasm!, good.manifest))).toMatch(/does not carry the hash of its manifest/);
  }, 60_000);

  it("expectHash pins the exact module", async () => {
    const hash = createHash("sha256").update(good.wasm).digest("hex");
    await expect(WasmPolicy.fromBytes(good.wasm, { expectHash: hash.toUpperCase() })).resolves.toBeInstanceOf(WasmPolicy);
    const other = await compile(check("tool t { n: number }\nallow t\n", "other.pol"));
    await expect(WasmPolicy.fromBytes(other.wasm, { expectHash: hash })).rejects.toThrow(/not the expected .*refusing to load a policy other than the one pinned/);
  });
});

describe("evaluation fails closed", () => {
  let trapping: WasmPolicy;
  beforeAll(async () => {
    const good = await compile(check(TWO_TOOLS));
    // The same module, except that deciding a `boom` call executes `unreachable` (a wasm trap).
    const boomId = good.manifest.tools.find((t) => t.name === "boom")!.id;
    const source = good.source.replace(`function t${boomId}(): i32 {`, `function t${boomId}(): i32 {\n  unreachable();`);
    expect(source).not.toBe(good.source);
    const r = await compileAssemblyScript(source);
    expect(r.errors).toBe("");
    trapping = await WasmPolicy.fromBytes(withManifest(r.wasm!, good.manifest));
  }, 60_000);

  it("a trap in decide is a deny decided by error, not an exception", () => {
    const d = outcome(() => trapping.evaluate({ tool: "boom", args: { n: 0 } }));
    expect(d).toMatchObject({ effect: "deny", decidedBy: "error", rules: [], matched: [], limits: [] });
    expect((d as Decision).reasons.join(" ")).toMatch(/policy module failed/);
  });

  it("the instance keeps deciding other tools correctly after traps", () => {
    for (let i = 0; i < 100; i++) trapping.evaluate({ tool: "boom", args: { n: i } });
    expect(trapping.evaluate({ tool: "calm", args: { n: 2 } })).toMatchObject({ effect: "deny", decidedBy: "rule" });
    expect(trapping.evaluate({ tool: "calm", args: { n: 0 } })).toMatchObject({ effect: "allow", decidedBy: "default" });
    expect(trapping.evaluate({ tool: "boom", args: { n: 0 } })).toMatchObject({ effect: "deny", decidedBy: "error" });
  });
});

// ---------------------------------------------------------------- hostile calls

const HOSTILE_POLICY = `
default deny
tool t { s: string, n: number, xs: list<list<number>> }
trusted: allow t if agent.trust > 50
low: allow t if lower(args.s) == "x"
`;

describe("hostile calls through the wasm", () => {
  let checked: CheckedPolicy;
  let wasm: WasmPolicy;
  beforeAll(async () => {
    checked = check(HOSTILE_POLICY);
    wasm = await WasmPolicy.fromBytes((await compile(checked)).wasm);
  }, 60_000);

  let deepList: unknown = 1;
  for (let i = 0; i < 1000; i++) deepList = [deepList];
  let deepObject: unknown = {};
  for (let i = 0; i < 1000; i++) deepObject = { a: deepObject };
  const tenMB = "a".repeat(10 * 1024 * 1024);
  const throwing = new Proxy({}, {
    get() { throw new Error("hostile get"); },
    has() { throw new Error("hostile has"); },
    ownKeys() { throw new Error("hostile keys"); },
    getOwnPropertyDescriptor() { throw new Error("hostile descriptor"); },
  });

  // [name, call, the decidedBy it must have, a pattern its reason must match]
  const cases: [string, () => unknown, Decision["decidedBy"], RegExp][] = [
    ["a 10 MB string argument", () => ({ tool: "t", args: { s: tenMB, n: 1, xs: [] } }), "schema", /`args\.s` is longer than/],
    ["a 10 MB tool name", () => ({ tool: tenMB }), "schema", /`tool` is longer than/],
    ["a 10 MB env", () => ({ tool: "t", args: { s: "x", n: 1, xs: [] }, env: tenMB }), "schema", /`env` is longer than/],
    ["a 10 MB string in an undeclared tool's opaque args", () => ({ tool: "zz", args: { s: tenMB } }), "default", /no rule matched `zz`/],
    ["1,000-deep nested lists in a typed list", () => ({ tool: "t", args: { s: "x", n: 1, xs: deepList } }), "schema", /`args\.xs\[0\]\[0\]` must be a finite number, found a list/],
    ["a 1,000-deep object where a string is declared", () => ({ tool: "t", args: { s: deepObject, n: 1, xs: [] } }), "schema", /`args\.s` must be a string, found an object/],
    ["a 1,000-deep object as an extra argument", () => ({ tool: "t", args: { s: "x", n: 1, xs: [], deep: deepObject } }), "schema", /undeclared field `deep`/],
    ["1,000-deep args of an undeclared tool", () => ({ tool: "zz", args: deepObject }), "default", /no rule matched `zz`/],
    ["an own __proto__ argument", () => JSON.parse('{"tool":"t","args":{"s":"x","n":1,"xs":[],"__proto__":{"admin":true}}}'), "schema", /undeclared field `__proto__`/],
    ["an own constructor argument", () => JSON.parse('{"tool":"t","args":{"s":"x","n":1,"xs":[],"constructor":{"prototype":{"trust":100}}}}'), "schema", /undeclared field `constructor`/],
    ["a __proto__ inside agent does not lend it trust", () => JSON.parse('{"tool":"t","args":{"s":"y","n":1,"xs":[]},"agent":{"__proto__":{"trust":100}}}'), "default", /no rule matched `t`/],
    ["a __proto__ in the call does not lend it a tool", () => JSON.parse('{"__proto__":{"tool":"t"}}'), "schema", /`tool` must be a string/],
    ["args that are a string", () => ({ tool: "t", args: "x" }), "schema", /`args` must be an object, found a string/],
    ["args that are a list", () => ({ tool: "t", args: ["x", 1, []] }), "schema", /`args` must be an object, found a list/],
    ["args that are a number", () => ({ tool: "t", args: 7 }), "schema", /`args` must be an object, found a number/],
    ["a call that is null", () => null, "schema", /a call must be an object, found null/],
    ["a call that is a list", () => [{ tool: "t" }], "schema", /a call must be an object, found a list/],
    ["a call that is a number", () => 42, "schema", /a call must be an object, found a number/],
    ["a tool name that is a symbol", () => ({ tool: Symbol("t") }), "schema", /`tool` must be a string, found a symbol/],
    ["a bigint number", () => ({ tool: "t", args: { s: "x", n: 1n, xs: [] } }), "schema", /`args\.n` must be a finite number, found a bigint/],
    ["an unknown tool under default deny", () => ({ tool: "rm -rf /", args: { path: "/" } }), "default", /no rule matched `rm -rf \/`; the policy default is deny/],
    ["args behind a throwing proxy", () => ({ tool: "t", args: throwing }), "schema", /could not be checked/],
    ["agent behind a throwing proxy", () => ({ tool: "t", args: { s: "x", n: 1, xs: [] }, agent: throwing }), "schema", /could not be checked/],
    ["an argument getter that throws", () => ({ tool: "t", args: Object.defineProperty({ n: 1, xs: [] }, "s", { get() { throw new Error("getter"); }, enumerable: true }) }), "schema", /could not be checked/],
  ];

  it.each(cases)("%s: deny with a readable reason, no throw, same as the interpreter", (_name, make, decidedBy, reason) => {
    const call = make();
    const d = outcome(() => wasm.evaluate(call));
    expect(d).not.toHaveProperty("threw");
    expect(d).toMatchObject({ effect: "deny", decidedBy });
    expect((d as Decision).reasons).toHaveLength(1);
    expect((d as Decision).reasons[0]).toMatch(reason);
    expect((d as Decision).reasons[0]!.length).toBeLessThan(200);
    expect(d).toEqual(evaluate(checked, call));
  });

  // Reading `tool` itself must not escape evaluate(): both are calls a host may pass in good faith from a
  // buggy or hostile upstream, and evaluate() promises never to throw.
  const throwingTool: [string, () => unknown][] = [
    ["a call behind a throwing proxy", () => throwing],
    ["a tool getter that throws", () => Object.defineProperty({}, "tool", { get() { throw new Error("tool getter"); }, enumerable: true })],
  ];
  for (const [name, make] of throwingTool) {
    it(`${name}: deny, no throw`, () => {
      const call = make();
      const d = outcome(() => wasm.evaluate(call));
      expect(d).not.toHaveProperty("threw");
      expect(d).toMatchObject({ effect: "deny" });
      expect(d).toEqual(evaluate(checked, call));
    });
  }

  // Only own properties of a call are input: a polluted Object.prototype must not lend an agent trust.
  it("a polluted Object.prototype does not lend an agent trust", () => {
    const call = { tool: "t", args: { s: "y", n: 1, xs: [] }, agent: { id: "x" } };
    const proto = Object.prototype as Record<string, unknown>;
    proto["trust"] = 100;
    let a: Decision | { threw: string };
    let b: Decision | { threw: string };
    try {
      a = outcome(() => evaluate(checked, call));
      b = outcome(() => wasm.evaluate(call));
    } finally {
      delete proto["trust"];
    }
    expect(a).toMatchObject({ effect: "deny", decidedBy: "default" });
    expect(b).toMatchObject({ effect: "deny", decidedBy: "default" });
  });
});
