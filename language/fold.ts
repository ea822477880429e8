// Constant evaluation of expressions that read no input. Used by the checker
// (rules that can never match) and the compiler's lowering (constant folding).

import type { BinaryOp, Expr } from "./ast.js";

export type Const = number | string | boolean | Const[];

/**
 * The value of `e` if it is a constant (literals, operators over constants and
 * lets bound to constants), else undefined. `lets` resolves let names; builtins
 * are not folded here (the compiler folds them with the stdlib table).
 */
export function constValue(e: Expr, lets: (name: string) => Expr | undefined = () => undefined, depth = 0): Const | undefined {
  if (depth > 64) return undefined;
  const cv = (x: Expr) => constValue(x, lets, depth + 1);
  switch (e.kind) {
    case "number":
    case "string":
    case "bool":
      return e.value;
    case "list": {
      const items = e.items.map(cv);
      return items.every((v) => v !== undefined) ? (items as Const[]) : undefined;
    }
    case "path": {
      if (e.segments.length > 0 || e.ref?.kind !== "let") return undefined;
      const v = lets(e.root);
      return v ? cv(v) : undefined;
    }
    case "unary": {
      const v = cv(e.operand);
      if (v === undefined) return undefined;
      return e.op === "not" ? !v : -(v as number);
    }
    case "binary":
      return foldBinary(e.op, e, cv);
    default:
      return undefined;
  }
}

function foldBinary(op: string, e: Extract<Expr, { kind: "binary" }>, cv: (x: Expr) => Const | undefined): Const | undefined {
  const l = cv(e.left);
  // `false and x` / `true or x` are constant whatever x is.
  if (op === "and" && l === false) return false;
  if (op === "or" && l === true) return true;
  const r = cv(e.right);
  if (op === "and" && r === false) return false;
  if (op === "or" && r === true) return true;
  if (l === undefined || r === undefined) return undefined;
  if (op === "and") return (l as boolean) && (r as boolean);
  if (op === "or") return (l as boolean) || (r as boolean);
  return applyBinary(op as Exclude<BinaryOp, "and" | "or">, l, r) as Const;
}

/**
 * The meaning of every operator but `and`/`or` (which short-circuit), on
 * values already computed: shared by constant folding and the interpreter.
 */
export function applyBinary(op: Exclude<BinaryOp, "and" | "or">, l: unknown, r: unknown): unknown {
  switch (op) {
    case "==": return l === r;
    case "!=": return l !== r;
    case "<": return (l as number) < (r as number);
    case "<=": return (l as number) <= (r as number);
    case ">": return (l as number) > (r as number);
    case ">=": return (l as number) >= (r as number);
    case "+": return (l as number) + (r as number);
    case "-": return (l as number) - (r as number);
    case "*": return (l as number) * (r as number);
    // `in` is `==` against each item (so NaN is in no list, as NaN == NaN is false).
    case "in": return (r as unknown[]).some((x) => x === l);
    case "not in": return !(r as unknown[]).some((x) => x === l);
  }
}
