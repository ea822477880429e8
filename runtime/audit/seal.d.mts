// Types of seal.mjs: sealing audit records, shared by chain.ts and the writer thread.

/** Hex SHA-256 of UTF-8 text, or of bytes. */
export function sha256Hex(data: string | Uint8Array): string;
/** Hex HMAC-SHA256(key, hash): what a forger without the key cannot recompute. */
export function recordMac(key: Uint8Array, hash: string): string;
/** The record's line: its canonical body with hash and mac spliced in last, and a newline. */
export function recordLine(body: string, hash: string, mac: string): string;
/** Seals a checked entry (chain.ts checkEntry) as record `seq` after `prev`. Throws NotJsonError. */
export function sealChecked(entry: object, seq: number, prev: string, key: Uint8Array): { body: string; hash: string; mac: string; line: string };
/** What recordLine adds to a body, in bytes. */
export const LINE_EXTRA_BYTES: number;
/** UTF-8 bytes of the line a body of `bodyBytes` becomes. */
export function sealedLineBytes(bodyBytes: number): number;
