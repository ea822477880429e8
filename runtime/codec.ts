// The hot-path call codec: per tool, a JavaScript function generated from the
// manifest that validates a raw call exactly as language/validate.ts does and,
// in the same walk, writes the slots the policy reads into linear memory. On
// any failure it returns false and the loader asks validateCall for the reason
// (the slow path runs only for calls that will be denied anyway).

import type { Manifest, SlotJson } from "../compiler/manifest.js";
import { DEFAULTED, ENV_FALLBACK, type BuiltinField } from "../language/inputs.js";
import { sameType, type FieldType, type Type } from "../language/types.js";
import type { Writer } from "./encoder.js";

export type Codec = (call: Record<string, unknown>, w: Writer) => boolean;

export interface CodecLimits {
  extraArgs: "deny" | "ignore";
  maxString: number;
  maxList: number;
}

/**
 * Source reading own property `key` (a JS string literal) of `obj`, else undefined. Inline
 * at each site rather than a shared helper: each site keeps its own (monomorphic) feedback,
 * where one helper's property load goes megamorphic (~15 ns per field, measured).
 */
const own = (obj: string, key: string) => `(HOP.call(${obj}, ${key}) ? ${obj}[${key}] : undefined)`;

/** Builds the source of one generated function, with unique local names. */
class Gen {
  private n = 0;
  readonly consts: unknown[] = [];
  fresh(p = "v"): string {
    return `${p}${this.n++}`;
  }
  constant(v: unknown): string {
    this.consts.push(v);
    return `K[${this.consts.length - 1}]`;
  }
  constructor(readonly lim: CodecLimits) {}

  /** Statements that validate `v` as `t` (return false if not) and, with `addr`, write it at that JS address expression. */
  value(v: string, t: Type, slot: SlotJson | undefined, addr: string | undefined): string {
    const write = slot !== undefined && addr !== undefined;
    switch (t.kind) {
      case "number":
        return `if (typeof ${v} !== "number" || !Number.isFinite(${v})) return false;${write ? ` w.f64[(${addr}) >> 3] = ${v};` : ""}`;
      case "bool":
        return `if (typeof ${v} !== "boolean") return false;${write ? ` w.i32[(${addr}) >> 2] = ${v} ? 1 : 0;` : ""}`;
      case "string":
        return `if (typeof ${v} !== "string" || ${v}.length > ${this.lim.maxString} || !${v}.isWellFormed()${t.values ? ` || !${this.constant(new Set(t.values))}.has(${v})` : ""}) return false;${write ? ` w.string(${addr}, ${v});` : ""}`;
      case "list":
        return this.list(v, t.elem, slot, addr);
      case "record":
        return this.record(v, t.fields, slot?.record, addr, t.open ? "ignore" : this.lim.extraArgs);
      default:
        return "return false;";
    }
  }

  private list(v: string, elem: Type, slot: SlotJson | undefined, addr: string | undefined): string {
    const i = this.fresh("i");
    const x = this.fresh("x");
    const head = `if (!Array.isArray(${v}) || ${v}.length > ${this.lim.maxList}) return false;`;
    if (!slot?.elem || addr === undefined) return `${head} for (let ${i} = 0; ${i} < ${v}.length; ${i}++) { const ${x} = ${v}[${i}]; ${this.value(x, elem, undefined, undefined)} }`;
    const e = slot.elem;
    const p = this.fresh("p");
    const inner: SlotJson = { name: "", type: elem, offset: 0, ...(e.record ? { record: e.record } : {}), ...(e.elem ? { elem: e.elem } : {}) };
    const at = `${p} + ${i} * ${e.size}`;
    return `${head} const ${p} = w.alloc(${v}.length * ${e.size}); for (let ${i} = 0; ${i} < ${v}.length; ${i}++) { const ${x} = ${v}[${i}]; ${this.value(x, elem, inner, e.record ? at : `${at} + 0`)} } w.u32[(${addr}) >> 2] = ${p}; w.u32[((${addr}) >> 2) + 1] = ${v}.length;`;
  }

