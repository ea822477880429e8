// vitest configuration: tests live next to their stage in */test/ folders and in test/.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // one temporary directory per run, removed at its end (test/tmp-setup.ts)
    globalSetup: ["test/tmp-setup.ts"],
  },
});
