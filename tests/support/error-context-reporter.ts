/**
 * Prints the page snapshot Playwright saves beside a failed test (its "error-context"
 * attachment: the error and the page's ARIA tree at the moment it failed) into the run's output.
 * CI keeps only what a run prints, not test-results/, so without this a failure seen once in CI
 * (a flaky one, above all) leaves nothing to read but the assertion. Runs beside the list reporter.
 */
import { readFileSync } from "node:fs";
import type { Reporter, TestCase, TestResult } from "@playwright/test/reporter";

/** Enough of the tree to see the page; a long transcript would bury the rest of the log. */
const MAX_LINES = 120;

export default class ErrorContextReporter implements Reporter {
  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status === "passed" || result.status === "skipped") return;
    for (const attachment of result.attachments) {
      if (attachment.name !== "error-context" || attachment.path === undefined) continue;
      let text: string;
      try {
        text = readFileSync(attachment.path, "utf8");
      } catch {
        continue;
      }
      // The error and the page; not the instructions to an assistant nor the source the list reporter shows.
      const from = text.indexOf("# Error details");
      const to = text.indexOf("# Test source");
      const lines = text.slice(from === -1 ? 0 : from, to === -1 || to < from ? undefined : to).trimEnd().split("\n");
      const shown = lines.length > MAX_LINES ? [...lines.slice(0, MAX_LINES), `… ${lines.length - MAX_LINES} more lines in ${attachment.path}`] : lines;
      process.stdout.write(`\n---- error context: ${test.titlePath().filter((part) => part !== "").join(" › ")} (attempt ${result.retry + 1}) ----\n${shown.join("\n")}\n---- end of error context ----\n`);
    }
  }

  printsToStdio(): boolean {
    return false;
  }
}
