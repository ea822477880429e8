// Test helper: compiles stdlib/as/index.ts with a small wrapper entry, in
// memory with asc (`--runtime stub -O3`, as the compiler does; cached in the
// OS temp dir by content hash), and exposes each wasm builtin to the
// differential tests as a JS function taking and returning JS strings.

import asc from "assemblyscript/asc";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const STDLIB_DIR = fileURLToPath(new URL("..", import.meta.url));
const ENTRY = "test/__as_entry.ts";

/** Wrappers taking (ptr, len) pairs, since i64 string refs would cross the JS boundary as BigInts. */
const ENTRY_SOURCE = `
import {
  sref, sptr, slen, str_eq, arenaStart, std_lower, std_upper, std_trim, std_len, std_starts_with, std_ends_with,
  std_contains, std_domain, std_host, std_is_url, std_in_cidr, std_is_ip, std_is_email, std_has_pii, std_glob,
  std_tool_match, std_dfa_search, BOT, lastRefusal, std_date, std_time, std_is_date, std_is_time, std_urls, std_emails,
} from "../as/index";

let outLen: u32 = 0;
let outBot: bool = false;
export function resultLen(): u32 { return outLen; }
/** Whether the last string result was the failure value ⊥. */
export function resultBot(): bool { return outBot; }
export function refusal(): i32 { return lastRefusal(); }
export function inputBase(): usize { return (__heap_base + 15) & ~<usize>15; }
/** Makes room for \`bytes\` of input at inputBase() and starts the arena after it. */
export function begin(bytes: usize): void {
  const end = inputBase() + bytes;
  const have = <usize>memory.size() << 16;
  if (end > have) memory.grow(<i32>((end - have + 0xffff) >>> 16));
  arenaStart(end);
}
function ret(r: i64): usize {
  outBot = r == BOT;
  if (outBot) { outLen = 0; return 0; }
  outLen = slen(r);
  return sptr(r);
}
export function lower(p: usize, n: u32): usize { return ret(std_lower(sref(p, n))); }
export function upper(p: usize, n: u32): usize { return ret(std_upper(sref(p, n))); }
export function trim(p: usize, n: u32): usize { return ret(std_trim(sref(p, n))); }
export function domain(p: usize, n: u32): usize { return ret(std_domain(sref(p, n))); }
export function host(p: usize, n: u32): usize { return ret(std_host(sref(p, n))); }
export function len(p: usize, n: u32): f64 { return std_len(sref(p, n)); }
export function is_email(p: usize, n: u32): bool { return std_is_email(sref(p, n)); }
export function has_pii(p: usize, n: u32): bool { return std_has_pii(sref(p, n)); }
export function eq(p: usize, n: u32, q: usize, m: u32): bool { return str_eq(sref(p, n), sref(q, m)); }
export function starts_with(p: usize, n: u32, q: usize, m: u32): bool { return std_starts_with(sref(p, n), sref(q, m)); }
export function ends_with(p: usize, n: u32, q: usize, m: u32): bool { return std_ends_with(sref(p, n), sref(q, m)); }
export function contains(p: usize, n: u32, q: usize, m: u32): bool { return std_contains(sref(p, n), sref(q, m)); }
export function in_cidr(p: usize, n: u32, q: usize, m: u32): i32 { return std_in_cidr(sref(p, n), sref(q, m)); }
export function is_url(p: usize, n: u32): bool { return std_is_url(sref(p, n)); }
export function is_ip(p: usize, n: u32): bool { return std_is_ip(sref(p, n)); }
export function glob(p: usize, n: u32, q: usize, m: u32): bool { return std_glob(sref(p, n), sref(q, m)); }
export function tool_match(p: usize, n: u32, quoted: bool, q: usize, m: u32): bool {
  return std_tool_match(sref(p, n), quoted, sref(q, m));
}
export function dfa_search(table: usize, p: usize, n: u32): bool { return std_dfa_search(table, sref(p, n)); }
export function date(p: usize, n: u32): f64 { return std_date(sref(p, n)); }
export function time(p: usize, n: u32): f64 { return std_time(sref(p, n)); }
export function is_date(p: usize, n: u32): bool { return std_is_date(sref(p, n)); }
export function is_time(p: usize, n: u32): bool { return std_is_time(sref(p, n)); }
let LIST: i64 = 0;
/** urls/emails: the list's count; listItem(i) then returns item i (length in resultLen). */
export function urls(p: usize, n: u32): u32 { LIST = std_urls(sref(p, n)); return <u32>(LIST >>> 32); }
export function emails(p: usize, n: u32): u32 { LIST = std_emails(sref(p, n)); return <u32>(LIST >>> 32); }
export function listItem(i: u32): usize { return ret(load<i64>(<usize>(<u32>LIST) + (<usize>i << 3))); }
`;

