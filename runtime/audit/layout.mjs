// The JSONL chain's on-disk names and head file, in plain JavaScript so that both the TypeScript
// sources (files.ts, chain.ts, jsonl.ts) and the writer thread (writer.mjs, which Node 20 must
// load without a TypeScript loader) read these facts from one place. Types in layout.d.mts.

import { createHmac } from "node:crypto";

/** Digits of N in a rotated name; N may outgrow them (files are ordered numerically). */
const PAD = 6;

/** `dir/audit.jsonl` → `dir/audit`; a path without `.jsonl` is its own base. */
export function rotationBase(logPath) {
  return logPath.endsWith(".jsonl") ? logPath.slice(0, -".jsonl".length) : logPath;
}

/** The N-th rotated file: `audit.000001.jsonl` for `audit.jsonl`. */
export function rotatedPath(logPath, n) {
  return `${rotationBase(logPath)}.${String(n).padStart(PAD, "0")}.jsonl`;
}

export function headPath(logPath) {
  return `${logPath}.head`;
}

/** The head file's MAC is domain-separated so a record's MAC can never be replayed as a head's. */
export function headMac(key, seq, hash) {
  return createHmac("sha256", key).update(`pol-audit-head\n${seq}\n${hash}`, "utf8").digest("hex");
}

/** The head file's whole text: `{"seq":N,"hash":"…","mac":"…"}` and a newline. */
export function headText(key, seq, hash) {
  return `${JSON.stringify({ seq, hash, mac: headMac(key, seq, hash) })}\n`;
}
