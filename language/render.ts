// Renders diagnostics for people (`file:line:col: error E0203: message`, the
// source line, a caret underline, help and related notes) and for tools
// (JSON). Fed diagnostics from any stage plus the source texts; used by the CLI.

import type { Diagnostic } from "./diagnostics.js";

export interface RenderOptions {
  /** Source text by file name, for the quoted line. */
  sources: ReadonlyMap<string, string>;
  color?: boolean;
}

const paint = (on: boolean | undefined, code: string, s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

function lineOf(text: string | undefined, line: number): string | undefined {
  if (text === undefined) return undefined;
  return text.split("\n")[line - 1]?.replace(/\r$/, "");
}

/** One diagnostic, as a block of lines ending in a newline. */
export function renderDiagnostic(d: Diagnostic, opts: RenderOptions): string {
  const s = d.span;
  const sevColor = d.severity === "error" ? "31;1" : "33;1";
  let out = `${s.file}:${s.line}:${s.col}: ${paint(opts.color, sevColor, `${d.severity} ${d.code}`)}: ${d.message}\n`;
  const src = lineOf(opts.sources.get(s.file), s.line);
  if (src !== undefined) {
    const gutter = String(s.line).length;
    const tabsSafe = src.replace(/\t/g, " ");
    const width = Math.max(1, s.endLine === s.line ? s.endCol - s.col : tabsSafe.length - s.col + 1);
    out += `${" ".repeat(gutter)} |\n${s.line} | ${tabsSafe}\n${" ".repeat(gutter)} | ${" ".repeat(Math.max(0, s.col - 1))}${paint(opts.color, sevColor, "^".repeat(width))}\n`;
  }
  for (const r of d.related ?? []) out += `  note: ${r.span.file}:${r.span.line}:${r.span.col}: ${r.message}\n`;
  if (d.help) out += `  help: ${d.help}\n`;
  return out;
}

export function renderDiagnostics(ds: readonly Diagnostic[], opts: RenderOptions): string {
  return ds.map((d) => renderDiagnostic(d, opts)).join("\n");
}

/** A one-line count such as `2 errors, 1 warning`. */
export function summary(ds: readonly Diagnostic[]): string {
  const e = ds.filter((d) => d.severity === "error").length;
  const w = ds.length - e;
  return `${e} error${e === 1 ? "" : "s"}, ${w} warning${w === 1 ? "" : "s"}`;
}

/** Machine-readable form for `--format json`: stable field names, 1-based lines and columns. */
export function diagnosticsToJson(ds: readonly Diagnostic[]): object[] {
  return ds.map((d) => ({
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.span.file,
    line: d.span.line,
    col: d.span.col,
    endLine: d.span.endLine,
    endCol: d.span.endCol,
    ...(d.help ? { help: d.help } : {}),
    ...(d.related ? { related: d.related.map((r) => ({ message: r.message, file: r.span.file, line: r.span.line, col: r.span.col })) } : {}),
  }));
}
