// Where CLI commands write: real stdout/stderr in the bin, buffers in tests. Colour is decided per
// stream (diagnostics go to stderr, so stderr's TTY decides for them), and NO_COLOR / FORCE_COLOR
// are honoured as https://no-color.org and Node's own tools read them.

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** Standard input, read lazily (for `pol eval` without --call). */
  stdin(): Promise<string>;
  /** Whether text written with out() may carry ANSI colour. */
  colorOut: boolean;
  /** Whether text written with err() may carry ANSI colour. */
  colorErr: boolean;
}

/** Colour for a stream: FORCE_COLOR (0 off, anything else on) wins, then a non-empty NO_COLOR, then the stream's TTY. */
export function colorFor(stream: { isTTY?: boolean }, env: Record<string, string | undefined> = process.env): boolean {
  const force = env["FORCE_COLOR"];
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  if (env["NO_COLOR"]) return false;
  return stream.isTTY === true;
}

export const processIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  stdin: async () => {
    // A terminal gives no end of input by itself: say how to end it, rather than seem to hang.
    if (process.stdin.isTTY) process.stderr.write("reading standard input from the terminal: type or paste it, then press Ctrl-D\n");
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
  colorOut: colorFor(process.stdout),
  colorErr: colorFor(process.stderr),
};
