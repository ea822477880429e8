// Tests for is_email and has_pii: pinned examples, agreement with independent
// regex restatements of the documented rules (test-only oracles), and the wasm
// build equal to TS on near-miss emails, SSNs, cards, phones and keys.

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { has_pii, is_email } from "../ts/index.js";
import { AsStdlib } from "./as-harness.js";
import { apiKey, card, disguised, email, emailInText, luhnComplete, phone, piiText, ssn, text } from "./gen.js";

const RUNS = { numRuns: 2000 };

let wasm: AsStdlib;
beforeAll(async () => {
  wasm = await AsStdlib.load();
});

const LOCAL = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
const DOMAIN = "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}";
const EMAIL_RE = new RegExp(`^(?=[^@]{1,64}@)${LOCAL}+(?:\\.${LOCAL}+)*@${DOMAIN}$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);

function luhn(ds: string): boolean {
  let sum = 0;
  for (let i = 0; i < ds.length; i++) {
    let d = ds.charCodeAt(ds.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** The normalisation has_pii documents, restated with regexes. */
function fold(s: string): string {
  return s
    .replace(/[\u200b-\u200d\u2060\ufeff\u00ad]/g, "")
    .replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\u2010-\u2015\u2212\ufe58\ufe63]/g, "-")
    .replace(/[\u00a0\u2000-\u200a\u202f\u205f\u3000]/g, " ");
}

/** has_pii restated with regexes and brute force, straight from the documented rules. */
function piiOracle(text: string): boolean {
  const s = fold(text);
  for (const m of s.matchAll(/(?<!\d)(\d{3})[-. ](\d{2})[-. ](\d{4})(?!\d)/g)) {
    const area = Number(m[1]);
    if (area !== 0 && area !== 666 && area < 900 && m[2] !== "00" && m[3] !== "0000") return true;
  }
  if (/(?<!\d)\d{3}([-. ])\d{3}\1\d{4}(?!\d)/.test(s) || /\(\d{3}\) ?\d{3}[-. ]\d{4}(?!\d)/.test(s)) return true;
  for (const m of s.matchAll(/(?<![A-Za-z0-9])\+(\d+(?:[-. ]\d+)*)/g)) {
    const n = m[1]!.replace(/[-. ]/g, "").length;
    if (n >= 8 && n <= 15) return true;
  }
  // Runs joined by a space or dash, or by a dot between runs of 4+ digits.
  for (const m of s.matchAll(/\d+(?:(?:[ -]|(?<=\d{4})\.(?=\d{4}))\d+)*/g)) {
    const runs = m[0].split(/[-. ]/);
    for (let i = 0; i < runs.length; i++) {
      let ds = "";
      for (let j = i; j < runs.length && ds.length <= 19; j++) {
        ds += runs[j];
        if (ds.length >= 13 && ds.length <= 19 && ds[0] !== "0" && luhn(ds)) return true;
      }
    }
  }
  for (let p = s.indexOf("@"); p >= 0; p = s.indexOf("@", p + 1)) {
    if (p === 0 || !new RegExp(LOCAL).test(s[p - 1])) continue;
    const dom = /^[A-Za-z0-9.-]*/.exec(s.slice(p + 1))![0].replace(/[.-]+$/, "");
    if (DOMAIN_RE.test(dom)) return true;
  }
  return /(?<![A-Za-z0-9])(?:(?:sk_live_|sk_test_|rk_live_)[A-Za-z0-9]{16}|AKIA[0-9A-Z]{16}(?![A-Za-z0-9])|gh[pos]_[A-Za-z0-9]{36}(?![A-Za-z0-9])|xox[abprs]-[A-Za-z0-9-]{10}|AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-]))/.test(
    s,
  );
}

describe("is_email", () => {
  it.each([
    ["ann@acme.com", true],
    ["first.last+tag@sub.example.co", true],
    ["o'neil!#$%&*/=?^_`{|}~-@x.io", true],
    [`${"x".repeat(64)}@a.io`, true],
    [`${"x".repeat(65)}@a.io`, false],
    [".ann@acme.com", false],
    ["ann.@acme.com", false],
    ["a..b@acme.com", false],
    ["ann@acme", false],
    ["ann@acme.c", false],
    ["ann@acme.c0m", false],
    ["ann@-acme.com", false],
    ["ann@acme-.com", false],
    ["ann@acme..com", false],
    [`ann@${"x".repeat(63)}.com`, true],
    [`ann@${"x".repeat(64)}.com`, false],
    ["ann@acme.com.", false],
    ["a@b@acme.com", false],
    ["ann acme@acme.com", false],
    ["ánn@acme.com", false],
    ["", false],
  ])("is_email(%j) = %j", (s, want) => {
    expect(is_email(s)).toBe(want);
    expect(wasm.is_email(s)).toBe(want);
  });

  it("agrees with a regex restatement, and wasm agrees with TS", () => {
    fc.assert(
      fc.property(fc.oneof(email, email, text), (s) => {
        expect(is_email(s)).toBe(EMAIL_RE.test(s));
        expect(wasm.is_email(s)).toBe(is_email(s));
      }),
      RUNS,
    );
  });
});

