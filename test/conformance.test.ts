// The conformance corpus (test/conformance/*.yaml) run through both engines:
// every case goes through the reference interpreter and the compiled wasm
// (all corpus policies in one compileBatch), must meet its `want`, and the two
// decisions must be equal. Corpus format: test/support/corpus.ts.

import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { compileBatch, compilePolicy } from "../compiler/compile.js";
import type { Decision } from "../language/call.js";
import { evaluate } from "../language/interpret.js";
import { loadText, type Loaded } from "../language/load.js";
import { Sink } from "../language/diagnostics.js";
import { WasmPolicy } from "../runtime/loader.js";
import { mismatches, readCorpus, type Case, type Group } from "./support/corpus.js";

const groups = readCorpus(fileURLToPath(new URL("./conformance/", import.meta.url)));
const loaded: Loaded[] = groups.map((g) =>
  loadText(g.policy, g.policyFile, (p) => {
    throw new Error(`corpus policies are self-contained; cannot import ${p}`);
  }),
);
const clean = (l: Loaded) => l.checked !== undefined && !l.sink.hasErrors();

/** Per group: its wasm engine, or why there is none. */
const engines: (WasmPolicy | string)[] = groups.map(() => "not compiled");

beforeAll(async () => {
  const ok = groups.map((_, i) => i).filter((i) => clean(loaded[i]!));
  let batch: Awaited<ReturnType<typeof compileBatch>> | undefined;
  try {
    batch = await compileBatch(ok.map((i) => loaded[i]!.checked!));
  } catch (e) {
    // One policy broke the batch: compile each alone so only its cases fail, naming the error.
    for (const i of ok) {
      const sink = new Sink();
      const c = await compilePolicy(loaded[i]!.checked!, sink);
      engines[i] = c ? await WasmPolicy.fromBytes(c.wasm, groups[i]!.options) : `compile failed: ${sink.items.map((d) => `${d.message} ${d.help ?? ""}`).join("; ")} (batch: ${(e as Error).message.slice(0, 300)})`;
    }
    return;
  }
  // One instance per distinct set of validation options (they are per-WasmPolicy, not per module).
  const byOptions = new Map<string, WasmPolicy[]>();
  for (const [k, i] of ok.entries()) {
    const key = JSON.stringify(groups[i]!.options);
    let ps = byOptions.get(key);
    if (!ps) byOptions.set(key, (ps = await WasmPolicy.fromBatch(batch.wasm, batch.manifests, groups[i]!.options)));
    engines[i] = ps[k]!;
  }
}, 300_000);

/** A decision without source spans, for failure messages. */
function brief(d: Decision): unknown {
  const strip = (xs: readonly object[]) => xs.map((x) => Object.fromEntries(Object.entries(x).filter(([k]) => k !== "span")));
  return { ...d, rules: strip(d.rules), limits: strip(d.limits) };
}

function engineDiff(a: Decision, b: Decision): string | undefined {
  try {
    expect(b).toEqual(a);
    return undefined;
  } catch (e) {
    return (e as Error).message.split("\n").slice(0, 40).join("\n");
  }
}

function run(g: Group, gi: number, c: Case): void {
  const l = loaded[gi]!;
  const head = `${g.file} › ${g.name} › ${c.name}`;
  if (!clean(l)) expect.fail(`${head}: the policy does not check: ${l.sink.errors.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`).join("; ")}`);
  const w = engines[gi]!;
  if (typeof w === "string") expect.fail(`${head}: no wasm engine: ${w}`);
  const a = evaluate(l.checked!, c.call, g.options);
  let b: Decision;
  try {
    b = w.evaluate(c.call);
  } catch (e) {
    expect.fail(`${head}: the wasm engine threw (it must never throw): ${(e as Error).stack}`);
  }
  const problems = [
    ...mismatches(a, c.want).map((m) => `interpreter: ${m}`),
    ...mismatches(b, c.want).map((m) => `wasm: ${m}`),
  ];
  const diff = engineDiff(a, b);
  if (diff) problems.push(`the engines disagree:\n${diff}`);
  if (problems.length > 0) {
    expect.fail([`${head}`, ...problems.map((p) => `  ${p}`), `  call: ${JSON.stringify(c.call)}`, `  interpreter: ${JSON.stringify(brief(a))}`, `  wasm:        ${JSON.stringify(brief(b))}`].join("\n"));
  }
}

describe.each([...new Set(groups.map((g) => g.file))])("%s", (file) => {
  for (const [gi, g] of groups.entries()) {
    if (g.file !== file) continue;
    describe(g.name, () => {
      it("checks without errors", () => {
        expect(loaded[gi]!.sink.errors.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`)).toEqual([]);
      });
      for (const c of g.cases) {
        // `bug:` marks a case where an engine is known to disagree with the spec (reported, awaiting a fix):
        // it must keep failing, so a fix shows up as this test flipping.
        if (c.bug) it.fails(`${c.name} [known bug: ${c.bug}]`, () => run(g, gi, c));
        else it(c.name, () => run(g, gi, c));
      }
    });
  }
});

it("the corpus is large enough to mean something", () => {
  expect(groups.reduce((n, g) => n + g.cases.length, 0)).toBeGreaterThanOrEqual(250);
});
