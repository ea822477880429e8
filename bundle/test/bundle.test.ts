// Bundles end to end: build (compile, suites, pack, sign), open (signature, then every file against
// the manifest), reproducibility, and refusal of every kind of tampering: each file, the manifest
// (alone, and re-hashed to cover a changed file), the signature, another key, no signature, added
// and removed files, and archives pol would never write (duplicates, `..`, links).

import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BuildError, buildBundle } from "../build.js";
import { BundleError, MANIFEST, MODULE, SIGNATURES, manifestBytes, parseManifest, sha256 } from "../format.js";
import { openBundle, readBundle } from "../open.js";
import { generateKeyPair, keyId, publicKeysOf, signManifest, privateKeyOf } from "../sign.js";
import { gzipTar, packTar, unpackTar } from "../tar.js";
import { policyDir, signer, SUITE_V1, SUITE_V2, V1 } from "./fixtures.js";

let built: Awaited<ReturnType<typeof buildBundle>> | undefined;
async function v1(): Promise<Uint8Array> {
  built ??= await buildBundle(policyDir(V1, SUITE_V1), { signKey: signer().privateKey });
  return built.bytes;
}

/** The bundle with `path`'s bytes replaced (the rest, signature included, untouched). */
function withFile(bytes: Uint8Array, path: string, change: (b: Uint8Array) => Uint8Array | undefined): Uint8Array {
  const files = unpackTar(bytes);
  const next = change(files.get(path) ?? new Uint8Array());
  if (next === undefined) files.delete(path);
  else files.set(path, next);
  return packTar(files);
}

const flip = (b: Uint8Array, at = Math.floor(b.length / 2)) => {
  const c = b.slice();
  c[at] ^= 0x01;
  return c;
};
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function refusal(bytes: Uint8Array, key: string = signer().publicKey): BundleError {
  try {
    openBundle(bytes, key);
  } catch (e) {
    expect(e).toBeInstanceOf(BundleError);
    return e as BundleError;
  }
  throw new Error("the bundle was accepted");
}

