// Loading `*.test.yaml` suites: YAML with positions, checked for shape, with
// fixtures, defaults and table rows expanded into concrete cases. Every
// problem is a SuiteError with file:line:col, never an exception. Consumed by
// run.ts (pol test).

import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { isMap, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from "yaml";
import type { Effect, ToolClass } from "../language/ast.js";
import { closest } from "../language/suggest.js";
import { time as isoTime } from "../stdlib/ts/dates.js";

export interface SuiteError { file: string; line: number; col: number; message: string }

export interface Expect {
  effect: Effect;
  /** A deciding rule's label or id. */
  rule?: string;
  approvers?: string[];
  /** A substring of one of the reasons. */
  reason?: string;
  /** Argument paths the audit record must hide. */
  redacted?: string[];
  /** The call is meant to break its tool's schema (then only `effect: deny` and `reason` make sense). */
  invalid?: boolean;
}

export interface LimitState { limit: string; key?: string; used: number }
export type PauseSpec = string | { class: ToolClass };
/**
 * `time`: the engine's clock when the case starts (ms since the epoch), for policies that read it
 * (`today()`, `now()`); `run`: the run state the case's run holds already, by state name (a number,
 * or a list of the values a set holds), as earlier allowed calls would have left it.
 */
export interface StateSpec { limits: LimitState[]; trust: Record<string, number>; paused: PauseSpec[]; time?: number; run?: Record<string, number | RunScalar[]> }
export type RunScalar = string | number | boolean;

export interface Where { file: string; line: number; col: number }

export interface TestCase {
  /** `case name` or `case name [row 3]` for table rows. */
  name: string;
  where: Where;
  call: Record<string, unknown>;
  before: Record<string, unknown>[];
  state: StateSpec;
  expect: Expect;
  /** The case may call a tool the policy never mentions. */
  allowUnknownTool: boolean;
}

export interface Suite { file: string; policyFile: string; cases: TestCase[]; errors: SuiteError[] }

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep merge of plain objects (later wins); arrays and scalars are replaced. */
export function merge(...xs: unknown[]): Obj {
  const out: Obj = {};
  for (const x of xs) {
    if (!isObj(x)) continue;
    for (const [k, v] of Object.entries(x)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k], v) : v;
  }
  return out;
}

const TOP = ["policy", "defaults", "fixtures", "cases", "time"];
const CASE = ["name", "use", "call", "table", "expect", "state", "before", "allow_unknown_tool"];
const EXPECT = ["effect", "rule", "approvers", "reason", "redacted", "invalid"];
const ROW = ["args", ...EXPECT];
const EFFECTS = ["allow", "deny", "approve"];

class Reader {
  readonly errors: SuiteError[] = [];
  constructor(readonly file: string, private readonly lc: LineCounter) {}

  where(node: Node | null | undefined): Where {
    const pos = node?.range ? this.lc.linePos(node.range[0]) : { line: 1, col: 1 };
    return { file: this.file, line: pos.line, col: pos.col };
  }

  error(node: Node | null | undefined, message: string): void {
    this.errors.push({ ...this.where(node), message });
  }

  /** Reports keys of `map` outside `allowed`, with a did-you-mean. */
  keys(map: YAMLMap, allowed: string[], what: string): void {
    for (const pair of map.items) {
      const k = String((pair.key as { value?: unknown })?.value ?? pair.key);
      if (allowed.includes(k)) continue;
      const near = closest(k, allowed);
      this.error(pair.key as Node, `unknown key \`${k}\` in ${what}${near ? `; did you mean \`${near}\`?` : ""}`);
    }
  }

  expectation(node: Node | null | undefined, value: unknown, ctx: string): Expect | undefined {
    if (!isObj(value)) {
      this.error(node, `${ctx} needs an \`expect\` mapping with at least \`effect\``);
      return undefined;
    }
    if (!EFFECTS.includes(value["effect"] as string)) {
      this.error(node, `${ctx}: \`effect\` must be allow, deny or approve, found \`${String(value["effect"])}\``);
      return undefined;
    }
    const strs = (k: string) => (value[k] === undefined ? undefined : Array.isArray(value[k]) ? (value[k] as unknown[]).map(String) : [String(value[k])]);
    return {
      effect: value["effect"] as Effect,
      ...(value["rule"] !== undefined ? { rule: String(value["rule"]) } : {}),
      ...(value["approvers"] !== undefined ? { approvers: strs("approvers")! } : {}),
      ...(value["reason"] !== undefined ? { reason: String(value["reason"]) } : {}),
      ...(value["redacted"] !== undefined ? { redacted: strs("redacted")! } : {}),
      ...(value["invalid"] === true ? { invalid: true } : {}),
    };
  }
}

