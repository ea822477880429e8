// The ABI version is written twice (the AssemblyScript constant modules
// export, the TypeScript constant hosts check): they must agree.

import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { ABI_VERSION } from "../abi.js";

it("wasm/abi.ts exports the ABI version the compiler and loader use", () => {
  const src = readFileSync("wasm/abi.ts", "utf8");
  expect(src).toMatch(new RegExp(`export const POL_ABI: i32 = ${ABI_VERSION};`));
});
