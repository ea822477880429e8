// The console's static files (the stylesheet, and htmx and its SSE extension vendored with their
// licence, so the console works offline and loads nothing from another host). Read once at
// start-up from server/assets (copied beside the build in dist/ by scripts/build.mjs) and served
// from memory with an ETag; they hold no data, so they are the one thing served without sign-in
// besides /health and the sign-in page.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Hono } from "hono";

const TYPES: Record<string, string> = { ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png" };

export const ASSETS_DIR = fileURLToPath(new URL("./assets/", import.meta.url));

interface Asset { body: Uint8Array; type: string; etag: string }

function load(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (TYPES[extname(name)]) {
        const body = readFileSync(p);
        out.set(`/assets/${relative(dir, p).split("\\").join("/")}`, { body, type: TYPES[extname(name)]!, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` });
      }
    }
  };
  walk(dir);
  return out;
}

export function registerAssets(app: Hono<never>, dir = ASSETS_DIR): void {
  const assets = load(dir);
  app.get("/assets/*", (c) => {
    const a = assets.get(c.req.path);
    if (!a) return c.text("no such asset", 404);
    c.header("ETag", a.etag);
    c.header("Cache-Control", "no-cache");
    if (c.req.header("if-none-match") === a.etag) return c.body(null, 304);
    c.header("Content-Type", a.type);
    return c.body(a.body as Uint8Array<ArrayBuffer>);
  });
}
