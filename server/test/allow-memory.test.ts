// The fixed memory of allows behind /v1/outcome (server/allow-memory.ts): taken once, for its own
// agent only, forgotten oldest first after its capacity, made-up ids never found, and it keeps
// working after many times its capacity has gone through it. The route itself is api.test.ts's.

import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AllowMemory } from "../allow-memory.js";

describe("AllowMemory", () => {
  it("gives an allow once, and only to the agent it was for", () => {
    const m = new AllowMemory(100);
    m.remember("dec_1", "bot");
    m.remember("dec_2", null);
    // another agent's try answers as an unknown id would, and leaves the allow in place
    expect(m.take("dec_1", "Bot")).toBe(false);
    expect(m.take("dec_1", null)).toBe(false);
    expect(m.take("dec_1", "bot")).toBe(true);
    expect(m.take("dec_1", "bot")).toBe(false);
    expect(m.take("dec_2", "")).toBe(false); // no agent is not the empty id
    expect(m.take("dec_2", null)).toBe(true);
    expect(m.take("dec_3", "bot")).toBe(false);
  });

  it("an allow given back (its trust write failed) can be taken again", () => {
    const m = new AllowMemory(10);
    m.remember("dec_1", "bot");
    expect(m.take("dec_1", "bot")).toBe(true);
    m.remember("dec_1", "bot");
    expect(m.take("dec_1", "bot")).toBe(true);
  });

  it("remembers the last `capacity` allows and forgets the ones before", () => {
    const m = new AllowMemory(1000);
    const ids = Array.from({ length: 1500 }, (_, i) => `dec_${i}_${randomUUID()}`);
    for (const id of ids) m.remember(id, "bot");
    const forgotten = ids.slice(0, 500).filter((id) => m.take(id, "bot"));
    expect(forgotten).toEqual([]);
    // A window of slots that fills before its oldest expires forgets that one early: at 40% load
    // over 16 slots that is rare enough that none of 1,000 should be lost.
    const kept = ids.slice(500).filter((id) => m.take(id, "bot"));
    expect(kept.length).toBeGreaterThanOrEqual(990);
  });

  it("does not find made-up ids, and works after many times its capacity", () => {
    const m = new AllowMemory(1000);
    for (let i = 0; i < 200_000; i++) m.remember(`dec_${i}`, `agent-${i % 7}`);
    let found = 0;
    for (let i = 0; i < 100_000; i++) if (m.take(`dec_x${i}`, "agent-0")) found++;
    expect(found).toBe(0);
    const recent = Array.from({ length: 1000 }, (_, k) => 199_000 + k);
    const taken = recent.filter((i) => m.take(`dec_${i}`, `agent-${i % 7}`));
    expect(taken.length).toBeGreaterThanOrEqual(990);
    expect(m.take("dec_0", "agent-0")).toBe(false);
  });
});
