// Property: every tampering of a random audit chain is reported with the kind, position and
// record count it deserves, and an untampered chain verifies. Tests verify.ts against logs
// written by jsonl.ts, spread over one file or many (rotation). And a verification resumed from
// the checkpoint of an earlier one, made part-way through the writing, says exactly what a full
// verification says, whatever was tampered with before or after that checkpoint (verify-resume.ts).
//
// Expected kinds, one per tampering (where two would be defensible, the one asserted is named):
//   edit a field, hashes left alone ............ edited (the mac field itself: forged, since the
//                                                 hash still matches and only the key check fails)
//   edit and rehash the chain without the key ... forged (edited is defensible; the hash matches,
//                                                 so only the mac can tell, and it says forged)
//   delete record i ............................. missing; deleting the last record is truncated,
//                                                 because nothing follows to show a gap
//   swap records i and j ........................ reordered
//   cut mid-line ................................ truncated
//   cut at a line boundary ...................... truncated (the head file names a later record)
//   append a record with a valid hash, no key ... forged

import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, type JsonValue } from "../canonical.mjs";
import { AUDIT_ENTRY_TYPES, sha256Hex, type AuditEntry } from "../chain.js";
import { chainFiles } from "../files.js";
import { JsonlAuditLog } from "../jsonl.js";
import { verifyAudit, type BreakKind } from "../verify.js";
import { fileLines, KEY, tempDir } from "./helpers.js";

type Tamper =
  | { op: "none" }
  | { op: "edit"; i: number; field: number }
  | { op: "rehash"; i: number }
  | { op: "delete"; i: number }
  | { op: "swap"; i: number; j: number }
  | { op: "cutLine"; i: number; at: number }
  | { op: "cutTail"; keep: number }
  | { op: "appendForged"; withGuessedKey: boolean };

const RESERVED = new Set(["seq", "prev", "hash", "mac", "type", "time"]);

const entryArb: fc.Arbitrary<AuditEntry> = fc
  .record({
    type: fc.constantFrom(...AUDIT_ENTRY_TYPES),
    time: fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString()),
    extra: fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => !RESERVED.has(k)), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>, { maxKeys: 4 }),
  })
  .map(({ type, time, extra }) => ({ ...extra, type, time }));

const tamperArb: fc.Arbitrary<Tamper> = fc.oneof(
  fc.constant<Tamper>({ op: "none" }),
  fc.record({ op: fc.constant("edit" as const), i: fc.nat(), field: fc.nat() }),
  fc.record({ op: fc.constant("rehash" as const), i: fc.nat() }),
  fc.record({ op: fc.constant("delete" as const), i: fc.nat() }),
  fc.record({ op: fc.constant("swap" as const), i: fc.nat(), j: fc.nat() }),
  fc.record({ op: fc.constant("cutLine" as const), i: fc.nat(), at: fc.nat() }),
  fc.record({ op: fc.constant("cutTail" as const), keep: fc.nat() }),
  fc.record({ op: fc.constant("appendForged" as const), withGuessedKey: fc.boolean() }),
);

/** One line of the chain: which file it lives in, its text, and whether its newline is gone. */
interface Slot { file: number; text: string | Buffer; partial?: boolean }

interface Expected { kind: BreakKind; count: number; at?: number }

const flip = (hex: string): string => hex.slice(0, -1) + (hex.endsWith("0") ? "1" : "0");

function editField(rec: Record<string, unknown>, n: number, pick: number): string {
  const keys = Object.keys(rec).sort();
  const key = keys[pick % keys.length]!;
  if (key === "seq") rec.seq = (rec.seq as number) + n + 1;
  else if (key === "prev" || key === "hash" || key === "mac") rec[key] = flip(rec[key] as string);
  else rec[key] = rec[key] === "tampered" ? "tampered!" : "tampered";
  return key;
}

function rehashFrom(slots: Slot[], i: number): void {
  for (let k = i; k < slots.length; k++) {
    const rec = JSON.parse(String(slots[k]!.text)) as Record<string, unknown>;
    if (k === i) rec.effect = rec.effect === "deny" ? "allow" : "deny";
    else rec.prev = (JSON.parse(String(slots[k - 1]!.text)) as { hash: string }).hash;
    const { hash: _h, mac: _m, ...body } = rec;
    rec.hash = sha256Hex(canonicalJson(body)); // the mac stays: recomputing it needs the key
    slots[k]!.text = JSON.stringify(rec);
  }
}

