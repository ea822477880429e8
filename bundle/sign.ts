// Signing and verifying bundles with Ed25519 (node:crypto), in OPA's `.signatures.json` shape: a
// list of compact JWS whose payload names the signed files with their SHA-256. pol signs one file,
// the manifest, which in turn names every other file with its hash (format.ts checks those).
// Keys are PEM (PKCS#8 private, SPKI public) as `pol keygen` writes them. Used by build.ts, open.ts.

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { BundleError, MANIFEST, sha256, type VerifyKey } from "./format.js";

export type { VerifyKey };


export interface KeyPair {
  /** PKCS#8 PEM: keep it secret, sign with it. */
  privateKey: string;
  /** SPKI PEM: give it to every service that loads the bundles (`verifyKey`). */
  publicKey: string;
  keyId: string;
}

interface JwsHeader { alg?: unknown; kid?: unknown }
interface SignedFile { name?: unknown; hash?: unknown; algorithm?: unknown }

const b64u = (b: Uint8Array | string): string => Buffer.from(b).toString("base64url");

/** `ed25519:` and 16 hex digits of the SHA-256 of the public key (SPKI DER): names the signer in audit records. */
export function keyId(key: KeyObject): string {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return `ed25519:${sha256(pub.export({ type: "spki", format: "der" })).slice(0, 16)}`;
}

export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyId: keyId(publicKey),
  };
}

