// Validation of a call against the policy's declared schemas, before any rule
// runs: a call that does not fit is denied with a reason naming the field.
// Used by the interpreter and by the runtime in front of the wasm evaluator.

import { DEFAULTED, ENV_FALLBACK, type BuiltinField } from "./inputs.js";
import { time as parseTime } from "../stdlib/ts/dates.js";
import type { FieldType, Type } from "./types.js";

/** The schemas a call is checked against (a checked policy's, or a compiled module's manifest). */
export interface Schemas {
  tools: ReadonlyMap<string, { args: FieldType[] }>;
  context: FieldType[];
  /** History queries: when there are any, the call's `history` is read and checked. */
  queries?: readonly unknown[];
  /** Declared run state: the call's `state` is read and checked against it. */
  state?: readonly { name: string; type: Type; max: number }[];
  /** Whether the policy reads the clock: the call must then carry `time`. */
  readsClock?: boolean;
}

/** One call of the run's history, as validated: a declared tool's args against its schema. */
export interface HistoryEntry {
  tool: string;
  args: Record<string, unknown>;
}

export type Value = number | string | boolean | Value[] | { [k: string]: Value };

/** A call after validation: defaults filled in, optional `null`s read as absent. */
export interface Input {
  tool: string;
  /** Whether the policy declares the tool (else `args` is unchecked and opaque). */
  declared: boolean;
  args: Record<string, unknown>;
  agent: { id: string; roles: string[]; trust: number };
  env: string;
  run: { id: string; calls: number };
  ctx: Record<string, unknown>;
  /** The run's earlier allowed calls (only for policies that read history; else empty). */
  history: HistoryEntry[];
  /** The run's state, every declared name present (0 or [] when the call omits it). */
  state: Record<string, unknown>;
  /** The host's clock in ms since the epoch (only for policies that read it). */
  time?: number;
}

export interface ValidateOptions {
  /** What to do with arguments the schema does not declare: deny the call (default) or ignore them. */
  extraArgs?: "deny" | "ignore";
  /** Longest accepted string, in UTF-16 code units (default 1,000,000). */
  maxString?: number;
  /** Longest accepted list (default 10,000). */
  maxList?: number;
}

export type Validation = { ok: true; input: Input } | { ok: false; reason: string };

class Invalid extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const kindOf = (v: unknown): string => (v === undefined ? "nothing" : v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "an object" : typeof v === "number" && !Number.isFinite(v) ? String(v) : `a ${typeof v === "boolean" ? "bool" : typeof v}`);
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
/** Only own properties are input: a value inherited from a polluted Object.prototype never is. */
const get = (o: Record<string, unknown>, k: string): unknown => (own(o, k) ? o[k] : undefined);

class Validator {
  constructor(private readonly opts: Required<ValidateOptions>) {}

  string(v: unknown, where: string): string {
    if (typeof v !== "string") throw new Invalid(`\`${where}\` must be a string, found ${kindOf(v)}`);
    if (v.length > this.opts.maxString) throw new Invalid(`\`${where}\` is longer than ${this.opts.maxString} characters`);
    if (!v.isWellFormed()) throw new Invalid(`\`${where}\` contains an unpaired surrogate (invalid unicode)`);
    return v;
  }

  number(v: unknown, where: string): number {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new Invalid(`\`${where}\` must be a finite number, found ${kindOf(v)}`);
    return v;
  }

  value(v: unknown, t: Type, where: string): unknown {
    switch (t.kind) {
      case "number": return this.number(v, where);
      case "string": {
        const x = this.string(v, where);
        if (t.values && !t.values.includes(x)) throw new Invalid(`\`${where}\` must be one of ${t.values.map((s) => JSON.stringify(s)).join(", ")}, found ${JSON.stringify(x.length > 40 ? x.slice(0, 40) + "…" : x)}`);
        return x;
      }
      case "bool":
        if (typeof v !== "boolean") throw new Invalid(`\`${where}\` must be a bool, found ${kindOf(v)}`);
        return v;
      case "list": {
        if (!Array.isArray(v)) throw new Invalid(`\`${where}\` must be a list, found ${kindOf(v)}`);
        if (v.length > this.opts.maxList) throw new Invalid(`\`${where}\` has more than ${this.opts.maxList} items`);
        const out: unknown[] = [];
        for (let i = 0; i < v.length; i++) out.push(this.value(v[i], t.elem, `${where}[${i}]`));
        return out;
      }
      case "record": return this.record(v, t.fields, where, t.open ? "ignore" : this.opts.extraArgs);
      default: throw new Invalid(`\`${where}\` has a type pol cannot check`);
    }
  }

