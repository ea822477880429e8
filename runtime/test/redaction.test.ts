// Redaction through the real Engine and JSONL log: fields inside lists of records
// (`args.items.*.card`), and limit buckets keyed by a redacted field, whose value must reach
// neither the audit record nor the store in clear yet still share one bucket per value.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileText } from "../../compiler/compile-file.js";
import { Engine } from "../engine.js";
import { WasmPolicy } from "../loader.js";
import { openSqliteStore } from "../store/index.js";
import { FakeClock, records, tempDir } from "./helpers.js";

const POLICY = `policy pay
tool charge { items: list<{ sku: string, card: string }>, card: string, account: { number: string, owner: string } }
allow charge
per_card: limit charge 2 calls per hour per args.card
per_account: limit charge 10 calls per hour per args.account.number per agent
redact args.items.*.card, args.card, args.account.number
`;

async function engine(dir: string): Promise<Engine> {
  const c = await compileText(POLICY, "pay.pol");
  if (!c.wasm) throw new Error(c.loaded.sink.errors.map((d) => d.message).join("\n"));
  return Engine.load(await WasmPolicy.fromBytes(c.wasm), { store: join(dir, "state.db"), audit: join(dir, "audit.jsonl"), clock: new FakeClock() });
}

const CARD = "4242424242424242";
const call = (card: string, agent = "bot") => ({
  tool: "charge", agent: { id: agent },
  args: { items: [{ sku: "a", card }, { sku: "b", card: "5555555555554444" }], card, account: { number: "DE89370400440532013000", owner: "Ada" } },
});

describe("redaction", () => {
  it("reaches fields inside lists of records", async () => {
    const dir = tempDir();
    const e = await engine(dir);
    expect((await e.decide(call(CARD))).effect).toBe("allow");
    await e.close();
    const rec = records(join(dir, "audit.jsonl")).find((r) => r["type"] === "decision")!;
    expect(rec["args"]).toEqual({ items: [{ sku: "a", card: "[redacted]" }, { sku: "b", card: "[redacted]" }], card: "[redacted]", account: { number: "[redacted]", owner: "Ada" } });
  });

  it("keys limits on a redacted field by a keyed hash: nothing in clear in the log or the store, one bucket per value", async () => {
    const dir = tempDir();
    const e = await engine(dir);
    expect((await e.decide(call(CARD))).effect).toBe("allow");
    expect((await e.decide(call(CARD, "other"))).effect).toBe("allow");
    const third = await e.decide(call(CARD));
    expect(third).toMatchObject({ effect: "deny", decidedBy: "limit", limit: "per_card" });
    expect((await e.decide(call("4000056655665556"))).effect).toBe("allow");
    await e.close();
    const log = readFileSync(join(dir, "audit.jsonl"), "utf8");
    for (const secret of [CARD, "DE89370400440532013000", "5555555555554444", "4000056655665556"]) expect(log).not.toContain(secret);
    const first = records(join(dir, "audit.jsonl")).find((r) => r["type"] === "decision")!;
    expect(first["limits"]).toEqual([
      { id: "per_card", key: expect.stringMatching(/^per_card\|args\.card=hmac:[0-9a-f]{32}$/), amount: 1 },
      { id: "per_account", key: expect.stringMatching(/^per_account\|args\.account\.number=hmac:[0-9a-f]{32}\|agent=bot$/), amount: 1 },
    ]);
    const db = readFileSync(join(dir, "state.db"));
    expect(db.includes(Buffer.from(CARD))).toBe(false);
    const store = await openSqliteStore(join(dir, "state.db"));
    const key = (first["limits"] as { key: string }[])[0]!.key;
    expect(await store.limits.usage(key, 3_600_000, new FakeClock().now())).toBe(2);
    await store.close();
  });
});
