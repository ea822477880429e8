// fast-check arbitraries for well-typed pol expressions. Types are tracked
// while generating: a Scope lists every input path (flattened records, with
// the optional fields on the way), lets and quantifier variables, and an
// optional path is read only inside a `has` guard that proves it present, as
// the checker requires. Used by policy.ts for rule conditions, lets and limits.

import fc from "fast-check";
import { compileRegex } from "../../stdlib/regex/index.js";
import { STR, isScalar, list, polNumber, polString, tyEq, type Field, type ScalarKind, type Ty } from "../../policytest/gen/types.js";
import { anyNumber, anyString } from "../../policytest/gen/values.js";

type A = fc.Arbitrary<string>;

/** A path that can be read: `needs` are the optional paths along it that a guard must prove present. */
export interface Entry { path: string; type: Ty; needs: string[] }
export interface LetInfo { name: string; type: Ty }

export interface Scope {
  entries: Entry[];
  guarded: ReadonlySet<string>;
  lets: LetInfo[];
  /** Next fresh quantifier variable number. */
  nextVar: number;
  /** History queries the policy may read: `seen(T)`, `count(T)`, `calls(T)` with their entry type. */
  history?: HistoryInfo[];
  /** Maps written in lets (`let k2 = { 1: { a: ..., b: ... } }`), read by key under a `has` guard. */
  maps?: MapInfo[];
}

export interface HistoryInfo { targets: string; elem: Ty }
export interface MapInfo { name: string; keys: string[]; value: Field[] }

/** Entries for the fields of a record at `root` (records themselves included, for `has`). */
export function flatten(root: string, fields: Field[], needs: string[] = [], out: Entry[] = []): Entry[] {
  for (const x of fields) {
    const path = `${root}.${x.name}`;
    const n = x.optional ? [...needs, path] : needs;
    out.push({ path, type: x.type, needs: n });
    if (x.type.k === "record") flatten(path, x.type.fields, n, out);
  }
  return out;
}

const lazy = (f: () => A): A => fc.constant(null).chain(f);
const w = (weight: number, arbitrary: A) => ({ weight, arbitrary });
const oneof = (...xs: { weight: number; arbitrary: A }[]) => fc.oneof(...xs.filter((x) => x.weight > 0));
const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const paren = (s: string) => `(${s})`;

/** CIDR ranges in_cidr() reads (a written range that does not parse is error E0221). */
const RANGES = ["10.0.0.0/8", "192.168.0.0/16", "fd00::/8", "10.1.2.3", "0.0.0.0/0", "::/0", "127.0.0.0/8", "169.254.0.0/16", "::ffff:0:0/96", "fe80::/10", "0.0.0.0/8", "::1"];
const INPUT_ROOTS = new Set(["args", "ctx", "agent", "run", "env", "tool"]);
export const numLit: A = fc.tuple(anyNumber, fc.boolean()).map(([v, u]) => polNumber(v, u));
export const strLit: A = fc.tuple(anyString, fc.boolean()).map(([s, esc]) => polString(s, esc));

/** A glob over a small alphabet with `*`, `?` and escapes (never ending in a lone `\`). */
export const globLit: A = fc
  .array(pick(["a", "b", "A", "é", "😀", ".", "@", "*", "*", "?", "\\*", "\\?", "\\\\", "\\a"]), { maxLength: 5 })
  .map((parts) => polString(parts.join("")));

const REGEX_ATOMS = ["a", "b", "c", "A", "1", ".", "\\d", "\\w", "\\s", "\\.", "[abc]", "[^a]", "[a-c]", "é", "😀", "\\u00e9", " "];
const REGEX_QUANTS = ["", "", "", "*", "+", "?", "{2}", "{1,3}", "{0,}"];
const regexBranch = fc
  .array(fc.tuple(fc.oneof(pick(REGEX_ATOMS), fc.array(pick(REGEX_ATOMS), { minLength: 1, maxLength: 3 }).map((xs) => `(${xs.join("")})`)), pick(REGEX_QUANTS)), { minLength: 1, maxLength: 4 })
  .map((xs) => xs.map(([a, q]) => a + q).join(""));
