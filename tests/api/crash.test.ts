/**
 * The crash test in the suite: the real server process is SIGKILLed 5 times at random moments
 * while lead-qualification conversations run over HTTP (bench/crash.ts does the work; run it
 * with 20 kills via `npm run bench:crash -- 20`).
 */
import { describe, expect, it } from "vitest";
import { runCrash } from "../../bench/crash.js";

describe("crash safety", () => {
  it(
    "keeps every acknowledged message exactly once through 5 SIGKILLs, and conversations resume on the right node",
    async () => {
      const report = await runCrash({ kills: 5, lanes: 6 });
      expect(report.violations).toEqual([]);
      expect(report.kills).toBe(5);
      // The run did real work across the crashes, and some messages had an unknown fate.
      expect(report.acknowledged).toBeGreaterThan(50);
      expect(report.conversations).toBeGreaterThan(10);
      expect(report.retried).toBeGreaterThan(0);
    },
    300_000,
  );
});
