// Reading a request body as JSON within a size limit, for the decision API and the console's
// JSON actions. Every failure is a value with a reason a caller can act on (never a throw, never
// a default): the API turns it into a 400 whose body is a deny, so a client that reads only
// `effect` still does not go ahead.

export type BodyResult = { ok: true; value: unknown } | { ok: false; code: "body-too-large" | "bad-json" | "empty-body"; reason: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

const kib = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB` : `${Math.round(n / 1024)} KiB`);

function tooLarge(limit: number): BodyResult {
  return { ok: false, code: "body-too-large", reason: `the request body is larger than the ${kib(limit)} limit (pol serve --max-body)` };
}

/**
 * Reads at most `limit` bytes of the body and parses it as JSON. `incoming` is Node's request
 * when the server runs on node:http: read directly, because Node's web-stream bridge for
 * `req.body` was a third of the server's cost per decision (unknown-tool calls, 20 connections,
 * on this shared 2-core machine: 1,930 → 2,810 requests/s).
 */
export async function readJson(req: Request, limit: number, incoming?: AsyncIterable<Uint8Array>): Promise<BodyResult> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return tooLarge(limit);
  const source: AsyncIterable<Uint8Array> | null = incoming ?? req.body;
  if (!source) return { ok: false, code: "empty-body", reason: "the request body is empty; send the call as a JSON object" };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const value of source) {
    size += value.byteLength;
    // Leaving the loop early stops reading (the stream is destroyed or cancelled).
    if (size > limit) return tooLarge(limit);
    chunks.push(value);
  }
  if (size === 0) return { ok: false, code: "empty-body", reason: "the request body is empty; send the call as a JSON object" };
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, code: "bad-json", reason: "the request body is not valid UTF-8" };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    // V8's message names the position ("Expected property name or '}' in JSON at position 1").
    return { ok: false, code: "bad-json", reason: `the request body is not valid JSON: ${(e as Error).message}` };
  }
}
