// The shared queue between append() and the writer thread, both ends in one thread: entries come
// out whole, in order, byte-exact and numbered across wrap-around, each taking the room of its
// sealed line, a full queue refuses without writing, and the bounds hold; plus the facts the
// writer shares (layout.mjs, seal.mjs). Tests ring.mjs, layout.mjs and seal.mjs.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { headMac, recordLine, sealEntry } from "../chain.js";
import { jsonText } from "../canonical.mjs";
import { headText } from "../layout.mjs";
import { createQueue, MAX_QUEUE_BYTES, MIN_QUEUE_BYTES, QueueConsumer, QueueProducer, queueCapacity } from "../ring.mjs";
import { sealedLineBytes } from "../seal.mjs";
import { decision, KEY } from "./helpers.js";

function pair(capacity = MIN_QUEUE_BYTES) {
  const sab = createQueue(capacity);
  return { producer: new QueueProducer(sab, 0, "0".repeat(64)), consumer: new QueueConsumer(sab) };
}

/** Seqs handed out by put() and checked by drain(): records are numbered in queue order. */
let putSeq = 0;
let takeSeq = 0;

/** Everything published since the last take, as strings; frees it. */
function drain(consumer: QueueConsumer): string[] {
  const out: string[] = [];
  consumer.take(takeSeq + 1, (start, end, seq) => {
    expect(seq).toBe(++takeSeq);
    out.push(Buffer.from(consumer.bytes.subarray(start, end)).toString("utf8"));
  });
  consumer.release();
  return out;
}

/** tryPut with the next seq (only consumed when it succeeds). */
function put(producer: QueueProducer, text: string): boolean {
  const ok = producer.tryPut(text, putSeq + 1);
  if (ok) putSeq++;
  return ok;
}

describe("the queue", () => {
  it("hands every line over whole and in order, across many wrap-arounds", () => {
    const { producer, consumer } = pair();
    const line = fc.oneof(fc.string({ maxLength: 3000 }), fc.string({ unit: "grapheme", maxLength: 800 }), fc.constant("x".repeat(20_000)));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 60 }), (lines) => {
        const got: string[] = [];
        for (const l of lines) {
          if (!put(producer, l)) {
            got.push(...drain(consumer));
            expect(put(producer, l)).toBe(true);
          }
        }
        got.push(...drain(consumer));
        expect(got).toEqual(lines);
        expect(consumer.pending()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses an entry when full, publishing nothing, and takes it once the writer frees room", () => {
    const { producer, consumer } = pair();
    drain(consumer);
    // entries of 766 bytes at seqs of 1 to 3 digits: sealed lines of 996 to 998 bytes, frames of 1,000 to 1,004
    const entry = `{"a":"${"a".repeat(758)}"}`;
    let n = 0;
    const first = putSeq;
    while (put(producer, entry)) n++;
    let bytes = 0;
    for (let s = first + 1; s <= first + n; s++) bytes += (4 + sealedLineBytes(766, s) + 3) & ~3;
    expect(bytes).toBeLessThanOrEqual(MIN_QUEUE_BYTES);
    expect(bytes + ((4 + sealedLineBytes(766, first + n + 1) + 3) & ~3)).toBeGreaterThan(MIN_QUEUE_BYTES);
    const pending = consumer.pending();
    expect(put(producer, entry)).toBe(false);
    expect(consumer.pending()).toBe(pending);
    expect(drain(consumer)).toHaveLength(n);
    expect(put(producer, entry)).toBe(true);
    drain(consumer);
  });

  it("fits an entry whose sealed line is as large as the queue minus its length field, wherever the queue stands", () => {
    const { producer, consumer } = pair();
    drain(consumer);
    put(producer, "{}");
    drain(consumer);
    const seq = putSeq + 1;
    const huge = "é".repeat((MIN_QUEUE_BYTES - 4 - sealedLineBytes(0, seq)) / 2);
    expect(producer.frameBytes(Buffer.byteLength(huge), seq)).toBe(MIN_QUEUE_BYTES);
    // the frame cannot start mid-queue: the rest is skipped, and once the writer has passed the
    // skip the frame starts at offset 0
    expect(put(producer, huge)).toBe(false);
    expect(drain(consumer)).toEqual([]);
    expect(put(producer, huge)).toBe(true);
    expect(drain(consumer)).toEqual([huge]);
  });

  it("sizes the ring to a power of two within its bounds", () => {
    expect([1, MIN_QUEUE_BYTES, MIN_QUEUE_BYTES + 1, 3_000_000, MAX_QUEUE_BYTES * 2].map(queueCapacity))
      .toEqual([MIN_QUEUE_BYTES, MIN_QUEUE_BYTES, 2 * MIN_QUEUE_BYTES, 4 * 1024 * 1024, MAX_QUEUE_BYTES]);
  });

  it("ends the writer's pause when urged, and shares durability and failure", async () => {
    const { producer, consumer } = pair();
    const t0 = Date.now();
    const paused = consumer.pause(60_000);
    producer.urge();
    await paused;
    expect(Date.now() - t0).toBeLessThan(30_000);
    // an urge made while the writer was busy ends its next pause at once
    producer.urge();
    await consumer.pause(60_000);
    consumer.setDurable(7, "ab".repeat(32));
    expect(producer.durable()).toBe(7);
    expect(producer.durableHead()).toEqual({ seq: 7, hash: "ab".repeat(32) });
    expect(producer.failed()).toBe(false);
    consumer.fail();
    expect(producer.failed()).toBe(true);
  });

  it("wakes a sleeping writer when a line is published", async () => {
    const { producer, consumer } = pair();
    const slept = consumer.sleep();
    drain(consumer);
    put(producer, "wake");
    await slept;
    expect(drain(consumer)).toEqual(["wake"]);
  });
});

describe("what the writer thread shares", () => {
  it("reserves for each entry exactly the bytes of the line it is sealed as", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: "grapheme", maxLength: 40 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (v, note, seq) => {
        const entry = decision(seq, { note, value: v as never });
        const sealed = sealEntry(entry, seq, "0".repeat(64), KEY);
        expect(sealedLineBytes(Buffer.byteLength(jsonText(entry)), seq)).toBe(Buffer.byteLength(sealed.line));
      }),
      { numRuns: 300 },
    );
    expect(recordLine('{"a":1}', "h".repeat(64), "m".repeat(64)).endsWith(`"hash":"${"h".repeat(64)}","mac":"${"m".repeat(64)}"}\n`)).toBe(true);
  });

  it("writes the head file with its domain-separated MAC", () => {
    const hash = "ab".repeat(32);
    expect(JSON.parse(headText(KEY, 3, hash))).toEqual({ seq: 3, hash, mac: headMac(KEY, 3, hash) });
    expect(headMac(KEY, 3, hash)).not.toBe(headMac(KEY, 4, hash));
  });
});