  /** `agent` or `run`: may be omitted wholly or field by field (the fallbacks apply), never null; other keys are ignored. */
  defaulted(v: unknown, where: string, fields: readonly BuiltinField[]): Record<string, unknown> {
    const raw = v ?? {};
    if (!isObject(raw)) throw new Invalid(`\`${where}\` must be an object, found ${kindOf(raw)}`);
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      const x = get(raw, f.name);
      out[f.name] = x === undefined ? f.fallback : this.value(x, f.type, `${where}.${f.name}`);
    }
    return out;
  }

  /** A record of declared fields; the copy has only declared keys, so `__proto__` and friends never get through. */
  record(v: unknown, fields: FieldType[], where: string, extra: "deny" | "ignore"): Record<string, unknown> {
    if (!isObject(v)) throw new Invalid(`\`${where}\` must be an object, found ${kindOf(v)}`);
    const out: Record<string, unknown> = Object.create(null);
    for (const f of fields) {
      const present = own(v, f.name) && v[f.name] !== undefined && !(f.optional && v[f.name] === null);
      if (!present) {
        if (f.optional) continue;
        throw new Invalid(`${where === "args" ? "argument" : "field"} \`${where}.${f.name}\` is missing`);
      }
      out[f.name] = this.value(v[f.name], f.type, `${where}.${f.name}`);
    }
    if (extra === "deny") {
      for (const k of Object.keys(v)) {
        if (!fields.some((f) => f.name === k)) throw new Invalid(`\`${where}\` has an undeclared field \`${k.length > 40 ? k.slice(0, 40) + "…" : k}\``);
      }
    }
    return out;
  }
}

/** `history`: a list of `{ tool, args }`; a declared tool's args are checked against its schema. */
function history(v: Validator, policy: Schemas, raw: unknown, opts: Required<ValidateOptions>): HistoryEntry[] {
  if (!policy.queries?.length) return [];
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new Invalid(`\`history\` must be a list, found ${kindOf(raw)}`);
  if (raw.length > opts.maxList) throw new Invalid(`\`history\` has more than ${opts.maxList} calls`);
  return raw.map((e, i) => {
    const where = `history[${i}]`;
    if (!isObject(e)) throw new Invalid(`\`${where}\` must be an object, found ${kindOf(e)}`);
    const tool = v.string(get(e, "tool"), `${where}.tool`);
    if (tool.length === 0) throw new Invalid(`\`${where}.tool\` is empty`);
    const schema = policy.tools.get(tool);
    const rawArgs = get(e, "args") ?? {};
    if (schema) return { tool, args: v.record(rawArgs, schema.args, `${where}.args`, opts.extraArgs) };
    if (!isObject(rawArgs)) throw new Invalid(`\`${where}.args\` must be an object, found ${kindOf(rawArgs)}`);
    // A tool without a schema has no checked arguments: none can be read (`has c.args.x` is false).
    return { tool, args: Object.create(null) as Record<string, unknown> };
  });
}

/** `state`: every declared name (0 or [] when absent); a list may not hold more than its `max` values. */
function runState(v: Validator, policy: Schemas, raw: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  if (!policy.state?.length) return out;
  const obj = raw ?? {};
  if (!isObject(obj)) throw new Invalid(`\`state\` must be an object, found ${kindOf(obj)}`);
  for (const s of policy.state) {
    const x = get(obj, s.name);
    if (x === undefined || x === null) out[s.name] = s.type.kind === "list" ? [] : 0;
    else {
      const val = v.value(x, s.type, `state.${s.name}`);
      if (Array.isArray(val) && val.length > s.max) throw new Invalid(`\`state.${s.name}\` holds more than ${s.max} values`);
      out[s.name] = val;
    }
  }
  return out;
}

