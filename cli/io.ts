// Where CLI commands write: real stdout/stderr in the bin, buffers in tests.

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** Standard input, read lazily (for `pol eval` without --call). */
  stdin(): Promise<string>;
  color: boolean;
}

export const processIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
  color: process.stdout.isTTY === true && !process.env["NO_COLOR"],
};
