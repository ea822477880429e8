// Golden diagnostics: each bad policy in golden/ is checked and its rendered
// diagnostics compared with golden/NAME.txt. Regenerate with
// `npm run golden:update` (UPDATE_GOLDEN=1) after reviewing the change.

import { readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFile } from "../load.js";
import { renderDiagnostics } from "../render.js";

const dir = join(import.meta.dirname, "golden");
const update = process.env["UPDATE_GOLDEN"] === "1";

describe("golden diagnostics", () => {
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".pol")).sort()) {
    it(name, () => {
      const file = join("language/test/golden", name);
      const l = loadFile(file);
      const text = renderDiagnostics(l.sink.sorted(), { sources: l.sources }) + "\n";
      const expected = join(dir, name.replace(/\.pol$/, ".txt"));
      if (update || !existsSync(expected)) writeFileSync(expected, text);
      expect(text).toBe(readFileSync(expected, "utf8"));
    });
  }
});