/** `time`: ms since the epoch, or an ISO date and time; required when the policy reads the clock. */
function clock(policy: Schemas, raw: unknown): number | undefined {
  if (!policy.readsClock) return undefined;
  if (raw === undefined) throw new Invalid("`time` is missing: this policy reads the clock (`today()`, `now()`), so calls must carry the host's time");
  if (typeof raw === "number" && Number.isFinite(raw)) return raw;
  const t = typeof raw === "string" ? parseTime(raw) : null;
  if (t === null) throw new Invalid(`\`time\` must be ms since the epoch or an ISO date and time, found ${kindOf(raw)}`);
  return t * 1000;
}

/** The run inputs of a call alone (`history`, `state`, `time`), checked as validateCall checks them: for the wasm host's encoder. */
export function validateRunInputs(policy: Schemas, call: Record<string, unknown>, options: ValidateOptions = {}): Pick<Input, "history" | "state" | "time"> | undefined {
  const opts = { extraArgs: options.extraArgs ?? "deny", maxString: options.maxString ?? 1_000_000, maxList: options.maxList ?? 10_000 };
  const v = new Validator(opts);
  try {
    const out: Pick<Input, "history" | "state" | "time"> = { history: history(v, policy, get(call, "history"), opts), state: runState(v, policy, get(call, "state")) };
    const time = clock(policy, get(call, "time"));
    if (time !== undefined) out.time = time;
    return out;
  } catch {
    return undefined;
  }
}

/** A declared tool's arguments; when `args` was null, a missing one's reason says so (the sender may think it sent them). */
function argsOf(v: Validator, given: unknown, fields: FieldType[], extra: "deny" | "ignore"): Record<string, unknown> {
  try {
    return v.record(given ?? {}, fields, "args", extra);
  } catch (e) {
    if (e instanceof Invalid && given === null) throw new Invalid(`${e.message} (the call's \`args\` is null: send the arguments as an object)`);
    throw e;
  }
}

/** Checks a call's shape and types. Never throws. */
export function validateCall(policy: Schemas, call: unknown, options: ValidateOptions = {}): Validation {
  const opts = { extraArgs: options.extraArgs ?? "deny", maxString: options.maxString ?? 1_000_000, maxList: options.maxList ?? 10_000 };
  const v = new Validator(opts);
  try {
    if (!isObject(call)) throw new Invalid(`a call must be an object, found ${kindOf(call)}`);
    const tool = v.string(get(call, "tool"), "tool");
    if (tool.length === 0) throw new Invalid("`tool` is empty");
    const schema = policy.tools.get(tool);
    // Missing or null `args` is a call without arguments (some frameworks send null for none).
    const given = get(call, "args");
    const rawArgs = given ?? {};
    let args: Record<string, unknown>;
    if (schema) args = argsOf(v, given, schema.args, opts.extraArgs);
    else if (isObject(rawArgs)) args = rawArgs;
    else throw new Invalid(`\`args\` must be an object, found ${kindOf(rawArgs)}`);
    const input: Input = {
      tool,
      declared: schema !== undefined,
      args,
      agent: v.defaulted(get(call, "agent"), "agent", DEFAULTED.agent) as Input["agent"],
      env: get(call, "env") === undefined ? ENV_FALLBACK : v.string(get(call, "env"), "env"),
      run: v.defaulted(get(call, "run"), "run", DEFAULTED.run) as Input["run"],
      ctx: v.record(get(call, "ctx") ?? {}, policy.context, "ctx", "ignore"),
      history: history(v, policy, get(call, "history"), opts),
      state: runState(v, policy, get(call, "state")),
    };
    const time = clock(policy, get(call, "time"));
    if (time !== undefined) input.time = time;
    return { ok: true, input };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, reason: e.message };
    if (e instanceof RangeError) return { ok: false, reason: "the call is nested too deeply to check" };
    return { ok: false, reason: `the call could not be checked: ${(e as Error).message}` };
  }
}
