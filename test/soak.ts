// The soak run (`npm run soak`): a million (policy, call) pairs through the
// reference interpreter and the compiled wasm, from a random seed that is
// printed (POL_SEED=n replays it). Uses the generators and harness of the
// differential tests; prints `N pairs, M mismatches` and exits 1 on any mismatch.
//
// POL_SOAK_POLICIES (default 2000) and POL_SOAK_CALLS (default 500) size the run.

import { stopCompiler } from "../compiler/asc.js";
import { compare, generate, prepare, report, OPTION_SETS, type Mismatch } from "./gen/harness.js";
import { shrink } from "./gen/shrink.js";
import type { PolicySpec } from "./gen/policy.js";

const envNumber = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const seed = envNumber("POL_SEED", Math.floor(Math.random() * 2 ** 31));
const POLICIES = envNumber("POL_SOAK_POLICIES", 2000);
const CALLS = envNumber("POL_SOAK_CALLS", 500);
const BATCH = 200;
/** Every fifth batch is compiled with -O3 (the production setting); the rest unoptimised, ten times faster to compile. */
const OPTIMIZE_EVERY = 5;

async function main(): Promise<number> {
  console.log(`soak: seed ${seed} (replay with POL_SEED=${seed}), ${POLICIES} policies x ${CALLS} calls`);
  const start = Date.now();
  const batches = Math.ceil(POLICIES / BATCH);
  const sizeOf = (k: number) => Math.min(BATCH, POLICIES - k * BATCH);
  const gen = (k: number) => generate(seed, sizeOf(k), CALLS, 1_000_003 * k);
  let pairs = 0;
  let rejected = 0;
  const mismatches: Mismatch[] = [];
  let next = gen(0);
  for (let k = 0; k < batches; k++) {
    const t0 = Date.now();
    const cur = next;
    rejected += cur.rejected.length;
    for (const r of cur.rejected.slice(0, 1)) console.log(`generated policy does not check:\n${r.spec.source}\n${r.errors.join("\n")}`);
    const optimize = k % OPTIMIZE_EVERY === 0;
    const options = OPTION_SETS[k % OPTION_SETS.length]!;
    const compiling = prepare(cur.cases, optimize, options);
    // asc works in its worker thread meanwhile.
    if (k + 1 < batches) next = gen(k + 1);
    const r = compare(await compiling);
    pairs += r.pairs;
    mismatches.push(...r.mismatches);
    console.log(`batch ${k + 1}/${batches}: ${r.pairs} pairs, ${r.mismatches.length} mismatches (${optimize ? "-O3" : "-O0"}, options ${JSON.stringify(options)}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const secs = (Date.now() - start) / 1000;
  const seen = new Set<PolicySpec>();
  for (const m of mismatches) {
    if (seen.has(m.spec) || seen.size >= 3) continue;
    seen.add(m.spec);
    console.log(`\n${report(await shrink(m))}`);
  }
  console.log(`${pairs} pairs, ${mismatches.length} mismatches in ${secs.toFixed(1)} s (${Math.round(pairs / secs)} pairs/s, seed ${seed})`);
  if (rejected) console.log(`${rejected} generated policies did not type-check`);
  return mismatches.length || rejected ? 1 : 0;
}

const code = await main().catch((e: unknown) => {
  console.error(e);
  return 1;
});
await stopCompiler();
process.exit(code);
