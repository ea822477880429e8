#!/usr/bin/env node
// The `pol` executable: registers tsx so the TypeScript sources run as they
// are (no build step), then hands argv to the CLI in cli/main.ts.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
