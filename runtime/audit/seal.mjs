// Sealing an audit record: its canonical body with seq and prev, the SHA-256 over it, the HMAC
// over that, and the one line a record is written as (FORMAT.md). Shared by chain.ts (sealEntry,
// used by the PostgreSQL sink and the tests) and the writer thread (writer.mjs seals the bodies
// JsonlAuditLog.append queued, canonical.mjs entryBody), so both make byte-identical lines.
// Types in seal.d.mts.

import * as crypto from "node:crypto";
import { canonicalJsonWith } from "./canonical.mjs";

// crypto.hash (Node ≥ 20.12) is about 3× faster than createHash for one short input under load.
const oneShot = typeof crypto.hash === "function" ? crypto.hash : null;

/** Hex SHA-256 of UTF-8 text, or of bytes. */
export function sha256Hex(data) {
  return oneShot ? oneShot("sha256", data, "hex") : crypto.createHash("sha256").update(data).digest("hex");
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

/** Seals a checked entry as record `seq` after `prev`: its body, hash, mac and line. */
export function sealChecked(entry, seq, prev, key) {
  const body = canonicalJsonWith(entry, { seq, prev });
  const hash = sha256Hex(body);
  const mac = recordMac(key, hash);
  return { body, hash, mac, line: recordLine(body, hash, mac) };
}

/** What recordLine adds to a body: `,"hash":"<64>","mac":"<64>"` and the newline, less nothing (the body's `}` stays last). */
export const LINE_EXTRA_BYTES = 148;

/** UTF-8 bytes of the line a body of `bodyBytes` becomes. */
export function sealedLineBytes(bodyBytes) {
  return bodyBytes + LINE_EXTRA_BYTES;
}
