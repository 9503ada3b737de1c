/**
 * Benchmark: a generated 500-node flow opened on the canvas in headless Chromium — the time
 * from navigation start until the canvas is interactive (every node card rendered and
 * measured, and a click on a node selects it). Target ≤ 1.5 s. Median of 3 page loads, each
 * in a fresh browser context (cold HTTP cache), against the BUILT server (`npm run build`
 * first) with its own database. Run directly it prints one JSON line; `run()` returns the
 * figure for bench/run-all.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { startServer } from "./http-harness.js";

const NODES = 500;
const RUNS = 3;
/** The flags playwright.config.ts gives Debian's Chromium. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** One cold page load; milliseconds from navigation start until a clicked node is selected. */
const measureOnce = async (browser: Browser, url: string): Promise<number> => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(url, { waitUntil: "commit" });
    // Every card exists and is shown (React Flow hides a node it cannot size yet). Polled
    // every 50 ms: the check itself must not slow the page it measures.
    await page.waitForFunction(
      (count) => {
        const nodes = document.querySelectorAll<HTMLElement>('[aria-roledescription="node"]');
        if (nodes.length !== count) return false;
        for (const node of nodes) if (node.style.visibility === "hidden") return false;
        return true;
      },
      NODES,
      { polling: 50, timeout: 60_000 },
    );
    // Clicks before hydration do nothing, so click until the node is selected.
    const start = page.locator('[aria-roledescription="node"][data-id="message_1"]');
    for (let attempt = 0; ; attempt++) {
      await start.click({ position: { x: 130, y: 14 }, timeout: 30_000 });
      const selected = await page
        .waitForFunction(() => document.querySelector('[aria-roledescription="node"][data-id="message_1"]')?.classList.contains("selected"), undefined, {
          polling: 16,
          timeout: 150,
        })
        .then(() => true)
        .catch(() => false);
      if (selected) break;
      if (attempt > 150) throw new Error("clicking the start node never selected it");
    }
    return await page.evaluate(() => performance.now());
  } finally {
    await context.close();
  }
};

/** Opens /dev/canvas?nodes=500 three times and returns the median time to interactive. */
export const run = async (): Promise<ReadonlyArray<{ name: string; unit: string; value: number }>> => {
  const dir = mkdtempSync(join(tmpdir(), "parley-canvas-bench-"));
  const server = await startServer({ databasePath: join(dir, "parley.sqlite"), env: { PARLEY_DEV_ROUTES: "1" } });
  let browser: Browser | undefined;
  try {
    const url = `${server.base}/dev/canvas?nodes=${NODES}`;
    const probe = await fetch(url);
    if (probe.status !== 200) throw new Error(`${url} answered ${probe.status}: ${(await probe.text()).slice(0, 200)}`);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
    // One untimed load warms the server (first SSR of the route, the OS file cache).
    await measureOnce(browser, url);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await measureOnce(browser, url));
    return [{ name: "builder.canvas_500_interactive_ms", unit: "ms", value: Math.round(median(times)) }];
  } finally {
    await browser?.close();
    await server.stop("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const figure of await run()) console.log(JSON.stringify(figure));
}