/** An ISO date and time (or date) as ms since the epoch, as the engine's clock reads it; undefined (reported) otherwise. */
function clockTime(r: Reader, node: Node | null | undefined, v: unknown, where: string): number | undefined {
  const t = typeof v === "string" ? isoTime(v) : null;
  if (t === null) r.error(node, `${where} must be an ISO date and time such as \`2024-05-15T09:00:00Z\``);
  return t === null ? undefined : t * 1000;
}

function state(r: Reader, node: Node | null | undefined, v: unknown, suiteTime?: number): StateSpec {
  const s: StateSpec = { limits: [], trust: {}, paused: [], ...(suiteTime !== undefined ? { time: suiteTime } : {}) };
  if (v === undefined) return s;
  if (!isObj(v)) {
    r.error(node, "`state` must be a mapping of `limits`, `trust`, `paused`, `time` and `run`");
    return s;
  }
  for (const k of Object.keys(v)) if (!["limits", "trust", "paused", "time", "run"].includes(k)) r.error(node, `unknown key \`${k}\` in \`state\``);
  if (v["run"] !== undefined) runState(r, node, v["run"], s);
  if (v["time"] !== undefined) {
    const t = clockTime(r, node, v["time"], "`state.time`");
    if (t !== undefined) s.time = t;
  }
  for (const l of (v["limits"] as unknown[] | undefined) ?? []) {
    if (!isObj(l) || typeof l["limit"] !== "string" || typeof l["used"] !== "number") r.error(node, "each `state.limits` item needs `limit` (a limit's label) and `used` (a number)");
    else s.limits.push({ limit: l["limit"], used: l["used"], ...(l["key"] !== undefined ? { key: String(l["key"]) } : {}) });
  }
  for (const [agent, score] of Object.entries((v["trust"] as Obj | undefined) ?? {})) {
    if (typeof score !== "number" || score < 0 || score > 100) r.error(node, `trust for \`${agent}\` must be a number from 0 to 100`);
    else s.trust[agent] = score;
  }
  for (const p of (v["paused"] as unknown[] | undefined) ?? []) {
    if (typeof p === "string") s.paused.push(p);
    else if (isObj(p) && ["read", "write", "destructive"].includes(p["class"] as string)) s.paused.push({ class: p["class"] as ToolClass });
    else r.error(node, "each `state.paused` item is a tool pattern or `{ class: write|destructive|read }`");
  }
  return s;
}

const isScalar = (x: unknown): x is RunScalar => typeof x === "string" || typeof x === "boolean" || (typeof x === "number" && Number.isFinite(x));

/** `state.run`: each run state's value, a finite number or a list of scalars. */
function runState(r: Reader, node: Node | null | undefined, v: unknown, s: StateSpec): void {
  if (!isObj(v)) return r.error(node, "`state.run` must map each run state's name to its value");
  s.run = {};
  for (const [name, x] of Object.entries(v)) {
    if ((typeof x === "number" && Number.isFinite(x)) || (Array.isArray(x) && x.every(isScalar))) s.run[name] = x as number | RunScalar[];
    else r.error(node, `\`state.run.${name}\` must be a number or a list of strings, numbers and booleans`);
  }
}

