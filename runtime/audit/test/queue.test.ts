// The shared queue between append() and the writer thread, both ends in one thread: lines come
// out whole, in order and byte-exact across wrap-around, a full queue refuses without writing,
// and the bounds hold; plus the head-file facts the writer shares (layout.mjs). Tests ring.mjs
// and layout.mjs.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { headMac, recordLine, sealEntry } from "../chain.js";
import { headText, lineHash } from "../layout.mjs";
import { createQueue, MAX_QUEUE_BYTES, MIN_QUEUE_BYTES, QueueConsumer, QueueProducer, queueCapacity } from "../ring.mjs";
import { decision, KEY } from "./helpers.js";

function pair(capacity = MIN_QUEUE_BYTES) {
  const sab = createQueue(capacity);
  return { producer: new QueueProducer(sab, 0), consumer: new QueueConsumer(sab) };
}

/** Everything published since the last take, as strings; frees it. */
function drain(consumer: QueueConsumer): string[] {
  const out: string[] = [];
  consumer.take((start, end) => out.push(Buffer.from(consumer.bytes.subarray(start, end)).toString("utf8")));
  consumer.release();
  return out;
}

describe("the queue", () => {
  it("hands every line over whole and in order, across many wrap-arounds", () => {
    const { producer, consumer } = pair();
    const line = fc.oneof(fc.string({ maxLength: 3000 }), fc.string({ unit: "grapheme", maxLength: 800 }), fc.constant("x".repeat(20_000)));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 60 }), (lines) => {
        const got: string[] = [];
        for (const l of lines) {
          if (!producer.tryPut(l)) {
            got.push(...drain(consumer));
            expect(producer.tryPut(l)).toBe(true);
          }
        }
        got.push(...drain(consumer));
        expect(got).toEqual(lines);
        expect(consumer.pending()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a line when full, publishing nothing, and takes it once the writer frees room", () => {
    const { producer, consumer } = pair();
    const line = `${"a".repeat(1000)}\n`;
    let n = 0;
    while (producer.tryPut(line)) n++;
    // frames are the line plus a 4-byte length, padded to 4 bytes
    expect(n).toBe(Math.floor(MIN_QUEUE_BYTES / 1004));
    const pending = consumer.pending();
    expect(producer.tryPut(line)).toBe(false);
    expect(consumer.pending()).toBe(pending);
    expect(drain(consumer)).toHaveLength(n);
    expect(producer.tryPut(line)).toBe(true);
  });

  it("fits a line as large as the queue minus its length field, wherever the queue stands", () => {
    const { producer, consumer } = pair();
    producer.tryPut("short\n");
    drain(consumer);
    const huge = "é".repeat((MIN_QUEUE_BYTES - 4) / 2);
    expect(producer.frameBytes(Buffer.byteLength(huge))).toBe(MIN_QUEUE_BYTES);
    // the frame cannot start mid-queue: the rest is skipped, and once the writer has passed the
    // skip the frame starts at offset 0
    expect(producer.tryPut(huge)).toBe(false);
    expect(drain(consumer)).toEqual([]);
    expect(producer.tryPut(huge)).toBe(true);
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
    consumer.setDurable(7);
    expect(producer.durable()).toBe(7);
    expect(producer.failed()).toBe(false);
    consumer.fail();
    expect(producer.failed()).toBe(true);
  });

  it("wakes a sleeping writer when a line is published", async () => {
    const { producer, consumer } = pair();
    const slept = consumer.sleep();
    producer.tryPut("wake\n");
    await slept;
    expect(drain(consumer)).toEqual(["wake\n"]);
  });
});

describe("what the writer thread shares", () => {
  it("finds a record's hash at the end of its line as recordLine writes it", () => {
    const sealed = sealEntry(decision(1, { note: "naïve ☃" }), 1, "0".repeat(64), KEY);
    const bytes = Buffer.from(`garbage${sealed.line}`, "utf8");
    expect(lineHash(bytes, bytes.length)).toBe(sealed.record.hash);
    expect(recordLine('{"a":1}', "h".repeat(64), "m".repeat(64)).endsWith(`"hash":"${"h".repeat(64)}","mac":"${"m".repeat(64)}"}\n`)).toBe(true);
  });

  it("writes the head file with its domain-separated MAC", () => {
    const hash = "ab".repeat(32);
    expect(JSON.parse(headText(KEY, 3, hash))).toEqual({ seq: 3, hash, mac: headMac(KEY, 3, hash) });
    expect(headMac(KEY, 3, hash)).not.toBe(headMac(KEY, 4, hash));
  });
});
