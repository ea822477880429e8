// Outcome receipts (runtime/outcome-receipt.ts): a receipt checks out only for the decision and
// agent it was made for, under the same secret, within its hour; and ids.ts reads a decision's time.

import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Engine } from "../engine.js";
import { IdGenerator, idTime } from "../ids.js";
import { WasmPolicy } from "../loader.js";
import { RECEIPT_TTL_MS, Receipts } from "../outcome-receipt.js";
import { openSqliteStore } from "../store/index.js";
import { compiled, refund, SHOP, tempDir } from "./helpers.js";

const T = Date.UTC(2026, 11, 7, 12);

describe("outcome receipts", () => {
  const secret = randomBytes(32);
  const r = new Receipts(secret);
  const id = new IdGenerator().next(T);

  it("reads the time an id was made at, and nothing from text that is not an id", () => {
    const g = new IdGenerator();
    for (const t of [0, 1, T, 2 ** 48 - 1]) expect(idTime(g.next(t))).toBe(t);
    for (const bad of ["", "x".repeat(26), id.slice(1), `${id}0`, id.replace(/.$/, "U"), "ZZZZZZZZZZ0000000000000000"]) expect(idTime(bad)).toBeUndefined();
  });

  it("checks out for its decision and agent, under the same secret (another engine of the fleet), within the hour", () => {
    const receipt = r.sign(id, "bot");
    expect(receipt).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Receipts(Uint8Array.from(secret)).problem(id, "bot", receipt, T + 1000)).toBeUndefined();
    expect(r.problem(id, "bot", receipt, T + RECEIPT_TTL_MS)).toBeUndefined();
  });

  it("does not for another decision, agent, secret or a changed receipt, with one reason", () => {
    const receipt = r.sign(id, "bot");
    const other = new IdGenerator().next(T);
    const why = (decision: string, agent: string) => `\`receipt\` is not the receipt of an allow of \`${decision}\` for agent \`${agent}\``;
    expect(r.problem(other, "bot", receipt, T)).toBe(why(other, "bot"));
    expect(r.problem(id, "Bot", receipt, T)).toBe(why(id, "Bot"));
    expect(new Receipts(randomBytes(32)).problem(id, "bot", receipt, T)).toBe(why(id, "bot"));
    const flipped = (receipt[0] === "A" ? "B" : "A") + receipt.slice(1);
    for (const bad of [flipped, receipt.slice(1), `${receipt}A`, "", r.sign(id, "bot2")]) expect(r.problem(id, "bot", bad, T)).toBe(why(id, "bot"));
    // The two fields cannot run together: a shift of characters from one to the other signs differently.
    expect(r.sign("ab", "c")).not.toBe(r.sign("a", "bc"));
    expect(r.sign("1:a", "b")).not.toBe(r.sign("1", ":ab"));
  });

  it("expires an hour after its decision, and refuses an id from the future or not an id", () => {
    const receipt = r.sign(id, "bot");
    expect(r.problem(id, "bot", receipt, T + RECEIPT_TTL_MS + 1)).toBe(`the receipt of \`${id}\` is more than 60 minutes old; outcomes move trust only within that time`);
    expect(r.problem(id, "bot", receipt, T - 10 * 60_000)).toBe(`\`${id}\` is not a decision id this engine could have made`);
    expect(r.problem("made-up", "bot", r.sign("made-up", "bot"), T)).toBe("`made-up` is not a decision id this engine could have made");
  });
});

