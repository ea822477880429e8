// SVG drawings for benchmarks/: line plots on log axes (latency against rule count and input
// size, written by render.ts from the scaling suite) and flame graphs of CPU profiles (written by
// flame.ts from lib/cpuprofile.ts trees). Plain SVG text, no dependencies.

import type { Frame } from "./cpuprofile.js";

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export interface Series { name: string; color: string; points: [number, number][] }
export interface Panel { title: string; xLabel: string; yLabel: string; series: Series[]; xFormat?: (x: number) => string }

/** Ticks at powers of ten covering [lo, hi]. */
function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

const fmtY = (ns: number) => (ns < 1_000 ? `${ns} ns` : ns < 1_000_000 ? `${ns / 1_000} µs` : `${ns / 1_000_000} ms`);

/** One log-log panel at (ox, oy), w × h. */
function panel(p: Panel, ox: number, oy: number, w: number, h: number): string {
  const xs = p.series.flatMap((s) => s.points.map((q) => q[0]));
  const ys = p.series.flatMap((s) => s.points.map((q) => q[1]));
  const xt = decades(Math.min(...xs), Math.max(...xs));
  const yt = decades(Math.min(...ys), Math.max(...ys));
  const [x0, x1, y0, y1] = [Math.log10(xt[0]!), Math.log10(xt.at(-1)!), Math.log10(yt[0]!), Math.log10(yt.at(-1)!)];
  const L = 70, R = 20, T = 40, B = 50;
  const px = (x: number) => ox + L + ((Math.log10(x) - x0) / (x1 - x0 || 1)) * (w - L - R);
  const py = (y: number) => oy + h - B - ((Math.log10(y) - y0) / (y1 - y0 || 1)) * (h - T - B);
  const out = [`<text x="${ox + w / 2}" y="${oy + 22}" text-anchor="middle" font-size="15" font-weight="bold">${esc(p.title)}</text>`];
  for (const t of xt) out.push(`<line x1="${px(t)}" y1="${oy + T}" x2="${px(t)}" y2="${oy + h - B}" stroke="#ddd"/><text x="${px(t)}" y="${oy + h - B + 16}" text-anchor="middle" font-size="11">${esc((p.xFormat ?? ((x) => x.toLocaleString("en")))(t))}</text>`);
  for (const t of yt) out.push(`<line x1="${ox + L}" y1="${py(t)}" x2="${ox + w - R}" y2="${py(t)}" stroke="#ddd"/><text x="${ox + L - 6}" y="${py(t) + 4}" text-anchor="end" font-size="11">${esc(fmtY(t))}</text>`);
  out.push(`<text x="${ox + w / 2}" y="${oy + h - 12}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(${ox + 14},${oy + h / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`);
  p.series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ")}"/>`);
    for (const [x, y] of pts) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(`${s.name}: ${x.toLocaleString("en")} → ${fmtY(Math.round(y))}`)}</title></circle>`);
    out.push(`<rect x="${ox + L + 10}" y="${oy + T + 6 + i * 18}" width="12" height="3" fill="${s.color}"/><text x="${ox + L + 28}" y="${oy + T + 11 + i * 18}" font-size="11">${esc(s.name)}</text>`);
  });
  return out.join("\n");
}

/** Panels side by side, with a caption under them. */
export function plot(panels: Panel[], caption: string): string {
  const w = 520, h = 380;
  const W = w * panels.length, H = h + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    ...panels.map((p, i) => panel(p, i * w, 0, w, h)),
    `<text x="10" y="${H - 10}" font-size="11" fill="#555">${esc(caption)}</text>`,
    "</svg>",
  ].join("\n");
}

/** A flame graph (root at the bottom) of `root`, frames narrower than minFrac of the total left out. */
export function flameGraph(root: Frame, title: string, subtitle: string, minFrac = 0.002): string {
  const W = 1600, row = 17, total = root.total || 1;
  const rects: string[] = [];
  let depth = 0;
  const color = (f: Frame) => {
    const w = f.where;
    if (f.name.startsWith("(")) return "#b0b0b0";
    if (w.startsWith("node:")) return "#e8a33d";
    if (w.startsWith("wasm")) return "#7fbf7f";
    if (/^runtime\/audit\//.test(w)) return "#d9534f";
    if (/^(runtime|language|compiler)\//.test(w)) return "#f0c05a";
    if (w.startsWith("node_modules")) return "#9fb7d9";
    return "#e07b5a";
  };
  const walk = (f: Frame, x: number, d: number) => {
    const w = (f.total / total) * W;
    if (w < minFrac * W) return;
    depth = Math.max(depth, d);
    rects.push(`<g><title>${esc(`${f.name} ${f.where} — ${(100 * f.total / total).toFixed(1)}% (self ${(100 * f.self / total).toFixed(1)}%)`)}</title><rect x="${x.toFixed(1)}" y="${-d * row}" width="${Math.max(0.5, w - 0.5).toFixed(1)}" height="${row - 1}" fill="${color(f)}"/>${w > 60 ? `<text x="${(x + 3).toFixed(1)}" y="${-d * row + 12}" font-size="11">${esc(`${f.name} ${(100 * f.total / total).toFixed(1)}%`.slice(0, Math.floor(w / 6.5)))}</text>` : ""}</g>`);
    let cx = x;
    for (const c of f.children) {
      walk(c, cx, d + 1);
      cx += (c.total / total) * W;
    }
  };
  walk(root, 0, 0);
  const H = (depth + 1) * row + 60;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 ${-(depth * row) - 50} ${W} ${H}" font-family="monospace">`,
    `<rect x="0" y="${-(depth * row) - 50}" width="${W}" height="${H}" fill="white"/>`,
    `<text x="8" y="${-(depth * row) - 30}" font-size="15" font-family="sans-serif" font-weight="bold">${esc(title)}</text>`,
    `<text x="8" y="${-(depth * row) - 12}" font-size="12" font-family="sans-serif">${esc(subtitle)}</text>`,
    ...rects,
    "</svg>",
  ].join("\n");
}