export interface CompiledStdlib {
  binary: Uint8Array;
  /** The module in text format, with function names (for allocation and tree-shaking checks). */
  text: string;
}

/**
 * Compiles `entrySource` (by default the wrapper entry), placed at
 * stdlib/test/__as_entry.ts so it imports "../as/index"; throws with asc's
 * diagnostics on failure.
 */
export async function compileStdlib(entrySource = ENTRY_SOURCE): Promise<CompiledStdlib> {
  const args = [ENTRY, "--outFile", "out.wasm", "--textFile", "out.wat", "--runtime", "stub", "-O3", "--noAssert", "--baseDir", STDLIB_DIR];
  // Every test file compiles the same sources; a cache keyed by everything
  // that affects the output (compiler version, flags, entry, every stdlib/as
  // file) saves a couple of seconds per file without ever going stale.
  const hash = createHash("sha256").update(`${asc.version}\0${args.join(" ")}\0${entrySource}`);
  for (const f of readdirSync(join(STDLIB_DIR, "as")).sort()) hash.update(`\0${f}\0`).update(readFileSync(join(STDLIB_DIR, "as", f)));
  const cacheFile = join(tmpdir(), `pol-stdlib-${hash.digest("hex").slice(0, 32)}.json`);
  try {
    const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as { binary: string; text: string };
    return { binary: new Uint8Array(Buffer.from(cached.binary, "base64")), text: cached.text };
  } catch {
    // Not cached yet (or unreadable): compile.
  }
  const compiled = await runAsc(args, entrySource);
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ binary: Buffer.from(compiled.binary).toString("base64"), text: compiled.text }));
  renameSync(tmp, cacheFile); // atomic: parallel test files never read half a file
  return compiled;
}

async function runAsc(args: string[], entrySource: string): Promise<CompiledStdlib> {
  let binary: Uint8Array | null = null;
  let text = "";
  const stderr = asc.createMemoryStream();
  const result = await asc.main(
    args,
    {
      stdout: asc.createMemoryStream(),
      stderr,
      readFile: (name) => {
        if (name === ENTRY) return entrySource;
        try {
          return readFileSync(join(STDLIB_DIR, name), "utf8");
        } catch {
          return null;
        }
      },
      writeFile: (name, data) => {
        if (name.endsWith(".wasm")) binary = data as Uint8Array;
        if (name.endsWith(".wat")) text = typeof data === "string" ? data : new TextDecoder().decode(data);
      },
      listFiles: () => [],
    },
  );
  if (result.error || !binary) throw new Error(`asc failed: ${result.error?.message}\n${stderr.toString()}`);
  return { binary, text };
}

interface Exports {
  memory: WebAssembly.Memory;
  resultLen(): number;
  resultBot(): number;
  refusal(): number;
  inputBase(): number;
  begin(bytes: number): void;
  [name: string]: unknown;
}

type Arg = string | Uint8Array;

/** The wasm builtins with JS-string signatures, mirroring stdlib/ts/index.ts. */
export class AsStdlib {
  private constructor(private readonly x: Exports) {}

  /** The compiled wrapper module's text (see CompiledStdlib). */
  text = "";

  static async load(): Promise<AsStdlib> {
    const { binary, text } = await compileStdlib();
    const { instance } = await WebAssembly.instantiate(binary as BufferSource, {
      env: {
        abort: () => {
          throw new Error("wasm abort");
        },
      },
    });
    const lib = new AsStdlib(instance.exports as unknown as Exports);
    lib.text = text;
    return lib;
  }

  /** Current memory size in bytes (tests check it stays flat). */
  memoryBytes(): number {
    return this.x.memory.buffer.byteLength;
  }