describe("outcome receipts in engines sharing a store", () => {
  /** Two engines (and a restart of the first) on one SQLite file, with limits as `limits` says. */
  async function fleet(limits: string | undefined) {
    const dir = tempDir();
    const store = limits === undefined ? join(dir, "state.db") : { limits, default: join(dir, "state.db") };
    const p = await WasmPolicy.fromBytes(await compiled(SHOP), { extraArgs: "deny" });
    let n = 0;
    const open = () => Engine.load(p, { trust: { initial: 60, reward: 10 }, store, audit: join(dir, `audit-${n++}.jsonl`) });
    return { open, a: await open(), b: await open() };
  }
  const outcome = (decision: string) => ({ decision, tool: "refund", agent: "bot", run: null, status: "succeeded" as const });

  it("moves trust once, whichever engine it is reported to and after a restart", async () => {
    const { open, a, b } = await fleet(undefined);
    const d = await a.decide(refund(5));
    const receipt = a.receipt(d.id, "bot");
    expect(await b.recordOutcome(outcome(d.id), "success", { receipt })).toEqual({});
    await a.close();
    const again = await open();
    expect((await again.recordOutcome(outcome(d.id), "success", { receipt })).trustUnchanged).toMatch(/was reported already/);
    expect((await b.trust("bot")).score).toBe(70);
    await Promise.all([again.close(), b.close()]);
  });

  it("moves trust once with limits kept apart too: the claim is the trust store's (adjustOnce)", async () => {
    const { open, a, b } = await fleet(":memory:");
    const d = await a.decide(refund(5));
    const receipt = a.receipt(d.id, "bot");
    expect(await a.recordOutcome(outcome(d.id), "success", { receipt })).toEqual({});
    expect((await b.recordOutcome(outcome(d.id), "success", { receipt })).trustUnchanged).toMatch(/was reported already/);
    await a.close();
    const again = await open();
    expect((await again.recordOutcome(outcome(d.id), "success", { receipt: null })).trustUnchanged).toMatch(/was reported already/);
    expect((await b.trust("bot")).score).toBe(70);
    await Promise.all([again.close(), b.close()]);
  });

  it("with a trust store of the caller's that lacks adjustOnce, claims in the limit store, and counts receipts only where that is the trust store's own", async () => {
    const dir = tempDir();
    const shared = await openSqliteStore(join(dir, "state.db"), { initialTrust: 60 });
    // The caller's store: SQLite's parts, trust without adjustOnce.
    const t = shared.trust;
    const theirs = { ...shared, trust: { get: t.get.bind(t), adjust: t.adjust.bind(t), set: t.set.bind(t), restore: t.restore.bind(t) }, close: async () => {} };
    const p = await WasmPolicy.fromBytes(await compiled(SHOP), { extraArgs: "deny" });
    const load = (store: object, n: string) => Engine.load(p, { trust: { initial: 60, reward: 10 }, store: store as never, audit: join(dir, `audit-${n}.jsonl`), secret: "ab".repeat(16) });
    const one = await load(theirs, "one");
    const d = await one.decide(refund(5));
    const receipt = one.receipt(d.id, "bot");
    expect(await one.recordOutcome(outcome(d.id), "success", { receipt })).toEqual({});
    expect((await one.recordOutcome(outcome(d.id), "success", { receipt })).trustUnchanged).toMatch(/was reported already/);
    // Limits in this process's memory, trust the caller's shared one: a receipt would be claimed anew here.
    const apart = await load({ limits: ":memory:", default: theirs }, "apart");
    expect((await apart.recordOutcome(outcome(d.id), "success", { receipt })).trustUnchanged).toBe("this engine keeps limits and trust in different stores, so it cannot count a receipt's outcome once; report it without the receipt to the server that decided");
    expect((await one.trust("bot")).score).toBe(70);
    // There the claim comes first, with no undo: a change that then fails says the claim is spent.
    const failing = await load({ ...theirs, trust: { ...theirs.trust, adjust: async () => { throw new Error("trust is read-only"); } } }, "failing");
    const next = await failing.decide(refund(6));
    expect(await failing.recordOutcome(outcome(next.id), "success", { receipt: failing.receipt(next.id, "bot") })).toEqual({ trustError: "trust is read-only", claimSpent: true });
    await Promise.all([one.close(), apart.close(), failing.close()]);
    await shared.close();
  });
});
