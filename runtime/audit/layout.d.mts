// Types of layout.mjs: the JSONL chain's file names and head file, shared by the TypeScript
// sources and the writer thread.

/** `dir/audit.jsonl` → `dir/audit`; a path without `.jsonl` is its own base. */
export function rotationBase(logPath: string): string;
/** The N-th rotated file: `audit.000001.jsonl` for `audit.jsonl`. */
export function rotatedPath(logPath: string, n: number): string;
export function headPath(logPath: string): string;
/** HMAC-SHA256(key, `pol-audit-head\n<seq>\n<hash>`): domain-separated from record MACs. */
export function headMac(key: Uint8Array, seq: number, hash: string): string;
/** The head file's whole text: `{"seq":N,"hash":"…","mac":"…"}` and a newline. */
export function headText(key: Uint8Array, seq: number, hash: string): string;
