// Tests for date, time (and is_date, is_time), urls and emails: the TypeScript reference against
// JavaScript's own Date and worked examples, and the wasm build equal to it on examples and
// random text.

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { date, emails, is_email, is_url, time, urls } from "../ts/index.js";
import { host } from "../ts/url.js";
import { AsStdlib } from "./as-harness.js";
import { text } from "./gen.js";

let wasm: AsStdlib;
beforeAll(async () => {
  wasm = await AsStdlib.load();
});

const RUNS = { numRuns: 3000 };

describe("date and time", () => {
  it("read ISO dates as day numbers and instants as seconds since the epoch, as JavaScript's Date does", () => {
    expect(date("1970-01-01")).toBe(0);
    expect(date("2024-05-15")).toBe(19858);
    expect(date("2024-05-15T23:59:59-11:00")).toBe(19858); // the date as written; the zone only checked
    expect(time("2024-05-15")).toBe(Date.UTC(2024, 4, 15) / 1000);
    expect(time("2024-05-15 10:20")).toBe(Date.UTC(2024, 4, 15, 10, 20) / 1000);
    expect(time("2024-05-15T10:20:30.25Z")).toBe(Date.UTC(2024, 4, 15, 10, 20, 30, 250) / 1000);
    expect(time("2024-05-15T10:20:30+02:00")).toBe(Date.UTC(2024, 4, 15, 8, 20, 30) / 1000);
    expect(time("0000-01-01")).toBe(new Date("0000-01-01T00:00:00Z").getTime() / 1000);
    expect(time("9999-12-31T23:59:59Z")).toBe(new Date("9999-12-31T23:59:59Z").getTime() / 1000);
  });

  it("fail (⊥) on anything else", () => {
    for (const bad of ["", "2024-5-15", "2024-13-01", "2024-02-30", "2023-02-29", "2024-05-15T24:00", "2024-05-15 10:60", "2024-05-15 10:00:60", "2024-05-15T10:00Z ", "2024-05-15T10:00+2", "15/05/2024", "2024-05-15T10", "2024-05-15T10:00:00.", "2024-05-15T10:00:00.1234567890", "２０２４-05-15"]) {
      expect(date(bad), bad).toBeNull();
      expect(time(bad), bad).toBeNull();
      expect(wasm.date(bad), bad).toBeNull();
    }
    expect(date("2024-02-29")).toBe(19782);
  });

  it("agree with JavaScript's Date on every valid date and time", () => {
    const iso = fc.date({ min: new Date("0000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }).map((d) => d.toISOString());
    fc.assert(fc.property(iso, (s) => {
      expect(time(s)).toBe(new Date(s).getTime() / 1000);
      expect(date(s)).toBe(Math.floor(new Date(s).getTime() / 86_400_000));
    }), RUNS);
  });

  it("wasm equals TS", () => {
    const datey = fc.oneof(
      fc.date({ min: new Date("0000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.constantFrom("", " 10:00", "T23:59:59", "T00:00:00.5+14:00", "t12:30-00:00", "Z", " 24:00"))
        .map(([y, m, d, t]) => `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}${t}`),
      text,
    );
    fc.assert(fc.property(datey, (s) => {
      expect(wasm.date(s)).toBe(date(s));
      expect(wasm.time(s)).toBe(time(s));
      expect(wasm.is_date(s)).toBe(date(s) !== null);
      expect(wasm.is_time(s)).toBe(time(s) !== null);
    }), RUNS);
  });
});

describe("urls and emails", () => {
  it("find links with a scheme, and bare web addresses with `http://` written in front", () => {
    expect(urls("Check out this link: www.secure-systems-252.com")).toEqual(["http://www.secure-systems-252.com"]);
    expect(urls("or secure-systems-252.com/login?x=1.")).toEqual(["http://secure-systems-252.com/login?x=1"]);
    expect(urls("see (https://a.example/b_(c)) and ftp://h.io, then WWW.X.COM:8080/p#f!")).toEqual(["https://a.example/b_(c", "ftp://h.io", "http://WWW.X.COM:8080/p#f"]);
    expect(urls("mail bob@acme.com, v1.2.3, e.g. this, the 10.0.0.1 box, notes.txt")).toEqual(["http://notes.txt"]);
    expect(urls('<a href="https://evil.example/x">x</a>')).toEqual(["https://evil.example/x"]);
    expect(urls("http:// nothing, javascript:alert(1), mailto:x@y.com")).toEqual([]);
    expect(urls("").length).toBe(0);
    // A port followed by `@` was user info: the link is the whole address, whose host is the second.
    expect(urls("www.informations.com:80@evil.example/x y")).toEqual(["http://www.informations.com:80@evil.example/x"]);
    expect(host(urls("www.informations.com:80@evil.example/")[0]!)).toBe("evil.example");
    // host() reads every bare address urls() returns.
    for (const u of urls("go to www.dora-website.com or eve-blog.com/post")) expect(host(u)).not.toBeNull();
  });

  it("find every address written in a text, each one an address is_email accepts", () => {
    expect(emails("write to Bob <bob@acme.com>, cc: x..y@b.co or a.b@c.d. (and ann@acme.io)")).toEqual(["bob@acme.com", "y@b.co", "ann@acme.io"]);
    expect(emails("x@evil.org@acme.com")).toEqual(["x@evil.org"]);
    expect(emails("no@ddress, @acme.com, a@b, a@.com")).toEqual([]);
    fc.assert(fc.property(text, (s) => emails(s).every(is_email)), RUNS);
  });

  it("wasm equals TS", () => {
    const linky = fc.array(fc.constantFrom("www.", "a", "b", ".", "-", "com", "io", "/", "?", "#", ":", "8", "@", " ", "http://", "https://", "x.y", ",", ")", "(", "\n", "é", "😀", "..", "_"), { maxLength: 30 }).map((xs) => xs.join(""));
    fc.assert(fc.property(fc.oneof(linky, text), (s) => {
      expect(wasm.urls(s)).toEqual(urls(s));
      expect(wasm.emails(s)).toEqual(emails(s));
      for (const u of urls(s)) if (!u.includes("://")) throw new Error(u);
    }), RUNS);
    expect(is_url("http://www.x.com")).toBe(true);
  });
});