/** Reads and expands one suite file. */
export function loadSuite(file: string): Suite {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return { file, policyFile: "", cases: [], errors: [{ file, line: 1, col: 1, message: `cannot read the suite: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }] };
  }
  return parseSuite(text, file);
}

/** Expands a suite's text read from `file`; `exists` says whether its policy file is there (a bundle passes its own file list). */
export function parseSuite(text: string, file: string, exists: (path: string) => boolean = existsSync): Suite {
  const lc = new LineCounter();
  const r = new Reader(file, lc);
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  for (const e of doc.errors) r.errors.push({ file, line: e.linePos?.[0].line ?? 1, col: e.linePos?.[0].col ?? 1, message: `invalid YAML: ${e.message.split("\n")[0]}` });
  const defaultPolicy = join(dirname(file), basename(file).replace(/\.test\.ya?ml$/, ".pol"));
  if (doc.errors.length || !isMap(doc.contents)) {
    if (!doc.errors.length) r.error(doc.contents, "a suite is a mapping with `cases` (and optionally `policy`, `defaults`, `fixtures`)");
    return { file, policyFile: defaultPolicy, cases: [], errors: r.errors };
  }
  const root = doc.contents;
  r.keys(root, TOP, "the suite");
  const js = doc.toJS() as Obj;
  const policyFile = typeof js["policy"] === "string" ? join(dirname(file), js["policy"]) : defaultPolicy;
  if (!exists(policyFile)) r.error(root.get("policy", true) as Node, `policy file \`${policyFile}\` does not exist`);
  const defaults = isObj(js["defaults"]) ? js["defaults"] : {};
  const fixtures = isObj(js["fixtures"]) ? js["fixtures"] : {};
  const casesNode = root.get("cases", true) as Node | undefined;
  if (!isSeq(casesNode)) {
    r.error(casesNode ?? root, "`cases` must be a list");
    return { file, policyFile, cases: [], errors: r.errors };
  }
  const cases: TestCase[] = [];
  const suiteTime = js["time"] !== undefined ? clockTime(r, root.get("time", true) as Node, js["time"], "`time`") : undefined;
  casesNode.items.forEach((node, i) => cases.push(...expandCase(r, node as Node, (js["cases"] as unknown[])[i], defaults, fixtures, suiteTime)));
  return { file, policyFile, cases, errors: r.errors };
}

function expandCase(r: Reader, node: Node, c: unknown, defaults: Obj, fixtures: Obj, suiteTime?: number): TestCase[] {
  if (!isObj(c) || !isMap(node)) {
    r.error(node, "each case is a mapping with `name`, `call` and `expect` (or `table`)");
    return [];
  }
  r.keys(node, CASE, "a case");
  const name = typeof c["name"] === "string" ? c["name"] : `case at line ${r.where(node).line}`;
  if (typeof c["name"] !== "string") r.error(node, "a case needs a `name`");
  let base: Obj = {};
  if (c["use"] !== undefined) {
    const fx = fixtures[String(c["use"])];
    if (!isObj(fx)) {
      const near = closest(String(c["use"]), Object.keys(fixtures));
      r.error(node.get("use", true) as Node, `no fixture \`${String(c["use"])}\`${near ? `; did you mean \`${near}\`?` : ""}`);
    } else base = fx;
  }
  const call = merge(defaults, base, c["call"]);
  const before = ((c["before"] as unknown[] | undefined) ?? []).map((b) => merge(defaults, base, b));
  const st = state(r, node.get("state", true) as Node, c["state"], suiteTime);
  const allowUnknownTool = c["allow_unknown_tool"] === true;
  const where = r.where(node);
  if (c["table"] !== undefined) {
    const rows = node.get("table", true) as Node;
    if (!isSeq(rows) || !Array.isArray(c["table"])) {
      r.error(rows, "`table` is a list of rows like `{ args: {...}, effect: allow }`");
      return [];
    }
    return (c["table"] as unknown[]).flatMap((row, i) => {
      const rowNode = rows.items[i] as Node;
      if (isMap(rowNode)) r.keys(rowNode, ROW, "a table row");
      const e = r.expectation(rowNode, row, `row ${i + 1} of \`${name}\``);
      if (!e) return [];
      const args = merge(call["args"], (row as Obj)["args"]);
      return [{ name: `${name} [row ${i + 1}]`, where: r.where(rowNode), call: { ...call, args }, before, state: st, expect: e, allowUnknownTool }];
    });
  }
  const exNode = node.get("expect", true) as Node | undefined;
  if (exNode && isMap(exNode)) r.keys(exNode, EXPECT, "`expect`");
  const e = r.expectation(exNode ?? node, c["expect"], `case \`${name}\``);
  return e ? [{ name, where, call, before, state: st, expect: e, allowUnknownTool }] : [];
}
