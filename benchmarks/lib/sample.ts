// Measurement primitives shared by every suite: a sampled loop for latency
// percentiles (batches timed with process.hrtime.bigint) and a benny run for
// throughput. Suites in benchmarks/suites/ call these; figures go to latest.json.

import b from "benny";

export interface Latency {
  /** Nanoseconds per call, percentiles over batch means (see `batch`). */
  p50: number;
  p99: number;
  p999: number;
  mean: number;
  min: number;
  max: number;
  /** Calls per timed batch: one sample is the mean of a batch. */
  batch: number;
  samples: number;
  /** Calls per second implied by the total sampled time. */
  opsPerSec: number;
}

export interface SampleOptions {
  /** How many batches to time. */
  samples: number;
  /** A batch lasts about this long (ns, default 50 µs), so timer cost (~50 ns) stays near 0.1%. */
  minBatchNs?: number;
  /** Fixed batch size instead of the calibrated one. */
  batch?: number;
  /** Untimed calls first, for the JIT (default: enough for ~100 ms). */
  warmupMs?: number;
}

let sink: unknown;
/** Keeps results alive so no call can be optimised away. */
export const consume = () => sink;

/**
 * Each sampler is compiled separately so its `fn()` call site only ever sees
 * one function: a shared loop would go megamorphic and add its dispatch cost
 * to every engine, which matters most for the ~10 ns hand-written floor.
 */
function makeLoop(): (fn: () => unknown, n: number) => unknown {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function("fn", "n", "let r; for (let i = 0; i < n; i++) r = fn(); return r;") as (fn: () => unknown, n: number) => unknown;
}

export function percentile(sorted: Float64Array, q: number): number {
  // Nearest rank: the smallest sample with at least q of the samples at or below it.
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** Latency of `fn` from `samples` timed batches; the batch size is calibrated so a batch lasts minBatchNs. */
export function sample(fn: () => unknown, o: SampleOptions): Latency {
  const loop = makeLoop();
  const warmEnd = performance.now() + (o.warmupMs ?? 100);
  while (performance.now() < warmEnd) sink = loop(fn, 100);
  // Calibrate on warm code (the warm-up includes compilation), taking the fastest of
  // five rounds: noise only ever adds time, and an undersized batch magnifies timer cost.
  let perCall = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    sink = loop(fn, 200);
    perCall = Math.min(perCall, Number(process.hrtime.bigint() - t0) / 200);
  }
  const batch = o.batch ?? Math.max(1, Math.min(100_000, Math.ceil((o.minBatchNs ?? 50_000) / Math.max(perCall, 0.5))));
  const xs = new Float64Array(o.samples);
  let total = 0;
  for (let s = 0; s < o.samples; s++) {
    const a = process.hrtime.bigint();
    sink = loop(fn, batch);
    const ns = Number(process.hrtime.bigint() - a);
    total += ns;
    xs[s] = ns / batch;
  }
  return summarise(xs, total, batch);
}

/** The median of several values (repeated runs are summarised by their median). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Runs `sample` `runs` times and keeps, per figure, the median across runs: a
 * burst of load from another process moves one run, not the reported figure.
 */
export function sampleRuns(fn: () => unknown, o: SampleOptions & { runs: number }): Latency & { runs: number } {
  const rs: Latency[] = [];
  for (let r = 0; r < o.runs; r++) rs.push(sample(fn, { ...o, ...(r > 0 ? { warmupMs: 20 } : {}) }));
  const pick = (k: keyof Latency) => median(rs.map((x) => x[k]));
  return { p50: pick("p50"), p99: pick("p99"), p999: pick("p999"), mean: pick("mean"), min: Math.min(...rs.map((x) => x.min)), max: Math.max(...rs.map((x) => x.max)), batch: rs[0]!.batch, samples: o.samples, opsPerSec: pick("opsPerSec"), runs: o.runs };
}

/**
 * sampleRuns for several functions at once, alternated: each round samples every function in
 * turn, so a burst of load from another process falls on all of them, not on one; per function,
 * each figure is the median over rounds.
 */
export function sampleAlternating<K extends string>(fns: Record<K, () => unknown>, o: SampleOptions & { runs: number; samplesOf?: (k: K) => number }): Record<K, Latency & { runs: number }> {
  const keys = Object.keys(fns) as K[];
  const rs = Object.fromEntries(keys.map((k) => [k, [] as Latency[]])) as Record<K, Latency[]>;
  for (let r = 0; r < o.runs; r++) {
    for (const k of keys) rs[k].push(sample(fns[k], { ...o, samples: o.samplesOf?.(k) ?? o.samples, ...(r > 0 ? { warmupMs: 20 } : {}) }));
  }
  const out = {} as Record<K, Latency & { runs: number }>;
  for (const k of keys) {
    const pick = (f: keyof Latency) => median(rs[k].map((x) => x[f]));
    out[k] = { p50: pick("p50"), p99: pick("p99"), p999: pick("p999"), mean: pick("mean"), min: Math.min(...rs[k].map((x) => x.min)), max: Math.max(...rs[k].map((x) => x.max)), batch: rs[k][0]!.batch, samples: rs[k][0]!.samples, opsPerSec: pick("opsPerSec"), runs: o.runs };
  }
  return out;
}

export interface Throughput {
  name: string;
  opsPerSec: number;
  /** Relative margin of error, percent (benchmark.js's rme). */
  marginPct: number;
  samples: number;
}

/** Throughput of each case with benny (benchmark.js underneath), quietly: suites print their own lines. */
export async function throughput(suite: string, cases: [string, () => unknown][], maxTimeSec: number): Promise<Throughput[]> {
  const summary = await b.suite(
    suite,
    ...cases.map(([name, fn]) => b.add(name, () => { sink = fn(); })),
    b.configure({ cases: { maxTime: maxTimeSec, minSamples: 5 } }),
    b.cycle(() => undefined),
    b.complete(() => undefined),
  );
  return summary.results.map((r) => ({ name: r.name, opsPerSec: r.ops, marginPct: r.margin, samples: r.samples }));
}

/** As sample(), for an async call awaited one at a time (the Engine); fixed batch size. */
export async function sampleAsync(fn: () => Promise<unknown>, o: { samples: number; batch: number; warmup: number }): Promise<Latency> {
  for (let i = 0; i < o.warmup; i++) sink = await fn();
  const xs = new Float64Array(o.samples);
  let total = 0;
  for (let s = 0; s < o.samples; s++) {
    const a = process.hrtime.bigint();
    for (let i = 0; i < o.batch; i++) sink = await fn();
    const ns = Number(process.hrtime.bigint() - a);
    total += ns;
    xs[s] = ns / o.batch;
  }
  return summarise(xs, total, o.batch);
}

/** Percentiles of per-item figures measured one by one (batch 1), e.g. the Engine's own latencyUs. */
export function summariseEach(values: number[]): Latency {
  const xs = Float64Array.from(values);
  return summarise(xs, values.reduce((a, b) => a + b, 0), 1);
}

function summarise(xs: Float64Array, total: number, batch: number): Latency {
  const sorted = xs.slice().sort();
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), p999: percentile(sorted, 0.999), mean: total / (xs.length * batch), min: sorted[0]!, max: sorted[sorted.length - 1]!, batch, samples: xs.length, opsPerSec: (xs.length * batch * 1e9) / total };
}
