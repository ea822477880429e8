// The JSONL chain head anchored in the state store (runtime/audit-anchor.ts), end to end: a real
// Engine over a SQLite file and its default JSONL log, then someone who can edit the log's
// directory (and so has the key beside it) cuts the last records and rewrites the head file. The
// log alone verifies as intact; against the anchor, `pol audit verify --anchor` finds the cut.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import type { Io } from "../../cli/io.js";
import { headPath, headText } from "../audit/files.js";
import { verifyAudit } from "../audit/index.js";
import { jsonlAnchorName } from "../audit-anchor.js";
import { openSqliteStore } from "../store/index.js";
import { harness, records, refund, tempDir } from "./helpers.js";

async function pol(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), stdin: async () => "", colorOut: false, colorErr: false };
  return { code: await main(args, io), out, err };
}

describe("the audit head anchored in the state store", () => {
  it("advances as records become durable, and catches a log cut back together with its head file", async () => {
    const dir = tempDir();
    const h = await harness({ dir, hooks: { onError: () => undefined } });
    for (let i = 1; i <= 6; i++) await h.engine.decide(refund(10 + i));
    await h.engine.flush();
    await h.engine.close();
    const all = records(h.audit);
    const last = all[all.length - 1]!;

    const store = await openSqliteStore(h.store);
    expect(await store.anchors.get(jsonlAnchorName(h.audit))).toMatchObject({ seq: last["seq"], hash: last["hash"] });
    await store.close();
    expect(await pol("audit", "verify", h.audit, "--anchor", h.store)).toMatchObject({ code: 0, out: `audit chain intact: ${all.length} records in 1 file\n` });

    // Whoever can edit the directory cuts the last three records and rewrites the head with the key beside the log.
    const key = Buffer.from(readFileSync(`${h.audit}.key`, "utf8").trim(), "hex");
    const kept = all.slice(0, -3);
    writeFileSync(h.audit, readFileSync(h.audit, "utf8").split("\n").slice(0, kept.length).map((l) => `${l}\n`).join(""));
    const top = kept[kept.length - 1]!;
    writeFileSync(headPath(h.audit), headText(key, top["seq"] as number, top["hash"] as string));
    expect(await verifyAudit(h.audit)).toMatchObject({ ok: true, count: kept.length });

    const caught = await pol("audit", "verify", h.audit, "--anchor", h.store);
    expect(caught.code).toBe(1);
    expect(caught.err).toContain(`the log ends after record ${kept.length} but the anchor outside it says record ${all.length} was durable`);
  });

  it("says so when the store holds no anchor for the log", async () => {
    const h = await harness({ dir: tempDir() });
    await h.engine.decide(refund(10));
    await h.engine.close();
    const other = join(tempDir(), "other.db");
    (await openSqliteStore(other)).close();
    const r = await pol("audit", "verify", h.audit, "--anchor", other);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the store holds no anchor `jsonl:.*audit\.jsonl`: this log was never anchored there/);
  });
});
