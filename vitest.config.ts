import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["flows/**/*.test.ts", "runtime/**/*.test.ts", "server/**/*.test.ts", "app/**/*.test.ts", "app/**/*.test.tsx", "widget/**/*.test.ts", "tests/unit/**/*.test.ts", "tests/api/**/*.test.ts"],
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
