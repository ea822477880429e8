// Sealing an audit record: its canonical body with seq and prev, the SHA-256 over it, the HMAC
// over that, and the one line a record is written as (FORMAT.md). Shared by chain.ts (sealEntry,
// used by the PostgreSQL sink and the tests) and the writer thread (writer.mjs seals what
// JsonlAuditLog.append queued), so both make byte-identical lines. Types in seal.d.mts.

import * as crypto from "node:crypto";
import { canonicalJsonWith } from "./canonical.mjs";

// crypto.hash (Node ≥ 20.12) is about 3× faster than createHash for one short input under load.
const oneShot = typeof crypto.hash === "function" ? crypto.hash : null;

export function sha256Hex(text) {
  return oneShot ? oneShot("sha256", text, "hex") : crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

export function recordMac(key, hash) {
  return crypto.createHmac("sha256", key).update(hash, "utf8").digest("hex");
}

/**
 * The one line a record is written as: the canonical JSON of its body with hash and mac spliced
 * in last (instead of at their sorted place, which saves an encoding). verify.ts rebuilds it from
 * the parsed record and refuses any other text, so a line with a duplicated key (which JSON.parse
 * resolves silently) or re-encoded values cannot pass as intact.
 */
export function recordLine(body, hash, mac) {
  return `${body.slice(0, -1)},"hash":"${hash}","mac":"${mac}"}\n`;
}

/** Seals a checked entry as record `seq` after `prev`: its line and hash. */
export function sealChecked(entry, seq, prev, key) {
  const body = canonicalJsonWith(entry, { seq, prev });
  const hash = sha256Hex(body);
  const mac = recordMac(key, hash);
  return { body, hash, mac, line: recordLine(body, hash, mac) };
}

/**
 * UTF-8 bytes of the line record `seq` becomes, from the bytes of its entry's JSON text (jsonText,
 * or any JSON of it without whitespace: canonical JSON differs only in key order). Sealing adds
 * `,"prev":"<64>"`, `,"seq":<digits>`, `,"hash":"<64>","mac":"<64>"` and the newline.
 */
export function sealedLineBytes(entryBytes, seq) {
  let digits = 1;
  for (let x = seq; x >= 10; x = Math.floor(x / 10)) digits++;
  return entryBytes + 229 + digits;
}
