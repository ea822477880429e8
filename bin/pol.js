#!/usr/bin/env node
// The `pol` executable: runs the built CLI (dist/cli/main.js, made by `npm run build`, which
// `npm install` runs in a clone and `npm pack` runs before packing) and exits with its code.

let main;
try {
  ({ main } = await import("../dist/cli/main.js"));
} catch (e) {
  if (e?.code !== "ERR_MODULE_NOT_FOUND" || !String(e.message).includes("dist")) throw e;
  process.stderr.write("error: pol is not built: run `npm run build` in the pol repository\n");
  process.exit(2);
}
process.exitCode = await main(process.argv.slice(2));