describe("pol bundles", () => {
  it("packs the module, every source (imports too), the suite and a manifest, signed; opening returns exactly them", async () => {
    const bytes = await v1();
    const b = openBundle(bytes, signer().publicKey);
    expect(b.signer).toBe(signer().keyId);
    expect(b.hash).toBe(sha256(bytes));
    expect(b.manifest.policy).toEqual({ name: "refunds", file: "refunds.pol", hash: sha256(b.module) });
    expect([...b.sources.keys()].sort()).toEqual(["_shared.pol", "refunds.pol"]);
    expect([...b.suites.keys()]).toEqual(["refunds.test.yaml"]);
    expect(b.sources.get("refunds.pol")).toBe(V1);
    expect(b.manifest.files.map((f) => [f.path, f.role])).toEqual([["_shared.pol", "source"], [MODULE, "module"], ["refunds.pol", "source"], ["refunds.test.yaml", "suite"]]);
    expect(built!.tests).toMatchObject({ suites: 1, passed: 4, failed: 0, errors: 0 });
    // An ordinary tar.gz: the listing tools show it.
    expect([...unpackTar(bytes).keys()].sort()).toEqual([MANIFEST, SIGNATURES, "_shared.pol", MODULE, "refunds.pol", "refunds.test.yaml"].sort());
  });

  it("is reproducible: the same sources and key give the same bytes", async () => {
    const again = await buildBundle(policyDir(V1, SUITE_V1), { signKey: signer().privateKey });
    expect(sha256(again.bytes)).toBe(sha256(await v1()));
  });

  it.each([MODULE, "refunds.pol", "_shared.pol", "refunds.test.yaml"])("refuses a bundle whose %s was changed after signing", async (path) => {
    const e = refusal(withFile(await v1(), path, (b) => flip(b)));
    expect(e.code).toBe("tampered");
    expect(e.message).toBe(`\`${path}\` does not match the manifest's sha256: the file was changed after the bundle was built`);
  });

  it("refuses a changed manifest, and one re-hashed to cover a changed module", async () => {
    const bytes = await v1();
    const e1 = refusal(withFile(bytes, MANIFEST, (b) => enc(dec(b).replace('"refunds"', '"refundz"'))));
    expect([e1.code, e1.message]).toEqual(["tampered", ".manifest.json is not the manifest that was signed: it was changed after signing"]);
    // The careful attacker: change the module and fix its hash in the manifest.
    const files = unpackTar(bytes);
    const evil = flip(files.get(MODULE)!, files.get(MODULE)!.length - 3);
    const m = parseManifest(files.get(MANIFEST)!);
    const fixed = { ...m, policy: { ...m.policy, hash: sha256(evil) }, files: m.files.map((f) => (f.path === MODULE ? { ...f, sha256: sha256(evil) } : f)) };
    files.set(MODULE, evil);
    files.set(MANIFEST, manifestBytes(fixed));
    expect(refusal(packTar(files)).code).toBe("tampered");
  });

  it("refuses a changed signature, another signer, and no signature at all", async () => {
    const bytes = await v1();
    const bad = withFile(bytes, SIGNATURES, (b) => {
      const s = JSON.parse(dec(b)) as { signatures: string[] };
      const jws = s.signatures[0]!;
      const last = jws.at(-2) === "A" ? "B" : "A";
      return enc(JSON.stringify({ signatures: [`${jws.slice(0, -2)}${last}${jws.at(-1)}`] }));
    });
    const e1 = refusal(bad);
    expect(e1.code).toBe("signature");
    expect(e1.message).toMatch(/^no signature in the bundle verifies with the trusted key `ed25519:[0-9a-f]{16}`: the signature was altered or made with another key$/);

    const other = generateKeyPair();
    const e2 = refusal(bytes, other.publicKey);
    expect(e2.message).toBe(`the bundle is signed by key \`${signer().keyId}\`, which is not a trusted verify key (trusted: \`${other.keyId}\`): load it with the signer's public key, or re-sign it`);

    // Re-signed by an attacker's own key: valid JWS, untrusted signer.
    const files = unpackTar(bytes);
    files.set(SIGNATURES, signManifest(files.get(MANIFEST)!, privateKeyOf(other.privateKey)));
    expect(refusal(packTar(files)).message).toMatch(/is signed by key `ed25519:[0-9a-f]{16}`, which is not a trusted verify key/);

    const unsigned = withFile(bytes, SIGNATURES, () => undefined);
    expect([refusal(unsigned).code, refusal(unsigned).message]).toEqual(["unsigned", "the bundle is not signed: build it with `pol build --sign key.pem` (services refuse unsigned bundles)"]);
    expect(refusal(withFile(bytes, SIGNATURES, () => enc('{"signatures":[]}'))).code).toBe("unsigned");
    expect(refusal(withFile(bytes, SIGNATURES, () => enc("{nope"))).code).toBe("signature");
    // A JWS claiming another algorithm is refused before any key is tried.
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from("{}").toString("base64url")}.AA`;
    expect(refusal(withFile(bytes, SIGNATURES, () => enc(JSON.stringify({ signatures: [none] })))).message).toBe("a signature uses algorithm `none`; pol accepts only EdDSA (Ed25519)");
  });

  it("accepts any one of several trusted keys (rotation), and a private key for its public half", async () => {
    const bytes = await v1();
    expect(openBundle(bytes, [generateKeyPair().publicKey, signer().publicKey]).signer).toBe(signer().keyId);
    expect(openBundle(bytes, signer().privateKey).signer).toBe(signer().keyId);
    expect(keyId(publicKeysOf(signer().privateKey)[0]!)).toBe(signer().keyId);
  });

  it("refuses added and removed files", async () => {
    const bytes = await v1();
    const added = refusal(withFile(bytes, "evil.pol", () => enc("allow *\n")));
    expect(added.message).toBe("`evil.pol` is in the bundle but not in its manifest: a file was added after the bundle was built");
    const removed = refusal(withFile(bytes, "refunds.test.yaml", () => undefined));
    expect(removed.message).toBe("`refunds.test.yaml` is listed in the manifest but missing from the bundle");
  });

  it("refuses archives pol never writes: a duplicate entry, `..` paths, links, garbage, a gzip bomb", async () => {
    const files = unpackTar(await v1());
    const entries = [...files];
    const dup = gzipTar([...entries, [MODULE, flip(files.get(MODULE)!)]]);
    expect(refusal(dup).message).toBe("not a pol bundle: `policy.wasm` appears twice in the archive");
    expect(refusal(gzipTar([...entries, ["../escape.pol", enc("x")]])).message).toBe("not a pol bundle: `../escape.pol` is not a path a bundle may hold (relative, no `..`, no empty segments)");
    const link = gzipTar(entries);
    const raw = new Uint8Array(gunzipSync(link));
    raw[156] = 0x32; // the first entry becomes a symlink, with its header checksum made right again
    raw.fill(0x20, 148, 156);
    raw.set(enc(raw.subarray(0, 512).reduce((a, x) => a + x, 0).toString(8).padStart(6, "0") + "\0 "), 148);
    const { gzipSync } = await import("node:zlib");
    expect(refusal(new Uint8Array(gzipSync(raw))).message).toBe("not a pol bundle: `.manifest.json` is not a regular file (tar type `2`): a bundle holds regular files only");
    expect(refusal(enc("not a bundle")).message).toMatch(/^not a pol bundle: not a gzip'ed archive/);
    const bomb = new Uint8Array(gzipSync(new Uint8Array(80 * 1024 * 1024)));
    expect(refusal(bomb).message).toBe("not a pol bundle: the bundle unpacks to more than 64 MiB");
  });

  it("reads without a key for offline tools, still checking every file", async () => {
    const bytes = await v1();
    expect(readBundle(bytes).signer).toBeUndefined();
    expect(() => readBundle(withFile(bytes, "refunds.pol", flip))).toThrow(/does not match the manifest's sha256/);
  });

  it("refuses to build when the bundled suites fail, or the policy does not compile, or imports from outside", async () => {
    const failing = buildBundle(policyDir(V1, SUITE_V2), { signKey: signer().privateKey });
    await expect(failing).rejects.toThrow(BuildError);
    await expect(failing).rejects.toMatchObject({ code: "tests", tests: { failed: 1, problem: expect.stringContaining("large refunds are denied") } });
    // --no-test: the bundle is built, and the gate at reload will refuse it.
    expect((await buildBundle(policyDir(V1, SUITE_V2), { test: false })).tests).toBeUndefined();
    await expect(buildBundle(policyDir("allow refund if args.nope > 1\n", SUITE_V1))).rejects.toMatchObject({ code: "compile" });
    const outside = policyDir(V1.replace('import "_shared.pol"', 'import "../_shared.pol"'), SUITE_V1);
    await expect(buildBundle(outside)).rejects.toMatchObject({ code: "compile", detail: expect.stringContaining("is outside the bundle's directory") });
  });

  it("picks the one policy of a directory, and asks which when there are several", async () => {
    const two = policyDir(V1, SUITE_V1, { "other.pol": "default deny\n", "other.test.yaml": "cases: []\n" });
    await expect(buildBundle(two)).rejects.toThrow(/holds 2 policies \(`other\.pol`, `refunds\.pol`\); a bundle carries one: name it/);
    const one = await buildBundle(`${two}/refunds.pol`);
    expect(one.skipped).toEqual(["other.test.yaml"]);
    expect(one.signer).toBeUndefined();
  });
});
