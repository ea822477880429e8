// Reading V8 CPU profiles (`node --cpu-prof`): the call tree with self and total sample counts,
// merged by frame (function, file, line) along each stack, and a table of where the time goes.
// Fed .cpuprofile files by benchmarks/flame.ts; its trees are drawn by lib/flame-svg.ts.

export interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }
export interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

/** A node of the merged tree: `self` and `total` in microseconds of samples. */
export interface Frame { name: string; where: string; self: number; total: number; children: Frame[] }

/** Where a frame lives, short: `runtime/engine.js:412`, or `node:internal/...` for Node's own. */
function whereOf(cf: CallFrame): string {
  if (!cf.url) return "";
  const u = cf.url.replace(/^file:\/\//, "");
  const i = u.search(/\/(runtime|language|compiler|benchmarks|node_modules)\//);
  return `${i >= 0 ? u.slice(i + 1) : u}:${cf.lineNumber + 1}`;
}

const label = (cf: CallFrame) => cf.functionName || (cf.url ? "(anonymous)" : "(root)");

/** The profile as one tree, time per node from the sample deltas; `(idle)` is dropped. */
export function callTree(p: CpuProfile): Frame {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0));
  const build = (id: number): Frame | undefined => {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === "(idle)") return undefined;
    const f: Frame = { name: label(n.callFrame), where: whereOf(n.callFrame), self: selfUs.get(id) ?? 0, total: 0, children: [] };
    const merged = new Map<string, Frame>();
    for (const c of n.children ?? []) {
      const x = build(c);
      if (!x) continue;
      const key = `${x.name}@${x.where}`;
      const m = merged.get(key);
      if (m) mergeInto(m, x);
      else merged.set(key, x);
    }
    f.children = [...merged.values()].sort((a, b) => b.total - a.total);
    f.total = f.self + f.children.reduce((s, c) => s + c.total, 0);
    return f;
  };
  return build(p.nodes[0]!.id)!;
}

function mergeInto(into: Frame, x: Frame): void {
  into.self += x.self;
  into.total += x.total;
  for (const c of x.children) {
    const m = into.children.find((y) => y.name === c.name && y.where === c.where);
    if (m) mergeInto(m, c);
    else into.children.push(c);
  }
  into.children.sort((a, b) => b.total - a.total);
}

/** Per function (name and place), self time and inclusive time (counted once per stack), largest first. */
export function hotFunctions(root: Frame): { name: string; where: string; self: number; total: number }[] {
  const acc = new Map<string, { name: string; where: string; self: number; total: number }>();
  const walk = (f: Frame, open: Set<string>) => {
    const key = `${f.name}@${f.where}`;
    const a = acc.get(key) ?? { name: f.name, where: f.where, self: 0, total: 0 };
    a.self += f.self;
    if (!open.has(key)) a.total += f.total;
    acc.set(key, a);
    const inner = open.has(key) ? open : new Set(open).add(key);
    for (const c of f.children) walk(c, inner);
  };
  walk(root, new Set());
  return [...acc.values()];
}
