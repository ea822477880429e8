// Hashed secrets for `pol serve`'s users file: scrypt (node:crypto) with a per-secret salt, stored
// as `scrypt$N$r$p$salt$hash` (base64url). Written by `pol serve --hash-secret`; read by users.ts
// when a person signs in or a service presents a token. Verification is constant-time.
//
// Cost: N = 2^15, r = 8 takes about 110 ms and 32 MiB per check on this machine (2^14: 50 ms), so a
// guessed password costs an attacker that much; services do not pay it per request, because a
// verified token is remembered by its SHA-256 (users.ts).

import { hash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;
/** What scrypt may allocate: 128 * N * r bytes, with headroom. */
const MAX_MEM = 64 * 1024 * 1024;

/** A hash to store in the users file for `secret`. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

interface Parsed { n: number; r: number; p: number; salt: Buffer; key: Buffer }

/** Why a stored hash cannot be used, or undefined when it can. */
export function hashProblem(stored: unknown): string | undefined {
  const p = parse(stored);
  return typeof p === "string" ? p : undefined;
}

function parse(stored: unknown): Parsed | string {
  if (typeof stored !== "string") return "the secret must be a string made by `pol serve --hash-secret`";
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return "the secret is not an scrypt hash (`scrypt$N$r$p$salt$hash`); make one with `pol serve --hash-secret`";
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const ok = (x: number, max: number) => Number.isInteger(x) && x >= 1 && x <= max;
  if (!ok(n, 2 ** 20) || (n & (n - 1)) !== 0 || !ok(r, 32) || !ok(p, 16) || 128 * n * r > MAX_MEM) return "the scrypt parameters are out of range (N a power of two up to 2^20, r up to 32, p up to 16)";
  const salt = Buffer.from(parts[4]!, "base64url");
  const key = Buffer.from(parts[5]!, "base64url");
  if (salt.length < 8 || key.length < 16) return "the scrypt salt or hash is too short";
  return { n, r, p, salt, key };
}

function derive(secret: string, salt: Buffer, n: number, r: number, p: number, len = KEY_LEN): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret.normalize("NFC"), salt, len, { N: n, r, p, maxmem: MAX_MEM }, (e, k) => (e ? reject(e) : resolve(k))));
}

/** Whether `secret` matches `stored`; false (never a throw) for a malformed hash. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (typeof h === "string") return false;
  const key = await derive(secret, h.salt, h.n, h.r, h.p, h.key.length);
  return timingSafeEqual(key, h.key);
}

/** A fresh random secret for a service or an ephemeral admin: 32 bytes, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** An opaque random id (sessions, CSRF tokens). */
export function randomId(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** One-shot (crypto.hash): no Hash object per call, which API requests pay once each to look up their principal. */
export function sha256(text: string): string {
  return hash("sha256", text, "base64url");
}

/** Constant-time equality of two strings (CSRF tokens). */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
