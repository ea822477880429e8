// Regex source text to a small AST of code-point sets, concatenation,
// alternation, bounded repetition and the two anchors. Fed by compileRegex
// (regex/index.ts); consumed by nfa.ts. Rejects what a DFA cannot match.

import { caseClose, complement, DIGIT, DOT, normalize, SPACE, union, WORD, type CharSet } from "./charset.js";

export type Node =
  | { kind: "set"; set: CharSet }
  | { kind: "concat"; items: Node[] }
  | { kind: "alt"; items: Node[] }
  /** `max` is -1 for unbounded. */
  | { kind: "repeat"; item: Node; min: number; max: number }
  | { kind: "bol" }
  | { kind: "eol" };

export class RegexError extends Error {
  constructor(
    readonly kind: "syntax" | "unsupported",
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Largest repetition bound accepted in `{n}`, `{n,}` and `{n,m}`. */
export const MAX_REPEAT = 1000;

const SYNTAX_CHARS = "^$\\.*+?()[]{}|/";

const isDigitCh = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isHexCh = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

class Parser {
  private pos = 0;
  private readonly groupNames = new Set<string>();
  constructor(
    private readonly src: string,
    private readonly ignoreCase: boolean,
  ) {}

  parse(): Node {
    const node = this.disjunction();
    if (this.pos < this.src.length) {
      // disjunction() only stops early at a `)` without a matching `(`.
      throw new RegexError("syntax", "unmatched `)`", this.pos);
    }
    return node;
  }

  private peek(k = 0): string | undefined {
    return this.src[this.pos + k];
  }

  private syntax(message: string, at = this.pos): never {
    throw new RegexError("syntax", message, at);
  }

  private unsupported(message: string, at = this.pos): never {
    throw new RegexError("unsupported", message, at);
  }

  private disjunction(): Node {
    const items = [this.alternative()];
    while (this.peek() === "|") {
      this.pos++;
      items.push(this.alternative());
    }
    // Alternatives that are single characters merge into one set (`a|b|c` is
    // `[abc]`): order does not matter for a boolean match, and the NFA gets
    // one edge instead of a branch per character.
    const sets = items.filter((n) => n.kind === "set");
    if (sets.length < 2) return items.length === 1 ? items[0] : { kind: "alt", items };
    const merged: Node = { kind: "set", set: sets.reduce<CharSet>((acc, n) => union(acc, n.kind === "set" ? n.set : []), []) };
    const rest = items.filter((n) => n.kind !== "set");
    return rest.length === 0 ? merged : { kind: "alt", items: [merged, ...rest] };
  }

  private alternative(): Node {
    const items: Node[] = [];
    while (this.pos < this.src.length && this.peek() !== "|" && this.peek() !== ")") {
      items.push(this.term());
    }
    return items.length === 1 ? items[0] : { kind: "concat", items };
  }

  private term(): Node {
    const c = this.peek()!;
    if (c === "^" || c === "$") {
      this.pos++;
      if (this.quantifierAhead()) this.syntax("nothing to repeat", this.pos);
      return { kind: c === "^" ? "bol" : "eol" };
    }
    const atom = this.atom();
    return this.quantified(atom);
  }

  /** Whether a quantifier (`*`, `+`, `?` or a well-formed `{...}`) starts here. */
  private quantifierAhead(): boolean {
    const c = this.peek();
    return c === "*" || c === "+" || c === "?" || (c === "{" && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.pos)));
  }