/** Applies `t` to the chain's lines in place; returns what verify must say, or null for ok. */
function tamper(slots: Slot[], t: Tamper, lastFile: number): Expected | null {
  const n = slots.length;
  switch (t.op) {
    case "none":
      return null;
    case "edit": {
      const i = t.i % n;
      const rec = JSON.parse(String(slots[i]!.text)) as Record<string, unknown>;
      const key = editField(rec, n, t.field);
      slots[i]!.text = JSON.stringify(rec);
      return { kind: key === "mac" ? "forged" : "edited", count: i, at: i };
    }
    case "rehash": {
      const i = t.i % n;
      rehashFrom(slots, i);
      return { kind: "forged", count: i, at: i };
    }
    case "delete": {
      const i = t.i % n;
      slots.splice(i, 1);
      return i === n - 1 ? { kind: "truncated", count: n - 1 } : { kind: "missing", count: i, at: i };
    }
    case "swap": {
      fc.pre(n >= 2);
      const i = t.i % n;
      let j = t.j % (n - 1);
      if (j >= i) j++;
      const [a, b] = [Math.min(i, j), Math.max(i, j)];
      [slots[a]!.text, slots[b]!.text] = [slots[b]!.text, slots[a]!.text];
      return { kind: "reordered", count: a, at: a };
    }
    case "cutLine": {
      const i = t.i % n;
      const bytes = Buffer.from(String(slots[i]!.text), "utf8");
      slots[i] = { file: slots[i]!.file, text: bytes.subarray(0, 1 + (t.at % bytes.length)), partial: true };
      slots.splice(i + 1);
      return { kind: "truncated", count: i, at: i };
    }
    case "cutTail": {
      const keep = t.keep % n;
      slots.splice(keep);
      return { kind: "truncated", count: keep };
    }
    case "appendForged": {
      const last = JSON.parse(String(slots[n - 1]!.text)) as { hash: string };
      const body = { type: "decision", time: "2025-01-01T00:00:00.000Z", tool: "stripe.refund", effect: "allow", seq: n + 1, prev: last.hash };
      const hash = sha256Hex(canonicalJson(body));
      const mac = t.withGuessedKey ? createHmac("sha256", randomBytes(32)).update(hash).digest("hex") : randomBytes(32).toString("hex");
      slots.push({ file: lastFile, text: JSON.stringify({ ...body, hash, mac }) });
      return { kind: "forged", count: n, at: n };
    }
  }
}

/** Writes back only the files whose bytes changed, so a resumed verification can trust the others. */
function writeBack(files: string[], slots: Slot[]): void {
  files.forEach((path, f) => {
    const parts = slots.filter((s) => s.file === f).map((s) => (s.partial ? Buffer.from(s.text) : Buffer.from(`${String(s.text)}\n`, "utf8")));
    const bytes = Buffer.concat(parts);
    if (!bytes.equals(readFileSync(path))) writeFileSync(path, bytes);
  });
}

/** File and 1-based line of chain position `at` after tampering. */
function locate(files: string[], slots: Slot[], at: number): { file: string; line: number } {
  const f = slots[at]!.file;
  return { file: files[f]!, line: slots.slice(0, at + 1).filter((s) => s.file === f).length };
}

describe("verifyAudit on random tamperings", () => {
  it("reports every tampering precisely and passes every untampered chain", async () => {
    const root = tempDir();
    let run = 0;
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(entryArb, { minLength: 1, maxLength: 60 }),
        fc.constantFrom(1, 900, 100 * 1024 * 1024),
        tamperArb,
        fc.nat(),
        async (entries, rotateBytes, t, split) => {
          const dir = join(root, String(run++));
          mkdirSync(dir);
          try {
            const path = join(dir, "audit.jsonl");
            // written in two sessions, with an intact verification's checkpoint between them
            const cut = split % (entries.length + 1);
            let checkpoint;
            for (const part of [entries.slice(0, cut), entries.slice(cut)]) {
              const log = await JsonlAuditLog.open(path, { key: KEY, rotateBytes, batchMs: 0 });
              for (const e of part) log.append(e);
              await log.close();
              if (checkpoint) break;
              const first = await verifyAudit(path, { key: KEY });
              if (!first.ok || !first.checkpoint) throw new Error("the first session's log did not verify");
              checkpoint = first.checkpoint;
            }
            const files = chainFiles(path);
            const slots: Slot[] = files.flatMap((p, f) => fileLines(p).map((text) => ({ file: f, text })));
            expect(slots).toHaveLength(entries.length);
            const want = tamper(slots, t, files.length - 1);
            writeBack(files, slots);
            const got = await verifyAudit(path, { key: KEY });
            const { checkpoint: _full, ...full } = got as { checkpoint?: unknown };
            const { checkpoint: _resumed, resumed: from, ...resumed } = (await verifyAudit(path, { key: KEY, from: checkpoint })) as { checkpoint?: unknown; resumed?: number };
            expect(resumed).toEqual(full);
            // an intact chain is never walked again from the start: the checkpoint held
            if (want === null) expect(from).toBe(cut);
            seen.set(t.op, (seen.get(t.op) ?? 0) + 1);
            if (want === null) {
              expect(got).toMatchObject({ ok: true, count: entries.length });
              return;
            }
            if (got.ok) throw new Error(`${t.op} went undetected`);
            expect({ kind: got.error.kind, count: got.count, seq: got.error.seq }).toEqual({ kind: want.kind, count: want.count, seq: want.count + 1 });
            if (want.at !== undefined) expect({ file: got.error.file, line: got.error.line }).toEqual(locate(files, slots, want.at));
            if (want.kind === "truncated" && want.count > 0) expect(got.error.message).toMatch(new RegExp(`record (is )?${want.count}(?!\\d)`));
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 400 },
    );
    // every tampering was exercised, not just generated
    for (const op of ["none", "edit", "rehash", "delete", "swap", "cutLine", "cutTail", "appendForged"]) {
      expect(seen.get(op) ?? 0, op).toBeGreaterThan(10);
    }
  });
});