/** A small regular expression (alternation, groups, classes, anchors) that pol accepts; `/.../` with flags. */
export const regexLit: A = fc
  .tuple(fc.array(regexBranch, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.boolean(), pick(["", "", "i"]))
  .map(([branches, start, end, flags]) => {
    const src = `${start ? "^" : ""}${branches.length > 1 ? `(${branches.join("|")})` : branches[0]}${end ? "$" : ""}`;
    return compileRegex(src, flags).ok ? `/${src}/${flags}` : "/a+b/";
  });

const CMP = ["<", "<=", ">", ">=", "==", "!="] as const;
/** Dates and times `date()`/`time()` read, and near misses. */
const DATES = ['"2024-05-15"', '"2024-02-29"', '"2023-02-29"', '"2024-05-15 10:00"', '"2024-05-15T10:00:00.5+02:00"', '"2024-13-01"', '"15/05/2024"'];
const BASE_ROOTS = new Set(["tool", "env", "agent", "run"]);

export class ExprGen {
  readable(s: Scope, pred: (t: Ty) => boolean): string[] {
    // An enum is compared only with its own values (E0222 refuses others): `about` reads it.
    const plain = (t: Ty) => !(t.k === "string" && t.values);
    const paths = s.entries.filter((e) => e.type.k !== "record" && plain(e.type) && pred(e.type) && e.needs.every((n) => s.guarded.has(n))).map((e) => e.path);
    return [...paths, ...s.lets.filter((l) => pred(l.type)).map((l) => l.name)];
  }

  private readableRecords(s: Scope): Entry[] {
    return s.entries.filter((e) => e.type.k === "record" && e.needs.every((n) => s.guarded.has(n)));
  }

  private readableEntries(s: Scope): Entry[] {
    return s.entries.filter((e) => e.type.k !== "record" && e.needs.every((n) => s.guarded.has(n)));
  }

  scalar(t: ScalarKind, s: Scope, d: number): A {
    return t === "number" ? this.num(s, d) : t === "string" ? this.str(s, d) : this.bool(s, d);
  }

  bool(s: Scope, d: number): A {
    const vals = this.readable(s, (t) => t.k === "bool");
    const unguarded = s.entries.filter((e) => e.needs.some((n) => !s.guarded.has(n)));
    const entries = this.readableEntries(s);
    const focus = entries.filter((e) => !BASE_ROOTS.has(e.path.split(".")[0]!));
    const sub = d - 1;
    return oneof(
      w(1, pick(["true", "false"])),
      w(vals.length ? 3 : 0, lazy(() => pick(vals))),
      w(d > 0 ? 3 : 0, lazy(() => fc.tuple(this.bool(s, sub), pick([" and ", " or "]), this.bool(s, sub)).map(([a, op, b]) => paren(a + op + b)))),
      w(d > 0 ? 1 : 0, lazy(() => this.bool(s, sub).map((a) => `(not ${a})`))),
      w(d > 0 ? 3 : 0, lazy(() => fc.tuple(this.num(s, sub), pick(CMP), this.num(s, sub)).map(([a, op, b]) => paren(`${a} ${op} ${b}`)))),
      w(d > 0 ? 2 : 0, lazy(() => fc.tuple(this.str(s, sub), pick(["==", "!="]), this.str(s, sub)).map(([a, op, b]) => paren(`${a} ${op} ${b}`)))),
      w(d > 0 ? 1 : 0, lazy(() => fc.tuple(this.bool(s, sub), pick(["==", "!="]), this.bool(s, sub)).map(([a, op, b]) => paren(`${a} ${op} ${b}`)))),
      w(d > 0 ? 3 : 0, lazy(() => this.member(s, sub))),
      w(d > 0 ? 2 : 0, lazy(() => fc.tuple(this.str(s, sub), globLit).map(([a, g]) => paren(`${a} matches ${g}`)))),
      w(d > 0 ? 2 : 0, lazy(() => fc.tuple(this.str(s, sub), regexLit).map(([a, r]) => paren(`${a} =~ ${r}`)))),
      w(d > 0 ? 2 : 0, lazy(() => this.boolBuiltin(s, sub))),
      w(d > 0 && unguarded.length ? 5 : 0, lazy(() => pick(unguarded).chain((e) => this.guard(e, s, sub)))),
      w(d > 0 ? 3 : 0, lazy(() => this.quant(s, sub))),
      w(s.history?.length ? 2 : 0, lazy(() => pick(s.history!).map((h) => `seen(${h.targets})`))),
      w(d > 0 && s.maps?.length ? 3 : 0, lazy(() => this.lookup(s, sub))),
      w(d > 0 ? 1 : 0, lazy(() => fc.tuple(pick(["is_date", "is_time"]), this.str(s, sub)).map(([fn, a]) => `${fn}(${a})`))),
      // Reading the call's own arguments (and quantifier variables) is where the engines differ most: favour it.
      w(d > 0 && focus.length ? 8 : 0, lazy(() => pick(focus).chain((e) => this.about(e, s, sub)))),
      w(d > 0 && entries.length ? 3 : 0, lazy(() => pick(entries).chain((e) => this.about(e, s, sub)))),
    );
  }

  num(s: Scope, d: number): A {
    const vals = this.readable(s, (t) => t.k === "number");
    const sub = d - 1;
    return oneof(
      w(3, numLit),
      w(vals.length ? 4 : 0, lazy(() => pick(vals))),
      w(d > 0 ? 3 : 0, lazy(() => fc.tuple(this.num(s, sub), pick([" + ", " - ", " * "]), this.num(s, sub)).map(([a, op, b]) => paren(a + op + b)))),
      w(d > 0 ? 1 : 0, lazy(() => this.num(s, sub).map((a) => `-${a}`))),
      // Overflow to infinities and NaN, which compare and fold by IEEE rules in both engines.
      w(1, pick(["(1e308 * 10)", "(-1e308 * 10)", "((1e308 * 10) - (1e308 * 10))", "(0 * (1e308 * 10))"])),
      w(d > 0 ? 1 : 0, lazy(() => this.str(s, sub).map((a) => `len(${a})`))),
      w(d > 0 ? 1 : 0, lazy(() => this.listSource(s, sub).chain((src) => src.text).map((l) => `len(${l})`))),
      w(d > 0 ? 1 : 0, lazy(() => fc.tuple(pick(["abs", "floor"]), this.num(s, sub)).map(([fn, a]) => `${fn}(${a})`))),
      w(d > 0 ? 1 : 0, lazy(() => fc.tuple(pick(["min", "max"]), this.num(s, sub), this.num(s, sub)).map(([fn, a, b]) => `${fn}(${a}, ${b})`))),
      w(s.history?.length ? 1 : 0, lazy(() => pick(s.history!).map((h) => `count(${h.targets})`))),
      // Dates against the host's clock: fails (⊥) on text that is no ISO date.
      w(d > 0 ? 1 : 0, lazy(() => fc.tuple(pick(["date", "time"]), fc.oneof(this.str(s, sub), pick(DATES))).map(([fn, a]) => `${fn}(${a})`))),
      w(1, pick(["today()", "now()"])),
    );
  }

  /** A map written in a let, read by key under a guard: `(has k2[K] and k2[K].a > 1)`. */
  private lookup(s: Scope, d: number): A {
    return pick(s.maps!).chain((m) => {
      const numeric = /^-?[\d.]/.test(m.keys[0] ?? "0");
      const keys = this.readable(s, (t) => t.k === (numeric ? "number" : "string")).filter((p) => INPUT_ROOTS.has(p.split(".")[0]!));
      const key = fc.oneof({ weight: 2, arbitrary: pick(m.keys) }, { weight: keys.length ? 3 : 0, arbitrary: keys.length ? pick(keys) : pick(m.keys) }, { weight: 1, arbitrary: numeric ? numLit : strLit });
      return key.chain((k) => {
        const at = `${m.name}[${k}]`;
        const field = pick(m.value);
        const read = field.chain((f) => this.about({ path: `${at}.${f.name}`, type: f.type, needs: [] }, s, d));
        return fc.tuple(pick(["and", "or", "bare"]), read).map(([form, r]) => (form === "and" ? `(has ${at} and ${r})` : form === "or" ? `(not has ${at} or ${r})` : `has ${at}`));
      });
    });
  }

  str(s: Scope, d: number): A {
    const vals = this.readable(s, (t) => t.k === "string");
    return oneof(
      w(3, strLit),
      w(vals.length ? 5 : 0, lazy(() => pick(vals))),
      w(d > 0 ? 2 : 0, lazy(() => fc.tuple(pick(["lower", "upper", "trim", "domain", "host"]), this.str(s, d - 1)).map(([fn, a]) => `${fn}(${a})`))),
    );
  }

  private boolBuiltin(s: Scope, d: number): A {
    return oneof(
      w(3, fc.tuple(pick(["starts_with", "ends_with", "contains"]), this.str(s, d), this.str(s, d)).map(([fn, a, b]) => `${fn}(${a}, ${b})`)),
      w(2, fc.tuple(this.str(s, d), pick(RANGES)).map(([a, c]) => `in_cidr(${a}, ${polString(c)})`)),
      w(1, fc.tuple(this.str(s, d), this.range(s, d)).map(([a, b]) => `in_cidr(${a}, ${b})`)),
      w(2, fc.tuple(pick(["is_email", "has_pii", "is_url", "is_ip"]), this.str(s, d)).map(([fn, a]) => `${fn}(${a})`)),
    );
  }

  /** A number that fails (⊥) when the string it measures is no URL, address or email: for sum limits. */
  fallibleNum(s: Scope): A {
    return fc.tuple(pick(["host", "domain"]), this.str(s, 0)).map(([fn, a]) => `len(${fn}(${a}))`);
  }

  /** A range argument read at run time (an input, or a derived string), which may fail; else a written one. */
  private range(s: Scope, d: number): A {
    const inputs = this.readable(s, (t) => t.k === "string").filter((p) => INPUT_ROOTS.has(p.split(".")[0]!));
    return oneof(
      w(inputs.length ? 3 : 0, lazy(() => pick(inputs))),
      w(1, lazy(() => fc.tuple(pick(["lower", "host", "trim"]), this.range(s, d - 1)).map(([fn, a]) => `${fn}(${a})`))),
      w(1, pick(RANGES).map((c) => polString(c))),
    );
  }

  /** `x in LIST` / `x not in LIST` with matching element type. */
  private member(s: Scope, d: number): A {
    return this.listSource(s, d, (t) => isScalar(t)).chain((src) => {
      const elem: ScalarKind = src.elem && isScalar(src.elem) ? src.elem.k : "string";
      return fc.tuple(this.scalar(elem, s, d), pick([" in ", " not in "]), src.text).map(([x, op, l]) => paren(x + op + l));
    });
  }

  /** A list to range over or test membership in: input lists, lets, literal lists (also of lists), or `[]` (elem null). */
  listSource(s: Scope, d: number, elemOk: (t: Ty) => boolean = () => true): fc.Arbitrary<{ text: A; elem: Ty | null }> {
    const fixed = this.readable(s, (t) => t.k === "list" && elemOk(t.elem)).map((p) => {
      const t = s.entries.find((e) => e.path === p)?.type ?? s.lets.find((l) => l.name === p)!.type;
      return { text: fc.constant(p), elem: (t as { elem: Ty }).elem as Ty | null };
    });
    // Typed sources are never empty: `[]` has element type never, offered separately with elem null.
    const lits = (["number", "string", "bool"] as const).map((k) => ({ text: this.listLit(k, s, d, 1), elem: { k } as Ty | null }));
    const nested = { text: this.listOfLists(s, d), elem: list(STR) as Ty | null };
    // `[args.meta, ...]`: a literal list of input records, unrolled by the compiler with the paths substituted.
    const records = this.readableRecords(s).filter((e) => elemOk(e.type)).map((e) => {
      const alike = this.readableRecords(s).filter((x) => tyEq(x.type, e.type)).map((x) => x.path);
      return { text: fc.array(pick(alike), { minLength: 1, maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`), elem: e.type as Ty | null };
    });
    const history = (s.history ?? []).filter((h) => elemOk(h.elem)).map((h) => ({ text: fc.constant(`calls(${h.targets})`), elem: h.elem as Ty | null }));
    // Links and addresses found in a text: a list a builtin computes.
    const found = elemOk(STR) ? [{ text: fc.tuple(pick(["urls", "emails"]), this.str(s, Math.min(d, 1))).map(([fn, a]) => `${fn}(${a})`), elem: STR as Ty | null }] : [];
    const opts = [...fixed, ...fixed, ...lits.filter((x) => elemOk(x.elem!)), ...(elemOk(list(STR)) ? [nested] : []), ...records, ...history, ...history, ...found, { text: fc.constant("[]"), elem: null }];
    return pick(opts);
  }

  listLit(k: ScalarKind, s: Scope, d: number, minLength = 0): A {
    const item = fc.oneof({ weight: 3, arbitrary: k === "number" ? numLit : k === "string" ? strLit : pick(["true", "false"]) }, { weight: 1, arbitrary: lazy(() => this.scalar(k, s, Math.min(d, 0))) });
    return fc.tuple(fc.array(item, { minLength, maxLength: 4 }), fc.boolean()).map(([xs, trailing]) => `[${xs.join(", ")}${trailing && xs.length ? "," : ""}]`);
  }

  private listOfLists(s: Scope, d: number): A {
    const inputs = this.readable(s, (t) => tyEq(t, list(STR)));
    const item = fc.oneof({ weight: 3, arbitrary: this.listLit("string", s, d, 1) }, { weight: inputs.length ? 1 : 0, arbitrary: inputs.length ? pick(inputs) : fc.constant("[]") });
    return fc.array(item, { minLength: 1, maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`);
  }

  /** `any/all v in LIST: BODY`, the body often about the variable. */
  quant(s: Scope, d: number): A {
    return fc.tuple(this.listSource(s, d), pick(["any", "all"])).chain(([src, q]) => {
      const v = `v${s.nextVar}`;
      const varEntries = src.elem === null ? [] : src.elem.k === "record" ? flatten(v, src.elem.fields) : [{ path: v, type: src.elem, needs: [] }];
      const inner: Scope = { ...s, entries: [...s.entries, ...varEntries], nextVar: s.nextVar + 1 };
      const readableVar = varEntries.filter((e) => e.type.k !== "record" && e.needs.length === 0);
      const guardable = varEntries.filter((e) => e.needs.length > 0);
      const body = oneof(
        w(2, lazy(() => this.bool(inner, d))),
        w(readableVar.length ? 4 : 0, lazy(() => pick(readableVar).chain((e) => this.about(e, inner, d)))),
        w(guardable.length ? 2 : 0, lazy(() => pick(guardable).chain((e) => this.guard(e, inner, d)))),
      );
      return fc.tuple(src.text, body).map(([l, b]) => `(${q} ${v} in ${l}: ${b})`);
    });
  }

  /** Proves `e` present and reads it: `(has P and ...)`, `(not has P or ...)`, or a bare `has P`. */
  guard(e: Entry, s: Scope, d: number): A {
    const segs = e.path.split(".");
    const proved = new Set(s.guarded);
    for (let i = 2; i <= segs.length; i++) proved.add(segs.slice(0, i).join("."));
    const inner: Scope = { ...s, guarded: proved };
    const body = e.type.k === "record" ? this.bool(inner, d) : fc.oneof({ weight: 3, arbitrary: this.about(e, inner, d) }, { weight: 1, arbitrary: this.bool(inner, d) });
    return fc.tuple(pick(["and", "and", "or", "bare"]), body).map(([form, b]) =>
      form === "and" ? `(has ${e.path} and ${b})` : form === "or" ? `(not has ${e.path} or ${b})` : `has ${e.path}`,
    );
  }

  /** A bool expression reading the (readable) entry `e`. */
  about(e: Entry, s: Scope, d: number): A {
    const p = e.path;
    const t = e.type;
    const sub = Math.max(d, 0);
    switch (t.k) {
      case "number":
        return oneof(
          w(4, fc.tuple(pick(CMP), this.num(s, sub)).map(([op, b]) => paren(`${p} ${op} ${b}`))),
          w(1, fc.tuple(pick(CMP), this.num(s, sub)).map(([op, b]) => paren(`${b} ${op} ${p}`))),
          w(1, this.listLit("number", s, sub).map((l) => paren(`${p} in ${l}`))),
          w(1, fc.tuple(pick([" + ", " - ", " * "]), numLit, pick(CMP), numLit).map(([op, a, c, b]) => paren(`(${p}${op}${a}) ${c} ${b}`))),
        );
      case "string":
        if (t.values) {
          const vals = t.values.map((v) => polString(v));
          return oneof(
            w(3, fc.tuple(pick(["==", "!="]), pick(vals)).map(([op, b]) => paren(`${p} ${op} ${b}`))),
            w(2, fc.tuple(pick([" in ", " not in "]), fc.uniqueArray(pick(vals), { minLength: 1, maxLength: 2 })).map(([op, l]) => paren(`${p}${op}[${l.join(", ")}]`))),
            w(1, fc.tuple(pick(["lower", "upper"]), strLit).map(([fn, b]) => paren(`${fn}(${p}) == ${b}`))),
          );
        }
        return oneof(
          w(3, fc.tuple(pick(["==", "!="]), this.str(s, sub)).map(([op, b]) => paren(`${p} ${op} ${b}`))),
          w(2, globLit.map((g) => paren(`${p} matches ${g}`))),
          w(2, regexLit.map((r) => paren(`${p} =~ ${r}`))),
          w(2, fc.tuple(pick(["starts_with", "ends_with", "contains"]), this.str(s, sub)).map(([fn, b]) => `${fn}(${p}, ${b})`)),
          w(2, fc.tuple(pick([" in ", " not in "]), this.listLit("string", s, sub)).map(([op, l]) => paren(p + op + l))),
          w(1, fc.tuple(pick(CMP), numLit).map(([op, n]) => paren(`len(${p}) ${op} ${n}`))),
          w(1, fc.tuple(pick(["lower", "upper", "trim", "domain", "host"]), strLit).map(([fn, b]) => paren(`${fn}(${p}) == ${b}`))),
          w(2, pick(["is_email", "has_pii", "is_url", "is_ip"]).map((fn) => `${fn}(${p})`)),
          w(2, pick(RANGES).map((c) => `in_cidr(${p}, ${polString(c)})`)),
          w(1, pick(RANGES).map((c) => `in_cidr(host(${p}), ${polString(c)})`)),
          w(1, fc.tuple(pick(["==", "!="]), strLit).map(([op, b]) => paren(`domain(${p}) ${op} ${b}`))),
        );
      case "bool":
        return oneof(w(2, fc.constant(p)), w(1, fc.constant(`(not ${p})`)), w(1, pick(["true", "false"]).map((b) => paren(`${p} == ${b}`))));
      case "list": {
        const el = t.elem;
        const v = `v${s.nextVar}`;
        const inner: Scope = { ...s, entries: [...s.entries, ...(el.k === "record" ? flatten(v, el.fields) : [{ path: v, type: el, needs: [] }])], nextVar: s.nextVar + 1 };
        const varEntries = inner.entries.slice(s.entries.length).filter((x) => x.type.k !== "record");
        const body = varEntries.length
          ? pick(varEntries).chain((x) => (x.needs.every((n) => inner.guarded.has(n)) ? this.about(x, inner, sub - 1) : this.guard(x, inner, sub - 1)))
          : this.bool(inner, sub - 1);
        return oneof(
          w(isScalar(el) ? 3 : 0, lazy(() => fc.tuple(this.scalar((el as { k: ScalarKind }).k, s, sub), pick([" in ", " not in "])).map(([x, op]) => paren(x + op + p)))),
          w(1, fc.tuple(pick(CMP), pick(["0", "1", "2", "3"])).map(([op, n]) => paren(`len(${p}) ${op} ${n}`))),
          w(4, fc.tuple(pick(["any", "all"]), body).map(([q, b]) => `(${q} ${v} in ${p}: ${b})`)),
        );
      }
      case "record":
        return this.bool(s, sub);
    }
  }
}
