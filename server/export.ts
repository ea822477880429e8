// Audit export for auditors: the records of a time range as JSONL (each line exactly as stored,
// so the hash chain can still be checked record by record) or CSV (one row per record, the
// fields people filter on, and the full record as JSON in the last column). Served by
// GET /audit/export; the range is [from, to) in UTC.

import type { AuditRow } from "./audit-read.js";

export const CSV_COLUMNS = ["seq", "time", "type", "event", "id", "agent", "run", "tool", "effect", "decidedBy", "rule", "reasons", "approval", "by", "status", "hash"] as const;

/**
 * One CSV cell (RFC 4180 quoting). A cell a spreadsheet would run as a formula (starting with
 * = + - @ or a tab, CR or LF) gets a leading apostrophe: audit data comes from agents and must not
 * execute in an auditor's spreadsheet.
 */
export function csvCell(v: unknown): string {
  let s = v === undefined || v === null ? "" : typeof v === "string" ? v : Array.isArray(v) && v.every((x) => typeof x === "string") ? v.join("; ") : JSON.stringify(v);
  if (/^[=+\-@\t\r\n]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(): string {
  return [...CSV_COLUMNS, "record"].join(",") + "\r\n";
}

export function csvRow(r: AuditRow): string {
  const by = r.by ?? r.approvedBy;
  const cells = CSV_COLUMNS.map((c) => csvCell(c === "by" ? by : r[c]));
  cells.push(csvCell(JSON.stringify(r)));
  return cells.join(",") + "\r\n";
}

/** A time range from query parameters (ISO 8601; a time without a zone is UTC), or why not. */
export function timeRange(from: string | undefined, to: string | undefined, now: number): { from: number; to: number } | string {
  const parse = (v: string | undefined, name: string, fallback: number): number | string => {
    if (v === undefined || v === "") return fallback;
    const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`;
    const t = Date.parse(withZone);
    return Number.isNaN(t) ? `\`${name}\` is not a date and time (ISO 8601, e.g. 2026-01-31T09:00 in UTC): \`${v}\`` : t;
  };
  const f = parse(from, "from", 0);
  const t = parse(to, "to", now + 1);
  if (typeof f === "string") return f;
  if (typeof t === "string") return t;
  if (f >= t) return "`from` must be before `to`";
  return { from: f, to: t };
}
