// Reading JSONL the rollout commands take: an audit log (a file or its directory, across rotated
// files, oldest first) or a file of calls, one JSON value per line, streamed so a large log never
// sits in memory. Lines that are not JSON come back as errors for the command to report. Used by
// `pol shadow report` and `pol diff`.

import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { chainFiles } from "../runtime/audit/files.js";
import { resolveLogPath } from "../runtime/audit/index.js";

export type Line = { file: string; line: number; value: unknown } | { file: string; line: number; error: string };

/** The files to read for `path`: an audit chain's files in order, or the file itself; empty when there is none. */
export function jsonlFiles(path: string): string[] {
  return chainFiles(resolveLogPath(path));
}

/** Every line of the files, parsed. */
export async function* jsonLines(files: string[]): AsyncGenerator<Line> {
  for (const file of files) {
    let line = 0;
    for await (const text of createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity })) {
      line++;
      if (text.trim() === "") continue;
      try {
        yield { file, line, value: JSON.parse(text) as unknown };
      } catch {
        yield { file, line, error: `line ${line} of \`${file}\` is not JSON` };
      }
    }
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The call a line holds: a call object as given to `decide` (it has `tool`), or the call an audit
 * decision or error record describes. An audit record holds the redacted, bounded arguments and
 * no roles or context, so it replays what the log kept, not always the original call.
 */
export function callOf(v: unknown): Record<string, unknown> | undefined {
  if (!isObj(v)) return undefined;
  if (!("seq" in v && "hash" in v)) return typeof v["tool"] === "string" ? v : undefined;
  if ((v["type"] !== "decision" && v["type"] !== "error") || typeof v["tool"] !== "string") return undefined;
  const call: Record<string, unknown> = { tool: v["tool"] };
  if (v["args"] !== undefined) call["args"] = v["args"];
  const agent: Record<string, unknown> = {};
  if (typeof v["agent"] === "string") agent["id"] = v["agent"];
  if (typeof v["trust"] === "number") agent["trust"] = v["trust"];
  if (Object.keys(agent).length) call["agent"] = agent;
  if (typeof v["run"] === "string") call["run"] = { id: v["run"] };
  if (typeof v["env"] === "string") call["env"] = v["env"];
  return call;
}
