// The built-in inputs every call carries besides `args` and `ctx`: their fields, types and the
// value an omitted field reads as. One table, from which the checker (types of `agent.*`,
// `run.*`, `env`), the validator (interpreter), the compiler's slot walk, the runtime's generated
// codec and the loader's limit-key facts all derive. `ctx` has no built-in fields: a policy
// declares them (`context { ... }`) and an omitted one is absent, as an optional argument is.

import { NUMBER, STRING, listOf, type FieldType, type Type } from "./types.js";

export interface BuiltinField {
  name: string;
  type: Type;
  /** What the field reads as when the call omits it. */
  fallback: string | number | readonly string[];
}

/** `agent.*`. Trust falls back to 0 so that a missing score never unlocks a rule (the Engine always supplies the stored one). */
export const AGENT_FIELDS: readonly BuiltinField[] = [
  { name: "id", type: STRING, fallback: "" },
  { name: "roles", type: listOf(STRING), fallback: Object.freeze([]) },
  { name: "trust", type: NUMBER, fallback: 0 },
];

/** `run.*`. */
export const RUN_FIELDS: readonly BuiltinField[] = [
  { name: "id", type: STRING, fallback: "" },
  { name: "calls", type: NUMBER, fallback: 0 },
];

/** `env`, a top-level string. */
export const ENV_FALLBACK = "";

/** The records a call may omit wholly or in part: `agent` and `run`. */
export const DEFAULTED: Readonly<Record<"agent" | "run", readonly BuiltinField[]>> = { agent: AGENT_FIELDS, run: RUN_FIELDS };

/** As the checker types them: every field present (the fallback applies). */
const recordType = (fs: readonly BuiltinField[]): Type => ({ kind: "record", fields: fs.map((f): FieldType => ({ name: f.name, type: f.type, optional: false })) });
export const AGENT_TYPE: Type = recordType(AGENT_FIELDS);
export const RUN_TYPE: Type = recordType(RUN_FIELDS);

/** The fallback of `root.field` for `root` agent or run (undefined for an unknown field). */
export function fallbackOf(root: "agent" | "run", field: string): BuiltinField["fallback"] | undefined {
  return DEFAULTED[root].find((f) => f.name === field)?.fallback;
}