  private quantified(atom: Node): Node {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === "*" || c === "+" || c === "?") {
      this.pos++;
      [min, max] = c === "*" ? [0, -1] : c === "+" ? [1, -1] : [0, 1];
    } else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (!m) this.syntax("incomplete quantifier: `{` must be escaped as `\\{`");
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? -1 : Number(m[3]);
      if (max >= 0 && min > max) this.syntax("numbers out of order in `{}` quantifier");
      if (min > MAX_REPEAT || max > MAX_REPEAT) {
        this.unsupported(`repetition counts above ${MAX_REPEAT} are not supported`);
      }
      this.pos += m[0].length;
    } else {
      return atom;
    }
    // A lazy quantifier matches the same strings as a greedy one: a boolean
    // test cannot tell them apart.
    if (this.peek() === "?") this.pos++;
    if (this.quantifierAhead()) this.syntax("nothing to repeat", this.pos);
    return { kind: "repeat", item: atom, min, max };
  }

  private atom(): Node {
    const c = this.peek()!;
    switch (c) {
      case "(":
        return this.group();
      case "[":
        return { kind: "set", set: this.charClass() };
      case ".":
        this.pos++;
        return { kind: "set", set: DOT };
      case "\\":
        return this.atomEscape();
      case "*":
      case "+":
      case "?":
        return this.syntax("nothing to repeat");
      case "{":
        return this.syntax(this.quantifierAhead() ? "nothing to repeat" : "lone `{`: escape it as `\\{`");
      case "}":
        return this.syntax("lone `}`: escape it as `\\}`");
      case "]":
        return this.syntax("lone `]`: escape it as `\\]`");
      default:
        return { kind: "set", set: this.literal(this.sourceCodePoint()) };
    }
  }

  /** Reads one code point of the source as a literal; surrogate pairs are one character. */
  private sourceCodePoint(): number {
    const at = this.pos;
    const cp = this.src.codePointAt(at)!;
    if (cp >= 0xd800 && cp <= 0xdfff) this.unsupported("lone surrogates cannot be matched", at);
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  private literal(cp: number): CharSet {
    return this.ignoreCase ? caseClose([cp, cp]) : [cp, cp];
  }

  private group(): Node {
    const open = this.pos;
    this.pos++;
    if (this.peek() === "?") {
      const k = this.peek(1);
      if (k === ":") {
        this.pos += 2;
      } else if (k === "=" || k === "!") {
        this.unsupported("lookahead assertions cannot be matched by a dfa", open);
      } else if (k === "<" && (this.peek(2) === "=" || this.peek(2) === "!")) {
        this.unsupported("lookbehind assertions cannot be matched by a dfa", open);
      } else if (k === "<") {
        const m = /^<([A-Za-z_$][A-Za-z0-9_$]*)>/.exec(this.src.slice(this.pos + 1));
        if (!m) this.syntax("invalid group name", this.pos + 1);
        if (this.groupNames.has(m[1])) this.syntax(`duplicate group name \`${m[1]}\``, this.pos + 2);
        this.groupNames.add(m[1]);
        this.pos += 1 + m[0].length;
      } else if (k !== undefined && /[a-zA-Z-]/.test(k)) {
        this.unsupported("inline modifiers like `(?i:...)` are not supported: use the `i` flag", open);
      } else {
        this.syntax("invalid group: `(?` must be followed by `:` or `<name>`", open);
      }
    }
    const inner = this.disjunction();
    if (this.peek() !== ")") this.syntax("unterminated group: missing `)`", open);
    this.pos++;
    return inner;
  }

  private atomEscape(): Node {
    const at = this.pos;
    const c = this.peek(1);
    if (c === "b" || c === "B") {
      this.unsupported("word boundary assertions (`\\b`, `\\B`) are not supported", at);
    }
    if (c !== undefined && c >= "1" && c <= "9") this.unsupported("backreferences cannot be matched in linear time", at);
    if (c === "k") this.unsupported("backreferences cannot be matched in linear time", at);
    const set = this.classEscape();
    if (set) return { kind: "set", set };
    return { kind: "set", set: this.literal(this.charEscape(false)) };
  }

  /** `\d \D \w \W \s \S` at `pos`; advances and returns the set, or returns null without moving. */
  private classEscape(): CharSet | null {
    const c = this.peek(1);
    let set: CharSet | null = null;
    if (c === "d") set = DIGIT;
    else if (c === "D") set = complement(DIGIT);
    else if (c === "w") set = WORD;
    else if (c === "W") set = complement(WORD);
    else if (c === "s") set = SPACE;
    else if (c === "S") set = complement(SPACE);
    else if (c === "p" || c === "P") this.unsupported("unicode property escapes (`\\p{...}`) are not supported");
    if (set) this.pos += 2;
    return set;
  }

  /** A single-character escape at `pos` (the `\`); returns its code point. `inClass` allows `\b` and `\-`. */
  private charEscape(inClass: boolean): number {
    const at = this.pos;
    const c = this.peek(1);
    if (c === undefined) this.syntax("`\\` at end of pattern", at);
    this.pos += 2;
    switch (c) {
      case "n":
        return 0x0a;
      case "t":
        return 0x09;
      case "r":
        return 0x0d;
      case "f":
        return 0x0c;
      case "v":
        return 0x0b;
      case "0":
        if (isDigitCh(this.peek())) this.syntax("invalid escape: `\\0` cannot be followed by a digit", at);
        return 0;
      case "c": {
        const l = this.peek();
        if (l === undefined || !/[A-Za-z]/.test(l)) this.syntax("invalid escape: `\\c` must be followed by a letter", at);
        this.pos++;
        return l.charCodeAt(0) % 32;
      }
      case "x": {
        if (!isHexCh(this.peek()) || !isHexCh(this.peek(1))) this.syntax("invalid escape: `\\x` needs two hex digits", at);
        this.pos += 2;
        return parseInt(this.src.slice(this.pos - 2, this.pos), 16);
      }
      case "u":
        return this.unicodeEscape(at);
      default:
        if (SYNTAX_CHARS.includes(c) || (inClass && c === "-")) return c.charCodeAt(0);
        if (inClass && c === "b") return 0x08;
        return this.syntax(`invalid escape \`\\${c}\``, at);
    }
  }

  /** `\uXXXX` (a surrogate pair of two escapes is one code point) or `\u{...}`; `pos` is after `\u`. */
  private unicodeEscape(at: number): number {
    if (this.peek() === "{") {
      const m = /^\{([0-9a-fA-F]+)\}/.exec(this.src.slice(this.pos));
      if (!m || parseInt(m[1], 16) > 0x10ffff) this.syntax("invalid unicode escape `\\u{...}`", at);
      this.pos += m[0].length;
      const cp = parseInt(m[1], 16);
      if (cp >= 0xd800 && cp <= 0xdfff) this.unsupported("lone surrogates cannot be matched", at);
      return cp;
    }
    const hex4 = (p: number): number => {
      const t = this.src.slice(p, p + 4);
      return /^[0-9a-fA-F]{4}$/.test(t) ? parseInt(t, 16) : -1;
    };
    const u = hex4(this.pos);
    if (u < 0) this.syntax("invalid unicode escape: `\\u` needs four hex digits", at);
    this.pos += 4;
    if (u >= 0xd800 && u <= 0xdbff && this.src.startsWith("\\u", this.pos)) {
      const v = hex4(this.pos + 2);
      if (v >= 0xdc00 && v <= 0xdfff) {
        this.pos += 6;
        return 0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00);
      }
    }
    if (u >= 0xd800 && u <= 0xdfff) this.unsupported("lone surrogates cannot be matched", at);
    return u;
  }

  /** `[...]` or `[^...]`. Under `i`, literal members are case-closed; `\d \w \s` and their negations are not. */
  private charClass(): CharSet {
    const open = this.pos;
    this.pos++;
    const negate = this.peek() === "^";
    if (negate) this.pos++;
    let literals: CharSet = [];
    let escapes: CharSet = [];
    for (;;) {
      if (this.pos >= this.src.length) this.syntax("unterminated character class: missing `]`", open);
      if (this.peek() === "]") break;
      const aAt = this.pos;
      const a = this.classAtom();
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== undefined) {
        this.pos++;
        const b = this.classAtom();
        if (typeof a !== "number" || typeof b !== "number") {
          this.syntax("invalid character class range: `\\d`, `\\w` and `\\s` cannot be range ends", aAt);
        }
        if (a > b) this.syntax("range out of order in character class", aAt);
        literals.push(a, b);
      } else if (typeof a === "number") {
        literals.push(a, a);
      } else {
        escapes = union(escapes, a);
      }
    }
    this.pos++;
    literals = normalize(literals);
    if (this.ignoreCase) literals = caseClose(literals);
    const set = union(literals, escapes);
    return negate ? complement(set) : set;
  }

  /** One class member: a code point, or the set of a class escape. */
  private classAtom(): number | CharSet {
    if (this.peek() === "\\") {
      const set = this.classEscape();
      if (set) return set;
      return this.charEscape(true);
    }
    return this.sourceCodePoint();
  }
}

/** Parses `source`; throws RegexError. */
export function parseRegex(source: string, ignoreCase: boolean): Node {
  return new Parser(source, ignoreCase).parse();
}
