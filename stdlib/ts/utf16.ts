// UTF-16 helpers shared by the TypeScript builtins (stdlib/ts/*.ts). Each one
// mirrors a helper in stdlib/as/str.ts so the two implementations stay
// line-for-line comparable. Lone surrogates are treated as one code point each.

export const isHigh = (u: number): boolean => u >= 0xd800 && u <= 0xdbff;
export const isLow = (u: number): boolean => u >= 0xdc00 && u <= 0xdfff;

/** The code point starting at code unit `i` (a lone surrogate is returned as itself). */
export function cpAt(s: string, i: number): number {
  const u = s.charCodeAt(i);
  if (isHigh(u) && i + 1 < s.length) {
    const v = s.charCodeAt(i + 1);
    if (isLow(v)) return 0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00);
  }
  return u;
}

/** Number of code units the code point `c` takes. */
export const cpWidth = (c: number): number => (c > 0xffff ? 2 : 1);

/** Builds a string from code units without hitting argument-count limits. */
export function fromUnits(units: number[] | Uint16Array): string {
  let out = "";
  for (let i = 0; i < units.length; i += 8192) {
    out += String.fromCharCode.apply(null, Array.from(units.slice(i, i + 8192)));
  }
  return out;
}

export const isDigit = (u: number): boolean => u >= 0x30 && u <= 0x39;
export const isAsciiLetter = (u: number): boolean => (u | 0x20) >= 0x61 && (u | 0x20) <= 0x7a;
export const isAsciiAlnum = (u: number): boolean => isDigit(u) || isAsciiLetter(u);
/** ASCII lower-casing of one code unit; everything else is unchanged. */
export const asciiLower = (u: number): number => (u >= 0x41 && u <= 0x5a ? u + 32 : u);