  /** Writes the arguments at inputBase() and returns [ptr, len] per argument (len in code units for strings). */
  private put(args: Arg[]): number[] {
    const sizes = args.map((a) => (typeof a === "string" ? a.length * 2 : a.length));
    const total = sizes.reduce((n, s) => n + ((s + 7) & ~7), 0);
    this.x.begin(total);
    // begin() may have grown memory: take the buffer only now.
    const buf = this.x.memory.buffer;
    let at = this.x.inputBase();
    const out: number[] = [];
    args.forEach((a, i) => {
      if (typeof a === "string") {
        const view = new Uint16Array(buf, at, a.length);
        for (let k = 0; k < a.length; k++) view[k] = a.charCodeAt(k);
        out.push(at, a.length);
      } else {
        new Uint8Array(buf, at, a.length).set(a);
        out.push(at, a.length);
      }
      at += (sizes[i] + 7) & ~7;
    });
    return out;
  }

  private str(ptr: number): string {
    const n = this.x.resultLen();
    const view = new Uint16Array(this.x.memory.buffer, ptr, n);
    let s = "";
    for (let i = 0; i < n; i += 8192) s += String.fromCharCode(...view.subarray(i, i + 8192));
    return s;
  }

  private call(name: string, ...args: number[]): unknown {
    return (this.x[name] as (...a: number[]) => unknown)(...args);
  }

  private strFn(name: string, s: string): string {
    const [p, n] = this.put([s]);
    return this.str(this.call(name, p, n) as number);
  }

  /** A builtin that may fail: its string, or null for ⊥. */
  private fallibleStr(name: string, s: string): string | null {
    const [p, n] = this.put([s]);
    const r = this.call(name, p, n) as number;
    return this.x.resultBot() ? null : this.str(r);
  }

  private boolFn(name: string, ...strs: string[]): boolean {
    return this.call(name, ...this.put(strs)) === 1;
  }

  lower = (s: string) => this.strFn("lower", s);
  upper = (s: string) => this.strFn("upper", s);
  trim = (s: string) => this.strFn("trim", s);
  domain = (s: string) => this.fallibleStr("domain", s);
  host = (s: string) => this.fallibleStr("host", s);
  /** The refusal class of the last failed host/in_cidr/is_ip parse (REFUSAL in stdlib/ts/host.ts). */
  lastRefusal = () => this.x.refusal();
  is_url = (s: string) => this.boolFn("is_url", s);
  is_ip = (s: string) => this.boolFn("is_ip", s);
  len = (s: string) => this.call("len", ...this.put([s])) as number;
  is_email = (s: string) => this.boolFn("is_email", s);
  has_pii = (s: string) => this.boolFn("has_pii", s);
  str_eq = (a: string, b: string) => this.boolFn("eq", a, b);
  starts_with = (a: string, b: string) => this.boolFn("starts_with", a, b);
  ends_with = (a: string, b: string) => this.boolFn("ends_with", a, b);
  contains = (a: string, b: string) => this.boolFn("contains", a, b);
  in_cidr = (a: string, b: string): boolean | null => {
    const r = this.call("in_cidr", ...this.put([a, b])) as number;
    return r > 1 ? null : r === 1;
  };
  globMatch = (p: string, s: string) => this.boolFn("glob", p, s);
  toolMatch = (p: string, quoted: boolean, name: string) => {
    const [pp, pn, np, nn] = this.put([p, name]);
    return this.call("tool_match", pp, pn, quoted ? 1 : 0, np, nn) === 1;
  };
  /** date/time give NaN for ⊥ in wasm; null here, as the TypeScript twins do. */
  date = (s: string): number | null => { const v = this.call("date", ...this.put([s])) as number; return Number.isNaN(v) ? null : v; };
  time = (s: string): number | null => { const v = this.call("time", ...this.put([s])) as number; return Number.isNaN(v) ? null : v; };
  is_date = (s: string) => this.boolFn("is_date", s);
  is_time = (s: string) => this.boolFn("is_time", s);
  private listFn(name: string, s: string): string[] {
    const n = this.call(name, ...this.put([s])) as number;
    return Array.from({ length: n }, (_, i) => this.str(this.call("listItem", i) as number));
  }
  urls = (s: string) => this.listFn("urls", s);
  emails = (s: string) => this.listFn("emails", s);
  dfaSearch = (table: Uint8Array, s: string) => {
    const [tp, , sp, sn] = this.put([table, s]);
    return this.call("dfa_search", tp, sp, sn) === 1;
  };
}
