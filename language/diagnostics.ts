// The diagnostic model: every stage reports into a Sink instead of throwing.
// Consumed by the renderer (render.ts), the CLI's `--format json`, and tests.

import { CODES, type Code } from "./codes.js";
import type { Span } from "./span.js";

export type Severity = "error" | "warning";

export interface Related { span: Span; message: string }

export interface Diagnostic {
  code: Code;
  severity: Severity;
  /** One lowercase line; user input in backticks. */
  message: string;
  span: Span;
  /** The likely fix. */
  help?: string;
  related?: Related[];
}

/** Collects diagnostics from every stage; stages report, they don't throw. */
export class Sink {
  readonly items: Diagnostic[] = [];

  report(code: Code, span: Span, message: string, extra: { help?: string; related?: Related[] } = {}): Diagnostic {
    const d: Diagnostic = { code, severity: CODES[code].severity, message, span, ...extra };
    this.items.push(d);
    return d;
  }

  get errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === "error");
  }

  get warnings(): Diagnostic[] {
    return this.items.filter((d) => d.severity === "warning");
  }

  hasErrors(): boolean {
    return this.items.some((d) => d.severity === "error");
  }

  /** Diagnostics in file, then position, order: the order a reader scans the file. */
  sorted(): Diagnostic[] {
    return [...this.items].sort((a, b) => a.span.file.localeCompare(b.span.file) || a.span.start - b.span.start || a.code.localeCompare(b.code));
  }
}
