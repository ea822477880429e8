// The container a bundle's files travel in: a POSIX ustar archive, gzip'ed, written byte for byte
// the same for the same files (sorted paths, mtime 0, fixed modes), so a bundle can be rebuilt and
// compared and `tar tzf bundle.polb` lists it. Fed file maps by format.ts; read back only here.
//
// The reader is strict because it reads what an attacker may have written: regular files only
// (no links, devices, directories or pax headers, which pol never writes), checked header sums,
// relative paths without `..` or empty segments, no duplicate names (a second copy of a signed
// file must not shadow the first), and a bound on the unpacked size against gzip bombs.

import { gunzipSync, gzipSync } from "node:zlib";

const BLOCK = 512;
/** Uncompressed bytes one bundle may hold: policies are kilobytes, suites at most a few MiB. */
export const MAX_UNPACKED = 64 * 1024 * 1024;

export class TarError extends Error {}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

function putString(h: Uint8Array, at: number, len: number, s: string): void {
  const b = enc.encode(s);
  if (b.length > len) throw new TarError(`internal error: \`${s}\` does not fit a ${len}-byte tar field`);
  h.set(b, at);
}

function putOctal(h: Uint8Array, at: number, len: number, n: number): void {
  putString(h, at, len, n.toString(8).padStart(len - 1, "0") + "\0");
}

/** Splits a path into ustar's prefix (≤155 bytes) and name (≤100 bytes) at a `/`. */
function splitName(path: string): { prefix: string; name: string } {
  if (enc.encode(path).length <= 100) return { prefix: "", name: path };
  for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (enc.encode(prefix).length <= 155 && enc.encode(name).length <= 100) return { prefix, name };
  }
  throw new TarError(`the path \`${path}\` is too long for a bundle (at most 100 bytes per file name and 255 in all): shorten it`);
}

function header(path: string, size: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const { prefix, name } = splitName(path);
  putString(h, 0, 100, name);
  putOctal(h, 100, 8, 0o644);
  putOctal(h, 108, 8, 0);
  putOctal(h, 116, 8, 0);
  putOctal(h, 124, 12, size);
  putOctal(h, 136, 12, 0);
  h.fill(0x20, 148, 156);
  h[156] = 0x30; // '0': a regular file
  putString(h, 257, 6, "ustar\0");
  putString(h, 263, 2, "00");
  putString(h, 345, 155, prefix);
  const sum = h.reduce((a, b) => a + b, 0);
  putString(h, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

/** The archive of `files` (path → bytes) in path order, gzip'ed. */
export function packTar(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const paths = [...files.keys()].sort();
  paths.forEach(checkPath);
  return gzipTar(paths.map((p) => [p, files.get(p)!]));
}

/**
 * The gzip'ed archive of `entries` as given: no path checks, duplicates kept.
 * @internal For tests that build archives pol itself would never write.
 */
export function gzipTar(entries: readonly (readonly [string, Uint8Array])[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [path, data] of entries) {
    parts.push(header(path, data.length), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(2 * BLOCK));
  const tar = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    tar.set(p, at);
    at += p.length;
  }
  // Level 9 and no header timestamp (Node writes mtime 0): the same files give the same bytes.
  return new Uint8Array(gzipSync(tar, { level: 9 }));
}

/** A bundle path: relative, `/`-separated, no `.`/`..`/empty segments, no backslashes or control characters. */
export function checkPath(path: string): void {
  const bad = path === "" || path.startsWith("/") || /[\\\u0000-\u001f]/.test(path) || path.split("/").some((s) => s === "" || s === "." || s === "..");
  if (bad) throw new TarError(`\`${path}\` is not a path a bundle may hold (relative, no \`..\`, no empty segments)`);
}

function readString(b: Uint8Array, at: number, len: number): string {
  const end = b.indexOf(0, at);
  const stop = end >= 0 && end < at + len ? end : at + len;
  try {
    return dec.decode(b.subarray(at, stop));
  } catch {
    throw new TarError("a file name in the archive is not UTF-8");
  }
}

function readOctal(b: Uint8Array, at: number, len: number, what: string): number {
  const s = readString(b, at, len).trim();
  if (!/^[0-7]+$/.test(s)) throw new TarError(`the archive's ${what} field is not an octal number`);
  return parseInt(s, 8);
}

function unzip(bytes: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(bytes, { maxOutputLength: MAX_UNPACKED }));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ERR_BUFFER_TOO_LARGE") throw new TarError(`the bundle unpacks to more than ${MAX_UNPACKED >> 20} MiB`);
    throw new TarError(`not a gzip'ed archive: ${(e as Error).message}`);
  }
}

/** The files of a gzip'ed ustar archive, in archive order; throws TarError on anything pol would not have written. */
export function unpackTar(bytes: Uint8Array): Map<string, Uint8Array> {
  const tar = unzip(bytes);
  const files = new Map<string, Uint8Array>();
  let at = 0;
  while (at + BLOCK <= tar.length) {
    const h = tar.subarray(at, at + BLOCK);
    if (h.every((x) => x === 0)) return files;
    const stored = readOctal(h, 148, 8, "checksum");
    const sum = h.reduce((a, x, i) => a + (i >= 148 && i < 156 ? 0x20 : x), 0);
    if (stored !== sum) throw new TarError(`the archive header at byte ${at} is damaged (checksum mismatch)`);
    const type = h[156];
    const prefix = readString(h, 345, 155);
    const name = readString(h, 0, 100);
    const path = prefix ? `${prefix}/${name}` : name;
    if (type !== 0x30 && type !== 0) throw new TarError(`\`${path}\` is not a regular file (tar type \`${String.fromCharCode(type!)}\`): a bundle holds regular files only`);
    checkPath(path);
    if (files.has(path)) throw new TarError(`\`${path}\` appears twice in the archive`);
    const size = readOctal(h, 124, 12, "size");
    const start = at + BLOCK;
    if (start + size > tar.length) throw new TarError(`\`${path}\` is cut short: the archive ends inside it`);
    files.set(path, tar.slice(start, start + size));
    at = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new TarError("the archive has no end marker: it was cut short");
}
