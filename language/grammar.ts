// The Chevrotain grammar of one .pol statement, building AST nodes in
// embedded actions. Fed tokens of one statement by parse.ts, which splits a
// file into statements so one broken statement never hides the next.

import type { IToken, TokenType } from "chevrotain";
import { EmbeddedActionsParser } from "./chevrotain.js";
import type * as A from "./ast.js";
import * as T from "./lexer.js";
import { join, type Span } from "./span.js";

/** Escapes in string literals: \" \\ \n \t \r \0 \uXXXX \u{X...}. Reports bad ones through `onError`. */
export function unescapeString(raw: string, onError: (offset: number, message: string) => void): string {
  let out = "";
  for (let i = 1; i < raw.length - 1; i++) {
    const c = raw[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const n = raw[++i];
    const simple: Record<string, string> = { '"': '"', "\\": "\\", n: "\n", t: "\t", r: "\r", "0": "\0", "/": "/" };
    if (n !== undefined && n in simple) out += simple[n];
    else if (n === "u") {
      const m = /^\{([0-9a-fA-F]{1,6})\}|^([0-9a-fA-F]{4})/.exec(raw.slice(i + 1));
      const cp = m ? parseInt(m[1] ?? m[2]!, 16) : NaN;
      if (!m || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        onError(i - 1, "invalid unicode escape: write `\\u{...}` with a code point up to 10ffff that is not a surrogate");
        continue;
      }
      out += String.fromCodePoint(cp);
      i += m[0].length;
    } else onError(i - 1, `unknown escape \`\\${n ?? ""}\``);
  }
  return out;
}

export class PolGrammar extends EmbeddedActionsParser {
  file = "<input>";
  /** Errors found inside tokens the grammar accepted (bad escapes, bad numbers, bad windows). */
  semanticErrors: { span: Span; message: string; code: "E0104" | "E0105" | "E0107" }[] = [];

  constructor() {
    super(T.allTokens, { recoveryEnabled: false, maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  span(tok: IToken): Span {
    return {
      file: this.file,
      start: tok.startOffset,
      end: (tok.endOffset ?? tok.startOffset) + 1,
      line: tok.startLine ?? 1,
      col: tok.startColumn ?? 1,
      endLine: tok.endLine ?? tok.startLine ?? 1,
      endCol: (tok.endColumn ?? tok.startColumn ?? 1) + 1,
    };
  }

  private str(tok: IToken): string {
    return unescapeString(tok.image, (off, message) => {
      const s = this.span(tok);
      this.semanticErrors.push({ code: "E0105", message, span: { ...s, start: s.start + off, col: s.col + off, end: s.start + off + 2, endCol: s.col + off + 2, endLine: s.line } });
    });
  }

  private num(tok: IToken): number {
    const v = Number(tok.image.replace(/_/g, ""));
    if (!Number.isFinite(v)) this.semanticErrors.push({ code: "E0104", message: `number \`${tok.image}\` is too large`, span: this.span(tok) });
    return v;
  }

  // ------------------------------------------------------------ statements

  statement = this.RULE("statement", (): A.Item | A.PolicyHeader => {
    return this.OR([
      { ALT: () => this.SUBRULE(this.header) },
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.defaultDecl) },
      { ALT: () => this.SUBRULE(this.toolDecl) },
      { ALT: () => this.SUBRULE(this.contextDecl) },
      { ALT: () => this.SUBRULE(this.letDecl) },
      { ALT: () => this.SUBRULE(this.redactDecl) },
      { ALT: () => this.SUBRULE(this.labelled) },
    ]);
  });

  header = this.RULE("header", (): A.PolicyHeader => {
    const kw = this.CONSUME(T.Policy);
    const name = this.CONSUME(T.Name);
    const desc = this.OPTION(() => this.CONSUME(T.StringLit));
    return this.ACTION(() => ({
      name: name.image,
      nameSpan: this.span(name),
      ...(desc ? { description: this.str(desc) } : {}),
      span: join(this.span(kw), this.span(desc ?? name)),
    }));
  });

  importDecl = this.RULE("importDecl", (): A.ImportDecl => {
    const kw = this.CONSUME(T.Import);
    const path = this.CONSUME(T.StringLit);
    return this.ACTION(() => ({ kind: "import", path: this.str(path), span: join(this.span(kw), this.span(path)) }));
  });

  effect = this.RULE("effect", (): IToken => this.OR([{ ALT: () => this.CONSUME(T.Allow) }, { ALT: () => this.CONSUME(T.Deny) }, { ALT: () => this.CONSUME(T.Approve) }]));

  defaultDecl = this.RULE("defaultDecl", (): A.DefaultDecl => {
    const kw = this.CONSUME(T.Default);
    const eff = this.SUBRULE(this.effect);
    const targets = this.OPTION(() => {
      this.CONSUME(T.For);
      return this.SUBRULE(this.targets);
    });
    return this.ACTION(() => ({
      kind: "default",
      effect: eff.image as A.Effect,
      ...(targets ? { targets } : {}),
      span: join(this.span(kw), targets ? targets[targets.length - 1]!.span : this.span(eff)),
    }));
  });

  toolDecl = this.RULE("toolDecl", (): A.ToolDecl => {
    const kw = this.CONSUME(T.Tool);
    const name = this.SUBRULE(this.toolName);
    this.CONSUME(T.LBrace);
    const fields = this.SUBRULE(this.fields);
    const close = this.CONSUME(T.RBrace);
    const cls = this.OPTION(() => this.OR([{ ALT: () => this.CONSUME(T.Read) }, { ALT: () => this.CONSUME(T.Write) }, { ALT: () => this.CONSUME(T.Destructive) }]));
    return this.ACTION(() => ({
      kind: "tool",
      name: name.text,
      quoted: name.quoted,
      nameSpan: name.span,
      fields,
      ...(cls ? { toolClass: cls.image as A.ToolClass } : {}),
      span: join(this.span(kw), this.span(cls ?? close)),
    }));
  });

  contextDecl = this.RULE("contextDecl", (): A.ContextDecl => {
    const kw = this.CONSUME(T.Context);
    this.CONSUME(T.LBrace);
    const fields = this.SUBRULE(this.fields);
    const close = this.CONSUME(T.RBrace);
    return this.ACTION(() => ({ kind: "context", fields, span: join(this.span(kw), this.span(close)) }));
  });

  fields = this.RULE("fields", (): A.FieldDecl[] => {
    const out: A.FieldDecl[] = [];
    this.MANY(() => {
      const name = this.CONSUME(T.AnyWord);
      const q = this.OPTION(() => this.CONSUME(T.Question));
      this.CONSUME(T.Colon);
      const type = this.SUBRULE(this.typeExpr);
      this.OPTION2(() => this.CONSUME(T.Comma));
      this.ACTION(() => out.push({ name: name.image, optional: q !== undefined, type, nameSpan: this.span(name), span: join(this.span(name), type.span) }));
    });
    return out;
  });

  typeExpr = this.RULE("typeExpr", (): A.TypeExpr => {
    return this.OR([
      { ALT: () => { const t = this.CONSUME(T.NumberType); return this.ACTION(() => ({ kind: "number" as const, span: this.span(t) })); } },
      { ALT: () => { const t = this.CONSUME(T.StringType); return this.ACTION(() => ({ kind: "string" as const, span: this.span(t) })); } },
      { ALT: () => { const t = this.CONSUME(T.BoolType); return this.ACTION(() => ({ kind: "bool" as const, span: this.span(t) })); } },
      {
        ALT: () => {
          const t = this.CONSUME(T.ListType);
          this.CONSUME(T.Lt);
          const elem = this.SUBRULE(this.typeExpr);
          const close = this.CONSUME(T.Gt);
          return this.ACTION(() => ({ kind: "list" as const, elem, span: join(this.span(t), this.span(close)) }));
        },
      },
      {
        ALT: () => {
          const open = this.CONSUME(T.LBrace);
          const fields = this.SUBRULE(this.fields);
          const close = this.CONSUME(T.RBrace);
          return this.ACTION(() => ({ kind: "record" as const, fields, span: join(this.span(open), this.span(close)) }));
        },
      },
    ]);
  });

  letDecl = this.RULE("letDecl", (): A.LetDecl => {
    const kw = this.CONSUME(T.Let);
    const name = this.CONSUME(T.Name);
    this.CONSUME(T.Assign);
    const value = this.SUBRULE(this.expr);
    return this.ACTION(() => ({ kind: "let", name: name.image, nameSpan: this.span(name), value, span: join(this.span(kw), value.span) }));
  });

  redactDecl = this.RULE("redactDecl", (): A.RedactDecl => {
    const kw = this.CONSUME(T.Redact);
    const paths: A.PathExpr[] = [];
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => { const p = this.SUBRULE(this.redactPath); this.ACTION(() => paths.push(p)); } });
    return this.ACTION(() => ({ kind: "redact", paths, span: join(this.span(kw), paths[paths.length - 1]!.span) }));
  });

  /** A redact path: a path whose segments may also be `*` (every element of a list, every field of a record). */
  redactPath = this.RULE("redactPath", (): A.PathExpr => {
    const root = this.CONSUME(T.Name);
    const segments: { name: string; span: Span }[] = [];
    this.MANY(() => {
      this.CONSUME(T.Dot);
      const seg = this.OR([{ ALT: () => this.CONSUME(T.AnyWord) }, { ALT: () => this.CONSUME(T.Star) }]);
      this.ACTION(() => segments.push({ name: seg.image, span: this.span(seg) }));
    });
    return this.ACTION(() => ({
      kind: "path" as const,
      root: root.image,
      rootSpan: this.span(root),
      segments,
      span: join(this.span(root), segments.length ? segments[segments.length - 1]!.span : this.span(root)),
    }));
  });

  /** A rule or limit, optionally preceded by a label: `small_refund: allow stripe.refund if ...`. */
  labelled = this.RULE("labelled", (): A.RuleDecl | A.LimitDecl => {
    const label = this.OPTION(() => {
      const l = this.CONSUME(T.Name);
      this.CONSUME(T.Colon);
      return l;
    });
    const item = this.OR([{ ALT: () => this.SUBRULE(this.rule) }, { ALT: () => this.SUBRULE(this.limit) }]);
    return this.ACTION(() => {
      if (label) {
        item.label = label.image;
        item.id = label.image;
        item.span = join(this.span(label), item.span);
      }
      return item;
    });
  });

  rule = this.RULE("rule", (): A.RuleDecl => {
    const eff = this.SUBRULE(this.effect);
    const targets = this.SUBRULE(this.targets);
    let last: Span | undefined;
    const approvers: string[] = [];
    let condition: A.Expr | undefined;
    let because: string | undefined;
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.By);
            this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => { const g = this.CONSUME(T.StringLit); this.ACTION(() => { approvers.push(this.str(g)); last = this.span(g); }); } });
          },
        },
        { ALT: () => { this.CONSUME(T.If); const c = this.SUBRULE(this.expr); this.ACTION(() => { condition = c; last = c.span; }); } },
        { ALT: () => { this.CONSUME(T.Because); const r = this.CONSUME2(T.StringLit); this.ACTION(() => { because = this.str(r); last = this.span(r); }); } },
      ]);
    });
    return this.ACTION(() => {
      const span = join(this.span(eff), last ?? targets[targets.length - 1]!.span);
      return {
        kind: "rule",
        id: `${basename(this.file)}:${span.line}`,
        effect: eff.image as A.Effect,
        targets,
        approvers,
        ...(condition ? { condition } : {}),
        ...(because !== undefined ? { because } : {}),
        span,
      };
    });
  });

  limit = this.RULE("limit", (): A.LimitDecl => {
    const kw = this.CONSUME(T.Limit);
    const targets = this.SUBRULE(this.targets);
    const { measure, maxTok } = this.OR([
      { ALT: () => { const n = this.CONSUME(T.NumberLit); this.CONSUME(T.Calls); return { measure: { kind: "calls" as const }, maxTok: n }; } },
      {
        ALT: () => {
          this.CONSUME(T.Sum);
          const e = this.SUBRULE(this.expr);
          const n = this.CONSUME2(T.NumberLit);
          return { measure: { kind: "sum" as const, expr: e }, maxTok: n };
        },
      },
    ]);
    this.CONSUME(T.Per);
    const window = this.SUBRULE(this.window);
    const keys: A.LimitKey[] = [];
    this.MANY(() => {
      this.CONSUME2(T.Per);
      const p = this.SUBRULE(this.path);
      this.ACTION(() => {
        const single = p.segments.length === 0 && (p.root === "agent" || p.root === "run" || p.root === "tool");
        keys.push(single ? { kind: p.root as "agent" | "run" | "tool", span: p.span } : { kind: "path", path: p, span: p.span });
      });
    });
    return this.ACTION(() => {
      const span = join(this.span(kw), keys.length ? keys[keys.length - 1]!.span : window.span);
      return { kind: "limit", id: `${basename(this.file)}:${span.line}`, targets, measure, max: this.num(maxTok), maxSpan: this.span(maxTok), window, keys, span };
    });
  });

  /** `hour`, `day`, `10 minutes`, `1 second` ... */
  window = this.RULE("window", (): A.LimitWindow => {
    const n = this.OPTION(() => this.CONSUME(T.NumberLit));
    const unit = this.CONSUME(T.Identifier);
    return this.ACTION(() => {
      const span = join(this.span(n ?? unit), this.span(unit));
      const units: Record<string, [A.WindowUnit, number]> = { second: ["second", 1], minute: ["minute", 60], hour: ["hour", 3600], day: ["day", 86400] };
      const base = unit.image.replace(/s$/, "");
      const u = units[base];
      const count = n ? Number(n.image.replace(/_/g, "")) : 1;
      if (!u || !Number.isInteger(count) || count <= 0) {
        this.semanticErrors.push({ code: "E0107", message: u ? `window length \`${n?.image}\` must be a positive whole number` : `unknown time unit \`${unit.image}\``, span });
        return { count: 1, unit: "hour" as const, seconds: 3600, span };
      }
      return { count, unit: u[0], seconds: count * u[1], span };
    });
  });

  targets = this.RULE("targets", (): A.Target[] => {
    const out: A.Target[] = [];
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => { const t = this.SUBRULE(this.toolName); this.ACTION(() => out.push(t)); } });
    return out;
  });

  /** A tool name or pattern: `stripe.refund`, `db.*`, `*`, `"delete:*"`. */
  toolName = this.RULE("toolName", (): A.Target => {
    return this.OR([
      {
        ALT: () => {
          const s = this.CONSUME(T.StringLit);
          return this.ACTION(() => {
            const text = this.str(s);
            return { text, quoted: true, glob: text.includes("*"), span: this.span(s) };
          });
        },
      },
      {
        ALT: () => {
          const parts: IToken[] = [];
          const first = this.OR2([{ ALT: () => this.CONSUME(T.Name) }, { ALT: () => this.CONSUME(T.Star) }]);
          this.ACTION(() => parts.push(first));
          this.MANY(() => {
            this.CONSUME(T.Dot);
            const seg = this.OR3([{ ALT: () => this.CONSUME(T.AnyWord) }, { ALT: () => this.CONSUME2(T.Star) }]);
            this.ACTION(() => parts.push(seg));
          });
          return this.ACTION(() => {
            const text = parts.map((p) => p.image).join(".");
            return { text, quoted: false, glob: parts.some((p) => p.image === "*"), span: join(this.span(parts[0]!), this.span(parts[parts.length - 1]!)) };
          });
        },
      },
    ]);
  });

  // ----------------------------------------------------------- expressions

  expr = this.RULE("expr", (): A.Expr => {
    const first = this.SUBRULE(this.andExpr);
    let acc = first;
    this.MANY(() => {
      const o = this.CONSUME(T.Or);
      const right = this.SUBRULE2(this.andExpr);
      acc = this.ACTION(() => bin("or", acc, right, this.span(o)));
    });
    return acc;
  });

  andExpr = this.RULE("andExpr", (): A.Expr => {
    const first = this.SUBRULE(this.notExpr);
    let acc = first;
    this.MANY(() => {
      const o = this.CONSUME(T.And);
      const right = this.SUBRULE2(this.notExpr);
      acc = this.ACTION(() => bin("and", acc, right, this.span(o)));
    });
    return acc;
  });

  notExpr = this.RULE("notExpr", (): A.Expr => {
    return this.OR([
      {
        ALT: () => {
          const n = this.CONSUME(T.Not);
          const operand = this.SUBRULE(this.notExpr);
          return this.ACTION((): A.Expr => ({ kind: "unary", op: "not", operand, span: join(this.span(n), operand.span) }));
        },
      },
      { ALT: () => this.SUBRULE(this.quantifier) },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]);
  });

  /** `any x in LIST: BODY` / `all x in LIST: BODY`; the body extends as far right as it can. */
  quantifier = this.RULE("quantifier", (): A.Expr => {
    const q = this.OR([{ ALT: () => this.CONSUME(T.Any) }, { ALT: () => this.CONSUME(T.All) }]);
    const v = this.CONSUME(T.Name);
    this.CONSUME(T.In);
    const list = this.SUBRULE(this.additive);
    this.CONSUME(T.Colon);
    const body = this.SUBRULE(this.expr);
    return this.ACTION((): A.Expr => ({
      kind: "quant",
      quantifier: q.image as "any" | "all",
      variable: v.image,
      variableSpan: this.span(v),
      list,
      body,
      span: join(this.span(q), body.span),
    }));
  });

  comparison = this.RULE("comparison", (): A.Expr => {
    const left = this.SUBRULE(this.additive);
    let result: A.Expr = left;
    this.OPTION(() => {
      this.OR([
        {
          ALT: () => {
            const o = this.OR2([
              { ALT: () => this.CONSUME(T.EqEq) },
              { ALT: () => this.CONSUME(T.NotEq) },
              { ALT: () => this.CONSUME(T.LtEq) },
              { ALT: () => this.CONSUME(T.GtEq) },
              { ALT: () => this.CONSUME(T.Lt) },
              { ALT: () => this.CONSUME(T.Gt) },
              { ALT: () => this.CONSUME(T.In) },
            ]);
            const right = this.SUBRULE2(this.additive);
            result = this.ACTION(() => bin(o.image as A.BinaryOp, left, right, this.span(o)));
          },
        },
        {
          ALT: () => {
            const n = this.CONSUME(T.Not);
            const i = this.CONSUME2(T.In);
            const right = this.SUBRULE3(this.additive);
            result = this.ACTION(() => bin("not in", left, right, join(this.span(n), this.span(i))));
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Matches);
            const p = this.CONSUME(T.StringLit);
            result = this.ACTION(() => ({ kind: "matches", subject: left, pattern: this.str(p), patternSpan: this.span(p), span: join(left.span, this.span(p)) }));
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.RegexMatch);
            const r = this.CONSUME(T.RegexLit);
            result = this.ACTION(() => {
              const close = r.image.lastIndexOf("/");
              return { kind: "regex", subject: left, source: r.image.slice(1, close), flags: r.image.slice(close + 1), patternSpan: this.span(r), span: join(left.span, this.span(r)) };
            });
          },
        },
      ]);
    });
    return result;
  });

  additive = this.RULE("additive", (): A.Expr => {
    let acc = this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      const o = this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
      const right = this.SUBRULE2(this.multiplicative);
      acc = this.ACTION(() => bin(o.image as A.BinaryOp, acc, right, this.span(o)));
    });
    return acc;
  });

  multiplicative = this.RULE("multiplicative", (): A.Expr => {
    let acc = this.SUBRULE(this.unary);
    this.MANY(() => {
      const o = this.CONSUME(T.Star);
      const right = this.SUBRULE2(this.unary);
      acc = this.ACTION(() => bin("*", acc, right, this.span(o)));
    });
    return acc;
  });

  unary = this.RULE("unary", (): A.Expr => {
    return this.OR([
      {
        ALT: () => {
          const m = this.CONSUME(T.Minus);
          const operand = this.SUBRULE(this.unary);
          return this.ACTION((): A.Expr => ({ kind: "unary", op: "-", operand, span: join(this.span(m), operand.span) }));
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  primary = this.RULE("primary", (): A.Expr => {
    return this.OR([
      { ALT: () => { const t = this.CONSUME(T.NumberLit); return this.ACTION((): A.Expr => ({ kind: "number", value: this.num(t), span: this.span(t) })); } },
      { ALT: () => { const t = this.CONSUME(T.StringLit); return this.ACTION((): A.Expr => ({ kind: "string", value: this.str(t), span: this.span(t) })); } },
      { ALT: () => { const t = this.CONSUME(T.True); return this.ACTION((): A.Expr => ({ kind: "bool", value: true, span: this.span(t) })); } },
      { ALT: () => { const t = this.CONSUME(T.False); return this.ACTION((): A.Expr => ({ kind: "bool", value: false, span: this.span(t) })); } },
      { ALT: () => this.SUBRULE(this.listLit) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          const e = this.SUBRULE(this.expr);
          this.CONSUME(T.RParen);
          return e;
        },
      },
      {
        ALT: () => {
          const h = this.CONSUME(T.Has);
          const p = this.SUBRULE(this.path);
          return this.ACTION((): A.Expr => ({ kind: "has", path: p, span: join(this.span(h), p.span) }));
        },
      },
      { GATE: () => this.LA(2).tokenType === T.LParen, ALT: () => this.SUBRULE(this.call) },
      { ALT: () => this.SUBRULE2(this.path) },
    ]);
  });

  listLit = this.RULE("listLit", (): A.Expr => {
    const open = this.CONSUME(T.LBracket);
    const items: A.Expr[] = [];
    // Items separated by commas, with an optional trailing comma: `[a, b,]`.
    this.OPTION(() => {
      const first = this.SUBRULE(this.expr);
      this.ACTION(() => items.push(first));
      this.MANY({
        GATE: () => this.LA(2).tokenType !== T.RBracket,
        DEF: () => {
          this.CONSUME(T.Comma);
          const e = this.SUBRULE2(this.expr);
          this.ACTION(() => items.push(e));
        },
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    const close = this.CONSUME(T.RBracket);
    return this.ACTION((): A.Expr => ({ kind: "list", items, span: join(this.span(open), this.span(close)) }));
  });

  call = this.RULE("call", (): A.Expr => {
    const fn = this.CONSUME(T.Name);
    this.CONSUME(T.LParen);
    const args: A.Expr[] = [];
    this.MANY_SEP({ SEP: T.Comma, DEF: () => { const e = this.SUBRULE(this.expr); this.ACTION(() => args.push(e)); } });
    const close = this.CONSUME(T.RParen);
    return this.ACTION((): A.Expr => ({ kind: "call", fn: fn.image, fnSpan: this.span(fn), args, span: join(this.span(fn), this.span(close)) }));
  });

  path = this.RULE("path", (): A.PathExpr => {
    const root = this.CONSUME(T.Name);
    const segments: { name: string; span: Span }[] = [];
    this.MANY(() => {
      this.CONSUME(T.Dot);
      const seg = this.CONSUME(T.AnyWord);
      this.ACTION(() => segments.push({ name: seg.image, span: this.span(seg) }));
    });
    return this.ACTION(() => ({
      kind: "path" as const,
      root: root.image,
      rootSpan: this.span(root),
      segments,
      span: join(this.span(root), segments.length ? segments[segments.length - 1]!.span : this.span(root)),
    }));
  });
}

function bin(op: A.BinaryOp, left: A.Expr, right: A.Expr, opSpan: Span): A.Expr {
  return { kind: "binary", op, left, right, opSpan, span: join(left.span, right.span) };
}

function basename(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

export type { TokenType };
