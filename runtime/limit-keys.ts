// Limit bucket keys without redacted values. A limit keyed `per args.card_number` puts the card
// number in its bucket key, and the key goes to the store and the audit record: for a field the
// policy redacts (or a default secret key), the Engine keys the bucket by a keyed hash of the
// value instead (HMAC with the engine's secret, so the same value still shares a bucket across
// processes, and a reader of the log cannot test guesses). Fed by engine.ts when it charges limits.

import { createHmac } from "node:crypto";
import type { LimitUse } from "../language/call.js";
import { factsOfInput, limitKey, type LimitMeta, type PolicyMeta } from "../language/meta.js";
import type { Input } from "../language/validate.js";
import { isSecretKey } from "./audit/index.js";

/** Whether the audit log redacts the value at `path` (a redact path covers its prefix's subtree; `*` matches any segment). */
export function isRedacted(path: readonly string[], redactPaths: readonly string[]): boolean {
  if (path.some(isSecretKey)) return true;
  return redactPaths.some((r) => {
    const segs = r.split(".");
    return segs.length <= path.length && segs.every((s, i) => s === "*" || s === path[i]);
  });
}

export class KeyMasker {
  /** The limits whose keys read a redacted value, by id. */
  private readonly masked = new Map<string, LimitMeta>();
  private readonly redact: readonly string[];

  constructor(meta: PolicyMeta, private readonly secret: Uint8Array) {
    this.redact = meta.redact;
    for (const l of meta.limits) {
      if (l.keys.some((k) => k.kind === "path" && isRedacted(k.path, meta.redact))) this.masked.set(l.id, l);
    }
  }

  /** `uses` with the keys of masked limits rebuilt; the same array when none is masked (the common case costs a map lookup per limit). */
  apply(uses: readonly LimitUse[], input: () => Input): readonly LimitUse[] {
    if (this.masked.size === 0 || !uses.some((u) => this.masked.has(u.id))) return uses;
    const facts = factsOfInput(input());
    const mask = (path: string, value: string): string =>
      isRedacted(path.split("."), this.redact) ? `hmac:${createHmac("sha256", this.secret).update(`${path}\0${value}`).digest("hex").slice(0, 32)}` : value;
    return uses.map((u) => {
      const l = this.masked.get(u.id);
      return l ? { ...u, key: limitKey(l, facts, mask) } : u;
    });
  }
}
