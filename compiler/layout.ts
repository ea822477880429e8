// Input slot allocation: where in linear memory each input path the policy
// reads lives. Filled by lower.ts as it resolves paths; serialised into the
// manifest, from which the runtime's encoder writes calls into memory.
//
// Memory model (see docs/abi.md): one fixed block of 8-byte value slots at
// the module's static `IN` address for the call's top-level inputs, and one
// block per list element (element arrays live in the variable area). Nested
// records are inlined into their parent's block. Every field of `args`, `ctx`
// and element records also gets an i32 presence flag, so `has` is a load.

import { showType, type FieldType, type Type } from "../language/types.js";

export interface Block {
  size: number;
}

export interface FieldSlot {
  name: string;
  type: Type;
  /** Offset of the 8-byte value in its block (f64 number, i32 bool, i64 string or list ref); records have none. */
  offset: number;
  /** Offset of the i32 presence flag, for fields that can be absent (args, ctx and element fields). */
  presence?: number;
  /** For record-typed fields: their own fields, inlined into the same block. */
  record?: RecordSlots;
  /** For list-typed fields: the layout of one element. */
  elem?: ElemLayout;
}

export interface RecordSlots {
  block: Block;
  /** Keyed by `name#type`, so tools declaring one name with different types get separate slots. */
  fields: Map<string, FieldSlot>;
  /** Whether fields of this record carry presence flags. */
  presence: boolean;
}

export interface ElemLayout {
  type: Type;
  /** Bytes per element (multiple of 8). */
  block: Block;
  /** For record elements: their fields, relative to the element's start. */
  record?: RecordSlots;
  /** For list elements (lists of lists): the inner element layout. */
  elem?: ElemLayout;
}

/**
 * A type written with record fields sorted by name: the checker treats records with the same fields in any
 * order as one type (sameType), and the encoder finds a field's slot by that equality, so slots must be
 * keyed the same way or two tools declaring `{ a, b }` and `{ b, a }` would read different slots.
 */
function canonical(t: Type): string {
  if (t.kind === "list") return `list<${canonical(t.elem)}>`;
  // An enum is encoded as a string (its values are checked by validation, not the layout).
  if (t.kind === "string") return "string";
  if (t.kind !== "record") return showType(t);
  const fields = [...t.fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return `{ ${fields.map((f) => `${f.name}${f.optional ? "?" : ""}: ${canonical(f.type)}`).join(", ")} }`;
}

export const fieldKey = (name: string, t: Type) => `${name}#${canonical(t)}`;

function alloc(block: Block, bytes: number): number {
  const off = block.size;
  block.size += bytes;
  return off;
}

export function newRecord(block: Block, presence: boolean): RecordSlots {
  return { block, fields: new Map(), presence };
}

export function newElem(t: Type): ElemLayout {
  const block = { size: 0 };
  if (t.kind === "record") return { type: t, block, record: newRecord(block, true) };
  alloc(block, 8);
  return t.kind === "list" ? { type: t, block, elem: newElem(t.elem) } : { type: t, block };
}

/** The slot of field `f` in `rec`, allocated on first use. */
export function slotOf(rec: RecordSlots, f: FieldType): FieldSlot {
  const key = fieldKey(f.name, f.type);
  let s = rec.fields.get(key);
  if (s) return s;
  const presence = rec.presence ? alloc(rec.block, 8) : undefined;
  s = { name: f.name, type: f.type, offset: -1, ...(presence !== undefined ? { presence } : {}) };
  if (f.type.kind === "record") s.record = newRecord(rec.block, rec.presence);
  else {
    s.offset = alloc(rec.block, 8);
    if (f.type.kind === "list") s.elem = newElem(f.type.elem);
  }
  rec.fields.set(key, s);
  return s;
}

/**
 * The top-level input block. `tool` is always at offset 0 (the module matches
 * patterns against it for tools it has no id for); the rest is allocated as
 * the policy reads it. `args` is one record for all tools: fields are keyed by
 * name and type, so a rule over several tools reads a shared field at one offset.
 */
export interface InputLayout {
  block: Block;
  /** `tool` and `env`. */
  top: RecordSlots;
  tool: FieldSlot;
  args: RecordSlots;
  ctx: RecordSlots;
  agent: RecordSlots;
  run: RecordSlots;
  /** Run state (`state.*`): every declared name is written by the host, so no presence flags. */
  state: RecordSlots;
  /** One list slot per history query read (`q0`, `q1`, ... by query index), of `{ tool, args }` elements. */
  history: RecordSlots;
  /** Whether some expression reads `tool` (else hosts write the name only for tools without an id). */
  readsTool: boolean;
}

export function newInputLayout(): InputLayout {
  const block = { size: 0 };
  const top = newRecord(block, false);
  const tool = slotOf(top, { name: "tool", type: { kind: "string" }, optional: false });
  return {
    block, top, tool, args: newRecord(block, true), ctx: newRecord(block, true), agent: newRecord(block, false), run: newRecord(block, false),
    state: newRecord(block, false), history: newRecord(block, false), readsTool: false,
  };
}
