// A command's usage and I/O errors (a missing path, an unreadable file, bad JSON): in text mode
// each is printed to stderr as it happens; with `--format json` they are carried in the JSON
// document's `errors` field instead, so a machine reading stdout learns of them too.

import { EXIT } from "./exit.js";
import type { Io } from "./io.js";

export interface Problem {
  message: string;
  /** The file or directory concerned, when there is one. */
  path?: string;
}

export class Problems {
  readonly list: Problem[] = [];

  constructor(private readonly io: Io, private readonly json: boolean) {}

  add(message: string, path?: string): void {
    this.list.push(path === undefined ? { message } : { message, path });
    if (!this.json) this.io.err(`error: ${message}\n`);
  }

  get any(): boolean {
    return this.list.length > 0;
  }

  /** Ends a command that has nothing else to report (adding `message` if given): the errors alone (json mode), exit 2. */
  fail(message?: string, path?: string): number {
    if (message !== undefined) this.add(message, path);
    if (this.json) this.io.out(JSON.stringify({ errors: this.list }, null, 2) + "\n");
    return EXIT.usage;
  }
}
