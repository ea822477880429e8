// Tests for domain() and host(): pinned examples, agreement with WHATWG URL
// on plain http(s) URLs where the two definitions coincide, and the wasm build
// equal to TS on near-miss emails and URLs.

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { domain, host } from "../ts/index.js";
import { AsStdlib } from "./as-harness.js";
import { email, emailInText, text, url } from "./gen.js";

const RUNS = { numRuns: 2000 };

let wasm: AsStdlib;
beforeAll(async () => {
  wasm = await AsStdlib.load();
});

describe("domain", () => {
  it.each([
    ["ann@Acme.COM", "acme.com"],
    ["Ann <ann@acme.io>", "acme.io"],
    ["a@b@c.org", "c.org"],
    ["x@example.com.", "example.com"],
    ["x@Ünïcode.COM", "Ünïcode.com"],
    ["no-at-sign", ""],
    ["trailing@", ""],
    ["a@b>c@d", "d"],
  ])("domain(%j) = %j", (s, want) => {
    expect(domain(s)).toBe(want);
    expect(wasm.domain(s)).toBe(want);
  });

  it("is the text after the last @, up to a >, trailing dots dropped, ASCII-lowered", () => {
    const spec = (s: string) => {
      if (!s.includes("@")) return "";
      const rest = s.slice(s.lastIndexOf("@") + 1).split(">")[0];
      return rest.replace(/\.+$/, "").replace(/[A-Z]/g, (c) => c.toLowerCase());
    };
    fc.assert(
      fc.property(fc.oneof(email, emailInText, text), (s) => {
        expect(domain(s)).toBe(spec(s));
        expect(wasm.domain(s)).toBe(domain(s));
      }),
      RUNS,
    );
  });
});

describe("host", () => {
  it.each([
    ["HTTPS://user@Example.COM:8080/x", "example.com"],
    ["http://a:b@c@host.io/p@q", "host.io"],
    ["example.com/path", "example.com"],
    ["//cdn.example.com/x.js", "cdn.example.com"],
    ["http://[2001:DB8::1]:443/", "2001:db8::1"],
    ["http://[::1/", ""],
    ["mailto:ann@acme.com", ""],
    ["localhost:8080/x", "localhost"],
    ["localhost:", ""],
    ["http://example.com./", "example.com"],
    ["http://evil.com\\@good.com/", "evil.com"],
    ["https://good.com#@evil.com", "good.com"],
    ["https://good.com?x=@evil.com", "good.com"],
    ["http:///x", ""],
    ["", ""],
    ["1.2.3.4:80", "1.2.3.4"],
  ])("host(%j) = %j", (s, want) => {
    expect(host(s)).toBe(want);
    expect(wasm.host(s)).toBe(want);
  });

  it("agrees with WHATWG URL hostname on plain http(s) URLs", () => {
    const label = fc.stringMatching(/^[a-zA-Z]([a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?$/);
    const plain = fc
      .tuple(
        fc.constantFrom("http://", "https://", "HTTP://"),
        fc.constantFrom("", "user@", "u:p@", "a@b@"),
        fc.array(label, { minLength: 1, maxLength: 4 }),
        fc.constantFrom("", ":80", ":8443"),
        fc.constantFrom("", "/", "/a/b?c=d#e", "?q=@x.com", "#@y"),
      )
      .map(([s, u, ls, p, r]) => s + u + ls.join(".") + p + r);
    fc.assert(
      fc.property(plain, (u) => {
        expect(host(u)).toBe(new URL(u).hostname);
      }),
      RUNS,
    );
  });

  it("wasm equals TS", () => {
    fc.assert(
      fc.property(fc.oneof(url, url, text), (s) => {
        expect(wasm.host(s)).toBe(host(s));
      }),
      RUNS,
    );
  });
});
