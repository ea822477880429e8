// The shared queue between append() and the writer thread, both ends in one thread: bodies come
// out whole, in order and byte-exact across wrap-around with room for prev where it goes, each
// taking the room of its sealed line, a full queue refuses without writing, and the bounds hold;
// plus the facts the writer shares (layout.mjs, seal.mjs). Tests ring.mjs, layout.mjs, seal.mjs.

import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { headMac, recordLine, sealEntry } from "../chain.js";
import { entryBody } from "../canonical.mjs";
import { headText } from "../layout.mjs";
import { createQueue, MAX_QUEUE_BYTES, MIN_QUEUE_BYTES, QueueConsumer, QueueProducer, queueCapacity } from "../ring.mjs";
import { sealedLineBytes } from "../seal.mjs";
import { decision, KEY } from "./helpers.js";

function pair(capacity = MIN_QUEUE_BYTES) {
  const sab = createQueue(capacity);
  return { producer: new QueueProducer(sab, 0, "0".repeat(64)), consumer: new QueueConsumer(sab) };
}

const PREV = "p".repeat(64);

/** Everything published since the last take, as `head + prev + tail` strings (prev filled in as the writer does); frees it. */
function drain(consumer: QueueConsumer): string[] {
  const out: string[] = [];
  consumer.take((start, end, prevAt) => {
    expect(prevAt).toBeGreaterThanOrEqual(start);
    expect(prevAt + 64).toBeLessThanOrEqual(end);
    Buffer.from(consumer.bytes.buffer, consumer.bytes.byteOffset, consumer.bytes.byteLength).write(PREV, prevAt, 64, "latin1");
    out.push(Buffer.from(consumer.bytes.subarray(start, end)).toString("utf8"));
  });
  consumer.release();
  return out;
}

/** Bodies as [head, tail] pairs. */
const body = (head: string, tail = "") => [head, tail] as const;

describe("the queue", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("hands every body over whole and in order, across many wrap-arounds", () => {
    const { producer, consumer } = pair();
    const part = fc.oneof(fc.string({ maxLength: 1500 }), fc.string({ unit: "grapheme", maxLength: 400 }), fc.constant("x".repeat(10_000)));
    fc.assert(
      fc.property(fc.array(fc.tuple(part, part), { minLength: 1, maxLength: 60 }), (bodies) => {
        const got: string[] = [];
        for (const [h, t] of bodies) {
          if (!producer.tryPut(h, t)) {
            got.push(...drain(consumer));
            expect(producer.tryPut(h, t)).toBe(true);
          }
        }
        got.push(...drain(consumer));
        expect(got).toEqual(bodies.map(([h, t]) => h + PREV + t));
        expect(consumer.pending()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a body when full, publishing nothing, and takes it once the writer frees room", () => {
    const { producer, consumer } = pair();
    // bodies of 700 + 64 + 84 = 848 bytes: lines of 996 bytes, frames of 1,000
    const [h, t] = body("h".repeat(700), "t".repeat(84));
    expect(producer.frameBytes(848)).toBe(1000);
    expect(sealedLineBytes(848)).toBe(996);
    let n = 0;
    while (producer.tryPut(h, t)) n++;
    expect(n).toBe(Math.floor(MIN_QUEUE_BYTES / 1000));
    const pending = consumer.pending();
    expect(producer.tryPut(h, t)).toBe(false);
    expect(consumer.pending()).toBe(pending);
    expect(drain(consumer)).toHaveLength(n);
    expect(producer.tryPut(h, t)).toBe(true);
  });

  it("fits a body whose line is as large as the queue minus its length field, wherever the queue stands", () => {
    const { producer, consumer } = pair();
    producer.tryPut("{", "}");
    drain(consumer);
    const huge = "é".repeat((MIN_QUEUE_BYTES - 4 - sealedLineBytes(64)) / 2);
    expect(producer.frameBytes(Buffer.byteLength(huge) + 64)).toBe(MIN_QUEUE_BYTES);
    // the frame cannot start mid-queue: the rest is skipped, and once the writer has passed the
    // skip the frame starts at offset 0
    expect(producer.tryPut(huge, "")).toBe(false);
    expect(drain(consumer)).toEqual([]);
    expect(producer.tryPut(huge, "")).toBe(true);
    expect(drain(consumer)).toEqual([huge + PREV]);
  });

  it("opens a batch no earlier than the last take, so steady appends are written a batch at a time", () => {
    const now = vi.spyOn(Date, "now");
    const { producer, consumer } = pair();
    now.mockReturnValue(1_000);
    producer.tryPut("{", "}"); // into an empty queue: the batch opens now
    expect(consumer.openedAt()).toBe(1_000);
    now.mockReturnValue(1_005);
    consumer.take(() => {}); // the writer takes the batch...
    now.mockReturnValue(1_006);
    producer.tryPut("{", "}"); // ...a record arrives before it has released it, so the queue was not empty...
    consumer.release();
    // ...and the next batch opened at the take, not with the first batch (which would make the
    // writer drain at once, every few records)
    expect(consumer.openedAt()).toBe(1_005);
    now.mockReturnValue(1_020);
    drain(consumer);
    now.mockReturnValue(1_030);
    producer.tryPut("{", "}"); // into an empty queue again: its own time
    expect(consumer.openedAt()).toBe(1_030);
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
    producer.tryPut("wake", "");
    await slept;
    expect(drain(consumer)).toEqual([`wake${PREV}`]);
  });
});

describe("what the writer thread shares", () => {
  it("queues each entry as the body it is sealed with, reserving exactly its line's bytes", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: "grapheme", maxLength: 40 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (v, note, seq) => {
        const entry = decision(seq, { note, value: v as never });
        const prev = "c".repeat(64);
        const sealed = sealEntry(entry, seq, prev, KEY);
        const { head, tail } = entryBody(entry, seq);
        expect(sealed.line).toBe(recordLine(head + prev + tail, sealed.record.hash, sealed.record.mac));
        expect(sealedLineBytes(Buffer.byteLength(head + prev + tail))).toBe(Buffer.byteLength(sealed.line));
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
