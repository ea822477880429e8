// Outcome receipts (runtime/outcome-receipt.ts): a receipt checks out only for the decision and
// agent it was made for, under the same secret, within its hour; and ids.ts reads a decision's time.

import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Engine } from "../engine.js";
import { IdGenerator, idTime } from "../ids.js";
import { WasmPolicy } from "../loader.js";
import { RECEIPT_TTL_MS, Receipts } from "../outcome-receipt.js";
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

  it("counts no receipt when limits live apart from trust (each engine would claim it again)", async () => {
    const { a, b } = await fleet(":memory:");
    const d = await a.decide(refund(5));
    const receipt = a.receipt(d.id, "bot");
    for (const e of [a, b]) {
      expect((await e.recordOutcome(outcome(d.id), "success", { receipt })).trustUnchanged).toBe("this engine keeps limits and trust in different stores, so it cannot count a receipt's outcome once; report it without the receipt to the server that decided");
    }
    // The host's own word (pol serve's memory of the allows it gave) still counts, once per engine's claim.
    expect(await a.recordOutcome(outcome(d.id), "success", { receipt: null })).toEqual({});
    expect((await b.trust("bot")).score).toBe(70);
    await Promise.all([a.close(), b.close()]);
  });
});
