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
  semanticErrors: { span: Span; message: string; code: "E0104" | "E0105" | "E0107" | "E0108" }[] = [];

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
      { ALT: () => this.SUBRULE(this.stateDecl) },
      { ALT: () => this.SUBRULE(this.updateDecl) },
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
          const more = this.OPTION(() => this.CONSUME(T.Ellipsis));
          const close = this.CONSUME(T.RBrace);
          return this.ACTION(() => ({ kind: "record" as const, fields, ...(more ? { open: true } : {}), span: join(this.span(open), this.span(close)) }));
        },
      },
      {
        ALT: () => {
          const values: IToken[] = [];
          this.AT_LEAST_ONE_SEP({ SEP: T.Pipe, DEF: () => { const v = this.CONSUME(T.StringLit); this.ACTION(() => values.push(v)); } });
          return this.ACTION(() => ({ kind: "enum" as const, values: values.map((v) => this.str(v)), span: join(this.span(values[0]!), this.span(values[values.length - 1]!)) }));
        },
      },
    ]);
  });

  /** `state NAME: TYPE [max N]`. */
  stateDecl = this.RULE("stateDecl", (): A.StateDecl => {
    const kw = this.CONSUME(T.State);
    const name = this.CONSUME(T.Name);
    this.CONSUME(T.Colon);
    const type = this.SUBRULE(this.typeExpr);
    const max = this.OPTION({
      GATE: () => this.LA(1).image === "max",
      DEF: () => {
        this.CONSUME(T.Identifier);
        return this.CONSUME(T.NumberLit);
      },
    });
    return this.ACTION(() => ({
      kind: "state",
      name: name.image,
      nameSpan: this.span(name),
      type,
      ...(max ? { max: this.num(max), maxSpan: this.span(max) } : {}),
      span: join(this.span(kw), max ? this.span(max) : type.span),
    }));
  });

  /** `on TARGETS add EXPR to NAME [if COND]`. */
  updateDecl = this.RULE("updateDecl", (): A.UpdateDecl => {
    const kw = this.CONSUME(T.On);
    const targets = this.SUBRULE(this.targets);
    this.CONSUME(T.Add);
    const value = this.SUBRULE(this.expr);
    this.CONSUME(T.To);
    const name = this.CONSUME(T.Name);
    const cond = this.OPTION(() => {
      this.CONSUME(T.If);
      return this.SUBRULE2(this.expr);
    });
    return this.ACTION(() => {
      const span = join(this.span(kw), cond ? cond.span : this.span(name));
      return { kind: "update", id: `${basename(this.file)}:${span.line}`, targets, value, state: name.image, stateSpan: this.span(name), ...(cond ? { condition: cond } : {}), span };
    });
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
    const condition = this.OPTION2(() => {
      this.CONSUME(T.If);
      return this.SUBRULE2(this.expr);
    });
    const escalate = this.OPTION3(() => {
      const e = this.CONSUME(T.Else);
      const a = this.CONSUME(T.Approve);
      const approvers: string[] = [];
      let last = this.span(a);
      this.OPTION4(() => {
        this.CONSUME(T.By);
        this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => { const g = this.CONSUME2(T.StringLit); this.ACTION(() => { approvers.push(this.str(g)); last = this.span(g); }); } });
      });
      return this.ACTION(() => ({ approvers, span: join(this.span(e), last) }));
    });
    return this.ACTION(() => {
      const end = escalate?.span ?? condition?.span ?? (keys.length ? keys[keys.length - 1]!.span : window.span);
      const span = join(this.span(kw), end);
      return {
        kind: "limit", id: `${basename(this.file)}:${span.line}`, targets, measure, max: this.num(maxTok), maxSpan: this.span(maxTok), window, keys,
        ...(condition ? { condition } : {}), ...(escalate ? { escalate } : {}), span,
      };
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
        GATE: () => this.LA(2).tokenType === T.LParen,
        ALT: () => {
          const kw = this.CONSUME(T.Class);
          this.CONSUME(T.LParen);
          const c = this.OR4([{ ALT: () => this.CONSUME(T.Read) }, { ALT: () => this.CONSUME(T.Write) }, { ALT: () => this.CONSUME(T.Destructive) }]);
          const close = this.CONSUME(T.RParen);
          return this.ACTION(() => ({ text: `class(${c.image})`, quoted: false, glob: false, cls: c.image as A.ToolClass, span: join(this.span(kw), this.span(close)) }));
        },
      },
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
      { ALT: () => this.SUBRULE(this.recordLit) },
      { GATE: () => this.LA(2).tokenType === T.LParen && HISTORY_FNS.has(this.LA(1).image), ALT: () => this.SUBRULE(this.history) },
      // `seen(`, `count(`, `calls(` are never calls of builtins: their parentheses hold targets only.
      { GATE: () => this.LA(2).tokenType === T.LParen && !HISTORY_FNS.has(this.LA(1).image), ALT: () => this.SUBRULE(this.call) },
      { ALT: () => this.SUBRULE2(this.path) },
    ]);
  });

  /** `seen(T, ...)`, `count(T, ...)`, `calls(T, ...)`: targets, not expressions, between the parentheses. */
  history = this.RULE("history", (): A.Expr => {
    const fn = this.CONSUME(T.Name);
    this.CONSUME(T.LParen);
    const targets = this.SUBRULE(this.targets);
    const close = this.CONSUME(T.RParen);
    return this.ACTION((): A.Expr => ({ kind: "history", fn: fn.image as A.HistoryExpr["fn"], fnSpan: this.span(fn), targets, span: join(this.span(fn), this.span(close)) }));
  });

  /**
   * `{ name: expr, ... }` (a record) or `{ 6: expr, "k": expr, ... }` (a map: number or string keys),
   * with an optional trailing comma; `{}` is the empty record.
   */
  recordLit = this.RULE("recordLit", (): A.Expr => {
    const open = this.CONSUME(T.LBrace);
    const entries: { key: IToken; neg: boolean; value: A.Expr }[] = [];
    this.MANY(() => {
      const neg = this.OPTION(() => this.CONSUME(T.Minus));
      const key = this.OR([{ ALT: () => this.CONSUME(T.AnyWord) }, { ALT: () => this.CONSUME(T.StringLit) }, { ALT: () => this.CONSUME(T.NumberLit) }]);
      this.CONSUME(T.Colon);
      const value = this.SUBRULE(this.expr);
      this.OPTION2(() => this.CONSUME(T.Comma));
      this.ACTION(() => entries.push({ key, neg: neg !== undefined, value }));
    });
    const close = this.CONSUME(T.RBrace);
    return this.ACTION((): A.Expr => {
      const span = join(this.span(open), this.span(close));
      const named = entries.filter((x) => x.key.tokenType !== T.StringLit && x.key.tokenType !== T.NumberLit);
      if (named.length === entries.length && !entries.some((x) => x.neg)) {
        return { kind: "record", fields: entries.map((x) => ({ name: x.key.image, nameSpan: this.span(x.key), value: x.value })), span };
      }
      if (named.length > 0 || (entries.some((x) => x.neg) && entries.some((x) => x.key.tokenType !== T.NumberLit))) {
        const bad = named[0] ?? entries.find((x) => x.neg)!;
        this.semanticErrors.push({ code: "E0108", message: "a `{ ... }` value has either field names (a record) or number and string keys (a map), not both", span: this.span(bad.key) });
      }
      return {
        kind: "map",
        entries: entries.map((x) => ({ key: x.key.tokenType === T.NumberLit ? (x.neg ? -1 : 1) * this.num(x.key) : x.key.tokenType === T.StringLit ? this.str(x.key) : x.key.image, keySpan: this.span(x.key), value: x.value })),
        span,
      };
    });
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
    const segments: A.PathSegment[] = [];
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Dot);
            const seg = this.CONSUME(T.AnyWord);
            this.ACTION(() => segments.push({ name: seg.image, span: this.span(seg) }));
          },
        },
        {
          ALT: () => {
            const open = this.CONSUME(T.LBracket);
            const key = this.SUBRULE(this.expr);
            const close = this.CONSUME(T.RBracket);
            this.ACTION(() => segments.push({ name: "", index: key, span: join(this.span(open), this.span(close)) }));
          },
        },
      ]);
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

/** The history functions: their parentheses hold targets (`seen(get_webpage, "mcp:*")`), not expressions. */
export const HISTORY_FNS: ReadonlySet<string> = new Set(["seen", "count", "calls"]);

function bin(op: A.BinaryOp, left: A.Expr, right: A.Expr, opSpan: Span): A.Expr {
  return { kind: "binary", op, left, right, opSpan, span: join(left.span, right.span) };
}

function basename(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

export type { TokenType };
