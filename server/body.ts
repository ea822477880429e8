// Reading a request body as JSON within a size limit, for the decision API and the console's
// JSON actions. Every failure is a value with a reason a caller can act on (never a throw, never
// a default): the API turns it into a 400 whose body is a deny, so a client that reads only
// `effect` still does not go ahead. Parsed by runtime/snapshot.ts parseCall, so a decision's call
// is measured there instead of copied (nothing else holds it).

import type { IncomingMessage } from "node:http";
import { parseCall } from "../runtime/snapshot.js";

export type BodyResult = { ok: true; value: unknown } | { ok: false; code: "body-too-large" | "bad-json" | "empty-body" | "unsupported-encoding"; reason: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

const kib = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB` : `${Math.round(n / 1024)} KiB`);

function tooLarge(limit: number): BodyResult {
  return { ok: false, code: "body-too-large", reason: `the request body is larger than the ${kib(limit)} limit (pol serve --max-body)` };
}

/**
 * A body sent compressed (Content-Encoding: gzip, br, …) is refused whole, not decoded: a
 * decompressed body could be far larger than the bytes counted against the limit, and reading
 * gzip as UTF-8 only ever said "not valid UTF-8", which names the wrong fix.
 */
function encodingProblem(encoding: string | null | undefined): BodyResult | null {
  const e = encoding?.trim().toLowerCase();
  if (!e || e === "identity") return null;
  return { ok: false, code: "unsupported-encoding", reason: `the request body is sent with Content-Encoding \`${e.slice(0, 40)}\`; pol serve reads bodies uncompressed: send it without Content-Encoding` };
}

/** The HTTP status of a body that could not be read: 415 for an encoding pol serve does not read, else 400. */
export const bodyStatus = (b: Exclude<BodyResult, { ok: true }>): 400 | 415 => (b.code === "unsupported-encoding" ? 415 : 400);

const EMPTY: BodyResult = { ok: false, code: "empty-body", reason: "the request body is empty; send the call as a JSON object" };

/**
 * Reads at most `limit` bytes of the body and parses it as JSON. `incoming` is Node's request
 * when the server runs on node:http: read directly, because Node's web-stream bridge for
 * `req.body` was a third of the server's cost per decision (unknown-tool calls, 20 connections,
 * on this shared 2-core machine: 1,930 → 2,810 requests/s).
 */
export async function readJson(req: Request, limit: number, incoming?: IncomingMessage): Promise<BodyResult> {
  if (incoming) return readIncoming(incoming, limit);
  const encoded = encodingProblem(req.headers.get("content-encoding"));
  if (encoded) return encoded;
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return tooLarge(limit);
  if (!req.body) return EMPTY;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const value of req.body) {
    size += value.byteLength;
    // Leaving the loop early cancels the stream.
    if (size > limit) return tooLarge(limit);
    chunks.push(value);
  }
  return parseBytes(chunks, size);
}

/**
 * The body of a node:http request, by its events: an async iterator over the request cost 3% of
 * `pol serve`'s time per decision (benchmarks suite 7 profile). Past `limit` it stops reading:
 * the caller answers with `Connection: close` (closeAfter), so the rest is never read.
 */
export function readIncoming(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const encoded = encodingProblem(req.headers["content-encoding"]);
  if (encoded) return Promise.resolve(encoded);
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(tooLarge(limit));
  return new Promise((done) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.off("data", onData).off("end", onEnd);
        req.pause();
        done(tooLarge(limit));
      } else chunks.push(c);
    };
    const onEnd = () => done(parseBytes(chunks, size));
    const lost = () => done({ ok: false, code: "bad-json", reason: "the request body could not be read: the connection failed" });
    req.on("data", onData).on("end", onEnd).on("error", lost).on("close", () => req.complete || lost());
  });
}

/** Whether the answer to this failure must close the connection (part of the body is still unread). */
export const closeAfter = (b: BodyResult): boolean => !b.ok && (b.code === "body-too-large" || b.code === "unsupported-encoding");

function parseBytes(chunks: Uint8Array[], size: number): BodyResult {
  if (size === 0) return EMPTY;
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, code: "bad-json", reason: "the request body is not valid UTF-8" };
  }
  try {
    return { ok: true, value: parseCall(text) };
  } catch (e) {
    // V8's message names the position ("Expected property name or '}' in JSON at position 1").
    return { ok: false, code: "bad-json", reason: `the request body is not valid JSON: ${(e as Error).message}` };
  }
}