describe("has_pii examples", () => {
  const key36 = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
  it.each([
    ["card 4111 1111 1111 1111", true],
    ["order 4111 1111 1111 1112", false],
    ["4111-1111-1111-1111 exp 12/29", true],
    ["card 4111111111111111.", true],
    ["call 555 1234 4111111111111111 now", true], // a card after other numbers is still found
    ["41111111111111111111", false], // 20 digits: never a card
    ["id 0000000000000", false], // cards never start with 0
    ["amex 3782 822463 10005", true],
    ["ssn 123-45-6789", true],
    ["ssn 000-45-6789", false],
    ["ssn 666-45-6789", false],
    ["ssn 900-45-6789", false],
    ["ssn 123-00-6789", false],
    ["ssn 123-45-0000", false],
    ["ref 1123-45-6789", false],
    ["ref 123-45-67890", false],
    ["tel +1 415 555 2671", true],
    ["tel +442079460958", true],
    ["tel +44-20-7946-0958", true],
    ["tel +1234567", false], // 7 digits
    ["tel +1234567890123456", false], // 16 digits
    ["x+12345678", false], // glued to a word
    ["tel (415) 555-2671", true],
    ["tel 415-555-2671", true],
    ["tel 415.555.2671", true],
    ["tel 415-555.2671", false],
    ["v 1.415.555.26710", false],
    ["mail john.doe@example.com.", true],
    ["<ann@acme.io>", true],
    ["ann@acme", false],
    ["foo.@example.com", false],
    ["@example.com", false],
    ["a@b.c", false],
    ["version 1.2.3.4 of 2024-01-02", false],
    [`key sk_live_${"a1B2".repeat(4)}`, true],
    ["key sk_live_short", false],
    ["key=AKIAIOSFODNN7EXAMPLE", true],
    ["AKIAIOSFODNN7EXAMPLEX", false],
    ["xAKIAIOSFODNN7EXAMPLE", false],
    [`token ghp_${key36}`, true],
    [`token ghp_${key36}x`, false],
    ["xoxb-1234567890-abc", true],
    ["xoxq-1234567890-abc", false],
    [`AIza${"Sy-_0123456789abcdefghijklmnopqrstu".slice(0, 35)}`, true],
    ["", false],
    ["plain words only", false],
    // written to slip past a scanner: other separators, dashes, digits, invisible characters
    ["ssn 123 45 6789", true],
    ["ssn 123.45.6789", true],
    ["ssn 123\u201345\u20146789", true],
    ["ssn 123\u221245\ufe636789", true],
    ["ssn 123\uff0d45\ufe586789", true],
    ["ssn １２３-４５-６７８９", true],
    ["ssn 1\u200b2\u200c3-4\u200d5-6\u20607\ufeff89", true],
    ["ssn 12\u00ad3-45-6789", true],
    ["ssn 123\u00a045\u30006789", true],
    ["card 4111.1111.1111.1111", true],
    ["card 4111\u20101111\u20111111\u20121111", true],
    ["card ４１１１ １１１１ １１１１ １１１１", true],
    ["card 4111\u200b1111\u200b1111\u200b1111", true],
    ["card 4111\u2009 1111 1111 1111", false], // two separators in a row
    ["tel (415)555-2671", true],
    ["tel (415)555.2671", true],
    ["tel (415) 555 2671", true],
    ["tel 415 555 2671", true],
    ["tel （４１５）５５５－２６７１", true],
    ["tel +1.415.555.2671", true],
    ["tel +1\u2011415\u2011555\u20112671", true],
    // and still not numbers that are none of these
    ["pi is 3.14159265358979", false],
    ["years 2010\u20132015 and 1999\u20142004", false],
    ["v 1.2.3.4 and 10.0.0.1", false],
    ["price 1 234 567,89 €", false],
  ])("has_pii(%j) = %j", (s, want) => {
    expect(has_pii(s)).toBe(want);
    expect(wasm.has_pii(s)).toBe(want);
  });

  it("finds every Luhn-valid card body and no Luhn-invalid one", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[1-9]\d{11,17}$/), fc.boolean(), (body, ok) => {
        const n = luhnComplete(body, ok);
        expect(has_pii(`pay ${n} now`)).toBe(ok || piiOracle(`pay ${n} now`));
        expect(has_pii(`pay ${n} now`)).toBe(piiOracle(`pay ${n} now`));
      }),
      RUNS,
    );
  });
});

describe("has_pii against its restatement and wasm", () => {
  it("TS agrees with the regex/brute-force oracle", () => {
    fc.assert(
      fc.property(fc.oneof(piiText, piiText, emailInText, disguised, text), (s) => {
        expect(has_pii(s)).toBe(piiOracle(s));
      }),
      RUNS,
    );
  });

  it("wasm agrees with TS", () => {
    fc.assert(
      fc.property(fc.oneof(piiText, card, ssn, phone, apiKey, emailInText, disguised, text), (s) => {
        expect(wasm.has_pii(s)).toBe(has_pii(s));
      }),
      RUNS,
    );
  });

  it("is linear: 10x the input takes < 30x the time", () => {
    // Inputs that make every detector start often: digits, separators, `@`, `+`, `(`.
    const chunk = "1-2 3@a.b+4(5) 6.7-8 sk_live_ AKIA ";
    const best = (n: number) => {
      const s = chunk.repeat(n);
      let t = Infinity;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        has_pii(s);
        wasm.has_pii(s);
        t = Math.min(t, performance.now() - t0);
      }
      return t;
    };
    best(2000);
    expect(best(20_000) / best(2000)).toBeLessThan(30);
  });
});