  /** A record of declared `fields`; `slots` are the layout's slots for it (offsets relative to `base`). */
  record(v: string, fields: FieldType[], slots: SlotJson[] | undefined, base: string | undefined, extra: "deny" | "ignore"): string {
    const out = [`if (typeof ${v} !== "object" || ${v} === null || Array.isArray(${v})) return false;`];
    // Declared keys present, counted as they are read: the undeclared-key check below then only
    // counts keys (for…in with a Set lookup and hasOwnProperty per key took ~20 ns more a record).
    const count = extra === "deny" ? this.fresh("c") : undefined;
    if (count) out.push(`let ${count} = 0;`);
    for (const f of fields) {
      const slot = slots?.find((s) => s.name === f.name && s.type.kind === f.type.kind && sameType(s.type, f.type));
      const x = this.fresh();
      const key = JSON.stringify(f.name);
      const addr = slot && base !== undefined ? (slot.type.kind === "record" ? base : `${base} + ${slot.offset}`) : undefined;
      const pres = slot?.presence !== undefined && base !== undefined ? `w.i32[(${base} + ${slot.presence}) >> 2]` : undefined;
      out.push(`const ${x} = ${own(v, key)};`);
      if (count) out.push(`if (${x} !== undefined) ${count}++;`);
      const absent = f.optional ? `${x} === undefined || ${x} === null` : `${x} === undefined`;
      const onAbsent = f.optional ? (pres ? `${pres} = 0;` : "") : "return false;";
      out.push(`if (${absent}) { ${onAbsent} } else { ${this.value(x, f.type, slot, addr)}${pres ? ` ${pres} = 1;` : ""} }`);
    }
    if (count) {
      // More keys than declared ones read (an undeclared key, one holding undefined, or an
      // enumerable key inherited from a polluted prototype): only then is each key checked.
      const names = this.constant(new Set(fields.map((f) => f.name)));
      const k = this.fresh("k");
      const n = this.fresh("n");
      out.push(`let ${n} = 0; for (const ${k} in ${v}) ${n}++;`);
      out.push(`if (${n} !== ${count}) { for (const ${k} in ${v}) if (hasOwn(${v}, ${k}) && !${names}.has(${k})) return false; }`);
    }
    return out.join("\n");
  }
}

/** The fallback of a built-in field as a literal in generated code (lists are the one frozen empty list, NOROLES). */
const literal = (f: BuiltinField): string => (Array.isArray(f.fallback) ? "NOROLES" : JSON.stringify(f.fallback));

/** `agent`/`run` (language/inputs.ts): fields may be omitted (the fallbacks apply) but not null; slots have no presence flags. */
function defaulted(g: Gen, obj: "agent" | "run", slots: SlotJson[], IN: number): string {
  const out = [`const ${obj}r = ${own("call", `"${obj}"`)} ?? EMPTY;`, `if (typeof ${obj}r !== "object" || Array.isArray(${obj}r)) return false;`];
  for (const f of DEFAULTED[obj]) {
    const slot = slots.find((s) => s.name === f.name);
    const x = g.fresh();
    out.push(`const ${x} = ${own(`${obj}r`, JSON.stringify(f.name))};`);
    const write = slot ? g.value(`${x}d`, f.type, slot, `${IN + slot.offset}`) : "";
    const check = g.value(x, f.type, undefined, undefined);
    out.push(`if (${x} !== undefined) { ${check} }`);
    if (write) out.push(`{ const ${x}d = ${x} === undefined ? ${literal(f)} : ${x}; ${write} }`);
  }
  return out.join("\n");
}

/** The codec for tool `args` (undefined for tools without a schema: args must only be an object). */
export function compileCodec(m: Manifest, IN: number, args: FieldType[] | undefined, lim: CodecLimits, writeTool: boolean): Codec {
  const g = new Gen(lim);
  const top = m.layout.top;
  const toolSlot = top.find((s) => s.name === "tool")!;
  const envSlot = top.find((s) => s.name === "env");
  const body = [
    `const tool = ${own("call", '"tool"')};`,
    `if (typeof tool !== "string" || tool.length === 0 || tool.length > ${lim.maxString} || !tool.isWellFormed()) return false;`,
    // The name is in memory only when the module reads it: for pattern targets (tool id 0) or `tool` in an expression.
    writeTool ? `w.string(${IN + toolSlot.offset}, tool);` : "",
    `const env0 = ${own("call", '"env"')};`,
    `const env = env0 === undefined ? ${JSON.stringify(ENV_FALLBACK)} : env0;`,
    `if (typeof env !== "string" || env.length > ${lim.maxString} || !env.isWellFormed()) return false;`,
    envSlot ? `w.string(${IN + envSlot.offset}, env);` : "",
    `const args = ${own("call", '"args"')} ?? EMPTY;`,
    args ? g.record("args", args, m.layout.args, `${IN}`, lim.extraArgs) : `if (typeof args !== "object" || Array.isArray(args)) return false;`,
    defaulted(g, "agent", m.layout.agent, IN),
    defaulted(g, "run", m.layout.run, IN),
    `const ctx = ${own("call", '"ctx"')} ?? EMPTY;`,
    g.record("ctx", m.context, m.layout.ctx, `${IN}`, "ignore"),
    "return true;",
  ].join("\n");
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function("K", "hasOwn", "HOP", "EMPTY", "NOROLES", `return function codec(call, w) {\n${body}\n};`);
  const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  // Only own properties are input: a value inherited from a polluted Object.prototype never is.
  return make(g.consts, hasOwn, Object.prototype.hasOwnProperty, Object.freeze({}), Object.freeze([])) as Codec;
}