/** PEM text, or DER bytes (bytes that are not PEM); a string not starting with `-----BEGIN` is a file path. */
function keyText(k: string | Uint8Array, what: string): string | Buffer {
  if (typeof k !== "string") {
    const b = Buffer.from(k);
    const text = b.toString("utf8");
    return text.trimStart().startsWith("-----BEGIN") ? text : b;
  }
  if (k.trimStart().startsWith("-----BEGIN")) return k;
  try {
    return readFileSync(k, "utf8");
  } catch (e) {
    throw new BundleError("key", `cannot read the ${what} \`${k}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function ed25519(key: KeyObject, source: string): KeyObject {
  if (key.asymmetricKeyType !== "ed25519") throw new BundleError("key", `${source} is not an Ed25519 key (its type is \`${key.asymmetricKeyType ?? "unknown"}\`); pol signs bundles with Ed25519 keys: make one with \`pol keygen\``);
  return key;
}

const named = (k: string | Uint8Array, what: string) => (typeof k === "string" && !k.trimStart().startsWith("-----BEGIN") ? `\`${k}\`` : `the ${what}`);

/** The signing key from PEM text, a PEM file path or bytes. */
export function privateKeyOf(k: string | Uint8Array): KeyObject {
  const text = keyText(k, "signing key");
  try {
    return ed25519(createPrivateKey(text), named(k, "signing key"));
  } catch (e) {
    if (e instanceof BundleError) throw e;
    throw new BundleError("key", `${named(k, "signing key")} is not a PEM private key: ${(e as Error).message.split("\n")[0]}`);
  }
}

/** The trusted public keys, each Ed25519; a private key stands for its public half. */
export function publicKeysOf(k: VerifyKey): KeyObject[] {
  const list = typeof k === "string" || k instanceof Uint8Array ? [k] : [...k];
  if (list.length === 0) throw new BundleError("key", "`verifyKey` is an empty list: give the public key the bundles are signed with");
  return list.map((one) => {
    const text = keyText(one, "verify key");
    let key: KeyObject;
    try {
      if (typeof text !== "string") key = createPublicKey({ key: text, format: "der", type: "spki" });
      else key = /PRIVATE KEY/.test(text) ? createPublicKey(createPrivateKey(text)) : createPublicKey(text);
    } catch (e) {
      throw new BundleError("key", `${named(one, "verify key")} is not a PEM public key: ${(e as Error).message.split("\n")[0]}`);
    }
    return ed25519(key, named(one, "verify key"));
  });
}

/** `.signatures.json` for a manifest: one JWS (EdDSA) whose payload names the manifest and its SHA-256. */
export function signManifest(manifest: Uint8Array, key: KeyObject): Uint8Array {
  const kid = keyId(key);
  const head = b64u(JSON.stringify({ alg: "EdDSA", kid }));
  const body = b64u(JSON.stringify({ files: [{ name: MANIFEST, hash: sha256(manifest), algorithm: "SHA-256" }], keyid: kid }));
  const sig = b64u(sign(null, Buffer.from(`${head}.${body}`), key));
  return new TextEncoder().encode(JSON.stringify({ signatures: [`${head}.${body}.${sig}`] }, null, 2) + "\n");
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new BundleError("signature", `the bundle's signature ${what} is not JSON: the signature file was altered`);
  }
}

/** The JWS strings of a `.signatures.json`; a missing or empty file is `unsigned`. */
function jwsList(signatures: Uint8Array | undefined): string[] {
  const unsigned = new BundleError("unsigned", "the bundle is not signed: build it with `pol build --sign key.pem` (services refuse unsigned bundles)");
  if (!signatures) throw unsigned;
  const v = parseJson<{ signatures?: unknown }>(new TextDecoder().decode(signatures), "file");
  if (typeof v !== "object" || v === null || !Array.isArray(v.signatures)) throw new BundleError("signature", "the bundle's .signatures.json has no `signatures` list: the signature file was altered");
  if (v.signatures.length === 0) throw unsigned;
  if (!v.signatures.every((s) => typeof s === "string" && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(s))) throw new BundleError("signature", "a signature in the bundle is not a compact JWS: the signature file was altered");
  return v.signatures as string[];
}

/**
 * Verifies that one signature in `signatures` is an Ed25519 signature by one of `keys` over a
 * payload naming exactly this manifest. Returns the signer's key id; throws BundleError
 * (`unsigned`, `signature`, `tampered`) otherwise.
 */
export function verifySignatures(signatures: Uint8Array | undefined, manifest: Uint8Array, keys: readonly KeyObject[]): string {
  const trusted = keys.map((k) => ({ key: k, id: keyId(k) }));
  const claimed: string[] = [];
  for (const jws of jwsList(signatures)) {
    const [h, p, s] = jws.split(".") as [string, string, string];
    const header = parseJson<JwsHeader>(Buffer.from(h, "base64url").toString("utf8"), "header");
    if (header.alg !== "EdDSA") throw new BundleError("signature", `a signature uses algorithm \`${String(header.alg)}\`; pol accepts only EdDSA (Ed25519)`);
    if (typeof header.kid === "string") claimed.push(header.kid);
    const signer = trusted.find((t) => verify(null, Buffer.from(`${h}.${p}`), t.key, Buffer.from(s, "base64url")));
    if (!signer) continue;
    const payload = parseJson<{ files?: SignedFile[] }>(Buffer.from(p, "base64url").toString("utf8"), "payload");
    const m = Array.isArray(payload.files) ? payload.files.find((f) => f.name === MANIFEST) : undefined;
    if (!m || m.algorithm !== "SHA-256") throw new BundleError("signature", `the signature does not cover ${MANIFEST}: sign the bundle with \`pol build --sign\``);
    if (m.hash !== sha256(manifest)) throw new BundleError("tampered", `${MANIFEST} is not the manifest that was signed: it was changed after signing`);
    return signer.id;
  }
  const ids = trusted.map((t) => `\`${t.id}\``).join(", ");
  const foreign = claimed.filter((c) => !trusted.some((t) => t.id === c));
  if (foreign.length > 0 && foreign.length === claimed.length) {
    throw new BundleError("signature", `the bundle is signed by key \`${foreign[0]}\`, which is not a trusted verify key (trusted: ${ids}): load it with the signer's public key, or re-sign it`);
  }
  throw new BundleError("signature", `no signature in the bundle verifies with the trusted key${trusted.length > 1 ? "s" : ""} ${ids}: the signature was altered or made with another key`);
}
